# Build the kernel and the Debian image, boot it; run every test tier.
#   make run                   the stock Debian (systemd) to a login prompt (root, no password)
#   make run-sysv              the test image with sysvinit to a login prompt
#   make run-sysv INIT=/bin/bash    a root shell at once

CARGO ?= cargo
DEBIAN ?= images/out/debian.img
SYSTEMD_IMAGE ?= images/out/debian-systemd.img
IMAGE ?= images/out/test.img
MEM ?= 256M
INIT ?=

.PHONY: all run run-sysv debian-systemd test bench bench-boot bench-density bench-net bench-tap bench-debian cpython-tests fuzz image debian clean

all: linux debian

linux: FORCE
	$(CARGO) build --release
	ln -sf target/release/linux linux

# The Debian images (need root; do nothing when up to date): the one the
# tests use (sysvinit), and the stock one (systemd).
debian:
	sh images/build-debian-image.sh $(DEBIAN)

debian-systemd:
	INIT=systemd sh images/build-debian-image.sh $(SYSTEMD_IMAGE)

# The small image of test programs the boot tests use.
image: FORCE
	@mkdir -p $(dir $(IMAGE))
	bash images/build-test-image.sh $(IMAGE)

run: linux debian-systemd
	./linux ubd0=$(SYSTEMD_IMAGE) mem=$(MEM)

run-sysv: linux debian
	./linux ubd0=$(DEBIAN) mem=$(MEM) $(if $(INIT),init=$(INIT) rw)

# Every tier under the default backend (seccomp), then the guest programs and
# boot tests again under the ptrace backend.
test: debian
	$(CARGO) test --workspace
	LINUX_BACKEND=ptrace $(CARGO) test --test guest --test boot --test shell --test hostile

clean:
	$(CARGO) clean
	rm -f linux $(IMAGE) $(DEBIAN)

FORCE:

bench: linux image
	bash tests/bench.sh target/release/linux $(IMAGE)

# TCP and UDP over loopback: throughput and request/response, beside native.
bench-net: linux image
	bash tests/bench.sh target/release/linux $(IMAGE) netbench

# TCP throughput over a card on a TAP device beside a veth pair (root).
bench-tap: linux debian image
	bash tests/net/bench-tap.sh target/release/linux $(DEBIAN) $(IMAGE)

# trinity as uid 1000 in the Debian image for SECONDS (default an hour) with
# SEED; fails on a kernel panic, a hang or an unclean image. Before releases.
# The debug build, whose mutexes turn a self-deadlock into a panic.
SECONDS ?= 3600
SEED ?= 42
fuzz: debian
	$(CARGO) build
	sh tests/debian/fuzz.sh target/debug/linux $(DEBIAN) $(SECONDS) $(SEED)

# The Debian workload suite under ./linux and natively in a chroot (as root).
# Time to login: for the systemd and the sysvinit images (median of 3 boots).
bench-boot: linux debian debian-systemd
	python3 tests/debian/boot-time.py target/release/linux 3 systemd=$(SYSTEMD_IMAGE) sysvinit=$(DEBIAN)

# 20 stock Debian instances from copy-on-write files over one base: time to all
# logins, host memory per idle instance (PSS), how they spread over the CPUs.
INSTANCES ?= 20
bench-density: linux debian-systemd
	python3 tests/debian/density.py target/release/linux $(SYSTEMD_IMAGE) $(INSTANCES)

bench-debian: linux debian
	bash tests/debian/bench.sh target/release/linux $(DEBIAN)

# CPython's regression tests under ./linux and natively in a chroot (as root).
cpython-tests: linux debian
	bash tests/debian/cpython.sh target/release/linux $(DEBIAN)
