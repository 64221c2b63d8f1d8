#!/usr/bin/env bash
# User-mode networking without privilege (eth0=user, passt): the guest (the
# Debian image) gets its address, route and DNS from passt's DHCP server
# with Debian's dhclient, fetches a file from a web server on the host's
# loopback through the gateway address, and runs sshd, which the host
# reaches through a forwarded port (hostfwd=tcp:127.0.0.1:PORT-:22) with
# `ssh root@127.0.0.1 true`. Then the image boots with sysvinit, and
# ifupdown brings eth0 up by DHCP. A forward to a busy host port gives one
# line. Skips without passt or ssh.
# Usage: tests/net/user.sh LINUX DEBIAN_IMAGE
set -euo pipefail
linux=$1
image=$2
for tool in passt ssh ssh-keygen python3; do
	command -v "$tool" > /dev/null || { echo "user: SKIP (no $tool on the host)"; exit 0; }
done
work=$(mktemp -d)
server=
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# Two free ports on the host's loopback: the web server's and the forward's.
read -r http_port ssh_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
head -c 10000000 /dev/urandom > "$work/file"
# dhclient writes its leases and /etc/resolv.conf: a writable copy.
cp --sparse=always "$image" "$work/debian.img"
want=$(sha256sum < "$work/file" | cut -c1-64)
(cd "$work" && exec python3 -m http.server "$http_port" --bind 127.0.0.1) > /dev/null 2>&1 &
server=$!
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
pubkey=$(cat "$work/key.pub")

# The host's side: once the guest's sshd answers through the forward, log
# in, then tell the guest it may stop. It gives up when the guest has ended.
# The handshake (sshd forks and execs itself for each connection) may take
# long on a loaded machine: a short ConnectTimeout would cut every try.
(
	while [ ! -e "$work/guest-ended" ]; do
		if ssh -q -p "$ssh_port" -i "$work/key" -o BatchMode=yes -o ConnectTimeout=30 \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1 \
			'echo ssh-ok-$(hostname)' > "$work/ssh.out" 2>&1; then
			break
		fi
		sleep 0.2
	done
	touch "$work/done"
) &
helper=$!

script='hostname -F /etc/hostname && ip link set lo up && dhclient -v eth0 2>&1 | grep -E "DHCPACK|bound to|DECLINE" ; \
	ip -4 addr show eth0 && ip route && cat /etc/resolv.conf && \
	gw=$(ip route | sed -n "s/^default via \([^ ]*\).*/\1/p") && \
	echo guest-got $(curl -sS -m 30 http://$gw:'"$http_port"'/file | sha256sum) && \
	mkdir -p /run/sshd && echo "$PUBKEY" > /tmp/authorized_keys && \
	/usr/sbin/sshd -o StrictModes=no -o AuthorizedKeysFile=/tmp/authorized_keys && \
	for i in $(seq 1500); do curl -sf -m 1 -o /dev/null http://$gw:'"$http_port"'/done && break; sleep 0.2; done; sync'
out=$(timeout 480 "$linux" ubd0="$work/debian.img" rw "eth0=user,hostfwd=tcp:127.0.0.1:$ssh_port-:22" mem=512M \
	init=/bin/bash quiet PATH=/usr/sbin:/usr/bin:/sbin:/bin "PUBKEY=$pubkey" -- -c "$script" 2>&1) || true
touch "$work/guest-ended"
wait "$helper"
echo "$out" | sed "s/^/[guest] /"
sed "s/^/[host ssh] /" "$work/ssh.out"
grep -q "bound to" <<<"$out" || { echo "user: FAIL (no DHCP lease)"; exit 1; }
grep -q "^default via" <<<"$out" || { echo "user: FAIL (no default route)"; exit 1; }
grep -q "guest-got $want" <<<"$out" || { echo "user: FAIL (fetch from the host)"; exit 1; }
grep -q "ssh-ok-debian" "$work/ssh.out" || { echo "user: FAIL (ssh through the forward)"; exit 1; }

# The image as it boots, with sysvinit: ifupdown brings eth0 up by DHCP
# (/etc/network/interfaces), and rc.local reports and powers off.
printf '#!/bin/sh\n{ ip -4 -o addr show eth0; ip route; } > /dev/console 2>&1\n/sbin/poweroff\n' > "$work/rc.local"
printf 'cd /etc\nrm rc.local\nwrite %s rc.local\nsif rc.local mode 0100755\n' "$work/rc.local" > "$work/debugfs.cmd"
/sbin/debugfs -w -f "$work/debugfs.cmd" "$work/debian.img" > /dev/null 2>&1
out=$(timeout 240 "$linux" ubd0="$work/debian.img" eth0=user mem=512M < /dev/null 2>&1) || true
echo "$out" | grep -E "eth0|default" | sed "s/^/[boot] /"
grep -q "eth0 *inet 192\.\|eth0 *inet [0-9]" <<<"$out" && grep -q "^default via" <<<"$out" ||
	{ echo "$out" | tail -20; echo "user: FAIL (ifupdown at boot)"; exit 1; }
# A forward to a host port that is taken: one line, and the guest boots
# without the card.
python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", '"$http_port"')); time.sleep(30)' 2>/dev/null &
sleep 0.5
out=$(timeout 60 "$linux" ubd0r="$image" "eth0=user,hostfwd=tcp:127.0.0.1:$http_port-:22" mem=256M \
	init=/bin/bash quiet -- -c "ip -o link" 2>&1) || true
echo "$out" | sed "s/^/[busy] /"
grep -q "eth0: cannot use user-mode networking: passt exited at start.*Failed to bind" <<<"$out" ||
	{ echo "user: FAIL (no message for a busy forwarded port)"; exit 1; }
echo "user: passed"
