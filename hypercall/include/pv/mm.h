/*
 * The PV MMU: checked page-table writes (mmu_update, 1), table pinning,
 * base pointers and TLB control (mmuext_op, 26), single-PTE updates
 * (update_va_mapping, 14) and the descriptor tables (set_gdt, 2;
 * update_descriptor, 10). Every address here is a machine address and
 * every frame an MFN: a PV guest translates pfn <-> mfn itself.
 */
#ifndef PV_MM_H
#define PV_MM_H

#include "types.h"

/*
 * mmu_update(reqs, count, done, foreigndom). ptr bits 1:0 select the
 * command, the rest is the machine address of the 8-byte entry. done (if
 * not NULL) receives the number of requests completed, also on failure.
 */
struct mmu_update {
	pv_u64 ptr;
	pv_u64 val;
};
PV_CHECK_SIZE(struct mmu_update, 16);

#define MMU_NORMAL_PT_UPDATE 0       /* *ptr = val, validated against the table's level */
#define MMU_MACHPHYS_UPDATE 1        /* M2P[ptr >> 12] = val (a pfn) */
#define MMU_PT_UPDATE_PRESERVE_AD 2  /* as NORMAL, keeping A/D bits already set */
#define MMU_PT_UPDATE_NO_TRANSLATE 3 /* as NORMAL, val not translated through FD's p2m */

/*
 * foreigndom: bits 15:0 name the owner mapped frames must belong to (FD,
 * DOMID_SELF for the caller); bits 31:16 are 0 when the caller owns the
 * page tables, else 1 + the domain that does (PFD).
 */

/*
 * mmuext_op(ops, count, done, foreigndom). arg1 is an MFN or a linear
 * address; arg2 a count, a guest pointer to a vCPU bitmap, or a source MFN.
 */
struct mmuext_op {
	pv_u32 cmd;          /* MMUEXT_* */
	pv_u32 _pad;
	pv_u64 arg1;
	pv_u64 arg2;
};
PV_CHECK_SIZE(struct mmuext_op, 24);
PV_CHECK_OFFSET(struct mmuext_op, arg1, 8);
PV_CHECK_OFFSET(struct mmuext_op, arg2, 16);

/*
 * PIN_Ln validates arg1 (recursively below L1) as a table of that level
 * and holds the type until UNPIN; pinning a pinned frame is -EINVAL.
 * Linux pins single L1s (split PTE locks), L3s and both L4s of every mm.
 */
#define MMUEXT_PIN_L1_TABLE 0
#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_PIN_L3_TABLE 2
#define MMUEXT_PIN_L4_TABLE 3
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5         /* arg1: kernel-mode L4 (CR3) */
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7        /* arg1: va */
#define MMUEXT_TLB_FLUSH_MULTI 8     /* arg2: vCPU bitmap */
#define MMUEXT_INVLPG_MULTI 9        /* arg1: va, arg2: vCPU bitmap */
#define MMUEXT_TLB_FLUSH_ALL 10      /* every vCPU of the domain */
#define MMUEXT_INVLPG_ALL 11         /* arg1: va */
#define MMUEXT_FLUSH_CACHE 12        /* needs cache-flush privilege */
#define MMUEXT_SET_LDT 13            /* arg1: page-aligned va, arg2: entries (0 = none) */
#define MMUEXT_NEW_USER_BASEPTR 15   /* arg1: guest-user-mode L4, 0 = none */
#define MMUEXT_CLEAR_PAGE 16         /* arg1: mfn */
#define MMUEXT_COPY_PAGE 17          /* arg1: dst mfn, arg2: src mfn */
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER 19         /* Xen answers -EOPNOTSUPP */
#define MMUEXT_UNMARK_SUPER 20

#define PV_LDT_MAX_ENTRIES 8192

/*
 * update_va_mapping(va, pte, flags): rewrites the L1 entry mapping va in
 * the current page tables. flags bits 1:0 are the flush, bit 2 the scope;
 * any other value with bits above 2 set is a pointer to a vCPU bitmap.
 */
#define UVMF_TLB_FLUSH 1
#define UVMF_INVLPG 2
#define UVMF_FLUSHTYPE_MASK 3
#define UVMF_LOCAL 0
#define UVMF_ALL 4

/*
 * set_gdt(frames, entries): at most 14 pages (the rest of the GDT is the
 * hypervisor's). Each frame must be the caller's, mapped nowhere writable,
 * and every descriptor must pass validation: code and data descriptors
 * get DPL 3, call gates DPL 0, other system descriptors are refused.
 * update_descriptor(maddr, desc) writes one such descriptor at an 8-byte
 * aligned machine address in a GDT/LDT page or an ordinary writable page.
 */
#define PV_GDT_MAX_ENTRIES 7168      /* FIRST_RESERVED_GDT_ENTRY */
#define PV_GDT_ENTRIES_PER_FRAME 512

#endif
