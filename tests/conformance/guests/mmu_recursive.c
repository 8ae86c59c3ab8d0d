/*
 * Recursive page tables: a table that names itself, or a cycle of tables.
 * Mica validates a table only as the level below the entry that names it,
 * which is Xen with pv-linear-pt=false (xen/arch/x86/mm.c,
 * get_page_from_l[234]e then get_l[234]_linear_pagetable, disabled): a
 * same-level ("linear") entry, read-only or not, is -EINVAL. (Xen's
 * default also allows read-only linear entries; Linux and Mini-OS never
 * make them; read-write ones are -EINVAL on Xen in every configuration.)
 * Checked for self-references at L2, L3 and L4, in fresh tables being
 * pinned and by mmu_update in the live L4, and for cycles through two
 * levels (L4 -> L3 -> the same L4, L3 -> L2 -> the same L3). Validation
 * must not loop: each attempt ends, refused, and leaves no type behind.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

static uint64_t t4[512] __attribute__((aligned(PAGE)));
static uint64_t t3[512] __attribute__((aligned(PAGE)));
static uint64_t t2[512] __attribute__((aligned(PAGE)));
static uint64_t *const tables[5] = { NULL, NULL, t2, t3, t4 };
static const unsigned int pin_cmd[5] = { 0, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE,
					 MMUEXT_PIN_L3_TABLE, MMUEXT_PIN_L4_TABLE };

static void clear_all(void)
{
	for (unsigned int l = 4; l >= 2; l--)
		pt_make_rw(tables[l]);
	memset(t4, 0, PAGE);
	memset(t3, 0, PAGE);
	memset(t2, 0, PAGE);
}

static void self_reference(unsigned int level, uint64_t flags, const char *how)
{
	uint64_t *t = tables[level];

	clear_all();
	t[9] = (mfn_of(t) << 12) | flags;
	pt_make_ro(t);
	check_eq(name_of("mmu_recursive.l%u_self_%s.pin_einval", level, how), -XEN_EINVAL,
		 mmuext1(pin_cmd[level], mfn_of(t), 0));
	if (level == 4)
		check_eq(name_of("mmu_recursive.l4_self_%s.new_baseptr_einval", how), -XEN_EINVAL,
			 mmuext1(MMUEXT_NEW_BASEPTR, mfn_of(t), 0));
	check_eq(name_of("mmu_recursive.l%u_self_%s.no_type_left", level, how), 0, pt_make_rw(t));
}

static void cycles(void)
{
	/* L4 -> L3 -> back to the L4, named as an L2. */
	clear_all();
	t4[0] = (mfn_of(t3) << 12) | PTE_TABLE_FLAGS;
	t3[0] = (mfn_of(t4) << 12) | (PTE_TABLE_FLAGS & ~PTE_RW);
	pt_make_ro(t3);
	pt_make_ro(t4);
	check_eq("mmu_recursive.cycle_l4_l3_l4.pin_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L4_TABLE, mfn_of(t4), 0));
	check_eq("mmu_recursive.cycle_l4_l3_l4.no_type_left", 0, pt_make_rw(t4) | pt_make_rw(t3));

	/* L3 -> L2 -> back to the L3, named as an L1. */
	clear_all();
	t3[0] = (mfn_of(t2) << 12) | PTE_TABLE_FLAGS;
	t2[0] = (mfn_of(t3) << 12) | (PTE_TABLE_FLAGS & ~PTE_RW);
	pt_make_ro(t2);
	pt_make_ro(t3);
	check_eq("mmu_recursive.cycle_l3_l2_l3.pin_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L3_TABLE, mfn_of(t3), 0));
	check_eq("mmu_recursive.cycle_l3_l2_l3.no_type_left", 0, pt_make_rw(t3) | pt_make_rw(t2));
	clear_all();
}

static void live_l4(void)
{
	uint64_t l4 = boot_l4_mfn(), *live = boot_l4();
	unsigned int slot = 0;

	for (unsigned int i = 1; i < 256 && !slot; i++)
		if (!(live[i] & PTE_P))
			slot = i;
	if (!slot) {
		check_skip("mmu_recursive.live_l4", "no free slot in the live L4");
		return;
	}
	check_eq("mmu_recursive.live_l4_self_ro_einval", -XEN_EINVAL,
		 mmu1((l4 << 12) + slot * 8, (l4 << 12) | (PTE_TABLE_FLAGS & ~PTE_RW)));
	check_eq("mmu_recursive.live_l4_self_rw_einval", -XEN_EINVAL,
		 mmu1((l4 << 12) + slot * 8, (l4 << 12) | PTE_TABLE_FLAGS));
	check_hex("mmu_recursive.live_l4_slot_unchanged", 0, live[slot]);
	/* A live table named by itself one level down: the L3 under slot 511 as an L2 of itself. */
	{
		uint64_t *l3 = table_va(PTE_MFN(live[511]));
		unsigned int s3 = 0;

		for (unsigned int i = 0; l3 && i < 512 && !s3; i++)
			if (!(l3[i] & PTE_P))
				s3 = i;
		if (l3 && s3) {
			check_eq("mmu_recursive.live_l3_self_ro_einval", -XEN_EINVAL,
				 mmu1((mfn_of(l3) << 12) + s3 * 8,
				      (mfn_of(l3) << 12) | (PTE_TABLE_FLAGS & ~PTE_RW)));
			check_hex("mmu_recursive.live_l3_slot_unchanged", 0, l3[s3]);
		}
	}
	/* Still running normally. */
	check_hex("mmu_recursive.live_l4_still_works", 0x40011,
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL));
}

int main(void)
{
	check_guest(GUEST_NAME);
	for (unsigned int level = 2; level <= 4; level++) {
		self_reference(level, PTE_TABLE_FLAGS & ~PTE_RW, "ro");
		self_reference(level, PTE_TABLE_FLAGS, "rw");
	}
	cycles();
	live_l4();
	return check_done();
}
