/* Page-table helpers for the MMU guests: see mmu.h. */
#include <string.h>

#include <pv/memory.h>

#include "mmu.h"

#define MAX_TRACKED_MFN (1UL << 21)

uint64_t *boot_l4(void)
{
	return (uint64_t *)(uintptr_t)pv_start_info->pt_base;
}

uint64_t boot_l4_mfn(void)
{
	return mfn_of(boot_l4());
}

long uvm(const void *va, uint64_t pte)
{
	return HYPERVISOR_update_va_mapping(va_of(va), pte, UVMF_INVLPG);
}

long mmu1(uint64_t ptr, uint64_t val)
{
	struct mmu_update u = { .ptr = ptr, .val = val };

	return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}

long mmuext1(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
	struct mmuext_op op = { .cmd = cmd, .arg1 = arg1, .arg2 = arg2 };

	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

uint64_t *table_va(uint64_t mfn)
{
	for (uint64_t i = 0; i < pv_start_info->nr_pt_frames; i++) {
		void *va = (void *)(uintptr_t)(pv_start_info->pt_base + i * PAGE);

		if (mfn_of(va) == mfn)
			return va;
	}
	return NULL;
}

static uint64_t *l1_table_of(uint64_t va)
{
	uint64_t *t = boot_l4();

	for (int level = 4; level > 1; level--) {
		uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P) || !(t = table_va(PTE_MFN(e))))
			return NULL;
	}
	return t;
}

uint64_t *live_table(uint64_t va, unsigned int level)
{
	uint64_t *t = boot_l4();

	for (unsigned int l = 4; l > level && t; l--) {
		uint64_t e = t[(va >> (12 + 9 * (l - 1))) & 511];

		t = (e & PTE_P) ? table_va(PTE_MFN(e)) : NULL;
	}
	return t;
}

uint64_t l1e_maddr(uint64_t va)
{
	uint64_t *t = l1_table_of(va);

	return t ? (mfn_of(t) << 12) | (((va >> 12) & 511) * 8) : 0;
}

uint64_t l1e_of(uint64_t va)
{
	uint64_t *t = l1_table_of(va);

	return t ? t[(va >> 12) & 511] : 0;
}

long pt_make_ro(void *p)
{
	return uvm(p, (mfn_of(p) << 12) | PTE_RO_FLAGS);
}

long pt_make_rw(void *p)
{
	return uvm(p, (mfn_of(p) << 12) | PTE_RW_FLAGS);
}

uint64_t foreign_ram_mfn(void)
{
	static uint64_t owned[MAX_TRACKED_MFN / 64];
	static struct e820_entry map[128];
	struct xen_memory_map mmap = { .nr_entries = 128, .buffer = PV_GVA(map) };

	memset(owned, 0, sizeof(owned));
	for (uint64_t pfn = 0; pfn < pv_start_info->nr_pages; pfn++) {
		uint64_t m = pv_pfn_to_mfn(pfn);

		if (m < MAX_TRACKED_MFN)
			owned[m / 64] |= 1UL << (m % 64);
	}
	if (HYPERVISOR_memory_op(XENMEM_machine_memory_map, &mmap))
		return 0;
	for (unsigned int i = 0; i < mmap.nr_entries && i < 128; i++) {
		uint64_t lo = map[i].addr >> 12, hi = (map[i].addr + map[i].size) >> 12;

		if (map[i].type != E820_RAM)
			continue;
		/* Above 2 MiB: the first frame that is not ours is the hypervisor's, or free. */
		for (uint64_t m = lo > 0x200 ? lo : 0x200; m < hi && m < MAX_TRACKED_MFN; m++)
			if (!(owned[m / 64] & (1UL << (m % 64))) &&
			    m != (pv_start_info->shared_info >> 12))
				return m;
	}
	return 0;
}
