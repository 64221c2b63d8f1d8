# Shared by bench.sh and cpython.sh (sourced): a scratch copy of the Debian
# image with one file put into it, and a chroot of that copy for the native run.
# Needs: $work (a scratch directory). Sets $img and $mnt; `cleanup` undoes all.

img=$work/debian.img
mnt=$work/root

cleanup() {
	for m in "$mnt/dev/pts" "$mnt/proc" "$mnt/dev" "$mnt"; do
		mountpoint -q "$m" && umount "$m"
	done
	rm -rf "$work"
}

# copy_image IMAGE FILE DEST: a sparse copy of IMAGE at $img, with FILE at DEST.
copy_image() {
	cp --sparse=always "$1" "$img"
	debugfs -w -R "write $2 $3" "$img" >/dev/null 2>&1
}

# mount_chroot: loop-mounts $img on $mnt with /proc, /dev and /dev/pts inside.
mount_chroot() {
	mkdir "$mnt"
	mount -o loop "$img" "$mnt"
	mount -t proc proc "$mnt/proc"
	mount --bind /dev "$mnt/dev"
	mount --bind /dev/pts "$mnt/dev/pts"
}
