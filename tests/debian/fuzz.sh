#!/bin/sh
# Runs Debian's trinity system call fuzzer inside the Debian image under
# ./linux as an unprivileged user (uid 1000), with every system call enabled
# (prctl included), then checks the image with e2fsck -fn.
#
# usage: tests/debian/fuzz.sh LINUX DEBIAN.img [SECONDS] [SEED] [CALLS]
#
# SECONDS (default 120) bounds the run inside the guest; CALLS (default: no
# bound) stops it earlier; SEED (default 42) makes runs repeatable. The kernel
# must neither panic nor hang: ./linux is killed and the run fails if it has
# not ended SECONDS + 120 seconds after it started. The 32-bit calls trinity
# tries by int $0x80 raise SIGSEGV (this kernel has no IA32 emulation), and it
# then disables them. Sockets and perf descriptors are not made (no AF_INET,
# no perf_event_open yet). Prints "fuzz: passed" or why it failed.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 LINUX DEBIAN.img [SECONDS] [SEED] [CALLS]" >&2; exit 2; }
linux=$1 image=$2 seconds=${3:-120} seed=${4:-42} calls=${5:-}
PATH=$PATH:/usr/sbin:/sbin

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
img=$work/debian.img
cp --sparse=always "$image" "$img"

limit=${calls:+-N $calls}
guest="mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs tmp /tmp
mkdir /tmp/fuzz && chown 1000:1000 /tmp/fuzz && cd /tmp/fuzz
timeout -s INT $seconds python3 -c 'import os, sys
os.setgroups([]); os.setgid(1000); os.setuid(1000)
os.execvp(\"trinity\", [\"trinity\"] + sys.argv[1:])' -q -s $seed $limit -C 4 \
	--disable-fds=perf,sockets -l off
echo \"fuzz: trinity exited with \$?\"
echo \"fuzz: init still answers\""

status=0
timeout -s KILL $((seconds + 120)) "$linux" "ubd0=$img" mem=256M rw quiet \
	init=/bin/bash -- -c "$guest" >"$work/out" 2>&1 || status=$?
# A panic's message and the kernel's own frames, then the end of the run.
grep -A 40 "^Kernel panic" "$work/out" | grep -v "^ *at /rustc" | head -n 30 || true
tail -n 15 "$work/out"
if [ "$status" -eq 137 ]; then
	echo "fuzz: FAILED: ./linux did not end within $((seconds + 120)) s (a hang)"
	exit 1
fi
if grep -q "Kernel panic" "$work/out"; then
	echo "fuzz: FAILED: kernel panic"
	exit 1
fi
if [ "$status" -ne 0 ] || ! grep -q "fuzz: init still answers" "$work/out"; then
	echo "fuzz: FAILED: ./linux exited with $status before the guest finished"
	exit 1
fi
if ! e2fsck -fn "$img" >"$work/fsck" 2>&1; then
	cat "$work/fsck"
	echo "fuzz: FAILED: e2fsck found errors"
	exit 1
fi
calls_made=$(grep -o 'Ran [0-9]* syscalls' "$work/out" | tail -n 1 || true)
echo "fuzz: passed (${calls_made:-trinity's count not printed}, seed $seed, ${seconds}s bound)"
