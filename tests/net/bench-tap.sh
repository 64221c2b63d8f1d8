#!/usr/bin/env bash
# `make bench-tap`: the guest's card against this machine's native line
# rate. TCP throughput each way (iperf3, 5 s each) and TCP request/response
# (tests/guest/tcprr.c, one byte each way) between the guest and the host,
# over a TAP device and over user-mode networking (passt), next to the same
# measured between two network namespaces joined by a veth pair, as ratios.
# Each figure is the median of three runs (these machines are shared and
# noisy). Needs root. The TAP runs stay inside network namespaces the script makes;
# the user-mode ones reach the host's loopback through passt, as a user's
# guest would.
# Usage: tests/net/bench-tap.sh LINUX DEBIAN_IMAGE TEST_IMAGE
set -euo pipefail
linux=$1
image=$2
tools=$3
[ "$(id -u)" -eq 0 ] || { echo "bench-tap: needs root" >&2; exit 1; }
command -v iperf3 > /dev/null || { echo "bench-tap: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin
a=linux-bench-a-$$
b=linux-bench-b-$$
work=$(mktemp -d)
cleanup() {
	for n in "$a" "$b"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$n" 2>/dev/null || true
	done
	jobs -p | xargs -r kill 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
gcc -static -O2 -o "$work/tcprr" "$(dirname "$0")/../guest/tcprr.c"
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

# Returns the receiver's Gbit/s of iperf3's JSON on stdin.
gbits() { python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'; }
# Returns the transactions per second tcprr printed on stdin.
rr() { awk '$1 == "tcp_rr" {print $2}'; }
# Starts a server of one connection in namespace $1 (or the host's, for
# "-") on port $2: iperf3, or tcprr with "rr".
serve() {
	local ns=()
	[ "$1" = - ] || ns=(ip netns exec "$1")
	if [ "${3:-}" = rr ]; then
		"${ns[@]}" "$work/tcprr" server "$2" > /dev/null 2>&1 &
	else
		"${ns[@]}" iperf3 -s -1 -D -p "$2" > /dev/null 2>&1
	fi
	sleep 0.3
}

# Prints the median of three runs of the function named $1 (with the
# rest as its arguments), each printing one figure.
median() {
	local runs=()
	for _ in 1 2 3; do runs+=("$("$@")"); done
	printf '%s\n' "${runs[@]}" | sort -g | sed -n 2p
}

# The native line: namespace b to a over veth.
veth() { serve "$a" 5201; ip netns exec "$b" iperf3 -c 10.0.8.1 -t 5 -J "$@" | gbits; }
veth_rr() { serve "$a" 5202 rr; ip netns exec "$b" "$work/tcprr" client 10.0.8.1 5202 5 | rr; }
n_up=$(median veth)
n_down=$(median veth -R)
n_rr=$(median veth_rr)

# Runs the shell commands $3 in the Debian guest with card $2, in
# namespace $1 (or the host's, for "-"); the test image (tcprr) is mounted
# on /mnt.
guest() {
	local ns=()
	[ "$1" = - ] || ns=(ip netns exec "$1")
	"${ns[@]}" timeout 120 "$linux" ubd0r="$image" ubd1r="$tools" "$2" mem=512M init=/bin/bash \
		quiet PATH=/usr/sbin:/usr/bin:/sbin:/bin -- -c "mount -o ro /dev/ubdb /mnt; \
		ip link set lo up; ip link set eth0 up; $3" 2>/dev/null
}
json() { sed -n '/^{/,/^}/p'; }
tap() { guest "$a" eth0=tuntap,tap0 "ip addr add 10.0.9.2/24 dev eth0; $1"; }
tap_bw() { serve "$a" 5201; tap "iperf3 -c 10.0.9.1 -t 5 -J $*" | json | gbits; }
tap_rr() { serve "$a" 5202 rr; tap '/mnt/bin/tcprr client 10.0.9.1 5202 5' | rr; }
t_up=$(median tap_bw)
t_down=$(median tap_bw -R)
t_rr=$(median tap_rr)

# User-mode networking: the guest takes the address, gateway and MTU
# (65520) passt offers by DHCP, the address and gateway being the host's,
# and reaches the host's loopback at the gateway.
dev=$(ip -4 route show default | awk '{print $5; exit}')
addr=$(ip -4 -o addr show dev "$dev" | awk '{print $4; exit}')
gw=$(ip -4 route show default | awk '{print $3; exit}')
if command -v passt > /dev/null && [ -n "$addr" ] && [ -n "$gw" ]; then
	port=$((20000 + $$ % 20000))
	user() { guest - eth0=user "ip link set eth0 mtu 65520; ip addr add $addr dev eth0; ip route add default via $gw; $1"; }
	user_bw() { serve - "$port"; user "iperf3 -c $gw -p $port -t 5 -J $*" | json | gbits; }
	user_rr() { serve - "$((port + 1))" rr; user "/mnt/bin/tcprr client $gw $((port + 1)) 5" | rr; }
	u_up=$(median user_bw)
	u_down=$(median user_bw -R)
	u_rr=$(median user_rr)
	# The same through the host's own loopback, passt's native line.
	lo_bw() { serve - "$port"; iperf3 -c 127.0.0.1 -p "$port" -t 5 -J "$@" | gbits; }
	lo_rr() { serve - "$((port + 1))" rr; "$work/tcprr" client 127.0.0.1 "$((port + 1))" 5 | rr; }
	l_up=$(median lo_bw)
	l_down=$(median lo_bw -R)
	l_rr=$(median lo_rr)
fi

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo "| figure | native | guest | ratio |"
echo "|---|---|---|---|"
echo "| TAP, guest to host (Gbit/s; native: veth) | $n_up | $t_up | $(ratio "$t_up" "$n_up") |"
echo "| TAP, host to guest (Gbit/s) | $n_down | $t_down | $(ratio "$t_down" "$n_down") |"
echo "| TAP, TCP_RR (transactions/s) | $n_rr | $t_rr | $(ratio "$t_rr" "$n_rr") |"
if [ -n "${u_up:-}" ]; then
	echo "| user, guest to host (Gbit/s; native: host loopback) | $l_up | $u_up | $(ratio "$u_up" "$l_up") |"
	echo "| user, host to guest (Gbit/s) | $l_down | $u_down | $(ratio "$u_down" "$l_down") |"
	echo "| user, TCP_RR (transactions/s) | $l_rr | $u_rr | $(ratio "$u_rr" "$l_rr") |"
fi
