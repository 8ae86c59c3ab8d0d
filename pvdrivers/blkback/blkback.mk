# mica-blkback, the PV block backend (pvdrivers/blkback/). Included by the
# top-level Makefile after pvdrivers/lib/pvback.mk:
#
#   include pvdrivers/blkback/blkback.mk

BLKBACK_DIR := pvdrivers/blkback
BLKBACK_SRCS := $(wildcard $(BLKBACK_DIR)/*.c)
BLKBACK_OBJS := $(patsubst $(BLKBACK_DIR)/%.c,$(TOOLS_BUILD)/obj/blkback/%.o,$(BLKBACK_SRCS))

all: $(TOOLS_BUILD)/mica-blkback
tools: $(TOOLS_BUILD)/mica-blkback

$(TOOLS_BUILD)/obj/blkback/%.o: $(BLKBACK_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) $(PVBACK_CFLAGS) -I$(BLKBACK_DIR) -c $< -o $@

$(TOOLS_BUILD)/mica-blkback: $(BLKBACK_OBJS) $(PVBACK) $(LIBMICA)
	$(TOOLS_CC) $(TOOLS_LDFLAGS) -o $@ $(BLKBACK_OBJS) $(PVBACK) $(LIBMICA)

-include $(BLKBACK_OBJS:.o=.d)
