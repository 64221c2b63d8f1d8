#!/bin/sh
# Checks a serial line and an unconfigured virtual console, run by busybox sh
# as init under `./linux ssl0=...` (tests/shell.rs drives the host side):
# reads a line the host sends on /dev/ttyS0, then reports there. Writes
# "console-marker" to /dev/console, which the host checks did not reach it
# when con0=null. Prints "ok NAME" per check and "N passed, 0 failed" on the
# serial line; exits 1 at the first failure.

exec 3<>/dev/ttyS0 || exit 2
exec 1>&3 2>&3
passed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { echo "FAIL $1: $2"; exit 1; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "$*"; fi; }
eq() { [ "$1" = "$2" ] || { echo "  got [$1], expected [$2]"; return 1; }; }

IFS= read -r line <&3
check "read a line from ttyS0" eq "$line" "hello serial"
echo console-marker >/dev/console

check "ttyS0 node: 4:64, 0660 root:dialout" eq "$(stat -c '%a %u %g %t:%T' /dev/ttyS0)" "660 0 20 4:40"
check "tty0 node: 4:0, 0620 root:tty" eq "$(stat -c '%a %u %g %t:%T' /dev/tty0)" "620 0 5 4:0"
# tty1 exists unless con1= says otherwise (null: for getty@tty1).
check "no nodes for unconfigured lines" eq "$(ls /dev | grep -E '^tty([1-9]|S)' | tr '\n' ' ')" "tty1 ttyS0 "
check "ttyS0 is init's controlling terminal (tty_nr 4:64)" \
	eq "$(cut -d' ' -f7 /proc/$$/stat)" "$((4 * 256 + 64))"
mknod /dev/tty3 c 4 3
check "opening unconfigured con3 is ENODEV" eq "$(cat /dev/tty3 2>&1)" \
	"cat: can't open '/dev/tty3': No such device"
echo "$passed passed, 0 failed"
# Wait for the host to have read the report (a line, or end of file): a pty's
# unread output is lost when ./linux exits and closes it.
IFS= read -r _ <&3
exit 0
