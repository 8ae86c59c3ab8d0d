# The PV entropy device's frontend on libpv (pvdrivers/rngfront/) and rngtest,
# the libpv guest that checks mica-rngback with it. Include after
# pvdrivers/frontends/frontends.mk:
#
#   include pvdrivers/rngfront/rngfront.mk
#
# make rngfront   builds build/pvdrivers/rngtest.elf (also part of `make all`)

RNGFRONT_DIR := pvdrivers/rngfront
RNGFRONT_BUILD := build/pvdrivers/rngfront
# frontdev.o: the reference frontends' store and clock helpers (pvdrivers/frontends).
RNGFRONT_OBJS := $(FRONTENDS_BUILD)/frontdev.o $(RNGFRONT_BUILD)/rngfront.o \
	$(RNGFRONT_BUILD)/rngtest.o
RNGTEST_ELF := build/pvdrivers/rngtest.elf

.PHONY: rngfront
rngfront: $(RNGTEST_ELF)
all: $(RNGTEST_ELF)

$(RNGFRONT_BUILD)/%.o: $(RNGFRONT_DIR)/%.c $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(LIBPV_CC) $(LIBPV_CFLAGS) -I$(FRONTENDS_DIR) -c $< -o $@

$(RNGTEST_ELF): $(RNGFRONT_OBJS) $(LIBPV_LINK_DEPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(call libpv_link,$@,$(RNGFRONT_OBJS))

-include $(RNGFRONT_OBJS:.o=.d)
