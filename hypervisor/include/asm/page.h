/*
 * Translation between physical addresses and the hypervisor's mappings of
 * them, and the idle page tables every CPU runs on when no guest is loaded.
 */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <asm/layout.h>
#include <mica/types.h>

#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)
#define PTE_PWT (1UL << 3)
#define PTE_PCD (1UL << 4)
#define PTE_A (1UL << 5)
#define PTE_PS (1UL << 7)
#define PTE_G (1UL << 8)
#define PTE_NX (1UL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000UL

#define L1_SHIFT 12
#define L2_SHIFT 21
#define L3_SHIFT 30
#define L4_SHIFT 39
#define PT_INDEX(va, shift) (((u64)(va) >> (shift)) & 511)

/* The direct map covers all RAM once paging_init() has run. */
static inline void *__va(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + DIRECTMAP_BASE);
}

/* Physical address of a direct-map or image address. */
static inline paddr_t __pa(const void *va)
{
	u64 v = (u64)(uintptr_t)va;

	if (v >= DIRECTMAP_BASE)
		return v - DIRECTMAP_BASE;
	return v - IMAGE_VIRT_OFFSET;
}

/* Machine address of the idle L4 (CR3 value for CPUs with no guest loaded). */
extern paddr_t idle_pt_root;

/*
 * Builds the idle page tables and switches the boot CPU to them: the direct
 * map of [0, 1 MiB), of every RAM range in map[0..n) (write-back, large
 * pages where possible) and of firmware-reserved ranges below 4 GiB
 * (uncached: ACPI tables, device registers), the image with W^X permissions, and empty L3s for every
 * hypervisor L4 slot so later mappings show up in all address spaces.
 * Page-table pages come from alloc_page, which must return a page below
 * 4 GiB (it is reached through the boot identity map and zeroed here). The boot identity map
 * is no longer in use afterwards. Boot CPU only, before SMP.
 */
struct mem_region;
void paging_init(const struct mem_region *map, unsigned int n, paddr_t (*alloc_page)(void));

/*
 * After the frame allocator is running, page-table pages for later
 * mappings (map_mmio, map_pages) come from it.
 */
void paging_use_frame_allocator(void);

/*
 * Maps nr 4 KiB pages at va (hypervisor range only) to pa with flags
 * (PTE_W, PTE_NX, PTE_PCD ...; PTE_P is implied). Returns 0 or -ENOMEM.
 */
int map_pages(u64 va, paddr_t pa, u64 nr, u64 flags);

/* Removes 4 KiB mappings made by map_pages (absent ones are skipped). */
void unmap_pages(u64 va, u64 nr);

/* Walks the idle tables: the physical address va maps to, or ~0 if none. */
paddr_t virt_to_phys_walk(u64 va);

/*
 * Maps size bytes of device memory at pa uncached in the direct-map range
 * and returns the address, or NULL if out of page-table memory. Safe to
 * call more than once for the same range.
 */
void *map_mmio(paddr_t pa, size_t size);

#endif
