#!/bin/sh
# mmdebstrap's customize hook for `INIT=systemd build-debian-image.sh`: the
# stock Debian system with only what any installation sets — an empty root
# password (pam_unix's nullok lets root in on the console), a hostname and
# an fstab naming the first ubd disk as the root.
set -eu
root=$1
chroot "$root" passwd -d root >/dev/null
echo debian > "$root/etc/hostname"
cat > "$root/etc/fstab" <<'FSTAB'
# <file system>	<mount point>	<type>	<options>		<dump>	<pass>
/dev/ubda	/		ext4	defaults,noatime	0	1
FSTAB
