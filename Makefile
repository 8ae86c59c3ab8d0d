# Mica: top-level build. `make help` lists the targets.

.DEFAULT_GOAL := all
.PHONY: all help setup iso run test bench clean

all: build/mica.elf

help:
	@echo "make          build the hypervisor (build/mica.elf)"
	@echo "make iso      build a GRUB-bootable CD image (build/mica.iso)"
	@echo "make run      boot Mica under QEMU on this terminal"
	@echo "make test     run every test suite; ends with 'N passed, N failed'"
	@echo "make bench    run the benchmarks"
	@echo "make setup    install the Debian packages the build and tests need"
	@echo "make clean    remove build/"

include hypervisor/build.mk

setup:
	@scripts/setup.sh

clean:
	rm -rf build
