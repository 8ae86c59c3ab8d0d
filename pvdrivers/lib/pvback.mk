# libpvback, the shared library of the dom0 backends (pvdrivers/lib/).
# Included by the top-level Makefile after hypercall/libmica/libmica.mk:
#
#   include pvdrivers/lib/pvback.mk
#
# Builds build/tools/libpvback.a; a backend links it before libmica and
# compiles with $(PVBACK_CFLAGS).

PVBACK_DIR := pvdrivers/lib
PVBACK_SRCS := $(wildcard $(PVBACK_DIR)/*.c)
PVBACK_OBJS := $(patsubst $(PVBACK_DIR)/%.c,$(TOOLS_BUILD)/obj/pvback/%.o,$(PVBACK_SRCS))
PVBACK := $(TOOLS_BUILD)/libpvback.a
PVBACK_CFLAGS := -I$(PVBACK_DIR)/include

$(TOOLS_BUILD)/obj/pvback/%.o: $(PVBACK_DIR)/%.c
	@mkdir -p $(@D)
	$(TOOLS_CC) $(TOOLS_CFLAGS) $(PVBACK_CFLAGS) -I$(PVBACK_DIR) -c $< -o $@

$(PVBACK): $(PVBACK_OBJS)
	@rm -f $@
	ar rcs $@ $^

all: $(PVBACK)
tools: $(PVBACK)

-include $(PVBACK_OBJS:.o=.d)
