/*
 * multicall (13): each entry runs as its own hypercall with its result in
 * the entry; the call itself returns 0 unless the list cannot be read. A
 * bad entry (unknown op, bad arguments, a fault) fails alone.
 */
#include <string.h>

#include "check.h"

static struct multicall_entry mc[8];

static void entry(unsigned int i, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	mc[i] = (struct multicall_entry){ .op = op, .result = 0x5a5a5a5a,
					  .args = { a0, a1, a2, 0, 0, 0 } };
}

int main(void)
{
	static const char text[] = "multicall marker: written from inside a multicall\n";
	struct xen_feature_info fi = { .submap_idx = 0 };
	long rc;

	check_guest(GUEST_NAME);

	entry(0, PV_HC_xen_version, XENVER_version, 0, 0);
	entry(1, PV_HC_console_io, CONSOLEIO_write, sizeof(text) - 1, (uint64_t)(uintptr_t)text);
	entry(2, 63, 0, 0, 0);                                  /* no such hypercall */
	entry(3, PV_HC_vm_assist, VMASST_CMD_enable, 6, 0);     /* invalid type */
	entry(4, PV_HC_xen_version, XENVER_get_features, (uint64_t)(uintptr_t)&fi, 0);
	entry(5, PV_HC_console_io, CONSOLEIO_write, 8, ADDR_HYPERVISOR); /* a fault */
	entry(6, 0x100000000UL + PV_HC_xen_version, 0, 0, 0);   /* high bits: unknown */
	entry(7, PV_HC_vm_assist, VMASST_CMD_enable, 2, 0);
	rc = HYPERVISOR_multicall(mc, 8);
	check_eq("multicall.rc", 0, rc);
	check_hex("multicall.result[0].xen_version", 0x40011, mc[0].result);
	check_eq("multicall.result[1].console_io", 0, mc[1].result);
	check_eq("multicall.result[2].unknown_op_enosys", -XEN_ENOSYS, mc[2].result);
	check_eq("multicall.result[3].vm_assist_einval", -XEN_EINVAL, mc[3].result);
	check_eq("multicall.result[4].get_features", 0, mc[4].result);
	check_bits("multicall.result[4].wrote_submap", 1u << 5, 1u << 5, fi.submap);
	check_eq("multicall.result[5].efault", -XEN_EFAULT, mc[5].result);
	check_eq("multicall.result[6].op_high_bits_enosys", -XEN_ENOSYS, mc[6].result);
	check_eq("multicall.result[7].after_failures", 0, mc[7].result);
	check_hex("multicall.op_untouched", PV_HC_xen_version, mc[0].op);
	check_hex("multicall.args_untouched", XENVER_version, mc[0].args[0]);

	/* Only the first nr entries run. */
	entry(0, PV_HC_xen_version, XENVER_version, 0, 0);
	entry(1, PV_HC_xen_version, XENVER_version, 0, 0);
	check_eq("multicall.nr1.rc", 0, HYPERVISOR_multicall(mc, 1));
	check_hex("multicall.nr1.first_ran", 0x40011, mc[0].result);
	check_hex("multicall.nr1.second_untouched", 0x5a5a5a5a, mc[1].result);

	check_eq("multicall.nr0", 0, HYPERVISOR_multicall(mc, 0));
	check_eq("multicall.nr0_null", 0, HYPERVISOR_multicall(NULL, 0));
	check_eq("multicall.null_efault", -XEN_EFAULT, HYPERVISOR_multicall(NULL, 1));
	check_eq("multicall.unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_multicall((void *)ADDR_UNMAPPED_LOW, 2));
	check_eq("multicall.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_multicall((void *)ADDR_HYPERVISOR, 1));
	check_eq("multicall.noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_multicall((void *)ADDR_NONCANONICAL, 1));

	/* The batch Linux sends on a context switch: stack_switch and fpu_taskswitch. */
	entry(0, PV_HC_stack_switch, 0x18, (uint64_t)(uintptr_t)&mc[7], 0);
	entry(1, PV_HC_fpu_taskswitch, 0, 0, 0);
	check_eq("multicall.linux_batch.rc", 0, HYPERVISOR_multicall(mc, 2));
	check_eq("multicall.linux_batch.stack_switch", 0, mc[0].result);
	check_eq("multicall.linux_batch.fpu_taskswitch", 0, mc[1].result);
	return check_done();
}
