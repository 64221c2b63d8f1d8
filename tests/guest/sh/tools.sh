#!/bin/sh
# Checks that busybox's system tools work on the kernel's /proc, /sys and /dev:
# ps, free, df, mount, umount, top, uptime, cat /proc/cpuinfo, dmesg, hostname,
# kill.
# Run by busybox sh as init (with mem=128M). Outputs go through files in /tmp,
# not pipes, command substitution or `read`, except in the last checks, which
# reopen pipes through /proc/self/fd.
# Prints "ok NAME" per check and "N passed, 0 failed"; exits 1 at the first
# failure, like the C checks.

passed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { echo "FAIL $1: $2"; [ -f "$out" ] && cat "$out"; exit 1; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "$*"; fi; }
has() { grep -q -E -e "$1" "$out"; }

out=/tmp/out
cd /tmp || fail cd "no /tmp"

# A process to find: a background sleep.
sleep 60 &
sleeper=$!
# Wait until it has exec'd sleep and sleeps (a loaded host may be slow to get
# there), so that what ps shows is settled.
n=0
while [ $n -lt 500 ]; do
	state=$(cut -d' ' -f3 /proc/$sleeper/stat 2>/dev/null)
	[ "$(cat /proc/$sleeper/comm 2>/dev/null)" = sleep ] && [ "$state" = S ] && break
	n=$((n + 1))
	usleep 10000
done

ps > $out
check "ps runs" [ $? -eq 0 ]
check "ps lists PID 1" has '^ *1 '
check "ps lists the sleeper" has "^ *$sleeper .*sleep 60"
check "ps lists itself" has '[{ ]ps\b|/ps\b'
ps -o pid,ppid,stat,vsz,rss,comm,args > $out
check "ps -o: the sleeper's parent and state" has "^ *$sleeper +1 +S "

free > $out
check "free runs" [ $? -eq 0 ]
check "free shows the total memory" has '^Mem: +131072 '
out=/proc/meminfo
check "MemTotal is mem=128M" has '^MemTotal: +131072 kB$'
out=/tmp/out

df > $out
check "df lists /" has ' /$'
check "df lists /tmp" has '^tmpfs .* /tmp$'
check "df lists /dev/shm" has ' /dev/shm$'

mount > $out
check "mount lists the root" has '^/dev/ubda on / type ext4 \(ro'
check "mount lists proc" has '^proc on /proc type proc '
check "mount lists sysfs" has '^sysfs on /sys type sysfs '
check "mount lists tmpfs" has '^tmpfs on /tmp type tmpfs '
check "mount lists devtmpfs" has '^devtmpfs on /dev type devtmpfs '

mkdir -p /tmp/mnt
check "mount -t tmpfs" mount -t tmpfs -o size=2m scratch /tmp/mnt
df /tmp/mnt > $out
check "df of the new mount" has '^scratch +2048 '
check "mount -o remount,ro" mount -o remount,ro /tmp/mnt
touch /tmp/mnt/f 2> $out
check "read-only after remount" has 'Read-only file system'
check "umount" umount /tmp/mnt
mount > $out
check "gone from mount's list" eval '! has /tmp/mnt'

top -bn1 > $out
check "top runs" [ $? -eq 0 ]
check "top shows memory" has '^Mem: [0-9]+K used'
check "top shows the CPU line" has '^CPU: '
check "top shows the sleeper" has "^ *$sleeper +1 .* S .*sleep 60"

uptime > $out
check "uptime" has 'up .* load average: 0\.[0-9][0-9], '

cat /proc/cpuinfo > $out
check "cpuinfo has processor 0" has '^processor[[:space:]]+: 0$'
grep -c '^processor' /proc/cpuinfo > /tmp/cpus
nproc > /tmp/nproc
check "one cpuinfo entry per CPU" cmp -s /tmp/cpus /tmp/nproc

dmesg > $out
check "dmesg shows the boot log" has '^\[ *0\.[0-9]{6}\] Linux version '

hostname tools-test
hostname > $out
check "hostname" has '^tools-test$'
check "hostname in /proc/sys" grep -q '^tools-test$' /proc/sys/kernel/hostname

kill "$sleeper"
wait "$sleeper"
check "the sleeper was killed" [ $? -eq 143 ]
ps > $out
check "ps no longer lists it" eval "! has '^ *$sleeper '"
check "its /proc directory is gone" [ ! -e /proc/$sleeper ]

# With pipes: /dev/stdin, /dev/stdout and /dev/stderr reopen the pipe their
# descriptor holds, through the magic links of /proc/self/fd.
echo via-stderr 2>&1 >/dev/stderr | cat > $out
check "echo > /dev/stderr on a pipe" has '^via-stderr$'
echo via-stdin | cat /dev/stdin > $out
check "cat /dev/stdin on a pipe" has '^via-stdin$'
ls -l /proc/self/fd/ | cat > $out
check "fd links name pipes" has ' 1 -> pipe:\[[0-9]+\]$'

echo "$passed passed, 0 failed"
