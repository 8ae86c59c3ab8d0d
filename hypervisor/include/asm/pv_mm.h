/*
 * The PV memory manager's interface to the rest of the hypervisor: frame
 * references and page types (arch/x86/pv/mm/), the machine-to-phys table,
 * TLB flushes, and what the domain builder, memory_op, grant tables and
 * vCPU setup need from it.
 *
 * Page types and counts live in struct frame (mica/frame.h): `count` holds
 * general references, `type_info` the current type and the count of type
 * references (encoding in arch/x86/pv/mm/mm_priv.h). The theory of
 * operation is at the top of arch/x86/pv/mm/page_type.c.
 *
 * Frame life cycle, which every owner of guest memory must follow:
 *
 *   alloc_frames(order, domid)     owner set, count 0: not usable yet
 *   pv_page_assign(f)              each frame: count 1, the domain's own
 *                                  reference; now get_page(f, d) works
 *   ... mappings, pins, roots, grants take and drop references ...
 *   pv_page_release(f)             0: count and type back to 0, stale TLB
 *                                  entries flushed; free_frames may follow
 *                                  (-EBUSY: still referenced, keep it)
 *
 * and m2p_set(mfn, pfn) / m2p_set(mfn, M2P_INVALID) around the life in
 * the domain. A dying domain first runs pv_mm_vcpu_destroy on each vCPU
 * and pv_page_relinquish on each frame (both bounded per call), then
 * pv_page_release on each frame.
 *
 * Host-compilable on purpose (no arch includes): the pure mm code and its
 * unit tests include it.
 */
#ifndef ASM_PV_MM_H
#define ASM_PV_MM_H

#include <mica/types.h>

struct domain;
struct frame;
struct vcpu;

/* Page types (the type field of frame.type_info). */
enum pv_page_type {
	PGT_NONE = 0,
	PGT_L1 = 1,          /* L1..L4: validated page tables */
	PGT_L2 = 2,
	PGT_L3 = 3,
	PGT_L4 = 4,
	PGT_SEG_DESC = 5,    /* GDT/LDT page: validated descriptors */
	PGT_WRITABLE = 6,    /* may be mapped writable */
};

/*
 * A general reference to frame f on behalf of d: fails (false) unless f
 * is RAM assigned to d (count > 0, owner d->id). Every mapping a guest
 * holds and every pointer the hypervisor keeps into guest memory holds
 * one. Foreign mappings (dom0 mapping another domain's frames) are
 * checked by the page-table code, not here. Lock-free; any context.
 */
bool get_page(struct frame *f, const struct domain *d);
void put_page(struct frame *f);

/*
 * A type reference: the frame becomes (or already is) of type t.
 * Changing the type of a frame with no type references validates it for
 * the new type first (for page tables: every entry, taking references on
 * what it maps; for PGT_SEG_DESC: every descriptor) and flushes TLBs that
 * may still hold a stale mapping of it. The caller holds a general
 * reference. Returns 0; -EINVAL when the frame has type references of
 * another type (this includes "a page table mapped writable" and "a
 * writable page as a page table", as on Xen) or a table entry is
 * refused for its flags or target level; -EBUSY / -EPERM for an L1 entry
 * mapping a frame it may not map (so), as on Xen. Not preemptible: may
 * validate a whole tree. May send TLB-flush IPIs and wait for them: do
 * not hold a lock another CPU may spin on with interrupts off.
 */
int get_page_type(struct frame *f, enum pv_page_type t);
/*
 * Both at once, undone on failure (get_page failing gives -EINVAL).
 * Dropping the type reference first: the last one of a page table
 * devalidates it, and every table below it leaves unused, as on Xen:
 * through this CPU's devalidation queue, a few tables at once, the rest
 * drained by the next mmu_update/mmuext_op on this CPU or by whoever
 * needs one of them.
 */
int get_page_and_type(struct frame *f, const struct domain *d, enum pv_page_type t);
void put_page_and_type(struct frame *f);

/*
 * The frame life cycle (above). pv_page_assign: f was just allocated for
 * its owner (count and type 0). pv_page_release: drops a pin and a cached
 * page-table validation on the owner's behalf, then the owner's reference
 * if nothing else references f: 0, or -EBUSY. pv_page_relinquish, for a
 * dying domain only: drops f's pin and the references its entries hold
 * even while other tables still point at it (its type becomes unusable).
 */
void pv_page_assign(struct frame *f);
int pv_page_release(struct frame *f);
void pv_page_relinquish(struct frame *f);

/*
 * Pins the page table at mfn as level (1-4) for d, as MMUEXT_PIN_Ln_TABLE
 * does: validates the tree and holds the type until unpinned. For the dom0
 * builder and the toolstack (foreign pin). 0, -EINVAL (not d's, already
 * pinned, refused entry), -EBUSY/-EPERM (refused L1 entry). Not preemptible.
 */
int pv_pin_table(struct domain *d, u64 mfn, unsigned int level);

/*
 * Sets v's kernel-mode (user == false) or user-mode page-table root to
 * mfn, taking an L4 type reference (validating it) and dropping the old
 * one; mfn 0 clears the user root (the kernel root cannot be cleared).
 * Loads CR3 if v is running here in that mode. v is the current vCPU or
 * not running. 0 or the errors of get_page_type. Not preemptible.
 */
int pv_set_root(struct vcpu *v, u64 mfn, bool user);

/*
 * Installs v's GDT: frames[0 .. DIV_ROUND_UP(entries, 512)) become
 * PGT_SEG_DESC pages (validated), the old ones are released, and the GDT
 * window is reloaded if v runs here. 0, or -EINVAL (a frame not v's
 * domain's, mapped writable, or with a refused descriptor). entries is
 * at most PV_GDT_MAX_ENTRIES (7168): set_gdt and VCPUOP_initialise /
 * setvcpucontext, the callers, check it.
 */
int pv_set_gdt(struct vcpu *v, const u64 *frames, unsigned int entries);
/* Maps v's GDT frames into this CPU's GDT window (pages 0..13): at every switch to v. */
void pv_load_gdt_window(const struct vcpu *v);

/* Drops every reference v holds (roots, GDT frames); for domain destruction. */
void pv_mm_vcpu_destroy(struct vcpu *v);

/* The machine-to-phys table: M2P[mfn] = the domain's pfn for that frame. */
void m2p_set(u64 mfn, u64 pfn);
#define M2P_INVALID (~0UL)

/*
 * Builds the M2P (sized for every frame in the frame table, every entry
 * M2P_INVALID) and its read-only, user-readable guest mapping at
 * RO_MPT_VIRT_START; stretches without RAM are left unmapped, so reads
 * there fault. At boot, after the frame allocator is up, before SMP.
 */
void m2p_init(void);

/*
 * Fills the hypervisor's L4 slots (256-271) of a guest L4 frame from the
 * idle tables (slot 256, the M2P, user-readable); called whenever a frame
 * is validated as an L4.
 */
void pv_init_guest_l4_slots(u64 *l4);

/* Answers the IPI that carries TLB flushes (IRQ_VECTOR_TLB_FLUSH, tlb.c). */
void pv_tlb_flush_interrupt(void);

#endif
