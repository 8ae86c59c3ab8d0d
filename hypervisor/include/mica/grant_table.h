/*
 * Grant tables, version 1, as the rest of the hypervisor sees them: a
 * domain's table over its life, and the hooks through which the pure
 * grant logic (common/grant_table.c) reaches the PV memory manager
 * (arch/x86/pv/mm/grant_map.c). The guest interface, grant_table_op, is
 * do_grant_table_op in common/grant_table.c.
 *
 * Host-compilable: no arch headers, so the unit test builds the real
 * common/grant_table.c against fakes of the hooks below.
 */
#ifndef MICA_GRANT_TABLE_H
#define MICA_GRANT_TABLE_H

#include <mica/types.h>

struct domain;

/*
 * What a domain gets unless its creator asks otherwise: the table may grow
 * to 32 frames (16384 entries), and the domain may hold 256 maptrack pages
 * of 256 mappings each (65536 grants of others mapped at once).
 */
#define GNTTAB_DEFAULT_MAX_FRAMES 32
#define GNTTAB_DEFAULT_MAX_MAPTRACK_FRAMES 256
/* Hard ceilings on what a creator may ask for. */
#define GNTTAB_MAX_FRAMES_LIMIT 64
#define GNTTAB_MAX_MAPTRACK_LIMIT 1024

/*
 * Gives d its grant table: one frame to start with (entries 0..511, all
 * invalid), growing on GNTTABOP_setup_table up to max_frames (1 or more);
 * and room to track up to max_maptrack_frames pages of 256 mappings d
 * makes of grants (0: d can map none, GNTST_no_space). Call once d's id
 * is set, before d runs. Returns 0, -EINVAL (a limit out of range: see
 * the ceilings above), or -ENOMEM (nothing is left allocated then).
 */
int grant_table_init(struct domain *d, unsigned int max_frames, unsigned int max_maptrack_frames);

/*
 * For a dying domain whose vCPUs no longer run: undoes every mapping and
 * device mapping d still holds of a grant (its own or another domain's),
 * dropping the frame references, pins and GTF_reading/GTF_writing flags
 * they account for. The page-table entries themselves are left to the
 * teardown of d's page tables. Bounded: returns -EAGAIN when it stopped to
 * let other work run (call again), 0 when d holds no mapping any more.
 */
int grant_table_release(struct domain *d);

/*
 * Frees d's table: its frames go back to the allocator and its memory to
 * the heap. -EBUSY, with nothing freed that is still needed, while another
 * domain still maps or copies one of d's grants (their maptrack entries
 * keep d's active entries alive), while d itself still holds mappings
 * (grant_table_release first), or while something still maps one of the
 * table's frames (a foreign mapping by the toolstack): call again later.
 * 0 when done (also for a domain without a table). For a domain that is
 * being created or destroyed: no new operation may start on d's table
 * (domain_destroy: is_dying, then cpus_quiesce); one that ends a pin
 * meanwhile is waited for (the pin count is read under the table lock).
 */
int grant_table_destroy(struct domain *d);

/*
 * For a report on why d cannot be destroyed yet: the lowest reference of
 * d's table that another domain still pins (maps or copies), with that
 * domain and the frame. true and the three set, or false if none is.
 * Takes d's grant table lock; bounded by the table's size.
 */
bool grant_table_first_pinned(struct domain *d, u32 *ref, domid_t *by, u64 *mfn);

/* ---- hooks the PV memory manager provides (arch/x86/pv/mm/grant_map.c) ---- */

/*
 * A new frame for d's grant table: zeroed, owned by d so that d (and a
 * privileged domain, through a foreign mapping) may map it read-write,
 * not on d's page list (it is not d's memory to give back), M2P invalid,
 * and with one general reference held for the hypervisor's pointer.
 * Returns the hypervisor's mapping and sets *mfn, or NULL if memory is
 * short. No TLB flushes: safe under the grant table lock.
 */
void *arch_gnttab_alloc_frame(struct domain *d, u64 *mfn);

/*
 * Gives a table frame back. drop_ref: the hypervisor's reference is still
 * held and goes first. Returns 0 (the frame is freed), or -EBUSY when
 * something else still references it (the hypervisor's reference is gone
 * all the same: call again with drop_ref false). May flush TLBs: no locks.
 */
int arch_gnttab_free_frame(u64 mfn, bool drop_ref);

/*
 * A general reference to frame mfn, taken only if it is RAM owned by d
 * (what makes it a frame d may grant). Lock-free, never flushes.
 */
bool arch_gnttab_get_page(const struct domain *d, u64 mfn);

/*
 * A writable type reference on mfn, whose general reference the caller
 * holds: 0, or -EINVAL when the frame is a page table or a descriptor
 * page (it must never become writable). May flush TLBs: no locks held.
 */
int arch_gnttab_get_writable(u64 mfn);

/* Drops a writable type reference (writable) and then a general reference. */
void arch_gnttab_put_page(u64 mfn, bool writable);

/*
 * Writes the PTE of a host mapping of frame mfn (owned by domain owner,
 * which holds the grant) into the current vCPU's address space: at the L1
 * entry for the virtual address addr in its current (kernel) page tables,
 * or, with GNTMAP_contains_pte in flags, at the L1 entry whose machine
 * address is addr (8-byte aligned, in a page table of ld in use). The PTE
 * is P|A|D|NX, RW unless GNTMAP_readonly, the guest_avail bits of flags in
 * bits 9-11, and U (as every guest PTE); the entry it replaces is dropped.
 * The new PTE holds references of its own, as any L1 entry does, so a
 * guest that overwrites it later only drops those. Returns 0, or
 * -EINVAL for any address or table that does not qualify (Xen's
 * GNTST_general_error). May flush TLBs: no locks held.
 */
int arch_gnttab_create_mapping(struct domain *ld, u64 addr, u32 flags, u64 mfn, u16 owner);

/*
 * Clears the PTE arch_gnttab_create_mapping wrote (same addr and flags),
 * if it still maps mfn with the same present and read-write bits; -EINVAL
 * otherwise (nothing changed). The caller flushes TLBs afterwards
 * (arch_gnttab_flush_tlb), before it lets the frame go.
 */
int arch_gnttab_destroy_mapping(struct domain *ld, u64 addr, u32 flags, u64 mfn);

/* Flushes the TLBs of every CPU that runs a vCPU of ld, this one included. Waits. */
void arch_gnttab_flush_tlb(struct domain *ld);

/* The hypervisor's mapping of RAM frame mfn, on which the caller holds a reference. */
void *arch_gnttab_map_frame(u64 mfn);

#endif
