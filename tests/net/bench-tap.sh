#!/usr/bin/env bash
# `make bench-tap`: TCP throughput each way between the guest's card on a
# TAP device and the host (iperf3, 5 s each), next to the same iperf3
# between two network namespaces joined by a veth pair (this machine's
# native line rate), as ratios. Needs root. Everything stays inside network
# namespaces the script makes.
# Usage: tests/net/bench-tap.sh LINUX DEBIAN_IMAGE
set -euo pipefail
linux=$1
image=$2
[ "$(id -u)" -eq 0 ] || { echo "bench-tap: needs root" >&2; exit 1; }
command -v iperf3 > /dev/null || { echo "bench-tap: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
a=linux-bench-a-$$
b=linux-bench-b-$$
cleanup() {
	for n in "$a" "$b"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
}
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add veth-a netns "$a" type veth peer name veth-b netns "$b"
ip -n "$a" addr add 10.0.8.1/24 dev veth-a
ip -n "$b" addr add 10.0.8.2/24 dev veth-b
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set veth-a up
ip -n "$b" link set veth-b up
ip -n "$a" tuntap add dev tap0 mode tap
ip -n "$a" addr add 10.0.9.1/24 dev tap0
ip -n "$a" link set tap0 up
ip netns exec "$a" iperf3 -s -D -1 > /dev/null 2>&1 || true

# Returns the receiver's Gbit/s of iperf3's JSON on stdin.
gbits() { python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'; }

native() {
	ip netns exec "$a" iperf3 -s -1 -D > /dev/null 2>&1
	sleep 0.3
	ip netns exec "$b" iperf3 -c 10.0.8.1 -t 5 -J "$@" | gbits
}
n_up=$(native)
n_down=$(native -R)

guest() {
	ip netns exec "$a" iperf3 -s -1 -D > /dev/null 2>&1
	sleep 0.3
	ip netns exec "$a" timeout 60 "$linux" ubd0r="$image" eth0=tuntap,tap0 mem=512M init=/bin/bash quiet \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "ip link set lo up; ip link set eth0 up; \
		ip addr add 10.0.9.2/24 dev eth0; iperf3 -c 10.0.9.1 -t 5 -J $*" 2>/dev/null |
		sed -n '/^{/,/^}/p' | gbits
}
g_up=$(guest)
g_down=$(guest -R)
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo "| direction | veth between namespaces (Gbit/s) | guest over TAP (Gbit/s) | ratio |"
echo "|---|---|---|---|"
echo "| guest to host | $n_up | $g_up | $(ratio "$g_up" "$n_up") |"
echo "| host to guest | $n_down | $g_down | $(ratio "$g_down" "$n_down") |"
