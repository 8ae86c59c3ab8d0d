# The PV ABI headers (hypercall/include/pv): the include path for the
# hypervisor. Include this after hypervisor/build.mk:
#
#   include hypercall/hypercall.mk
#
# There is no build step: hypercall/include/pv/hypercall_table.def is
# expanded by the C preprocessor, and the -MMD dependency files make every
# object that includes it rebuild when it changes.

PV_ABI_INCLUDE := -Ihypercall/include

HV_CFLAGS += $(PV_ABI_INCLUDE)
HV_ASFLAGS += $(PV_ABI_INCLUDE)
