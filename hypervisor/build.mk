# Builds the hypervisor image build/mica.elf. Included by the top-level Makefile.

HV_CC := clang
HV_LD := ld.lld
HV_GIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

HV_CFLAGS := --target=x86_64-unknown-none-elf -std=gnu11 -O2 -g \
	-ffreestanding -fno-builtin -fno-stack-protector -fno-common \
	-fpie -fvisibility=hidden -mno-red-zone -mgeneral-regs-only \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wno-unused-parameter \
	-Ihypervisor/include -MMD -MP -DMICA_HYPERVISOR \
	'-DMICA_BUILD_INFO="$(HV_GIT), clang"'
HV_ASFLAGS := --target=x86_64-unknown-none-elf -Ihypervisor/include -MMD -MP -D__ASSEMBLY__
HV_LDFLAGS := -nostdlib -static --no-pie -z max-page-size=4096 -z noexecstack \
	--no-dynamic-linker -T hypervisor/linker.ld

HV_SRCS := $(shell find hypervisor -name '*.c' -o -name '*.S' | sort)
HV_OBJS := $(patsubst %,build/%.o,$(HV_SRCS))

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

build/hypervisor/%.c.o: hypervisor/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(HV_CC) $(HV_CFLAGS) -c $< -o $@

build/hypervisor/%.S.o: hypervisor/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(HV_CC) $(HV_ASFLAGS) -c $< -o $@

# Two link passes: the second embeds the symbol table of the first for
# backtraces. The table lives after .text, so no code address moves.
build/symtab-empty.S: scripts/gen-symtab.py
	@mkdir -p build
	$(Q)python3 scripts/gen-symtab.py - $@

build/mica-pass1.elf: $(HV_OBJS) build/symtab-empty.S.o hypervisor/linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HV_LD) $(HV_LDFLAGS) $(HV_OBJS) build/symtab-empty.S.o -o $@

build/symtab.S: build/mica-pass1.elf scripts/gen-symtab.py
	$(Q)python3 scripts/gen-symtab.py $< $@

build/%.S.o: build/%.S
	$(Q)$(HV_CC) $(HV_ASFLAGS) -c $< -o $@

build/mica.elf: build/mica-pass1.elf build/symtab.S.o scripts/check-image.py
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HV_LD) $(HV_LDFLAGS) $(HV_OBJS) build/symtab.S.o -o $@.tmp
	$(Q)python3 scripts/check-image.py $@.tmp
	$(Q)mv $@.tmp $@

-include $(HV_OBJS:.o=.d)
