/*
 * Making a page table writable, route 2: mmu_update. An L1 entry that
 * maps a table of the live tree (L4, L3, L2, or the L1 holding the entry
 * itself) read-write is refused with Xen's -EBUSY, through
 * MMU_NORMAL_PT_UPDATE and MMU_PT_UPDATE_PRESERVE_AD, written into the
 * live L1 and into an L1 pinned on its own; in a batch, the requests
 * before the bad one are done and counted. Read-only entries naming the
 * same tables are accepted.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));
static uint64_t lone_l1[512] __attribute__((aligned(PAGE)));

int main(void)
{
	static const char *const names[] = { "", "live_l1", "live_l2", "live_l3", "live_l4" };
	uint64_t slot = l1e_maddr(va_of(scratch));
	uint64_t own = (mfn_of(scratch) << 12) | PTE_RW_FLAGS;

	check_guest(GUEST_NAME);
	memset(scratch, 0x3c, sizeof(scratch));
	if (!slot) {
		check_skip("mmu_ptw_mmu_update.all", "no L1 entry for scratch");
		return check_done();
	}
	for (unsigned int level = 4; level >= 1; level--) {
		uint64_t *t = live_table(va_of(scratch), level);
		uint64_t m;
		struct mmu_update u[3];
		pv_u32 done = 99;

		if (!t) {
			check_skip(name_of("mmu_ptw_mmu_update.%s", names[level]), "not found");
			continue;
		}
		m = mfn_of(t);
		check_eq(name_of("mmu_ptw_mmu_update.%s.normal_ebusy", names[level]), -XEN_EBUSY,
			 mmu1(slot | MMU_NORMAL_PT_UPDATE, (m << 12) | PTE_RW_FLAGS));
		check_eq(name_of("mmu_ptw_mmu_update.%s.preserve_ad_ebusy", names[level]), -XEN_EBUSY,
			 mmu1(slot | MMU_PT_UPDATE_PRESERVE_AD, (m << 12) | PTE_RW_FLAGS));
		u[0] = (struct mmu_update){ .ptr = slot, .val = (m << 12) | PTE_RO_FLAGS };
		u[1] = (struct mmu_update){ .ptr = slot, .val = (m << 12) | PTE_RW_FLAGS };
		u[2] = (struct mmu_update){ .ptr = slot, .val = own };
		check_eq(name_of("mmu_ptw_mmu_update.%s.batch_ebusy", names[level]), -XEN_EBUSY,
			 HYPERVISOR_mmu_update(u, 3, &done, DOMID_SELF));
		check_eq(name_of("mmu_ptw_mmu_update.%s.batch_done_1", names[level]), 1, done);
		/* The read-only entry of the batch is in force: the table's first entry reads back. */
		mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch), 0);
		check_hex(name_of("mmu_ptw_mmu_update.%s.ro_in_force", names[level]), t[0],
			  *(volatile uint64_t *)scratch);
		check_eq(name_of("mmu_ptw_mmu_update.%s.restore", names[level]), 0,
			 mmu1(slot, own));
		mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch), 0);
		check_hex(name_of("mmu_ptw_mmu_update.%s.scratch_back", names[level]), 0x3c,
			  *(volatile uint8_t *)scratch);
	}

	/* An L1 pinned on its own: an entry in it mapping itself, or the live L4, read-write. */
	memset(lone_l1, 0, sizeof(lone_l1));
	pt_make_ro(lone_l1);
	check_eq("mmu_ptw_mmu_update.lone_l1.pin", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(lone_l1), 0));
	check_eq("mmu_ptw_mmu_update.lone_l1.maps_itself_rw_ebusy", -XEN_EBUSY,
		 mmu1(mfn_of(lone_l1) << 12, (mfn_of(lone_l1) << 12) | PTE_RW_FLAGS));
	check_eq("mmu_ptw_mmu_update.lone_l1.maps_live_l4_rw_ebusy", -XEN_EBUSY,
		 mmu1((mfn_of(lone_l1) << 12) + 8, (boot_l4_mfn() << 12) | PTE_RW_FLAGS));
	check_eq("mmu_ptw_mmu_update.lone_l1.maps_itself_ro", 0,
		 mmu1(mfn_of(lone_l1) << 12, (mfn_of(lone_l1) << 12) | PTE_RO_FLAGS));
	check_hex("mmu_ptw_mmu_update.lone_l1.entry0_ro_self", (mfn_of(lone_l1) << 12) | PTE_RO_FLAGS,
		  lone_l1[0] & ~PTE_US);
	check_hex("mmu_ptw_mmu_update.lone_l1.entry1_empty", 0, lone_l1[1]);
	/* Writable again once it holds no table type: the self entry is cleared first. */
	check_eq("mmu_ptw_mmu_update.lone_l1.clear_self", 0, mmu1(mfn_of(lone_l1) << 12, 0));
	check_eq("mmu_ptw_mmu_update.lone_l1.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(lone_l1), 0));
	check_eq("mmu_ptw_mmu_update.lone_l1.rw_after_unpin", 0, pt_make_rw(lone_l1));
	return check_done();
}
