#!/bin/sh
# Checks the partitions of a partitioned disk, booted with root=/dev/ubda1:
# ubda carries a GPT with the test image as partition 1 ("root") and a small
# ext4 as partition 2 ("data", holding /hello); ubdb is a DOS disk with a
# primary, an extended and two logical partitions; ubdc has no table.
# /proc/partitions, the /dev nodes, /sys/block and /sys/class/block, the root
# mount, and mounting partition 2 (read-only, then read-write, twice at once),
# leaving /guest and /dir/busybox on it for the host to check.
# Prints "ok NAME" per check and "N passed, 0 failed"; exits 1 at the first
# failure, like the C checks.

passed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { echo "FAIL $1: $2"; [ -f "$out" ] && cat "$out"; exit 1; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "$*"; fi; }
has() { grep -q -E -e "$1" "$out"; }
lacks() { ! has "$1"; }
fails() { ! "$@" 2>/dev/null; }

out=/tmp/out
cd /tmp || fail cd "no /tmp"

cat /proc/partitions > $out
check "/proc/partitions: ubda" has '^ *98 +0 +131072 ubda$'
check "/proc/partitions: ubda1 (96 MiB)" has '^ *98 +1 +98304 ubda1$'
check "/proc/partitions: ubda2 (16 MiB)" has '^ *98 +2 +16384 ubda2$'
check "/proc/partitions: the extended partition is 1 KiB" has '^ *98 +18 +1 ubdb2$'
check "/proc/partitions: logical partitions from 5" has '^ *98 +21 +4096 ubdb5$'
check "/proc/partitions: ubdb6" has '^ *98 +22 +2048 ubdb6$'
check "/proc/partitions: no ubdb3 or ubdb4" lacks 'ubdb[34]$'
check "/proc/partitions: ubdc has none" lacks 'ubdc[0-9]'

ls -l /dev/ubda1 /dev/ubda2 /dev/ubdb6 > $out
check "/dev/ubda1 is block 98,1" has '^b.* 98, +1 .*/dev/ubda1$'
check "/dev/ubdb6 is block 98,22" has '^b.* 98, +22 .*/dev/ubdb6$'

check "/sys/block lists disks only" [ -d /sys/block/ubda ] && [ ! -e /sys/block/ubda1 ]
check "/sys/block/ubda/ubda2/partition" [ "$(cat /sys/block/ubda/ubda2/partition)" = 2 ]
check "/sys/block/ubda/ubda2/start" [ "$(cat /sys/block/ubda/ubda2/start)" = 198656 ]
check "/sys/class/block/ubda2/size" [ "$(cat /sys/class/block/ubda2/size)" = 32768 ]
check "/sys/dev/block/98:1/dev" [ "$(cat /sys/dev/block/98:1/dev)" = 98:1 ]
cat /sys/class/block/ubda2/uevent > $out
check "uevent: DEVTYPE=partition" has '^DEVTYPE=partition$'
check "uevent: PARTNAME from the GPT" has '^PARTNAME=data$'

cat /proc/mounts > $out
check "the root is /dev/ubda1" has '^/dev/ubda1 / ext4 '

mkdir -p /tmp/mnt /tmp/mnt2
check "mount /dev/ubda2 read-only" mount -t ext4 -o ro /dev/ubda2 /tmp/mnt
check "read a file on partition 2" [ "$(cat /tmp/mnt/hello)" = "hello from partition 2" ]
cat /proc/mounts > $out
check "/proc/mounts: /dev/ubda2" has '^/dev/ubda2 /tmp/mnt ext4 ro'
check "a read-write mount beside the read-only one is EBUSY" fails mount -t ext4 /dev/ubda2 /tmp/mnt2
check "the whole disk is busy while its partitions are mounted" fails mount -t ext4 -o ro /dev/ubda /tmp/mnt2
check "umount" umount /tmp/mnt
check "mount /dev/ubda2 read-write" mount -t ext4 /dev/ubda2 /tmp/mnt
check "write files on partition 2" sh -c 'echo written by the guest > /tmp/mnt/guest &&
	mkdir /tmp/mnt/dir && cp /bin/busybox /tmp/mnt/dir/ && rm /tmp/mnt/hello'
check "a second mount shares the filesystem" mount -t ext4 /dev/ubda2 /tmp/mnt2
check "the second mount sees the new files" [ "$(cat /tmp/mnt2/guest)" = "written by the guest" ]
check "umount both" umount /tmp/mnt2 && umount /tmp/mnt
check "mount again, read back" mount -t ext4 -o ro /dev/ubda2 /tmp/mnt && cmp /bin/busybox /tmp/mnt/dir/busybox
umount /tmp/mnt

echo "$passed passed, 0 failed"
exit 0
