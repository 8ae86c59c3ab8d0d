# Mica: top-level build. `make help` lists the targets.

.DEFAULT_GOAL := all
.PHONY: all help setup iso run test bench bench-quick clean FORCE

all: build/mica.elf

help:
	@echo "make          build the hypervisor (build/mica.elf)"
	@echo "make iso      build a GRUB-bootable CD image (build/mica.iso)"
	@echo "make run      boot Mica under QEMU on this terminal (quit: Ctrl-A X)"
	@echo "make test     run every test suite; ends with 'N passed, N failed'"
	@echo "make conformance  build the libpv guests and run the hypercall conformance suite"
	@echo "make bench    native Linux vs Xen 4.17 vs Mica under QEMU: table and build/bench/results.json"
	@echo "make bench-quick  the same, one short run (what make test runs; numbers meaningless)"
	@echo "make setup    install the Debian packages the build and tests need"
	@echo "make clean    remove build/"

include hypervisor/build.mk
include hypercall/hypercall.mk
include hypercall/libpv/libpv.mk
include tests/conformance/conformance.mk
include xenstore-like/store.mk
include hypercall/libmica/libmica.mk
include dom0-tools/mica/mica.mk
include dom0-tools/consoled/consoled.mk

setup:
	@scripts/setup.sh

# --- the GRUB CD image -------------------------------------------------------
# ISO_MODULES are the Multiboot modules, in order: the dom0 kernel first, then
# its initramfs. Add them here (and as prerequisites they are rebuilt first);
# scripts/mkiso.sh gives each a module2/module line in both menu entries.
ISO_CMDLINE ?= console=com1 loglvl=2
ISO_TIMEOUT ?= 1
ISO_MODULES :=

iso: build/mica.iso

build/mica.iso: build/mica.elf $(ISO_MODULES) build/iso.args scripts/mkiso.sh scripts/grub.cfg
	scripts/mkiso.sh -o $@ -c '$(ISO_CMDLINE)' -t $(ISO_TIMEOUT) build/mica.elf $(ISO_MODULES)

# Rebuilds the image when the settings above change.
build/iso.args: FORCE
	@mkdir -p $(@D)
	@echo '$(ISO_CMDLINE) | $(ISO_TIMEOUT) | $(ISO_MODULES)' | cmp -s - $@ || \
		echo '$(ISO_CMDLINE) | $(ISO_TIMEOUT) | $(ISO_MODULES)' > $@

# --- running and testing -----------------------------------------------------
# setup runs first and alone: it may install the compiler the build needs.
QEMU ?= qemu-system-x86_64
RUN_QEMU_ARGS := -accel tcg -cpu max -smp 2 -m 1G -nographic -no-reboot
RUN_CMDLINE ?=

run: setup
	@$(MAKE) --no-print-directory all
	@echo "Booting build/mica.elf under QEMU: the serial console follows."
	@echo "Quit with Ctrl-A X (Ctrl-A C toggles the QEMU monitor)."
	$(QEMU) $(RUN_QEMU_ARGS) -kernel build/mica.elf $(if $(RUN_CMDLINE),-append '$(RUN_CMDLINE)')

test: setup
	@$(MAKE) --no-print-directory all iso conformance-guests
	python3 tests/run.py

# BENCH_ARGS: more options for tests/bench/run.py, e.g. BENCH_ARGS='--runs 9 --systems native,mica'
BENCH_ARGS ?=

bench: setup
	@$(MAKE) --no-print-directory all
	python3 tests/bench/run.py $(BENCH_ARGS)

bench-quick: setup
	@$(MAKE) --no-print-directory all
	python3 tests/bench/run.py --quick $(BENCH_ARGS)

clean:
	rm -rf build
