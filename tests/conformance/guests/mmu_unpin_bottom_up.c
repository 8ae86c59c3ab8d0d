/*
 * After unpinning a whole tree, its pages are ordinary pages again, in
 * whatever order the guest takes them back. On Xen, dropping the last
 * type reference of a table devalidates it at once, and with it every
 * table below whose count falls to zero (xen/arch/x86/mm.c,
 * __put_page_type -> free_page_type, recursively; preemptible), so once
 * the top table is unpinned any page of the tree may be mapped writable,
 * the lowest first. Linux happens to release top-down, but nothing in the
 * ABI asks a guest to.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

static uint64_t t4[512] __attribute__((aligned(PAGE)));
static uint64_t t3[512] __attribute__((aligned(PAGE)));
static uint64_t t2[512] __attribute__((aligned(PAGE)));
static uint64_t t1[512] __attribute__((aligned(PAGE)));
static uint8_t data[PAGE] __attribute__((aligned(PAGE)));
static uint64_t *const tables[5] = { NULL, t1, t2, t3, t4 };
static const unsigned int pin_cmd[5] = { 0, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
					 MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE };

int main(void)
{
	check_guest(GUEST_NAME);
	for (unsigned int top = 2; top <= 4; top++) {
		for (unsigned int l = 1; l <= 4; l++)
			memset(tables[l], 0, PAGE);
		for (unsigned int l = top; l > 1; l--)
			tables[l][1] = (mfn_of(tables[l - 1]) << 12) | PTE_TABLE_FLAGS;
		t1[0] = (mfn_of(data) << 12) | PTE_RW_FLAGS;
		for (unsigned int l = 1; l <= top; l++)
			pt_make_ro(tables[l]);
		check_eq(name_of("mmu_unpin_bottom_up.l%u_tree.pin", top), 0,
			 mmuext1(pin_cmd[top], mfn_of(tables[top]), 0));
		check_eq(name_of("mmu_unpin_bottom_up.l%u_tree.unpin", top), 0,
			 mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(tables[top]), 0));
		for (unsigned int l = 1; l <= top; l++)
			check_eq(name_of("mmu_unpin_bottom_up.l%u_tree.l%u_rw", top, l), 0,
				 pt_make_rw(tables[l]));
		/* Whatever was refused above, leave every page writable for the next round. */
		for (unsigned int l = top; l >= 1; l--)
			pt_make_rw(tables[l]);
	}
	return check_done();
}
