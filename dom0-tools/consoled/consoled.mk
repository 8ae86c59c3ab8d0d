# mica-consoled, the console daemon (dom0-tools/consoled/). Included by the
# top-level Makefile after hypercall/libmica/libmica.mk:
#
#   include dom0-tools/consoled/consoled.mk

CONSOLED_DIR := dom0-tools/consoled
CONSOLED_SRCS := $(wildcard $(CONSOLED_DIR)/*.c)
CONSOLED_OBJS := $(patsubst $(CONSOLED_DIR)/%.c,$(TOOLS_BUILD)/obj/consoled/%.o,$(CONSOLED_SRCS))

all: $(TOOLS_BUILD)/mica-consoled
tools: $(TOOLS_BUILD)/mica-consoled

$(TOOLS_BUILD)/obj/consoled/%.o: $(CONSOLED_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) -I$(CONSOLED_DIR) -c $< -o $@

$(TOOLS_BUILD)/mica-consoled: $(CONSOLED_OBJS) $(LIBMICA)
	$(TOOLS_CC) $(TOOLS_LDFLAGS) -o $@ $(CONSOLED_OBJS) $(LIBMICA)

-include $(CONSOLED_OBJS:.o=.d)
