# Mica: top-level build. `make help` lists the targets.

.DEFAULT_GOAL := all
.PHONY: all help setup iso run test bench bench-quick clean FORCE

all: build/mica.elf

help:
	@echo "make          build the hypervisor (build/mica.elf)"
	@echo "make iso      build a GRUB-bootable CD image (build/mica.iso)"
	@echo "make run      boot Mica, dom0 and a guest (Linux) under QEMU; dom0's root shell here"
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
include pvdrivers/frontends/frontends.mk
include pvdrivers/rngfront/rngfront.mk
include xenstore-like/store.mk
include hypercall/libmica/libmica.mk
include pvdrivers/lib/pvback.mk
include pvdrivers/blkback/blkback.mk
include pvdrivers/rngback/rngback.mk
include dom0-tools/mica/mica.mk
include dom0-tools/consoled/consoled.mk
include pvdrivers/netback/netback.mk

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
# make run boots Mica with dom0 and a default guest, to dom0's root shell on the
# serial console (this terminal). dom0 is our Linux kernel
# (guest-linux-patches/build.py, cached in ~/.cache/mica; the first build takes
# 5-10 minutes) with an initramfs (dom0-tools/initramfs/build.py) that carries
# the toolstack (mica, mica-store, mica-consoled, which /init starts), our
# bzImage, a domU initramfs and the guest's configuration
# (dom0-tools/mica/example-guest.cfg) in /etc/mica/auto/, which /init creates in
# the background. RUN_GUEST=0 leaves the guest out (the configuration is then
# /etc/mica/guest.cfg, for mica create). RUN_DOM0=stock boots Debian's stock
# kernel (guest-linux-patches/stock.py) as dom0 alone, with an initramfs holding
# its Xen modules. The machine and command lines are the benchmarks' Mica system
# (tests/bench/systems.py); tests/system/test_linux_dom0.py checks they agree.
# `poweroff -f` in dom0 halts Mica and ends QEMU (qemu_exit and the
# isa-debug-exit device); make then exits 0, or 1 if Mica halted on an error.
# setup runs first and alone: it may install the compiler the build needs.
QEMU ?= qemu-system-x86_64
RUN_SMP ?= 2
RUN_MEM ?= 3G
RUN_DOM0_MEM ?= 512M
RUN_DOM0 ?= ours
RUN_GUEST ?= 1
RUN_QEMU_ARGS = -accel tcg -cpu max -nographic -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=4 -smp $(RUN_SMP) -m $(RUN_MEM)
# The hypervisor's command line (README.md lists the options) and dom0 Linux's.
RUN_CMDLINE ?= dom0_mem=$(RUN_DOM0_MEM) dom0_vcpus=$(RUN_SMP)
RUN_LINUX_CMDLINE ?= console=hvc0

run: setup
	@$(MAKE) --no-print-directory all
	@set -e; \
	last() { out=$$("$$@") || exit 1; printf '%s\n' "$$out" | tail -n 1; }; \
	if [ "$(RUN_DOM0)" = stock ]; then \
		s=$$(last python3 guest-linux-patches/stock.py dom0); \
		kernel=$$s/vmlinuz; \
		image=$$(last python3 dom0-tools/initramfs/build.py --modules-from "$$s"); \
	elif [ "$(RUN_DOM0)" = ours ]; then \
		k=$$(last python3 guest-linux-patches/build.py --print-dir); \
		[ -e "$$k/ready" ] || echo "Building our Linux 6.1 kernel into $$k:" \
			"the first build takes 5-10 minutes (later ones reuse it)."; \
		kdir=$$(last python3 guest-linux-patches/build.py); \
		kernel=$$kdir/vmlinux; \
		case "$(RUN_GUEST)" in \
		1) cfg=/etc/mica/auto/guest.cfg;; \
		0) cfg=/etc/mica/guest.cfg;; \
		*) echo "RUN_GUEST=$(RUN_GUEST): say 1 (dom0 and a guest) or 0 (dom0 alone)" >&2; \
		   exit 2;; \
		esac; \
		$(MAKE) --no-print-directory tools; \
		domu=$$(last python3 dom0-tools/initramfs/build.py --role domU --no-workout); \
		tools="--add build/tools/mica:/usr/bin/mica \
			--add build/tools/mica-consoled:/usr/sbin/mica-consoled \
			--add build/store/mica-store.static:/usr/sbin/mica-store \
			--add $$kdir/bzImage:/boot/bzImage --add $$domu:/boot/domU.cpio.gz \
			--add dom0-tools/mica/example-guest.cfg:$$cfg"; \
		image=$$(last python3 dom0-tools/initramfs/build.py $$tools); \
	else \
		echo "RUN_DOM0=$(RUN_DOM0): say ours (guest-linux-patches/build.py) or stock" >&2; \
		exit 2; \
	fi; \
	echo "Booting build/mica.elf with dom0 $$kernel under QEMU: the serial console follows."; \
	echo "dom0 gives a root shell; 'poweroff -f' ends the run, Ctrl-A X quits QEMU at once."; \
	echo "+ $(QEMU) $(RUN_QEMU_ARGS) -kernel build/mica.elf" \
		"-append 'qemu_exit=0xf4 $(RUN_CMDLINE)' -initrd '$$kernel $(RUN_LINUX_CMDLINE),$$image'"; \
	status=0; \
	$(QEMU) $(RUN_QEMU_ARGS) -kernel build/mica.elf -append 'qemu_exit=0xf4 $(RUN_CMDLINE)' \
		-initrd "$$kernel $(RUN_LINUX_CMDLINE),$$image" || status=$$?; \
	case $$status in \
	0|1) ;; \
	3) echo "Mica halted on an error (QEMU exit status 3): see the lines above."; exit 1;; \
	*) echo "QEMU ended with status $$status."; exit 1;; \
	esac

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
