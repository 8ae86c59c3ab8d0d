# mica-netback, dom0's network backend (pvdrivers/netback/), on libpvback.
# Included by the top-level Makefile after pvdrivers/lib/pvback.mk:
#
#   include pvdrivers/netback/netback.mk

NETBACK_DIR := pvdrivers/netback
NETBACK_SRCS := $(wildcard $(NETBACK_DIR)/*.c)
NETBACK_OBJS := $(patsubst $(NETBACK_DIR)/%.c,$(TOOLS_BUILD)/obj/netback/%.o,$(NETBACK_SRCS))

all: $(TOOLS_BUILD)/mica-netback
tools: $(TOOLS_BUILD)/mica-netback

$(TOOLS_BUILD)/obj/netback/%.o: $(NETBACK_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) $(PVBACK_CFLAGS) -I$(NETBACK_DIR) -c $< -o $@

$(TOOLS_BUILD)/mica-netback: $(NETBACK_OBJS) $(PVBACK) $(LIBMICA)
	$(TOOLS_CC) $(TOOLS_LDFLAGS) -o $@ $(NETBACK_OBJS) $(PVBACK) $(LIBMICA)

-include $(NETBACK_OBJS:.o=.d)
