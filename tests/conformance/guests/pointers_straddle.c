/*
 * Guest buffers that start in mapped memory and run past its end: into a
 * page that is not mapped, to the last canonical address of the lower
 * half (the rest is non-canonical), or around the top of the address
 * space. Each is -EFAULT as a whole (Xen: guest_handle_okay on the range,
 * then a faulting copy), for inputs (a multicall list, an mmuext batch, a
 * trap table, a console write) and outputs (xen_version's extraversion,
 * memory_map); the parts before the edge that the hypervisor may have
 * written are ours, and nothing beyond the edge is touched.
 */
#include <string.h>

#include <pv/memory.h>

#include "check.h"
#include "mmu.h"

static uint8_t two[2 * PAGE] __attribute__((aligned(PAGE)));

int main(void)
{
	uint8_t *edge = two + PAGE; /* the second page is unmapped */
	struct multicall_entry *mc = (void *)(edge - 40); /* args cross the edge */
	struct mmuext_op *ops = (void *)(edge - sizeof(*ops));
	struct trap_info *ti = (void *)(edge - sizeof(*ti));
	struct xen_memory_map *mm = (void *)(edge - 8);
	long rc;

	check_guest(GUEST_NAME);
	memset(two, 0, sizeof(two));
	check_eq("pointers_straddle.unmap_second_page", 0, uvm(edge, 0));

	/* Inputs whose last bytes are past the edge. */
	mc->op = PV_HC_xen_version;
	check_eq("pointers_straddle.multicall_entry_crosses_efault", -XEN_EFAULT,
		 HYPERVISOR_multicall(mc, 1));
	check_eq("pointers_straddle.multicall_second_entry_unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_multicall((void *)(edge - sizeof(*mc)), 2));
	ops[0].cmd = MMUEXT_TLB_FLUSH_LOCAL;
	check_eq("pointers_straddle.mmuext_second_op_unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_mmuext_op(ops, 2, NULL, DOMID_SELF));
	ti[0] = pv_trap_info(3);
	/* The table has no terminator before the edge: reading on faults. */
	check_eq("pointers_straddle.trap_table_runs_off_efault", -XEN_EFAULT,
		 HYPERVISOR_set_trap_table(ti));
	check_eq("pointers_straddle.libpv_table_again", 0, pv_traps_reset());
	memcpy(edge - 4, "edge", 4);
	check_eq("pointers_straddle.console_write_crosses_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 8, (char *)(edge - 4)));

	/* Outputs past the edge. */
	check_eq("pointers_straddle.extraversion_crosses_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_extraversion, edge - 8));
	mm->nr_entries = 2;
	rc = HYPERVISOR_memory_op(XENMEM_machine_memory_map, mm);
	check_eq("pointers_straddle.memory_map_struct_crosses_efault", -XEN_EFAULT, rc);

	/* Ranges that leave the canonical lower half or wrap around. */
	check_eq("pointers_straddle.console_to_noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 32, (char *)0x00007ffffffffff0UL));
	check_eq("pointers_straddle.console_wraps_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 32, (char *)0xfffffffffffffff0UL));
	check_eq("pointers_straddle.multicall_wraps_efault", -XEN_EFAULT,
		 HYPERVISOR_multicall((void *)0xffffffffffffffc0UL, 2));
	{
		struct xen_memory_map wrap = { .nr_entries = 4,
					       .buffer = 0xffffffffffffffe0UL };

		check_eq("pointers_straddle.memory_map_buffer_wraps_efault", -XEN_EFAULT,
			 HYPERVISOR_memory_op(XENMEM_machine_memory_map, &wrap));
	}

	check_eq("pointers_straddle.remap_second_page", 0,
		 uvm(edge, (mfn_of(edge) << 12) | PTE_RW_FLAGS));
	check_eq("pointers_straddle.second_page_untouched", 0, edge[0] | edge[1] | edge[8]);
	return check_done();
}
