#!/bin/sh
# mmdebstrap's customize hook for build-debian-image.sh: turns the freshly
# installed tree at $1 into a system that boots under ./linux.
set -eu
root=$1

# Root logs in on the console without a password (pam_unix's nullok).
chroot "$root" passwd -d root >/dev/null

echo debian > "$root/etc/hostname"
cat > "$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	debian
::1		localhost ip6-localhost ip6-loopback
HOSTS

# The root is the first ubd disk; the kernel mounts it read-only unless booted
# with `rw`, and initscripts remounts it read-write from this line.
cat > "$root/etc/fstab" <<'FSTAB'
# <file system>	<mount point>	<type>	<options>		<dump>	<pass>
/dev/ubda	/		ext4	defaults,noatime	0	0
FSTAB

# One getty, on tty0 (the console's own line, as in UML: the host terminal),
# instead of tty1..tty6. Not on /dev/console: files opened by that name outlive
# hangups, as in Linux, so a login shell on it would survive its session.
if [ -f "$root/etc/inittab" ]; then
	sed -i -e 's/^\([1-6]:[0-9]*:respawn:\)/#\1/' "$root/etc/inittab"
	echo 'co:2345:respawn:/sbin/agetty --noclear --keep-baud tty0 115200,38400,9600 linux' \
		>> "$root/etc/inittab"
fi

# Nothing in the guest manages hardware clocks or kernel modules.
rm -f "$root"/etc/rc?.d/[SK]*hwclock* "$root"/etc/rcS.d/S*kmod*

ln -sf /proc/mounts "$root/etc/mtab"

# The network comes up at boot through ifupdown: lo always, eth0 by DHCP when
# the kernel has that card (ethN=user, or a TAP with a DHCP server behind it);
# allow-hotplug cards are brought up at boot if they exist.
cat > "$root/etc/network/interfaces" <<'IFACES'
# interfaces(5): see ifup(8).
auto lo
iface lo inet loopback

allow-hotplug eth0
iface eth0 inet dhcp
IFACES
