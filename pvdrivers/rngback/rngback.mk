# mica-rngback, the PV entropy device's backend (pvdrivers/rngback/), the
# driver guide's worked example. Included by the top-level Makefile after
# pvdrivers/lib/pvback.mk:
#
#   include pvdrivers/rngback/rngback.mk

RNGBACK_DIR := pvdrivers/rngback
RNGBACK_SRCS := $(wildcard $(RNGBACK_DIR)/*.c)
RNGBACK_OBJS := $(patsubst $(RNGBACK_DIR)/%.c,$(TOOLS_BUILD)/obj/rngback/%.o,$(RNGBACK_SRCS))

all: $(TOOLS_BUILD)/mica-rngback
tools: $(TOOLS_BUILD)/mica-rngback

$(TOOLS_BUILD)/obj/rngback/%.o: $(RNGBACK_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) $(PVBACK_CFLAGS) -I$(RNGBACK_DIR) -c $< -o $@

$(TOOLS_BUILD)/mica-rngback: $(RNGBACK_OBJS) $(PVBACK) $(LIBMICA)
	$(TOOLS_CC) $(TOOLS_LDFLAGS) -o $@ $(RNGBACK_OBJS) $(PVBACK) $(LIBMICA)

-include $(RNGBACK_OBJS:.o=.d)
