/*
 * Making a page table writable, route 1: update_va_mapping. For each
 * table of the live tree (the L4, L3, L2 and L1 on the way to a page of
 * ours) and for an L1 pinned on its own but in no tree, a writable
 * mapping is refused with Xen's -EBUSY (get_page_from_l1e cannot take the
 * frame's writable type), whether at a page of ours, at the table's own
 * 1:1 address or for all vCPUs (UVMF_ALL), and whether the call comes
 * alone or in a multicall; a read-only mapping is allowed and shows the
 * table's entries. Each refusal leaves the old mapping in place.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));
static uint64_t lone_l1[512] __attribute__((aligned(PAGE)));

static void refuse(const char *level, uint64_t *table)
{
	uint64_t mfn = mfn_of(table), first = table[0];
	struct multicall_entry mc = {
		.op = PV_HC_update_va_mapping,
		.result = 0x5a5a,
		.args = { va_of(scratch), (mfn << 12) | PTE_RW_FLAGS, UVMF_INVLPG },
	};

	check_eq(name_of("mmu_ptw_uvm.%s.rw_ebusy", level), -XEN_EBUSY,
		 uvm(scratch, (mfn << 12) | PTE_RW_FLAGS));
	check_eq(name_of("mmu_ptw_uvm.%s.rw_all_vcpus_ebusy", level), -XEN_EBUSY,
		 HYPERVISOR_update_va_mapping(va_of(scratch), (mfn << 12) | PTE_RW_FLAGS,
					      UVMF_TLB_FLUSH | UVMF_ALL));
	check_eq(name_of("mmu_ptw_uvm.%s.own_address_rw_ebusy", level), -XEN_EBUSY,
		 uvm(table, (mfn << 12) | PTE_RW_FLAGS));
	check_eq(name_of("mmu_ptw_uvm.%s.multicall_rc", level), 0, HYPERVISOR_multicall(&mc, 1));
	check_eq(name_of("mmu_ptw_uvm.%s.multicall_ebusy", level), -XEN_EBUSY, (long)mc.result);
	check_hex(name_of("mmu_ptw_uvm.%s.scratch_kept", level), 0xa5, *(volatile uint8_t *)scratch);
	check_eq(name_of("mmu_ptw_uvm.%s.ro_allowed", level), 0,
		 uvm(scratch, (mfn << 12) | PTE_RO_FLAGS));
	check_hex(name_of("mmu_ptw_uvm.%s.ro_reads_entry0", level), first,
		  *(volatile uint64_t *)scratch);
	check_eq(name_of("mmu_ptw_uvm.%s.restore", level), 0,
		 uvm(scratch, (mfn_of(scratch) << 12) | PTE_RW_FLAGS));
}

int main(void)
{
	static const char *const names[] = { "", "live_l1", "live_l2", "live_l3", "live_l4" };

	check_guest(GUEST_NAME);
	memset(scratch, 0xa5, sizeof(scratch));
	for (unsigned int level = 4; level >= 1; level--) {
		uint64_t *t = live_table(va_of(scratch), level);

		if (t)
			refuse(names[level], t);
		else
			check_skip(name_of("mmu_ptw_uvm.%s", names[level]), "not in the bootstrap tables");
	}

	/* An L1 of our own, pinned but in no tree: still a page table. */
	memset(lone_l1, 0, sizeof(lone_l1));
	lone_l1[7] = (mfn_of(scratch) << 12) | PTE_RO_FLAGS;
	check_eq("mmu_ptw_uvm.lone_l1.make_ro", 0, pt_make_ro(lone_l1));
	check_eq("mmu_ptw_uvm.lone_l1.pin", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(lone_l1), 0));
	check_eq("mmu_ptw_uvm.lone_l1.rw_ebusy", -XEN_EBUSY, pt_make_rw(lone_l1));
	check_eq("mmu_ptw_uvm.lone_l1.rw_elsewhere_ebusy", -XEN_EBUSY,
		 uvm(scratch, (mfn_of(lone_l1) << 12) | PTE_RW_FLAGS));
	/* Unpinned, nothing holds it as a table: it may be writable again. */
	check_eq("mmu_ptw_uvm.lone_l1.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(lone_l1), 0));
	check_eq("mmu_ptw_uvm.lone_l1.rw_after_unpin", 0, pt_make_rw(lone_l1));
	lone_l1[8] = 1;
	check_hex("mmu_ptw_uvm.lone_l1.written_after_unpin", 1, lone_l1[8]);
	return check_done();
}
