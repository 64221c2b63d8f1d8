#!/usr/bin/env bash
# `make bench-debian`: runs tests/debian/workloads.sh in the Debian image under
# ./linux (as init, with mem=1G), once per backend (BACKENDS, default "seccomp
# ptrace"), and natively in a chroot of the same tree (a loop mount of the same
# image), and prints each workload's times and the ratios linux/native. Needs root for the loop mount and chroot. These
# machines are shared and noisy: compare ratios, not absolute times.
# Usage: tests/debian/bench.sh [LINUX_BINARY] [DEBIAN_IMAGE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
linux=${1:-$here/../../target/release/linux}
image=${2:-$here/../../images/out/debian.img}
[ -x "$linux" ] || { echo "bench: build the kernel first (make linux)" >&2; exit 1; }
[ -e "$image" ] || { echo "bench: no $image (make debian)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench: the native run needs root (chroot)" >&2; exit 1; }
PATH=$PATH:/sbin:/usr/sbin

work=$(mktemp -d)
. "$here/chroot.sh"
trap cleanup EXIT
copy_image "$image" "$here/workloads.sh" /root/workloads.sh

backends=${BACKENDS:-seccomp ptrace}
for b in $backends; do
	echo "bench: running the workloads under ./linux (backend=$b) ..." >&2
	"$linux" ubd0="$img" mem=1G backend="$b" init=/bin/bash rw quiet -- /root/workloads.sh \
		> "$work/guest-$b" 2>&1 || true
	grep -q '^DONE' "$work/guest-$b" || { echo "bench: the guest run did not finish ($b):" >&2; cat "$work/guest-$b" >&2; exit 1; }
done

echo "bench: running the workloads natively in a chroot ..." >&2
mount_chroot
chroot "$mnt" /bin/bash /root/workloads.sh > "$work/native" 2>&1
grep -q '^DONE' "$work/native" || { echo "bench: the native run did not finish:" >&2; cat "$work/native" >&2; exit 1; }

grep '^FAIL' "$work"/guest-* "$work/native" >&2 || true
printf '| %-16s | %9s |' workload "native s"
for b in $backends; do printf ' %9s | %7s |' "$b s" ratio; done
printf '\n|------------------|-----------|'
for b in $backends; do printf -- '-----------|---------|'; done
printf '\n'
while read -r tag name native; do
	[ "$tag" = RESULT ] || continue
	printf '| %-16s | %9s |' "$name" "$native"
	for b in $backends; do
		guest=$(awk -v n="$name" '$1 == "RESULT" && $2 == n {print $3}' "$work/guest-$b")
		ratio=$(awk -v g="$guest" -v n="$native" 'BEGIN { if (n > 0) printf "%.1fx", g / n; else print "-" }')
		printf ' %9s | %7s |' "$guest" "$ratio"
	done
	printf '\n'
done < "$work/native"
