#!/usr/bin/env bash
# apt-get update over user-mode networking (eth0=user, passt): the guest (the
# Debian image) gets its address, route and DNS from passt's DHCP server with
# dhclient, points apt at the Debian mirror this machine's apt sources name
# (found as images/build-debian-image.sh finds it; MIRROR=URL overrides), and
# runs `apt-get update` as root, with apt's own sandbox user _apt doing the
# downloads. It must exit 0 without warnings, write the Packages list, and
# `apt-cache show bash` must then find bash. Skips without passt, or when the
# host cannot reach the mirror.
# Usage: tests/net/apt.sh LINUX DEBIAN_IMAGE
set -euo pipefail
linux=$1
image=$2
command -v passt > /dev/null || { echo "apt: SKIP (no passt on the host)"; exit 0; }
mirror=$(bash "$(dirname "$0")/../../images/debian-mirror.sh")
case $mirror in
http://*) ;;
*) echo "apt: SKIP (no http Debian mirror in the host's apt sources: '$mirror')"; exit 0 ;;
esac
curl -sfI --max-time 10 "$mirror/dists/bookworm/Release" > /dev/null ||
	{ echo "apt: SKIP ($mirror is unreachable from the host)"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dhclient and apt write to the root: a writable copy.
cp --sparse=always "$image" "$work/debian.img"

script='ip link set lo up && dhclient -v eth0 2>&1 | grep -E "DHCPACK|bound to|DECLINE" ; \
	ip route && cat /etc/resolv.conf && \
	rm -f /etc/apt/sources.list.d/* && echo "deb '"$mirror"' bookworm main" > /etc/apt/sources.list && \
	cat /etc/apt/sources.list && \
	timeout 200 apt-get -q update ; echo "apt-get-update-status=$?" ; \
	ls /var/lib/apt/lists/ | sed "s/^/list: /" ; \
	apt-cache show bash | grep -E "^(Package|Version|Filename):" ; sync'
start=$SECONDS
timeout 240 "$linux" ubd0="$work/debian.img" rw eth0=user mem=512M init=/bin/bash quiet \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "$script" > "$work/out" 2>&1 < /dev/null || true
sed "s/^/[guest] /" "$work/out"
echo "apt: guest ran $((SECONDS - start)) s"
grep -q "bound to" "$work/out" || { echo "apt: FAIL (no DHCP lease)"; exit 1; }
grep -q "^apt-get-update-status=0" "$work/out" || { echo "apt: FAIL (apt-get update)"; exit 1; }
if grep -qE "^[WE]: " "$work/out"; then echo "apt: FAIL (apt-get update warned)"; exit 1; fi
grep -q "^list: .*_dists_bookworm_main_binary-amd64_Packages" "$work/out" ||
	{ echo "apt: FAIL (no Packages list written)"; exit 1; }
grep -q "^Package: bash" "$work/out" || { echo "apt: FAIL (apt-cache show bash)"; exit 1; }
echo "apt: passed"
