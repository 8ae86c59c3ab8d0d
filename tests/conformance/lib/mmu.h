/*
 * Page-table helpers for the MMU guests: machine frames of our pages,
 * single-entry updates (update_va_mapping, mmu_update, mmuext_op), the L1
 * entry behind a VA in the bootstrap tables, making one of our pages into
 * a page table (read-only first, as Linux does) and back, and a frame of
 * RAM the domain does not own.
 *
 * Guests build their tables in page-aligned .bss arrays: every such page
 * is mapped read-write by the bootstrap 1:1 map, which is the mapping
 * pt_make_ro()/pt_make_rw() flip.
 */
#ifndef CONFORMANCE_MMU_H
#define CONFORMANCE_MMU_H

#include <stdint.h>

#include <libpv.h>

#define PTE_P 0x1UL
#define PTE_RW 0x2UL
#define PTE_US 0x4UL
#define PTE_PWT 0x8UL
#define PTE_PCD 0x10UL
#define PTE_A 0x20UL
#define PTE_D 0x40UL
#define PTE_PSE 0x80UL
#define PTE_G 0x100UL
#define PTE_NX (1UL << 63)
#define PTE_MFN(e) (((e) >> 12) & 0xffffffffffUL)
#define PTE_RW_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)   /* a data page */
#define PTE_RO_FLAGS (PTE_P | PTE_A | PTE_NX)
#define PTE_TABLE_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D) /* an upper-level entry */

#define PAGE 4096UL

static inline uint64_t va_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline uint64_t mfn_of(const void *p)
{
	return pv_virt_to_mfn(p);
}

/* The bootstrap L4 (start_info.pt_base) and its frame. */
uint64_t *boot_l4(void);
uint64_t boot_l4_mfn(void);

/* update_va_mapping(va, pte, UVMF_INVLPG). */
long uvm(const void *va, uint64_t pte);
/* One MMU_NORMAL_PT_UPDATE (or the command in ptr's low bits) for DOMID_SELF. */
long mmu1(uint64_t ptr, uint64_t val);
/* One mmuext_op for DOMID_SELF. */
long mmuext1(unsigned int cmd, uint64_t arg1, uint64_t arg2);

/* The VA of one of the bootstrap page-table frames (all in the 1:1 map), or NULL. */
uint64_t *table_va(uint64_t mfn);
/* Machine address of the L1 entry mapping va in the bootstrap tables (0: none). */
uint64_t l1e_maddr(uint64_t va);
/* The L1 entry mapping va, read through the 1:1 map of the bootstrap L1 (0: none). */
uint64_t l1e_of(uint64_t va);

/*
 * The live bootstrap tree's tables on the way to va, by level (1-4): the
 * frames CR3 leads to now. NULL where the walk stops.
 */
uint64_t *live_table(uint64_t va, unsigned int level);

/* Our page p mapped read-only / read-write again at its own address: the uvm result. */
long pt_make_ro(void *p);
long pt_make_rw(void *p);

/*
 * A frame of RAM the domain does not own (the hypervisor's, or free),
 * found from the machine memory map and the p2m; 0 if none was found.
 */
uint64_t foreign_ram_mfn(void);

#endif
