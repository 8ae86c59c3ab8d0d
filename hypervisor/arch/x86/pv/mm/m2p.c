/*
 * The machine-to-phys table (M2P): one u64 per frame of the frame table,
 * the pfn its owning domain knows it by, or M2P_INVALID. Guests read it
 * at RO_MPT_VIRT_START (section 3.9): the mapping hangs off the idle
 * tables' L3 for L4 slot 256, which every guest L4 shares
 * (pv_init_guest_l4_slots), so it is built once and appears everywhere.
 *
 * Each 4 KiB page of the table covers 512 frames and exists only if one
 * of them is RAM: the rest of the range is left unmapped, so a guest
 * reading an entry for a hole takes a page fault (Linux expects one and
 * fixes it up). The hypervisor writes the pages through the direct map,
 * finding them by walking its own mapping.
 */
#include <asm/page.h>
#include <mica/console.h>
#include <mica/frame.h>
#include <mica/lib.h>
#include "mm_arch.h"

#define M2P_PER_PAGE (PAGE_SIZE / sizeof(u64))
/* Read-only and user-readable (both guest modes run at CPL 3), the same in every space. */
#define M2P_LEAF (PTE_P | PTE_U | PTE_A | PTE_NX | PTE_G)
#define M2P_TABLE (PTE_P | PTE_W | PTE_U | PTE_A)

static u64 *m2p_l3;         /* the idle tables' L3 under slot 256 */
static u64 m2p_entries;     /* frames the table covers */

static u64 *table_at(u64 entry)
{
	return __va(entry & PTE_ADDR_MASK);
}

/* The M2P page holding mfn's entry, or NULL in a hole. */
static u64 *m2p_page(u64 mfn)
{
	u64 va = RO_MPT_VIRT_START + mfn * sizeof(u64), *t = m2p_l3;

	if (!m2p_l3 || mfn >= m2p_entries)
		return NULL;
	for (unsigned int shift = L3_SHIFT; shift >= L1_SHIFT; shift -= 9) {
		u64 e = t[PT_INDEX(va, shift)];

		if (!(e & PTE_P))
			return NULL;
		t = table_at(e);
	}
	return t;
}

void m2p_set(u64 mfn, u64 pfn)
{
	u64 *page = m2p_page(mfn);

	if (page)
		WRITE_ONCE(page[mfn % M2P_PER_PAGE], pfn);
}

/* A zeroed hypervisor page; its physical address. */
static paddr_t new_page(void)
{
	struct frame *f = alloc_frames(0, FRAME_OWNER_HV);
	paddr_t pa;

	if (!f)
		panic("out of memory for the machine-to-phys table");
	pa = frame_to_mfn(f) << PAGE_SHIFT;
	memset(__va(pa), 0, PAGE_SIZE);
	return pa;
}

/* The next-level table under *e, created if absent. */
static u64 *subtable(u64 *e)
{
	if (!(*e & PTE_P))
		*e = new_page() | M2P_TABLE;
	return table_at(*e);
}

static bool chunk_has_ram(u64 first, u64 end)
{
	for (u64 mfn = first; mfn < end; mfn++)
		if (mfn_is_ram(mfn))
			return true;
	return false;
}

void m2p_init(void)
{
	const u64 *idle = __va(idle_pt_root);
	u64 pages = 0, chunks;

	if (!(idle[PT_HV_SLOT_FIRST] & PTE_P))
		panic("M2P: the idle tables have no L3 for slot 256");
	m2p_l3 = table_at(idle[PT_HV_SLOT_FIRST]);
	m2p_entries = frame_table_size;
	if (m2p_entries * sizeof(u64) > RO_MPT_VIRT_END - RO_MPT_VIRT_START)
		panic("M2P: %lu frames do not fit the read-only M2P range", m2p_entries);
	chunks = DIV_ROUND_UP(m2p_entries, M2P_PER_PAGE);
	for (u64 c = 0; c < chunks; c++) {
		u64 first = c * M2P_PER_PAGE, va = RO_MPT_VIRT_START + c * PAGE_SIZE;
		u64 end = MIN(first + M2P_PER_PAGE, m2p_entries);
		u64 *l2, *l1, *page;
		paddr_t pa;

		if (!chunk_has_ram(first, end))
			continue;
		l2 = subtable(&m2p_l3[PT_INDEX(va, L3_SHIFT)]);
		l1 = subtable(&l2[PT_INDEX(va, L2_SHIFT)]);
		pa = new_page();
		page = __va(pa);
		for (u64 i = 0; i < M2P_PER_PAGE; i++)
			page[i] = M2P_INVALID;
		l1[PT_INDEX(va, L1_SHIFT)] = pa | M2P_LEAF;
		pages++;
	}
	pr_info("M2P: %lu KiB for %lu frames, read-only at %#lx", pages * 4, m2p_entries,
		RO_MPT_VIRT_START);
}

void pv_init_guest_l4_slots(u64 *l4)
{
	const u64 *idle = __va(idle_pt_root);

	for (unsigned int slot = PT_HV_SLOT_FIRST; slot <= PT_HV_SLOT_LAST; slot++)
		l4[slot] = idle[slot] | (slot == PT_HV_SLOT_FIRST ? PTE_U : 0);
}
