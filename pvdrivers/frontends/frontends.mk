# The reference frontends on libpv (pvdrivers/frontends/) and their test
# guests. Included by the top-level Makefile after hypercall/libpv/libpv.mk:
#
#   include pvdrivers/frontends/frontends.mk
#
# make frontends   builds build/pvdrivers/blkfront-test.elf (tests/pvdrivers/live.py
#                  boots it as a domU beside mica-blkback) and
#                  build/pvdrivers/netfront-test.elf (tests/pvdrivers/live_net.py,
#                  beside mica-netback)

FRONTENDS_DIR := pvdrivers/frontends
FRONTENDS_BUILD := build/pvdrivers/frontends
BLKFRONT_TEST_OBJS := $(addprefix $(FRONTENDS_BUILD)/,frontdev.o blkfront.o blkfront_test.o)
NETFRONT_TEST_OBJS := $(addprefix $(FRONTENDS_BUILD)/,frontdev.o netfront.o netfront_test.o)

.PHONY: frontends
frontends: build/pvdrivers/blkfront-test.elf build/pvdrivers/netfront-test.elf

$(FRONTENDS_BUILD)/%.o: $(FRONTENDS_DIR)/%.c $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	$(LIBPV_CC) $(LIBPV_CFLAGS) -Ipvdrivers/include -I$(FRONTENDS_DIR) -c $< -o $@

build/pvdrivers/blkfront-test.elf: $(BLKFRONT_TEST_OBJS) $(LIBPV_LINK_DEPS)
	$(call libpv_link,$@,$(BLKFRONT_TEST_OBJS))

build/pvdrivers/netfront-test.elf: $(NETFRONT_TEST_OBJS) $(LIBPV_LINK_DEPS)
	$(call libpv_link,$@,$(NETFRONT_TEST_OBJS))

-include $(BLKFRONT_TEST_OBJS:.o=.d) $(NETFRONT_TEST_OBJS:.o=.d)
