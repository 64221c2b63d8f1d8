#!/usr/bin/env bash
# `make cpython-tests`: runs CPython's regression test modules (Debian's
# libpython3.11-testsuite, in the Debian image) with tests/debian/cpython.py,
# under ./linux and natively in a chroot of the same image, and prints a table
# of run/passed/failed/skipped per module for both, then the failing tests.
# Both runs have a network namespace of their own with only lo, up.
# Needs root for the loop mount and chroot. Takes a while (tens of minutes).
# Usage: tests/debian/cpython.sh [LINUX_BINARY] [DEBIAN_IMAGE] [MODULE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
linux=${1:-$here/../../target/release/linux}
image=${2:-$here/../../images/out/debian.img}
shift 2 || true
[ -x "$linux" ] || { echo "cpython: build the kernel first (make linux)" >&2; exit 1; }
[ -e "$image" ] || { echo "cpython: no $image (make debian)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "cpython: the native run needs root (chroot)" >&2; exit 1; }
PATH=$PATH:/sbin:/usr/sbin
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
work=$(mktemp -d)
. "$here/chroot.sh"
trap cleanup EXIT
copy_image "$image" "$here/cpython.py" /root/cpython.py

echo "cpython: running the modules under ./linux ..." >&2
path=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"$linux" ubd0="$img" mem=1G init=/bin/bash rw quiet "$path" HOME=/root -- \
	-c "ip link set lo up; cd /root && python3 /root/cpython.py $*; sync" < /dev/null > "$out/guest" 2>&1 || true

echo "cpython: running the modules natively in a chroot ..." >&2
mount_chroot
# In a network namespace of its own with only lo, as the guest has.
env -i "$path" HOME=/root TERM=linux unshare -n sh -c "ip link set lo up && exec chroot $mnt /bin/bash -c 'cd /root && python3 /root/cpython.py $*'" < /dev/null > "$out/native" 2>&1 || true

printf '| %-16s | %-22s | %-22s |\n' module "native run/pass/fail/skip" "linux run/pass/fail/skip"
printf '|%s|%s|%s|\n' ------------------ ------------------------ ------------------------
while read -r tag name run pass fail skip _; do
	[ "$tag" = MODULE ] || continue
	g=$(awk -v n="$name" '$1 == "MODULE" && $2 == n {print $3 "/" $4 "/" $5 "/" $6}' "$out/guest")
	printf '| %-16s | %-22s | %-22s |\n' "$name" "$run/$pass/$fail/$skip" "${g:-did not run}"
done < "$out/native"
echo
echo "Failing under ./linux (not natively):"
{ grep "^FAILED" "$out/guest" || true; } | while read -r _ m t; do
	grep -qxF "FAILED $m $t" "$out/native" || echo "  $m: $t"
done
echo "(full outputs: $out/guest, $out/native)"
