/*
 * The hypervisor's L4 slots, 256-271 (0xffff800000000000 to
 * 0xffff87ffffffffff): they are never the guest's. Xen
 * (xen/arch/x86/mm.c, mod_l4_entry and alloc_l4_table): mmu_update of any
 * of them is -EINVAL, whatever the value, in the live L4 or in any other
 * L4; validation of a new L4 ignores what the guest left there and fills
 * them with the hypervisor's own entries; update_va_mapping of an address
 * inside them is -EINVAL; a store into them through a read-only mapping
 * of an L4 is a plain #PF (only L1 writes are emulated). The slots on
 * either side (255, 272) are the guest's. Reading the slots: the M2P at
 * the start of slot 256 is readable, the rest faults.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"
#include "probes_ext.h"

#define FIRST 256
#define LAST 271

static uint64_t fresh_l4[512] __attribute__((aligned(PAGE)));
static uint64_t empty_l3[512] __attribute__((aligned(PAGE)));
static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));

static void live(void)
{
	uint64_t l4 = boot_l4_mfn(), *t = boot_l4();
	unsigned int bad = 0, changed = 0;

	for (unsigned int s = FIRST; s <= LAST; s++) {
		uint64_t before = t[s];

		if (mmu1((l4 << 12) + s * 8, 0) != -XEN_EINVAL)
			bad |= 1u << (s - FIRST);
		if (mmu1((l4 << 12) + s * 8, before) != -XEN_EINVAL)
			bad |= 1u << (s - FIRST);
		if (mmu1((l4 << 12) + s * 8, (mfn_of(empty_l3) << 12) | PTE_TABLE_FLAGS) != -XEN_EINVAL)
			bad |= 1u << (s - FIRST);
		if (mmu1(((l4 << 12) + s * 8) | MMU_PT_UPDATE_PRESERVE_AD, 0) != -XEN_EINVAL)
			bad |= 1u << (s - FIRST);
		if (t[s] != before)
			changed |= 1u << (s - FIRST);
	}
	check_hex("mmu_l4_slots.live.every_slot_einval_mask_of_failures", 0, bad);
	check_hex("mmu_l4_slots.live.every_slot_unchanged_mask", 0, changed);
	check_eq("mmu_l4_slots.live.slot256_einval", -XEN_EINVAL, mmu1((l4 << 12) + 256 * 8, 0));
	check_eq("mmu_l4_slots.live.slot271_einval", -XEN_EINVAL, mmu1((l4 << 12) + 271 * 8, 0));

	/* The neighbours are ordinary guest slots. */
	check_eq("mmu_l4_slots.live.slot255_guest", 0, mmu1((l4 << 12) + 255 * 8, t[255]));
	check_eq("mmu_l4_slots.live.slot272_set", 0,
		 mmu1((l4 << 12) + 272 * 8, (mfn_of(empty_l3) << 12) | PTE_TABLE_FLAGS));
	check_hex("mmu_l4_slots.live.slot272_holds_it", mfn_of(empty_l3), PTE_MFN(t[272]));
	check_eq("mmu_l4_slots.live.slot272_clear", 0, mmu1((l4 << 12) + 272 * 8, 0));

	/* A batch that reaches a reserved slot stops there. */
	{
		struct mmu_update u[3] = {
			{ .ptr = (l4 << 12) + 272 * 8, .val = 0 },
			{ .ptr = (l4 << 12) + 260 * 8, .val = 0 },
			{ .ptr = (l4 << 12) + 272 * 8, .val = 0 },
		};
		pv_u32 done = 99;

		check_eq("mmu_l4_slots.live.batch_einval", -XEN_EINVAL,
			 HYPERVISOR_mmu_update(u, 3, &done, DOMID_SELF));
		check_eq("mmu_l4_slots.live.batch_done_1", 1, done);
	}

	/* A store into the live L4 (mapped read-only in the 1:1 map) is not emulated. */
	trap_reset();
	trap_expect(14);
	probe_store64(va_of(&t[FIRST]), 0);
	trap_unexpect(14);
	check_eq("mmu_l4_slots.live.store_pf", 14, last_trap.vector);
	check_hex("mmu_l4_slots.live.store_pf_error", 3, last_trap.error_code);
}

static void fresh(void)
{
	uint64_t *t = boot_l4(), m = mfn_of(fresh_l4);
	unsigned int differ = 0;

	/* Junk in the reserved slots: a foreign frame, garbage bits, a table of ours. */
	memset(fresh_l4, 0, sizeof(fresh_l4));
	for (unsigned int s = FIRST; s <= LAST; s++)
		fresh_l4[s] = (s & 1) ? 0xdeadbeef067UL : ((mfn_of(empty_l3) << 12) | PTE_TABLE_FLAGS);
	fresh_l4[511] = t[511];
	pt_make_ro(fresh_l4);
	check_eq("mmu_l4_slots.fresh.pin_ignores_junk", 0, mmuext1(MMUEXT_PIN_L4_TABLE, m, 0));
	for (unsigned int s = FIRST; s <= LAST; s++)
		if ((fresh_l4[s] & ~(PTE_A | PTE_D)) != (t[s] & ~(PTE_A | PTE_D)))
			differ |= 1u << (s - FIRST);
	check_hex("mmu_l4_slots.fresh.filled_with_hypervisor_entries_mask_of_differing", 0,
		  differ);
	check_eq("mmu_l4_slots.fresh.slot256_einval", -XEN_EINVAL, mmu1((m << 12) + FIRST * 8, 0));
	/* Usable as a root: switch to it and back. */
	check_eq("mmu_l4_slots.fresh.switch_to", 0, mmuext1(MMUEXT_NEW_BASEPTR, m, 0));
	scratch[0] = 9;
	check_hex("mmu_l4_slots.fresh.runs", 9, *(volatile uint8_t *)scratch);
	check_eq("mmu_l4_slots.fresh.switch_back", 0, mmuext1(MMUEXT_NEW_BASEPTR, boot_l4_mfn(), 0));
	check_eq("mmu_l4_slots.fresh.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, m, 0));
	/* The junk frames were never referenced: our L3 is not a table (it can be mapped RW). */
	check_eq("mmu_l4_slots.fresh.junk_l3_untyped", 0, pt_make_rw(empty_l3));
	check_eq("mmu_l4_slots.fresh.rw_again", 0, pt_make_rw(fresh_l4));
}

static void addresses(void)
{
	static const uint64_t va[] = {
		0xffff800000000000UL, 0xffff804000000000UL, 0xffff810000000000UL,
		0xffff830000000000UL, 0xffff840000000000UL, 0xffff87fffffff000UL,
	};

	for (unsigned int i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		check_eq(name_of("mmu_l4_slots.uvm_einval[%#lx]", (unsigned long)va[i]), -XEN_EINVAL,
			 HYPERVISOR_update_va_mapping(va[i], (mfn_of(scratch) << 12) | PTE_RW_FLAGS,
						      UVMF_INVLPG));
	/* The M2P's first entry reads; the hypervisor's private slots fault. */
	trap_reset();
	trap_expect(14);
	probe_load(0xffff800000000000UL);
	check_eq("mmu_l4_slots.read_m2p_works", 0, trap_count);
	for (unsigned int s = 257; s <= LAST; s += 7) {
		uint64_t a = 0xffff000000000000UL | ((uint64_t)s << 39);

		trap_reset();
		probe_load(a);
		check_eq(name_of("mmu_l4_slots.read_slot%u_pf", s), 1, trap_count);
		check_hex(name_of("mmu_l4_slots.read_slot%u_cr2", s), a, last_trap.cr2);
		check_bits(name_of("mmu_l4_slots.read_slot%u_kernel_read", s), 6, 0,
			   last_trap.error_code);
	}
	trap_unexpect(14);
}

int main(void)
{
	check_guest(GUEST_NAME);
	memset(empty_l3, 0, sizeof(empty_l3));
	pt_make_ro(empty_l3);
	live();
	fresh();
	addresses();
	return check_done();
}
