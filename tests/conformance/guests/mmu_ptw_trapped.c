/*
 * Making a page table writable, route 3: a trapped write. A PV kernel may
 * store straight into its read-only L1 tables; the hypervisor takes the
 * #PF, decodes the store and applies it as a checked entry update
 * (Xen's ptwr emulation, pv/ro-page-fault.c). Checked here for MOV of 8
 * and 4 bytes, XCHG, LOCK CMPXCHG (success and mismatch) and LOCK BTS,
 * on the live L1 and on an L1 pinned on its own. A store that would map
 * a page table writable fails its check: the write is not done and the
 * guest gets the #PF it caused (error code P|W = 3, CR2 the entry's
 * address, RIP the store). Stores into read-only L2, L3 and L4 tables
 * are never emulated (Xen emulates L1 writes only): #PF as well.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"
#include "probes_ext.h"

#define ENTRY_BITS (0x000ffffffffff000UL | PTE_P | PTE_RW) /* frame, present, writable */

static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));
static uint8_t other[PAGE] __attribute__((aligned(PAGE)));
static uint64_t lone_l1[512] __attribute__((aligned(PAGE)));

static void expect_pf(void)
{
	trap_reset();
	trap_expect(14);
}

static void refused(const char *what, uint64_t addr, uint64_t before)
{
	trap_unexpect(14);
	check_eq(name_of("mmu_ptw_trapped.%s.pf", what), 1, trap_count);
	check_eq(name_of("mmu_ptw_trapped.%s.vector", what), 14, last_trap.vector);
	check_hex(name_of("mmu_ptw_trapped.%s.error_code", what), 3, last_trap.error_code);
	check_hex(name_of("mmu_ptw_trapped.%s.cr2", what), addr, last_trap.cr2);
	check_hex(name_of("mmu_ptw_trapped.%s.rip", what), probe_at, last_trap.rip);
	check_hex(name_of("mmu_ptw_trapped.%s.entry_unchanged", what), before,
		  *(volatile uint64_t *)(uintptr_t)addr);
}

static void emulated(const char *what, uint64_t addr, uint64_t want)
{
	trap_unexpect(14);
	check_eq(name_of("mmu_ptw_trapped.%s.no_fault", what), 0, trap_count);
	check_hex(name_of("mmu_ptw_trapped.%s.entry", what), want & ENTRY_BITS,
		  *(volatile uint64_t *)(uintptr_t)addr & ENTRY_BITS);
}

static void live_l1(void)
{
	uint64_t *t1 = live_table(va_of(scratch), 1);
	unsigned int idx = (va_of(scratch) >> 12) & 511;
	uint64_t slot = va_of(&t1[idx]), orig = t1[idx];
	uint64_t mine = (mfn_of(scratch) << 12) | PTE_RW_FLAGS;
	uint64_t other_ro = (mfn_of(other) << 12) | PTE_RO_FLAGS;
	uint64_t self_rw = (mfn_of(t1) << 12) | PTE_RW_FLAGS;
	uint64_t l4_rw = (boot_l4_mfn() << 12) | PTE_RW_FLAGS;
	uint64_t l4_ro = (boot_l4_mfn() << 12) | PTE_RO_FLAGS;
	uint64_t old;

	/* Good stores: done as if the table were writable. */
	expect_pf();
	probe_store64(slot, other_ro);
	emulated("mov64", slot, other_ro);
	mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch), 0);
	check_hex("mmu_ptw_trapped.mov64.in_force", 0x0e, *(volatile uint8_t *)scratch);

	/* The low half: flags RO -> RW (the frame's upper bits come from the entry). */
	expect_pf();
	probe_store32(slot, (uint32_t)(other_ro | PTE_RW | PTE_D));
	emulated("mov32_low_half", slot, other_ro | PTE_RW);

	expect_pf();
	old = probe_xchg64(slot, mine);
	emulated("xchg", slot, mine);
	check_hex("mmu_ptw_trapped.xchg.old", (other_ro | PTE_RW) & ENTRY_BITS, old & ENTRY_BITS);

	/* CMPXCHG that does not match: nothing written, RAX = the entry. */
	expect_pf();
	old = probe_cmpxchg64(slot, other_ro, other_ro);
	emulated("cmpxchg_mismatch", slot, mine);
	check_hex("mmu_ptw_trapped.cmpxchg_mismatch.rax", mine & ENTRY_BITS, old & ENTRY_BITS);
	expect_pf();
	old = probe_cmpxchg64(slot, t1[idx], other_ro);
	emulated("cmpxchg", slot, other_ro);

	/* LOCK BTS of the RW bit on a data page: allowed. */
	expect_pf();
	probe_lock_bts(slot, 1);
	emulated("lock_bts_data_rw", slot, other_ro | PTE_RW);

	/* Hostile stores: each would make a page table writable. */
	old = t1[idx];
	expect_pf();
	probe_store64(slot, self_rw);
	refused("mov64_maps_own_l1_rw", slot, old);
	expect_pf();
	probe_store64(slot, l4_rw);
	refused("mov64_maps_l4_rw", slot, old);
	expect_pf();
	probe_xchg64(slot, self_rw);
	refused("xchg_maps_own_l1_rw", slot, old);
	expect_pf();
	probe_cmpxchg64(slot, old, l4_rw);
	refused("cmpxchg_maps_l4_rw", slot, old);
	/* Read-only L4 mapping is fine; setting its RW bit with BTS is not. */
	expect_pf();
	probe_store64(slot, l4_ro);
	emulated("mov64_maps_l4_ro", slot, l4_ro);
	old = t1[idx];
	expect_pf();
	probe_lock_bts(slot, 1);
	refused("lock_bts_makes_l4_rw", slot, old);

	/* Back to our own page. */
	expect_pf();
	probe_store64(slot, orig);
	emulated("restore", slot, orig);
	mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch), 0);
	check_hex("mmu_ptw_trapped.restore.in_force", 0x5c, *(volatile uint8_t *)scratch);
}

static void upper_levels(void)
{
	for (unsigned int level = 2; level <= 4; level++) {
		uint64_t *t = live_table(va_of(scratch), level);
		unsigned int free_slot = 0;

		for (unsigned int i = 255; i > 0 && !free_slot; i--)
			if (!(t[i] & PTE_P))
				free_slot = i;
		/* Even a harmless value (not present) is not emulated above L1. */
		expect_pf();
		probe_store64(va_of(&t[free_slot]), 0x8000000000000000UL);
		refused(name_of("l%u_not_emulated", level), va_of(&t[free_slot]), t[free_slot]);
	}
}

static void lone_table(void)
{
	uint64_t slot = va_of(&lone_l1[3]);

	memset(lone_l1, 0, sizeof(lone_l1));
	pt_make_ro(lone_l1);
	check_eq("mmu_ptw_trapped.lone_l1.pin", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(lone_l1), 0));
	expect_pf();
	probe_store64(slot, (mfn_of(other) << 12) | PTE_RW_FLAGS);
	emulated("lone_l1.data_rw", slot, (mfn_of(other) << 12) | PTE_RW_FLAGS);
	expect_pf();
	probe_store64(slot, (mfn_of(lone_l1) << 12) | PTE_RW_FLAGS);
	refused("lone_l1.maps_itself_rw", slot, lone_l1[3]);
	expect_pf();
	probe_store64(slot, 0);
	emulated("lone_l1.clear", slot, 0);
	check_eq("mmu_ptw_trapped.lone_l1.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(lone_l1), 0));
	check_eq("mmu_ptw_trapped.lone_l1.rw_again", 0, pt_make_rw(lone_l1));
	/* An ordinary page again: a plain store, no fault. */
	expect_pf();
	probe_store64(slot, 0x1234);
	trap_unexpect(14);
	check_eq("mmu_ptw_trapped.lone_l1.plain_store", 0, trap_count);
	check_hex("mmu_ptw_trapped.lone_l1.plain_value", 0x1234, lone_l1[3]);
}

int main(void)
{
	check_guest(GUEST_NAME);
	if (!pv_shared_info || !live_table(va_of(scratch), 1)) {
		check_skip("mmu_ptw_trapped.all", "no shared_info (CR2) or no L1 for scratch");
		return check_done();
	}
	memset(scratch, 0x5c, sizeof(scratch));
	memset(other, 0x0e, sizeof(other));
	live_l1();
	upper_levels();
	lone_table();
	return check_done();
}
