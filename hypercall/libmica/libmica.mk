# libmica, dom0's library over Linux's /dev/xen devices and the store's socket
# (hypercall/libmica/). Included by the top-level Makefile:
#
#   include hypercall/libmica/libmica.mk
#
# Builds build/tools/libmica.a for the dom0 programs (mica, mica-consoled).
# TOOLS_CC/TOOLS_CFLAGS are shared with dom0-tools/mica/mica.mk and
# dom0-tools/consoled/consoled.mk; the programs link statically, because
# dom0's initramfs has no C library.

TOOLS_BUILD := build/tools
TOOLS_CC ?= $(or $(HOSTCC),gcc)
TOOLS_CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes \
	-Wshadow -MMD -MP -Ihypercall/include -Ipvdrivers/include -Ihypercall/libmica/include
TOOLS_LDFLAGS := -static

LIBMICA_DIR := hypercall/libmica
LIBMICA_SRCS := $(wildcard $(LIBMICA_DIR)/*.c)
LIBMICA_OBJS := $(patsubst $(LIBMICA_DIR)/%.c,$(TOOLS_BUILD)/obj/libmica/%.o,$(LIBMICA_SRCS))
LIBMICA := $(TOOLS_BUILD)/libmica.a

$(TOOLS_BUILD)/obj/libmica/%.o: $(LIBMICA_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) -I$(LIBMICA_DIR) -c $< -o $@

$(LIBMICA): $(LIBMICA_OBJS)
	@rm -f $@
	ar rcs $@ $^

-include $(LIBMICA_OBJS:.o=.d)
