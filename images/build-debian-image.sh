#!/bin/sh
# Builds a Debian 12 (bookworm) root filesystem image for ./linux from Debian's
# packages: minbase plus a working set (procps, iproute2, python3, less,
# vim-tiny, sysvinit-core, iputils-ping, curl, iperf3, isc-dhcp-client,
# ifupdown, openssh-server, strace, gdb, ...), an empty root
# password, a getty on the console, an fstab and a hostname. The one image
# boots two ways:
#
#   ./linux ubd0=OUT.img mem=256M init=/bin/bash   a root shell at once
#   ./linux ubd0=OUT.img mem=256M                  sysvinit to a login prompt
#
# usage: images/build-debian-image.sh OUT.img
#
# With INIT=systemd it builds the stock system instead: Debian's standard
# init (systemd, udev, dbus) and nothing changed but an empty root password,
# a hostname and an fstab (images/debian-systemd.sh); SUITE=trixie for
# Debian 13. `make run` boots that one.
#
# CPython's regression tests (libpython3.11-testsuite) are included, for the
# conformance table in README.md, and the trinity system call fuzzer, for the
# fuzzing boot test and `make fuzz`.
#
# Packages come from the Debian mirror this machine's apt sources name (override
# with MIRROR=URL). Needs root for mmdebstrap's chroot; a rootless route is
# `mmdebstrap --mode=unshare` where unprivileged user namespaces are allowed
# (set MODE=unshare). Idempotent: does nothing when OUT.img exists and is newer
# than this script and its customize hook. Runs e2fsck -fn on the result.
set -eu

say() { echo "build-debian-image: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUT.img" >&2; exit 2; }
mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
size=${SIZE:-4G}
mode=${MODE:-root}
init=${INIT:-sysvinit}
suite=${SUITE:-bookworm}
case $init in
sysvinit) hook=$here/debian-customize.sh ;;
systemd) hook=$here/debian-systemd.sh ;;
*) die "INIT=$init: sysvinit or systemd" ;;
esac

if [ -e "$out" ] && [ "$out" -nt "$0" ] && [ "$out" -nt "$hook" ]; then
	say "$out is up to date"
	exit 0
fi

PATH=$PATH:/sbin:/usr/sbin
if [ "$mode" = root ] && [ "$(id -u)" -ne 0 ]; then
	die "building a Debian tree needs root (run with sudo), or MODE=unshare where \
unprivileged user namespaces work"
fi
for tool in mmdebstrap mkfs.ext4 e2fsck; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (apt-get install mmdebstrap e2fsprogs)"
done

# The mirror: what apt on this machine already uses for Debian's main archive.
mirror=$(bash "$here/debian-mirror.sh")
[ -n "$mirror" ] || die "no Debian mirror in this machine's apt sources (set MIRROR=URL)"
say "mirror $mirror"

if [ "$init" = systemd ]; then
	# What `debootstrap` installs (priority important), with Debian's own
	# init: systemd, udev and the bus.
	packages=systemd-sysv,udev,dbus,procps,iproute2,less,vim-tiny,e2fsprogs,util-linux
	packages=$packages,iputils-ping,isc-dhcp-client,ifupdown,netbase,kmod,sensible-utils
	tree=$(mktemp -d "${TMPDIR:-/tmp}/debian-tree.XXXXXX")
	chmod 755 "$tree"
	tmp_img=$out.tmp.$$
	trap 'rm -rf "$tree" "$tmp_img"' EXIT INT TERM
	say "installing $suite (systemd: minbase + $packages) into $tree"
	mmdebstrap --mode="$mode" --variant=minbase --include="$packages" \
		--customize-hook="$hook \"\$1\"" "$suite" "$tree" "$mirror" >&2
	rm -f "$tmp_img"
	truncate -s "$size" "$tmp_img"
	mkfs.ext4 -q -L debian -d "$tree" "$tmp_img"
	e2fsck -fn "$tmp_img" >/dev/null || die "e2fsck found problems in the new image"
	mv "$tmp_img" "$out"
	say "wrote $out ($(du -h "$out" | cut -f1) used of $size)"
	exit 0
fi

packages=procps,iproute2,python3,less,vim-tiny,sysvinit-core,sysv-rc,initscripts
packages=$packages,e2fsprogs,util-linux,bsdextrautils,ncurses-term,file,xz-utils
packages=$packages,libpython3.11-testsuite,trinity
# The network tools the networking tests drive, and what brings a card up
# (a DHCP client, ifupdown) and lets the host in (sshd).
packages=$packages,iputils-ping,curl,iperf3,netbase
packages=$packages,isc-dhcp-client,ifupdown,openssh-server
# The debuggers the ptrace and core dump tests run in the guest.
packages=$packages,strace,gdb

tree=$(mktemp -d "${TMPDIR:-/tmp}/debian-tree.XXXXXX")
chmod 755 "$tree"
tmp_img=$out.tmp.$$
trap 'rm -rf "$tree" "$tmp_img"' EXIT INT TERM

say "installing bookworm (minbase + $packages) into $tree"
mmdebstrap --mode="$mode" --variant=minbase --include="$packages" \
	--customize-hook="$here/debian-customize.sh \"\$1\"" \
	bookworm "$tree" "$mirror" >&2

say "making a $size ext4 image"
rm -f "$tmp_img"
truncate -s "$size" "$tmp_img"
mkfs.ext4 -q -L debian -d "$tree" "$tmp_img"
e2fsck -fn "$tmp_img" >/dev/null || die "e2fsck found problems in the new image"
mv "$tmp_img" "$out"
say "wrote $out ($(du -h "$out" | cut -f1) used of $size)"
