# The conformance suite (tests/conformance): tiny libpv guests, one image per
# file in guests/, and run.py, which boots each as dom0 under Mica in QEMU.
# Include after hypercall/libpv/libpv.mk:
#
#   include tests/conformance/conformance.mk
#
# make conformance-guests   builds build/conformance/<guest>.elf
# make conformance          builds them and the hypervisor, then runs the suite
#                           (python3 tests/conformance/run.py -k TEXT runs a part)

CONF_DIR := tests/conformance
CONF_BUILD := build/conformance
CONF_GUESTS := $(sort $(basename $(notdir $(wildcard $(CONF_DIR)/guests/*.c))))
CONF_ELFS := $(CONF_GUESTS:%=$(CONF_BUILD)/%.elf)
CONF_LIB_SRCS := $(wildcard $(CONF_DIR)/lib/*.c $(CONF_DIR)/lib/*.S)
CONF_LIB_OBJS := $(patsubst $(CONF_DIR)/lib/%,$(CONF_BUILD)/lib/%.o,$(CONF_LIB_SRCS))

# The hypervisor's headers come last: guests only take mica/version.h from them.
# No FPU/SSE in test code: the fpu_taskswitch checks must control every #NM.
CONF_CFLAGS = $(LIBPV_CFLAGS) -mgeneral-regs-only -I$(CONF_DIR)/lib -idirafter hypervisor/include
CONF_ASFLAGS = $(LIBPV_ASFLAGS) -I$(CONF_DIR)/lib

.PHONY: conformance conformance-guests
conformance-guests: $(CONF_ELFS)

conformance: all conformance-guests
	python3 $(CONF_DIR)/run.py

$(CONF_BUILD)/lib/%.c.o: $(CONF_DIR)/lib/%.c $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(LIBPV_CC) $(CONF_CFLAGS) -c $< -o $@

$(CONF_BUILD)/lib/%.S.o: $(CONF_DIR)/lib/%.S $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(LIBPV_CC) $(CONF_ASFLAGS) -c $< -o $@

$(CONF_BUILD)/guests/%.o: $(CONF_DIR)/guests/%.c $(LIBPV_NEWLIB_DIR_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(LIBPV_CC) $(CONF_CFLAGS) '-DGUEST_NAME="$*"' -c $< -o $@

$(CONF_BUILD)/%.elf: $(CONF_BUILD)/guests/%.o $(CONF_LIB_OBJS) $(LIBPV_LINK_DEPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(call libpv_link,$@,$< $(CONF_LIB_OBJS))

# Objects are kept (not make intermediates), so relinking does not recompile.
.SECONDARY: $(CONF_LIB_OBJS) $(CONF_GUESTS:%=$(CONF_BUILD)/guests/%.o)

-include $(CONF_LIB_OBJS:.o=.d) $(CONF_GUESTS:%=$(CONF_BUILD)/guests/%.d)
