#!/usr/bin/env bash
# Network cards on host TAP devices, booted both ways UML spells them
# (eth0=tuntap,TAP and vec0:transport=tap,ifname=TAP): inside a network
# namespace of its own (nothing leaks to the host's network) the test makes
# a TAP device with an address and a web server on it; the guest (the
# Debian image) gives its card an address with `ip`, pings the host,
# fetches 100 MB from the host's server, and serves them back to the host;
# both copies must have the original's SHA-256; the card has its IPv6
# link-local address and pings the host over IPv6 (neighbour discovery); a
# 4000-byte UDP datagram and its 8000-byte echo cross the 1500-byte MTU in
# fragments. IPv6 autoconfiguration from a router's advertisements (ra.py)
# and duplicate address detection work. Two guests on a bridge of two TAPs
# reach each other. A TUN device, or a TAP another process holds, named as
# a card gives one message, and the guest boots without the card.
# Usage: tests/net/tap.sh LINUX DEBIAN_IMAGE. Needs root; skips without it.
set -euo pipefail
linux=$1
image=$2
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "tap: SKIP (needs root and /dev/net/tun for a network namespace and a TAP device)"
	exit 0
fi
PATH=$PATH:/usr/sbin:/sbin
ns=linux-tap-$$
work=$(mktemp -d)
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
in_ns() { ip netns exec "$ns" "$@"; }
ip netns add "$ns"
in_ns ip link set lo up
in_ns ip tuntap add dev tap0 mode tap
in_ns ip addr add 10.0.7.1/24 dev tap0
in_ns ip addr add fd00:7::1/64 dev tap0 nodad
in_ns ip link set tap0 up
head -c 100000000 /dev/urandom > "$work/big"
want=$(sha256sum < "$work/big" | cut -c1-64)
(cd "$work" && exec ip netns exec "$ns" python3 -m http.server 8000 --bind 10.0.7.1) > /dev/null 2>&1 &
# A UDP echo of larger datagrams than the MTU: IPv4 fragments both ways.
in_ns python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.7.1", 9999))
while True:
    d, a = s.recvfrom(70000)
    s.sendto(d * 2, a)' > /dev/null 2>&1 &
# The web and echo servers listen before any guest looks for them (python
# starts slowly on a loaded machine).
for _ in $(seq 300); do
	in_ns ss -ltn | grep -q "10.0.7.1:8000" && in_ns ss -lun | grep -q "10.0.7.1:9999" && break
	sleep 0.1
done

for card in "eth0=tuntap,tap0" "vec0:transport=tap,ifname=tap0"; do
	dev=${card%%[=:]*}
	rm -f "$work/done" "$work/back" "$work/guest-ended"
	# The host's side: once the guest serves, fetch the file back from it,
	# then tell the guest it may stop. It gives up when the guest has ended.
	(
		while [ ! -e "$work/guest-ended" ]; do
			in_ns curl -sf -m 2 -o /dev/null http://10.0.7.2:8080/ && break
			sleep 0.1
		done
		in_ns curl -sf -m 60 -o "$work/back" http://10.0.7.2:8080/big || true
		touch "$work/done"
	) &
	helper=$!
	script="ip link set lo up && ip link set $dev up && ip addr add 10.0.7.2/24 dev $dev && \
		ip -6 addr add fd00:7::2/64 dev $dev nodad && \
		ip addr show $dev && ping -c 3 -i 0.2 10.0.7.1 && ping -6 -c 2 -i 0.2 fd00:7::1 | grep transmitted && \
		curl -sS -m 60 -o /tmp/big http://10.0.7.1:8000/big && echo guest-got \$(sha256sum < /tmp/big) && \
		python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); \
s.sendto(bytes(4000), (\"10.0.7.1\", 9999)); print(\"udp-echo\", len(s.recv(70000)))' && \
		{ cd /tmp && python3 -m http.server 8080 >/dev/null 2>&1 & } && \
		for i in \$(seq 900); do curl -sf -m 1 -o /dev/null http://10.0.7.1:8000/done && break; sleep 0.1; done; ip neigh"
	out=$(in_ns timeout 180 "$linux" ubd0r="$image" "$card" mem=512M init=/bin/bash quiet \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "$script" 2>&1) || true
	touch "$work/guest-ended"
	wait "$helper"
	echo "$out" | sed "s/^/[$dev] /"
	grep -q "link/ether" <<<"$out" || { echo "tap: FAIL ($dev: no card)"; exit 1; }
	grep -q "3 packets transmitted, 3 received" <<<"$out" || { echo "tap: FAIL ($dev: ping)"; exit 1; }
	grep -q "2 packets transmitted, 2 received" <<<"$out" || { echo "tap: FAIL ($dev: ping -6)"; exit 1; }
	grep -q "inet6 fe80::.*scope link" <<<"$out" || { echo "tap: FAIL ($dev: no link-local address)"; exit 1; }
	grep -q "fd00:7::1 dev $dev lladdr" <<<"$out" || { echo "tap: FAIL ($dev: ip neigh, IPv6)"; exit 1; }
	grep -q "guest-got $want" <<<"$out" || { echo "tap: FAIL ($dev: host to guest)"; exit 1; }
	grep -q "udp-echo 8000" <<<"$out" || { echo "tap: FAIL ($dev: fragmented UDP)"; exit 1; }
	got=$(sha256sum < "$work/back" 2>/dev/null | cut -c1-64)
	[ "$got" = "$want" ] || { echo "tap: FAIL ($dev: guest to host)"; exit 1; }
	grep -q "10.0.7.1 dev $dev lladdr" <<<"$out" || { echo "tap: FAIL ($dev: ip neigh)"; exit 1; }
done
# IPv6 autoconfiguration: the card's link-local address is tentative while
# duplicate address detection runs; a router's advertisements give a
# default route and an address in the advertised prefix; the host's own
# address, added to the card, is found a duplicate and cannot be bound.
in_ns timeout 60 python3 "$(dirname "$0")/ra.py" tap0 fd00:7:: 60 &
ra=$!
auto="ip link set lo up && ip link set eth0 up && ip -6 addr show dev eth0 && \
	for i in \$(seq 50); do ip -6 route | grep -q 'proto ra' && ip -6 addr show dev eth0 | \
		grep -q 'scope global dynamic' && ! ip -6 addr | grep -q tentative && break; sleep 0.2; done; \
	ip -6 addr show dev eth0 && ip -6 route && ping -6 -c 2 -i 0.2 fd00:7::1 | grep transmitted; \
	ip addr add fd00:7::1/64 dev eth0 && sleep 1.5 && ip -6 addr show dev eth0 | grep fd00:7::1/ && \
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind((\"fd00:7::1\", 0))' 2>&1 | tail -1"
out=$(in_ns timeout 90 "$linux" ubd0r="$image" eth0=tuntap,tap0 mem=256M init=/bin/bash quiet \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "$auto" 2>&1) || true
kill "$ra" 2>/dev/null || true
echo "$out" | sed "s/^/[autoconf] /"
grep -q "inet6 fe80::.* scope link tentative" <<<"$out" || { echo "tap: FAIL (no duplicate address detection)"; exit 1; }
grep -q "inet6 fd00:7::[0-9a-f:]*/64 scope global dynamic" <<<"$out" || { echo "tap: FAIL (no address from the router's prefix)"; exit 1; }
grep -Eq "^default via fe80::.* dev eth0 proto ra metric 1024 expires [0-9]+sec" <<<"$out" ||
	{ echo "tap: FAIL (no default route from the router, with its lifetime)"; exit 1; }
grep -q "2 packets transmitted, 2 received" <<<"$out" || { echo "tap: FAIL (ping over the autoconfigured address)"; exit 1; }
grep -q "fd00:7::1/64 scope global dadfailed tentative" <<<"$out" || { echo "tap: FAIL (a duplicate address not found)"; exit 1; }
grep -q "Cannot assign requested address" <<<"$out" || { echo "tap: FAIL (a duplicate address could be bound)"; exit 1; }

# Two guests on one host bridge reach each other: one serves, the other fetches.
in_ns ip link add br0 type bridge
in_ns ip link set br0 up
for t in tapa tapb; do
	in_ns ip tuntap add dev $t mode tap
	in_ns ip link set $t master br0
	in_ns ip link set $t up
done
serve="ip link set lo up && ip link set eth0 up && ip addr add 10.0.8.11/24 dev eth0 && \
	echo from-guest-a > /tmp/a && cd /tmp && timeout 300 python3 -m http.server 8080 >/dev/null 2>&1"
fetch="ip link set lo up && ip link set eth0 up && ip addr add 10.0.8.12/24 dev eth0 && \
	for i in \$(seq 300); do curl -sf -m 1 http://10.0.8.11:8080/a && break; sleep 0.2; done; \
	ping -c 2 -i 0.2 10.0.8.11 | grep transmitted"
in_ns timeout 330 "$linux" ubd0r="$image" eth0=tuntap,tapa mem=256M init=/bin/bash quiet \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "$serve" > "$work/a.out" 2>&1 &
guest_a=$!
out=$(in_ns timeout 90 "$linux" ubd0r="$image" eth0=tuntap,tapb mem=256M init=/bin/bash quiet \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "$fetch" 2>&1) || true
# A TAP another process holds (guest a's): one message, booting without it.
busy=$(in_ns timeout 60 "$linux" ubd0r="$image" eth0=tuntap,tapa mem=256M init=/bin/bash quiet \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "ip -o link" 2>&1) || true
kill "$guest_a" 2>/dev/null || true
wait "$guest_a" 2>/dev/null || true
echo "$busy" | sed "s/^/[busy] /"
grep -q "eth0: cannot use TAP device tapa: tapa is in use by another process; booting without it" <<<"$busy" ||
	{ echo "tap: FAIL (no message for a busy TAP device)"; exit 1; }
echo "$out" | sed "s/^/[bridge] /"
grep -q "from-guest-a" <<<"$out" || { echo "tap: FAIL (guest to guest over a bridge)"; exit 1; }
grep -q "2 packets transmitted, 2 received" <<<"$out" || { echo "tap: FAIL (guest to guest ping)"; exit 1; }

# A card whose device is not a TAP: one message, and the guest boots without it.
in_ns ip tuntap add dev tun0 mode tun
out=$(in_ns timeout 60 "$linux" ubd0r="$image" eth0=tuntap,tun0 mem=256M init=/bin/bash quiet \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "ip -o link" 2>&1) || true
echo "$out" | sed "s/^/[tun0] /"
grep -q "eth0: cannot use TAP device tun0: tun0 exists and is not a TAP device; booting without it" <<<"$out" ||
	{ echo "tap: FAIL (no message for a TUN device)"; exit 1; }
grep -q "1: lo:" <<<"$out" && ! grep -q "eth0:.*mtu" <<<"$out" ||
	{ echo "tap: FAIL (booting without the card)"; exit 1; }
echo "tap: passed"
