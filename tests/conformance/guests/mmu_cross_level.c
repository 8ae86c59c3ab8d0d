/*
 * Cross-level mappings: an upper-level entry naming a page that is a
 * table of another level, or a page that cannot become the level it is
 * named as; pinning a table as the wrong level. A frame has one type at
 * a time (xen/arch/x86/mm.c, __get_page_type: "Bad type" -> -EINVAL), so
 * every such request is -EINVAL and changes nothing: an L4 entry naming
 * an L1 or L2, an L3 entry naming the L4 or an L1, an L2 entry naming an
 * L3 or the L4, any level naming a page mapped writable; pinning an L1 as
 * an L2 and the live L4 as an L3. A read-only L1 mapping of any table is
 * a plain data mapping and is allowed.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

static uint64_t p1[512] __attribute__((aligned(PAGE)));   /* pinned L1 */
static uint64_t p2[512] __attribute__((aligned(PAGE)));   /* pinned L2 (-> p1) */
static uint64_t t[512] __attribute__((aligned(PAGE)));    /* the table under test */
static uint8_t data[PAGE] __attribute__((aligned(PAGE))); /* mapped writable */
static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));

static const unsigned int pin_cmd[5] = { 0, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
					 MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE };

/* A fresh table of level `level` whose entry 4 names mfn; pinning it must give want. */
static void named(unsigned int level, const char *target, uint64_t mfn, long want)
{
	memset(t, 0, sizeof(t));
	t[4] = (mfn << 12) | PTE_TABLE_FLAGS;
	pt_make_ro(t);
	check_eq(name_of("mmu_cross_level.l%u_names_%s", level, target), want,
		 mmuext1(pin_cmd[level], mfn_of(t), 0));
	if (want == 0)
		mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(t), 0);
	check_eq(name_of("mmu_cross_level.l%u_names_%s.page_free_again", level, target), 0,
		 pt_make_rw(t));
}

int main(void)
{
	uint64_t l4 = boot_l4_mfn();
	uint64_t l3 = mfn_of(live_table(va_of(scratch), 3));

	check_guest(GUEST_NAME);
	memset(p1, 0, sizeof(p1));
	memset(p2, 0, sizeof(p2));
	p2[0] = (mfn_of(p1) << 12) | PTE_TABLE_FLAGS;
	pt_make_ro(p1);
	pt_make_ro(p2);
	check_eq("mmu_cross_level.pin_l1", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(p1), 0));
	check_eq("mmu_cross_level.pin_l2", 0, mmuext1(MMUEXT_PIN_L2_TABLE, mfn_of(p2), 0));

	named(4, "l1", mfn_of(p1), -XEN_EINVAL);
	named(4, "l2", mfn_of(p2), -XEN_EINVAL);
	named(4, "live_l4", l4, -XEN_EINVAL);
	named(4, "writable_page", mfn_of(data), -XEN_EINVAL);
	named(3, "live_l4", l4, -XEN_EINVAL);
	named(3, "live_l3", l3, -XEN_EINVAL);
	named(3, "l1", mfn_of(p1), -XEN_EINVAL);
	named(3, "writable_page", mfn_of(data), -XEN_EINVAL);
	named(2, "live_l4", l4, -XEN_EINVAL);
	named(2, "live_l3", l3, -XEN_EINVAL);
	named(2, "l2", mfn_of(p2), -XEN_EINVAL);
	named(2, "writable_page", mfn_of(data), -XEN_EINVAL);
	/* The right level is fine: an L3 naming the pinned L2, an L2 naming the pinned L1. */
	named(3, "l2_right_level", mfn_of(p2), 0);
	named(2, "l1_right_level", mfn_of(p1), 0);

	/* Pinning as the wrong level. */
	check_eq("mmu_cross_level.pin_l1_as_l2_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L2_TABLE, mfn_of(p1), 0));
	check_eq("mmu_cross_level.pin_l2_as_l1_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(p2), 0));
	check_eq("mmu_cross_level.pin_live_l4_as_l3_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L3_TABLE, l4, 0));
	check_eq("mmu_cross_level.pin_live_l3_as_l4_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L4_TABLE, l3, 0));
	check_eq("mmu_cross_level.new_baseptr_l2_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_NEW_BASEPTR, mfn_of(p2), 0));
	check_eq("mmu_cross_level.new_user_baseptr_l3_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_NEW_USER_BASEPTR, l3, 0));

	/* A live L2 entry, by mmu_update, naming the L4 as an L1. */
	{
		uint64_t *live2 = live_table(va_of(scratch), 2);
		unsigned int s = 0;

		for (unsigned int i = 511; i > 0 && !s; i--)
			if (!(live2[i] & PTE_P))
				s = i;
		check_eq("mmu_cross_level.live_l2_names_l4_einval", -XEN_EINVAL,
			 mmu1((mfn_of(live2) << 12) + s * 8, (l4 << 12) | PTE_TABLE_FLAGS));
		check_hex("mmu_cross_level.live_l2_slot_unchanged", 0, live2[s]);
	}

	/* Read-only data mappings of tables of every level: allowed, and readable. */
	check_eq("mmu_cross_level.l1_maps_l4_ro", 0, uvm(scratch, (l4 << 12) | PTE_RO_FLAGS));
	check_hex("mmu_cross_level.l1_maps_l4_ro.reads_slot511", boot_l4()[511],
		  ((volatile uint64_t *)scratch)[511]);
	check_eq("mmu_cross_level.l1_maps_l2_ro", 0, uvm(scratch, (mfn_of(p2) << 12) | PTE_RO_FLAGS));
	check_hex("mmu_cross_level.l1_maps_l2_ro.reads_entry0", p2[0], ((volatile uint64_t *)scratch)[0]);
	check_eq("mmu_cross_level.restore", 0, uvm(scratch, (mfn_of(scratch) << 12) | PTE_RW_FLAGS));

	check_eq("mmu_cross_level.unpin_l2", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(p2), 0));
	check_eq("mmu_cross_level.unpin_l1", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(p1), 0));
	return check_done();
}
