# Build the kernel, build the test image, boot it; run every test tier.
# `make run` boots the test image (a Debian image comes with its build script).

CARGO ?= cargo
IMAGE ?= images/out/test.img
INIT ?= /bin/hello
MEM ?= 128M

.PHONY: all run test bench image clean

all: linux image

linux: FORCE
	$(CARGO) build --release
	ln -sf target/release/linux linux

image: $(IMAGE)

$(IMAGE): FORCE
	@mkdir -p $(dir $(IMAGE))
	bash images/build-test-image.sh $(IMAGE)

run: linux image
	./linux ubd0r=$(IMAGE) mem=$(MEM) init=$(INIT)

test:
	$(CARGO) test --workspace

clean:
	$(CARGO) clean
	rm -f linux $(IMAGE)

FORCE:

bench: linux
	bash tests/bench.sh target/release/linux $(IMAGE)
