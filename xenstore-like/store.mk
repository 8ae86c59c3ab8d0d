# mica-store, the xenstore daemon (xenstore-like/). Included by the top-level Makefile:
#
#   include xenstore-like/store.mk
#
# make store         builds build/store/mica-store (also part of `make all`)
# make store-static  builds build/store/mica-store.static (static, for dom0's busybox
#                    initramfs; also part of `make tools`, with the mica command line)
# make store-test    builds and runs its tests (python3 xenstore-like/tests/run.py)
#
# Host C, libc only. ring_mem.c (the in-memory ring backend) is for tests and fuzzers.

STORE_DIR := xenstore-like
STORE_BUILD := build/store
STORE_CC ?= $(or $(HOSTCC),gcc)
STORE_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow \
	-Ihypercall/include -Ipvdrivers/include -MMD -MP
STORE_SRCS := $(filter-out $(STORE_DIR)/ring_mem.c,$(wildcard $(STORE_DIR)/*.c))
STORE_OBJS := $(patsubst $(STORE_DIR)/%.c,$(STORE_BUILD)/obj/%.o,$(STORE_SRCS))

.PHONY: store store-static store-test
all: $(STORE_BUILD)/mica-store
store: $(STORE_BUILD)/mica-store
store-static: $(STORE_BUILD)/mica-store.static
tools: $(STORE_BUILD)/mica-store.static

store-test:
	python3 $(STORE_DIR)/tests/run.py

$(STORE_BUILD)/obj/%.o: $(STORE_DIR)/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(STORE_CC) $(STORE_CFLAGS) -c $< -o $@

$(STORE_BUILD)/mica-store: $(STORE_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(STORE_CC) -o $@ $^

$(STORE_BUILD)/mica-store.static: $(STORE_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(STORE_CC) -static -o $@ $^

-include $(STORE_OBJS:.o=.d)
