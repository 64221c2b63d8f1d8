#!/bin/sh
# Builds the ext4 image the boot tests run: every tests/guest/*.c compiled
# static into /bin (args and exit42 also static-pie, as /bin/NAME-pie), the
# /data fixtures of tests/guest/fixtures.h, device nodes in /dev, /etc/hostname,
# the tmpfs mount points /tmp, /dev/shm and /run, and the pseudo-filesystem
# mount points /proc and /sys. Needs no root: mkfs.ext4 -d copies a staging
# directory and debugfs adds the device nodes.
#
# usage: images/build-test-image.sh OUT.img
#
# Does nothing if OUT.img is newer than every source. Runs e2fsck -fn on the result.
set -eu

say() { echo "build-test-image: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUT.img" >&2; exit 2; }
mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

here=$(cd "$(dirname "$0")" && pwd)
guest=$here/../tests/guest

# mkfs.ext4, debugfs and e2fsck live in sbin, which a user's PATH may lack.
PATH=$PATH:/sbin:/usr/sbin
for tool in gcc mkfs.ext4 debugfs e2fsck; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (install gcc and e2fsprogs)"
done

if [ -e "$out" ]; then
	newer=$(find "$guest" "$here/gen-fixtures.c" "$0" /bin/busybox -newer "$out" -type f | head -n 1)
	if [ -z "$newer" ]; then
		say "$out is up to date"
		exit 0
	fi
	say "$newer changed, rebuilding $out"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/test-image.XXXXXX")
tmp_img=$out.tmp.$$
trap 'rm -rf "$stage" "$tmp_img"' EXIT INT TERM

mkdir -p "$stage/bin" "$stage/dev/shm" "$stage/etc" "$stage/tmp" "$stage/run" \
	"$stage/proc" "$stage/sys"
chmod 1777 "$stage/tmp" "$stage/dev/shm"
echo linux-test > "$stage/etc/hostname"

cflags="-O2 -Wall -Wextra -Werror -pthread -I$guest"
for src in "$guest"/*.c; do
	name=$(basename "$src" .c)
	say "compiling /bin/$name"
	# Stripped: eighty static programs fill most of the 96 MiB image, and
	# the ext4 tests need room for their workload.
	gcc -static -s $cflags -o "$stage/bin/$name" "$src"
done
for name in args exit42; do
	say "compiling /bin/$name-pie"
	gcc -static-pie $cflags -o "$stage/bin/$name-pie" "$guest/$name.c"
done

# Dynamically linked programs load through the host's ld.so and libc, copied
# to where Debian keeps them.
for name in threads hello; do
	say "compiling /bin/$name-dyn (dynamic)"
	gcc $cflags -o "$stage/bin/$name-dyn" "$guest/$name.c"
done
mkdir -p "$stage/lib64" "$stage/lib/x86_64-linux-gnu"
# pthread_cancel unwinds through libgcc_s, which glibc loads on demand.
for lib in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 \
	/lib/x86_64-linux-gnu/libgcc_s.so.1; do
	cp -L "$lib" "$stage$lib"
done

# Debian's busybox-static, with its applets as links, and the shell scripts
# it runs.
[ -x /bin/busybox ] || die "/bin/busybox not found (install busybox-static)"
say "adding busybox"
cp /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
mkdir -p "$stage/scripts"
cp "$guest"/sh/*.sh "$stage/scripts/"

say "generating /data fixtures"
gcc $cflags -o "$stage/gen-fixtures" "$here/gen-fixtures.c"
"$stage/gen-fixtures" "$stage"
rm "$stage/gen-fixtures"

say "creating the file system"
# 3000 files in /data/many need more inodes than the default ratio gives;
# ext4rw's workload (about 13 MiB) needs that much room beside the programs.
mkfs.ext4 -q -F -b 4096 -N 8192 -L linux-test -E root_owner=0:0 -d "$stage" "$tmp_img" 96M >&2

say "adding device nodes"
# debugfs' mknod takes a name in its current directory and sets no permissions.
debugfs -w -f - "$tmp_img" >/dev/null 2>"$stage/debugfs.log" <<'DEBUGFS'
cd /dev
mknod null c 1 3
sif null mode 020666
mknod zero c 1 5
sif zero mode 020666
mknod random c 1 8
sif random mode 020666
mknod urandom c 1 9
sif urandom mode 020666
mknod tty c 5 0
sif tty mode 020666
mknod console c 5 1
sif console mode 020600
DEBUGFS
# debugfs exits 0 even when a request fails; its log has one banner line otherwise.
if grep -v '^debugfs [0-9]' "$stage/debugfs.log" >&2; then
	die "debugfs could not create the device nodes"
fi

say "checking the file system"
e2fsck -fn "$tmp_img" >&2 || die "e2fsck found problems in the new image"

mv -f "$tmp_img" "$out"
say "wrote $out"
