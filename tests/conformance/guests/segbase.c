/*
 * set_segment_base (25) and the segment-base MSRs: FS and the two GS
 * bases take effect (read back through FS:0 / GS:0 and RDMSR), bad bases
 * and selectors get Xen's answers. Xen never fails GS_USER_SEL: it forces
 * RPL 3 and loads the null selector when the load faults, because Linux
 * BUG()s on an error there (xen/arch/x86/pv/misc-hypercalls.c).
 */
#include "check.h"
#include "probes.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

static uint64_t cell_a = 0xaaaaaaaa11111111UL, cell_b = 0xbbbbbbbb22222222UL;

int main(void)
{
	uint64_t a = (uint64_t)(uintptr_t)&cell_a, b = (uint64_t)(uintptr_t)&cell_b;

	check_guest(GUEST_NAME);

	check_eq("segbase.fs.rc", 0, HYPERVISOR_set_segment_base(SEGBASE_FS, a));
	check_hex("segbase.fs.in_effect", cell_a, read_fs0());
	check_hex("segbase.fs.rdmsr", a, probe_rdmsr(MSR_FS_BASE));
	check_eq("segbase.gs_kernel.rc", 0, HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, b));
	check_hex("segbase.gs_kernel.in_effect", cell_b, read_gs0());
	check_hex("segbase.gs_kernel.rdmsr", b, probe_rdmsr(MSR_GS_BASE));
	check_eq("segbase.gs_user.rc", 0, HYPERVISOR_set_segment_base(SEGBASE_GS_USER, a));
	check_hex("segbase.gs_user.rdmsr_kernel_gs_base", a, probe_rdmsr(MSR_KERNEL_GS_BASE));
	check_hex("segbase.gs_user.kernel_gs_unchanged", cell_b, read_gs0());

	/* The bases survive a trip through the hypervisor's scheduler. */
	check_eq("segbase.yield", 0, HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
	check_hex("segbase.fs.after_yield", cell_a, read_fs0());
	check_hex("segbase.gs_kernel.after_yield", cell_b, read_gs0());

	/* Non-canonical bases are refused and change nothing. */
	check_eq("segbase.fs.noncanonical_einval", -XEN_EINVAL,
		 HYPERVISOR_set_segment_base(SEGBASE_FS, ADDR_NONCANONICAL));
	check_eq("segbase.gs_kernel.noncanonical_einval", -XEN_EINVAL,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, ADDR_NONCANONICAL_LOW));
	check_eq("segbase.gs_user.noncanonical_einval", -XEN_EINVAL,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0x0001000000000000UL));
	check_hex("segbase.fs.unchanged", cell_a, read_fs0());
	check_hex("segbase.gs_kernel.unchanged", cell_b, read_gs0());

	/* Unknown "which". */
	check_eq("segbase.which4_einval", -XEN_EINVAL, HYPERVISOR_set_segment_base(4, 0));
	check_eq("segbase.which_huge_einval", -XEN_EINVAL,
		 HYPERVISOR_set_segment_base(0xffffffffu, 0));

	/* GS_USER_SEL: the null selector, then selectors that cannot load. */
	check_eq("segbase.gs_user_sel.null", 0, HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0));
	check_eq("segbase.gs_user_sel.rpl0_fixed_up", 0,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0x10));
	check_eq("segbase.gs_user_sel.beyond_gdt_becomes_null", 0,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0x1ff3));
	check_eq("segbase.gs_user_sel.ldt_selector_becomes_null", 0,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0x0007));
	/* The kernel's GS base is untouched by all of that. */
	check_hex("segbase.gs_user_sel.kernel_gs_unchanged", cell_b, read_gs0());
	return check_done();
}
