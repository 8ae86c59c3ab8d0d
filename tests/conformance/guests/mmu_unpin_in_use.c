/*
 * Unpinning a table that is in use. A pin is one reference among others
 * (Xen's xen/arch/x86/mm.c, MMUEXT_UNPIN_TABLE: put_page_and_type): the
 * unpin itself succeeds, but a table that a base pointer or a higher table
 * still uses keeps its type and its validated contents, so it still cannot
 * be mapped writable and its entries are still checked. Cases: the live
 * L4 the builder pinned (our CR3), a fresh L4 we switch to with
 * NEW_BASEPTR and unpin while it runs, and an L1 pinned on its own and
 * also used by a pinned L2. Unpinning twice, or a table that is in use
 * but was never pinned, is -EINVAL ("not pinned"). The domain runs on
 * through all of it.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

#define L4_HYPERVISOR_FIRST 256
#define L4_HYPERVISOR_LAST 271

static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));
static uint64_t fresh_l4[512] __attribute__((aligned(PAGE)));
static uint64_t l2[512] __attribute__((aligned(PAGE)));
static uint64_t l1[512] __attribute__((aligned(PAGE)));

static void live_root(void)
{
	uint64_t l4 = boot_l4_mfn();

	check_eq("mmu_unpin_in_use.live_l4.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, l4, 0));
	scratch[1] = 0x42;
	check_hex("mmu_unpin_in_use.live_l4.still_running", 0x42, *(volatile uint8_t *)&scratch[1]);
	check_eq("mmu_unpin_in_use.live_l4.unpin_again_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_UNPIN_TABLE, l4, 0));
	check_eq("mmu_unpin_in_use.live_l4.rw_ebusy", -XEN_EBUSY,
		 uvm(scratch, (l4 << 12) | PTE_RW_FLAGS));
	check_eq("mmu_unpin_in_use.live_l4.slot256_still_refused", -XEN_EINVAL,
		 mmu1((l4 << 12) + 256 * 8, 0));
	check_eq("mmu_unpin_in_use.live_l4.new_baseptr_same", 0, mmuext1(MMUEXT_NEW_BASEPTR, l4, 0));
	check_eq("mmu_unpin_in_use.live_l4.repin", 0, mmuext1(MMUEXT_PIN_L4_TABLE, l4, 0));
	check_eq("mmu_unpin_in_use.live_l4.repin_twice_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L4_TABLE, l4, 0));
	/* The live L3 is in use (by the L4) but was never pinned. */
	check_eq("mmu_unpin_in_use.live_l3.never_pinned_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(live_table(va_of(scratch), 3)), 0));
	check_eq("mmu_unpin_in_use.live_l1.never_pinned_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(live_table(va_of(scratch), 1)), 0));
}

static void switched_root(void)
{
	uint64_t *boot = boot_l4();
	uint64_t m = mfn_of(fresh_l4);

	memset(fresh_l4, 0, sizeof(fresh_l4));
	for (unsigned int i = 0; i < 512; i++)
		if (i < L4_HYPERVISOR_FIRST || i > L4_HYPERVISOR_LAST)
			fresh_l4[i] = boot[i];
	pt_make_ro(fresh_l4);
	check_eq("mmu_unpin_in_use.fresh_l4.pin", 0, mmuext1(MMUEXT_PIN_L4_TABLE, m, 0));
	check_eq("mmu_unpin_in_use.fresh_l4.switch_to", 0, mmuext1(MMUEXT_NEW_BASEPTR, m, 0));
	check_eq("mmu_unpin_in_use.fresh_l4.unpin_while_cr3", 0, mmuext1(MMUEXT_UNPIN_TABLE, m, 0));
	scratch[2] = 0x43;
	check_hex("mmu_unpin_in_use.fresh_l4.still_running", 0x43, *(volatile uint8_t *)&scratch[2]);
	check_hex("mmu_unpin_in_use.fresh_l4.version_works", 0x40011,
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL));
	check_eq("mmu_unpin_in_use.fresh_l4.rw_while_cr3_ebusy", -XEN_EBUSY, pt_make_rw(fresh_l4));
	check_eq("mmu_unpin_in_use.fresh_l4.switch_back", 0,
		 mmuext1(MMUEXT_NEW_BASEPTR, boot_l4_mfn(), 0));
	/* No pin and no CR3 left: an ordinary page again. */
	check_eq("mmu_unpin_in_use.fresh_l4.rw_after_switch_back", 0, pt_make_rw(fresh_l4));
	fresh_l4[0] = 1;
	check_hex("mmu_unpin_in_use.fresh_l4.written", 1, fresh_l4[0]);
}

static void lower_table(void)
{
	memset(l1, 0, sizeof(l1));
	memset(l2, 0, sizeof(l2));
	l1[0] = (mfn_of(scratch) << 12) | PTE_RO_FLAGS;
	l2[0] = (mfn_of(l1) << 12) | PTE_TABLE_FLAGS;
	pt_make_ro(l1);
	pt_make_ro(l2);
	check_eq("mmu_unpin_in_use.l1.pin", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(l1), 0));
	check_eq("mmu_unpin_in_use.l2.pin", 0, mmuext1(MMUEXT_PIN_L2_TABLE, mfn_of(l2), 0));
	check_eq("mmu_unpin_in_use.l1.unpin_used_by_l2", 0,
		 mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l1), 0));
	check_eq("mmu_unpin_in_use.l1.still_table_rw_ebusy", -XEN_EBUSY, pt_make_rw(l1));
	/* Its entries are still checked: a data page is fine, a table writable is not. */
	check_eq("mmu_unpin_in_use.l1.update_data_page", 0,
		 mmu1((mfn_of(l1) << 12) + 8, (mfn_of(scratch) << 12) | PTE_RW_FLAGS));
	check_eq("mmu_unpin_in_use.l1.update_maps_l2_rw_ebusy", -XEN_EBUSY,
		 mmu1((mfn_of(l1) << 12) + 16, (mfn_of(l2) << 12) | PTE_RW_FLAGS));
	check_eq("mmu_unpin_in_use.l1.pin_again", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(l1), 0));
	check_eq("mmu_unpin_in_use.l1.unpin_again", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l1), 0));
	check_eq("mmu_unpin_in_use.l2.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l2), 0));
	check_eq("mmu_unpin_in_use.l2.unpin_twice_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l2), 0));
	/* Linux's order: the top table writable first, then the one below. */
	check_eq("mmu_unpin_in_use.l2.rw", 0, pt_make_rw(l2));
	check_eq("mmu_unpin_in_use.l1.rw", 0, pt_make_rw(l1));
}

int main(void)
{
	check_guest(GUEST_NAME);
	live_root();
	switched_root();
	lower_table();
	return check_done();
}
