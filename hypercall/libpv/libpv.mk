# libpv, the guest runtime (hypercall/libpv), and newlib under it. Include
# after hypervisor/build.mk (for Q):
#
#   include hypercall/libpv/libpv.mk
#
# Gives build/libpv/libpv.a and, for guests (tests/conformance, frontends):
#   LIBPV_CC, LIBPV_CFLAGS, LIBPV_ASFLAGS   compile guest code
#   LIBPV_LINK_DEPS                         prerequisites of a guest image
#   $(call libpv_link,OUT,OBJECTS)          the command linking a guest image
#
# newlib is built once per set of inputs into ~/.cache/mica/newlib-<key>/ by
# build-newlib.py (a minute or so the first time); build/libpv/newlib.dir
# names that directory and changes only when the key does.

LIBPV_DIR := hypercall/libpv
LIBPV_BUILD := build/libpv
LIBPV_A := $(LIBPV_BUILD)/libpv.a
LIBPV_NEWLIB_DIR_FILE := $(LIBPV_BUILD)/newlib.dir

# Read when a recipe runs (after newlib.dir is made), not when make starts.
LIBPV_NEWLIB = $(shell cat $(LIBPV_NEWLIB_DIR_FILE))
LIBPV_CLANG_INCLUDE = $(shell $(LIBPV_CC) -print-resource-dir)/include

LIBPV_CC := clang
LIBPV_LD := ld.lld
LIBPV_AR := llvm-ar

# Kernel code model in the top 2 GiB, no PIC, and no red zone: the hypervisor
# writes exception and event frames right below the interrupted RSP.
LIBPV_CODEGEN := --target=x86_64-unknown-none-elf -ffreestanding -fno-pic -mcmodel=kernel \
	-mno-red-zone -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections
LIBPV_INCLUDES = -nostdinc -isystem $(LIBPV_NEWLIB)/include -isystem $(LIBPV_CLANG_INCLUDE) \
	-I$(LIBPV_DIR)/include -Ihypercall/include -Ipvdrivers/include
LIBPV_CFLAGS = $(LIBPV_CODEGEN) -std=gnu11 -O2 -g \
	-Wall -Wextra -Werror -Wmissing-prototypes -Wshadow $(LIBPV_INCLUDES) -MMD -MP
LIBPV_ASFLAGS = $(LIBPV_CODEGEN) $(LIBPV_INCLUDES) -MMD -MP
LIBPV_LDFLAGS := -nostdlib -static --no-pie -z max-page-size=4096 -z noexecstack \
	--gc-sections -T $(LIBPV_DIR)/libpv.ld

LIBPV_SRCS := $(wildcard $(LIBPV_DIR)/src/*.c $(LIBPV_DIR)/src/*.S)
LIBPV_OBJS := $(patsubst $(LIBPV_DIR)/src/%,$(LIBPV_BUILD)/%.o,$(LIBPV_SRCS))

LIBPV_LINK_DEPS := $(LIBPV_A) $(LIBPV_DIR)/libpv.ld $(LIBPV_NEWLIB_DIR_FILE)

# libpv.a and newlib's libraries as one group: newlib calls back into libpv
# (write, sbrk, _exit) and libpv into newlib (snprintf, memcpy).
define libpv_link
$(LIBPV_LD) $(LIBPV_LDFLAGS) $(2) --start-group $(LIBPV_A) $(LIBPV_NEWLIB)/lib/libc.a \
	$(LIBPV_NEWLIB)/lib/libm.a --end-group -o $(1)
endef

.PHONY: libpv newlib FORCE
libpv: $(LIBPV_A)
newlib: $(LIBPV_NEWLIB_DIR_FILE)

# Runs every time a libpv target is wanted; build-newlib.py returns at once
# when its cache entry is ready. The last line of its output is the directory.
$(LIBPV_NEWLIB_DIR_FILE): FORCE
	@mkdir -p $(@D)
	@python3 $(LIBPV_DIR)/build-newlib.py | tail -n 1 > $@.tmp
	@test -s $@.tmp || { rm -f $@.tmp; echo "newlib build failed" >&2; exit 1; }
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(LIBPV_BUILD)/%.c.o: $(LIBPV_DIR)/src/%.c $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(LIBPV_CC) $(LIBPV_CFLAGS) -c $< -o $@

$(LIBPV_BUILD)/%.S.o: $(LIBPV_DIR)/src/%.S $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(LIBPV_CC) $(LIBPV_ASFLAGS) -c $< -o $@

$(LIBPV_A): $(LIBPV_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(LIBPV_AR) rcs $@ $^

-include $(LIBPV_OBJS:.o=.d)
