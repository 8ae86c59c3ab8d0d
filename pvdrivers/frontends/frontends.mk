# The reference frontends on libpv (pvdrivers/frontends/) and their test
# guest. Included by the top-level Makefile after hypercall/libpv/libpv.mk:
#
#   include pvdrivers/frontends/frontends.mk
#
# make frontends   builds build/pvdrivers/blkfront-test.elf (tests/pvdrivers/live.py
#                  boots it as a domU beside mica-blkback)

FRONTENDS_DIR := pvdrivers/frontends
FRONTENDS_BUILD := build/pvdrivers/frontends
FRONTENDS_SRCS := $(wildcard $(FRONTENDS_DIR)/*.c)
FRONTENDS_OBJS := $(patsubst $(FRONTENDS_DIR)/%.c,$(FRONTENDS_BUILD)/%.o,$(FRONTENDS_SRCS))

.PHONY: frontends
frontends: build/pvdrivers/blkfront-test.elf

$(FRONTENDS_BUILD)/%.o: $(FRONTENDS_DIR)/%.c $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	$(LIBPV_CC) $(LIBPV_CFLAGS) -Ipvdrivers/include -I$(FRONTENDS_DIR) -c $< -o $@

build/pvdrivers/blkfront-test.elf: $(FRONTENDS_OBJS) $(LIBPV_LINK_DEPS)
	$(call libpv_link,$@,$(FRONTENDS_OBJS))

-include $(FRONTENDS_OBJS:.o=.d)
