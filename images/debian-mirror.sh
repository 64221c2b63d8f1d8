#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses for Debian's
# main archive (MIRROR=URL overrides it), without a trailing slash; prints
# nothing when apt's sources name none.
# Usage: images/debian-mirror.sh
mirror=${MIRROR:-}
if [ -z "$mirror" ]; then
	# shellcheck disable=SC2016 # apt expands $(SITE)
	mirror=$(apt-get indextargets --format '$(SITE)' 'Label: Debian' \
		'Created-By: Packages' 2>/dev/null | head -n 1)
fi
if [ -z "$mirror" ]; then
	mirror=$(grep -rhoE '(https?|file)://[^ ]*/debian/?( |$)' \
		/etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null | head -n 1 | tr -d ' ')
fi
echo "${mirror%/}"
