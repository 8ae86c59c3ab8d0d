# The mica command line (dom0-tools/mica/). Included by the top-level Makefile
# after hypercall/libmica/libmica.mk:
#
#   include dom0-tools/mica/mica.mk
#
# make tools    builds build/tools/mica and build/tools/mica-consoled (also part of `make all`)
# make cli-test runs the tools' tests (python3 tests/cli/run.py)
#
# The kernel loader, the decompressors and the initial-layout arithmetic are
# the hypervisor's own pure sources (plus gzip, dom0-tools/kernel_image/),
# compiled here for user space the way tests/unit builds them for the host: with the names that clash with libc
# renamed, so they call the hypervisor's own string and formatting routines.

MICA_DIR := dom0-tools/mica
MICA_SRCS := $(wildcard $(MICA_DIR)/*.c)
MICA_OBJS := $(patsubst $(MICA_DIR)/%.c,$(TOOLS_BUILD)/obj/mica/%.o,$(MICA_SRCS))

# The hypervisor's pure sources the tools reuse (also listed in tests/cli/run.py), and the
# gzip decoder that only dom0 has, written the same way (dom0-tools/kernel_image/).
HVPURE_SRCS := $(wildcard hypervisor/common/kernel_image/*.c) \
	$(wildcard dom0-tools/kernel_image/*.c) \
	hypervisor/arch/x86/pv/dom0_layout.c \
	hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c
HVPURE_OBJS := $(patsubst %.c,$(TOOLS_BUILD)/obj/hvpure/%.o,$(HVPURE_SRCS))
HVPURE_RENAMED := memset memcpy memmove memcmp strlen strnlen strcmp strncmp strchr strlcpy \
	vsnprintf snprintf
# gcc (the hypervisor itself is built with clang) sees a false maybe-uninitialized in xz.c.
HVPURE_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-maybe-uninitialized -fno-builtin -MMD -MP -Ihypervisor/include -Ihypercall/include -Ipvdrivers/include \
	$(foreach n,$(HVPURE_RENAMED),-D$(n)=mica_$(n))

.PHONY: tools cli-test
all: $(TOOLS_BUILD)/mica
tools: $(TOOLS_BUILD)/mica

cli-test:
	python3 tests/cli/run.py

$(TOOLS_BUILD)/obj/hvpure/%.o: %.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(HVPURE_CFLAGS) -c $< -o $@

$(TOOLS_BUILD)/obj/mica/%.o: $(MICA_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) -Ihypervisor/include -I$(MICA_DIR) -Idom0-tools/kernel_image \
		-c $< -o $@

$(TOOLS_BUILD)/mica: $(MICA_OBJS) $(HVPURE_OBJS) $(LIBMICA)
	$(TOOLS_CC) $(TOOLS_LDFLAGS) -o $@ $(MICA_OBJS) $(HVPURE_OBJS) $(LIBMICA)

-include $(MICA_OBJS:.o=.d) $(HVPURE_OBJS:.o=.d)
