/*
 * The hypercall entry itself: unknown numbers (small, unassigned, past the
 * table, with high bits set) answer -ENOSYS; every slot the table marks
 * NOSYS answers -ENOSYS; a hypercall keeps RBX, RBP, R12-R15 and RSP.
 */
#include "check.h"
#include "probes.h"

/* The table's NOSYS rows: called with zero arguments they must say -ENOSYS. */
static void nosys_rows(void)
{
#define PV_HC_ROW_(nr, name, impl, ...)                                              \
	if (!IMPLEMENTED(name))                                                      \
		check_eq("hypercall.nosys_row." #name, -XEN_ENOSYS,                  \
			 pv_hypercall(nr, 0, 0, 0, 0, 0, 0));
#define PV_HC0(nr, name, impl, flags) PV_HC_ROW_(nr, name, impl)
#define PV_HC1 PV_HC_ROW_
#define PV_HC2 PV_HC_ROW_
#define PV_HC3 PV_HC_ROW_
#define PV_HC4 PV_HC_ROW_
#define PV_HC5 PV_HC_ROW_
#define PV_HC6 PV_HC_ROW_
#include <pv/hypercall_table.def>
#undef PV_HC_ROW_
#undef PV_HC0
#undef PV_HC1
#undef PV_HC2
#undef PV_HC3
#undef PV_HC4
#undef PV_HC5
#undef PV_HC6
}

int main(void)
{
	/* Numbers no row of the table has. */
	static const uint64_t unknown[] = {
		11, 38, 39, 42, 47, 49, 55, 63,     /* gaps below the table's end */
		64, 65, 127, 128, 255, 256, 4096,   /* past the dispatch array */
		0x7fffffff, 0x80000000, 0xffffffff, /* 32-bit extremes */
		0x100000000UL + PV_HC_xen_version,  /* a valid number plus high bits */
		0x8000000000000000UL + PV_HC_console_io,
		0xffffffffffffffffUL,
	};

	check_guest(GUEST_NAME);
	for (unsigned int i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		check_eq(name_of("hypercall.unknown_enosys[%#llx]", (unsigned long long)unknown[i]),
			 -XEN_ENOSYS, pv_hypercall(unknown[i], 0, 0, 0, 0, 0, 0));
	nosys_rows();

	/* The registers a hypercall must keep (only RAX, RCX, R11 and argument registers change). */
	check_hex("hypercall.preserves_rbx_rbp_r12_r15_rsp.version", 0,
		  hypercall_clobber_check(PV_HC_xen_version, XENVER_version, 0));
	check_hex("hypercall.preserves_rbx_rbp_r12_r15_rsp.unknown", 0,
		  hypercall_clobber_check(63, 0, 0));
	check_hex("hypercall.preserves_rbx_rbp_r12_r15_rsp.efault", 0,
		  hypercall_clobber_check(PV_HC_xen_version, XENVER_get_features,
					  ADDR_HYPERVISOR));

	/* A hypercall that succeeds returns its value in RAX, not 0 or the number. */
	check_hex("hypercall.result_in_rax", 0x40011, pv_hypercall(PV_HC_xen_version, 0, 0, 0, 0, 0, 0));
	return check_done();
}
