#!/usr/bin/env bash
# Runs tests/guest/bench.c (or PROGRAM, e.g. netbench) natively and as init
# under ./linux on the test image, under each backend (BACKENDS, default
# "seccomp ptrace"), and prints each figure with the ratio linux/native. These machines are shared and noisy: compare ratios, not
# absolute times. netbench runs natively in a fresh network namespace.
# Usage: tests/bench.sh [LINUX_BINARY] [IMAGE] [PROGRAM]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
linux=${1:-$here/../target/release/linux}
image=${2:-$here/../images/out/test.img}
program=${3:-bench}
[ -x "$linux" ] || { echo "bench: build the kernel first (make linux)" >&2; exit 1; }
bash "$here/../images/build-test-image.sh" "$image" >/dev/null 2>&1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -static -O2 -pthread -o "$work/$program" "$here/guest/$program.c"
gcc -static -O2 -o "$work/exit42" "$here/guest/exit42.c"
backends=${BACKENDS:-seccomp ptrace}
if [ "$program" = bench ]; then
	"$work/bench" "$work/exit42" > "$work/native"
	for b in $backends; do
		"$linux" ubd0r="$image" backend="$b" init=/bin/bench quiet -- /bin/exit42 > "$work/guest-$b" 2>/dev/null
	done
else
	# Loopback only, away from the host's own network.
	if [ "$(id -u)" -eq 0 ]; then netns="unshare -n"; else netns="unshare -rn"; fi
	$netns "$work/$program" > "$work/native"
	for b in $backends; do
		"$linux" ubd0r="$image" backend="$b" init="/bin/$program" quiet > "$work/guest-$b" 2>/dev/null
	done
fi
printf '%-16s %12s' figure native
for b in $backends; do printf ' %12s %8s' "$b" ratio; done
printf '\n'
while read -r name value unit; do
	printf '%-16s %12s' "$name" "$value"
	for b in $backends; do
		g=$(awk -v n="$name" '$1 == n {print $2}' "$work/guest-$b")
		[ -n "$g" ] || { echo "bench: no $name figure from the guest ($b)" >&2; cat "$work/guest-$b" >&2; exit 1; }
		ratio=$(awk -v a="$g" -v b="$value" -v u="$unit" 'BEGIN { r = (u == "per-second" || u ~ /\/s$/) ? b / a : a / b; printf "%.1fx", r }')
		printf ' %12s %8s' "$g" "$ratio"
	done
	printf '  (%s; ratio = how many times slower)\n' "$unit"
done < "$work/native"
