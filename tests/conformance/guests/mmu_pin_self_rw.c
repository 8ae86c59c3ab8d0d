/*
 * Pinning a table that maps itself writable. A tree of fresh tables
 * (L4 -> L3 -> L2 -> L1) is built in pages of ours; one L1 entry maps a
 * table of the tree read-write. Pinning at any level that includes that
 * table must fail: validating the L1 entry needs the writable type of a
 * frame that is (becoming) a page table. Xen answers -EBUSY (the L1
 * entry's get_page_from_l1e fails, and the error travels up), also for
 * NEW_BASEPTR. The same trees with the entry read-only pin fine. A
 * refused pin leaves no type behind, and neither does an unpin: every
 * page of the tree can be made writable again at once.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

static uint64_t t4[512] __attribute__((aligned(PAGE)));
static uint64_t t3[512] __attribute__((aligned(PAGE)));
static uint64_t t2[512] __attribute__((aligned(PAGE)));
static uint64_t t1[512] __attribute__((aligned(PAGE)));
static uint64_t *const tables[5] = { NULL, t1, t2, t3, t4 };
static const unsigned int pin_cmd[5] = { 0, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
					 MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE };

/* Writes the tree top..1 with t1[5] mapping table `target` (flags), then makes it read-only. */
static void build(unsigned int top, unsigned int target, uint64_t flags)
{
	for (unsigned int l = 1; l <= 4; l++)
		memset(tables[l], 0, PAGE);
	for (unsigned int l = top; l > 1; l--)
		tables[l][3] = (mfn_of(tables[l - 1]) << 12) | PTE_TABLE_FLAGS;
	t1[5] = (mfn_of(tables[target]) << 12) | flags;
	for (unsigned int l = 1; l <= top; l++)
		pt_make_ro(tables[l]);
}

/*
 * Makes every page writable again, top table first (Linux's order after
 * an unpin): 0 only if none kept a table type. (Bottom-up is
 * mmu_unpin_bottom_up's concern.)
 */
static long release(unsigned int top)
{
	long rc = 0;

	for (unsigned int l = top; l >= 1; l--)
		rc |= pt_make_rw(tables[l]);
	return rc;
}

int main(void)
{
	check_guest(GUEST_NAME);
	for (unsigned int top = 1; top <= 4; top++) {
		for (unsigned int target = 1; target <= top; target++) {
			const char *n = name_of("l%u_tree.maps_l%u", top, target);
			char what[48];

			strncpy(what, n, sizeof(what) - 1);
			what[sizeof(what) - 1] = 0;
			build(top, target, PTE_RW_FLAGS);
			check_eq(name_of("mmu_pin_self_rw.%s_rw.pin_ebusy", what), -XEN_EBUSY,
				 mmuext1(pin_cmd[top], mfn_of(tables[top]), 0));
			if (top == 4)
				check_eq(name_of("mmu_pin_self_rw.%s_rw.new_baseptr_ebusy", what),
					 -XEN_EBUSY, mmuext1(MMUEXT_NEW_BASEPTR, mfn_of(t4), 0));
			check_eq(name_of("mmu_pin_self_rw.%s_rw.no_type_left", what), 0, release(top));

			build(top, target, PTE_RO_FLAGS);
			check_eq(name_of("mmu_pin_self_rw.%s_ro.pin", what), 0,
				 mmuext1(pin_cmd[top], mfn_of(tables[top]), 0));
			/* Pinned: the tables are tables now, not writable. */
			check_eq(name_of("mmu_pin_self_rw.%s_ro.pinned_rw_ebusy", what), -XEN_EBUSY,
				 pt_make_rw(tables[top]));
			check_eq(name_of("mmu_pin_self_rw.%s_ro.unpin", what), 0,
				 mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(tables[top]), 0));
			check_eq(name_of("mmu_pin_self_rw.%s_ro.no_type_left", what), 0, release(top));
		}
	}
	return check_done();
}
