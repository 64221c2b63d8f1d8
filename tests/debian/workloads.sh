#!/bin/bash
# The workload suite of `make bench-debian`, run inside the Debian image: under
# ./linux as init, and natively in a chroot of the same tree. Prints one line
# per workload, "RESULT NAME SECONDS", and "DONE" at the end.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
work=/root/bench.tmp
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

run() {
	local name=$1
	shift
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>"$work/err" || { echo "FAIL $name: $(head -c 300 "$work/err")"; }
	end=$(date +%s.%N)
	echo "RESULT $name $(echo "$end $start" | awk '{printf "%.3f", $1 - $2}')"
}

forks() { for _ in $(seq 1000); do /bin/true; done; }
dd_bs1() { head -c 200000 /dev/zero > "$work/zero200k"; dd if="$work/zero200k" of=/dev/null bs=1; }
pipe640() { dd if=/dev/zero bs=64k count=10240 status=none | cat > /dev/null; }
py_loop() { python3 -c 'n = 0
for i in range(3_000_000): n += i * i
print(n)'; }
py_start() { for _ in $(seq 20); do python3 -c pass; done; }
touch200() { python3 -c 'b = bytearray(200 << 20)
for i in range(0, len(b), 4096): b[i] = 1'; }
write200() { dd if=/dev/zero of="$work/big" bs=1M count=200 status=none && sync; }
read200() { dd if="$work/big" of=/dev/null bs=1M status=none; }
find_usr() { find /usr | wc -l; }
tar_share() { tar cf - /usr/share | wc -c; }
cp_tree() { cp -r /usr/lib/python3.11 "$work/tree"; }

run fork-exec-1000 forks
run dd-bs1-200k dd_bs1
run pipe-640M pipe640
run python-loop py_loop
run python-start-20 py_start
run touch-200M touch200
run write-200M-sync write200
run read-200M read200
run find-usr find_usr
run tar-usr-share tar_share
run cp-r-tree cp_tree
cd / && rm -rf "$work"
sync
echo DONE
