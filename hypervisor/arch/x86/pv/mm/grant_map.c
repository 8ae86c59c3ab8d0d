/*
 * The memory manager's side of grant tables (the arch_gnttab_* hooks of
 * mica/grant_table.h): grant-table frames, the references a grant holds
 * on the granted frame, and host mappings of grants, which are ordinary
 * L1 entries written through the checked update path with the granting
 * domain as page owner, so they hold references of their own.
 */
#include <asm/page.h>
#include <mica/domain.h>
#include <mica/grant_table.h>
#include <mica/lib.h>
#include <pv/grant_table.h>
#include "mm_arch.h"

#define GNT_PTE_FLAGS (PG_P | PG_A | PG_D | PG_NX)
#define GNT_AVAIL_SHIFT 9
#define GNT_AVAIL_MASK 7

void *arch_gnttab_alloc_frame(struct domain *d, u64 *mfn)
{
	struct frame *f = alloc_frames(0, d->id);
	void *va;

	if (!f)
		return NULL;
	pv_page_assign(f);
	/* The hypervisor's pointer. */
	if (!pt_get_page(f, d->id)) {
		pt_bug("grant frame: no reference on a frame just assigned");
		return NULL;
	}
	*mfn = frame_to_mfn(f);
	m2p_set(*mfn, M2P_INVALID);
	va = pt_map(*mfn);
	memset(va, 0, PAGE_SIZE);
	return va;
}

int arch_gnttab_free_frame(u64 mfn, bool drop_ref)
{
	struct frame *f = pv_ram_frame(mfn);

	if (!f)
		return -EINVAL;
	if (drop_ref)
		pt_put_page(f);
	if (pv_page_release(f))
		return -EBUSY;
	m2p_set(mfn, M2P_INVALID);
	free_frames(f, 0);
	return 0;
}

bool arch_gnttab_get_page(const struct domain *d, u64 mfn)
{
	struct frame *f = pv_ram_frame(mfn);

	return f && pt_get_page(f, d->id);
}

int arch_gnttab_get_writable(u64 mfn)
{
	struct frame *f = pv_ram_frame(mfn);
	struct pt_ctx ctx;

	if (!f)
		return -EINVAL;
	pt_ctx_self(&ctx, READ_ONCE(f->owner), false);
	return pt_get_type(f, PGT_WRITABLE, &ctx) ? -EINVAL : 0;
}

void arch_gnttab_put_page(u64 mfn, bool writable)
{
	struct frame *f = pv_ram_frame(mfn);

	if (!f)
		return;
	if (writable)
		pt_put_type(f);
	pt_put_page(f);
}

/*
 * The L1 holding the entry for addr, with a general and a type reference:
 * addr is the entry's machine address (GNTMAP_contains_pte) or a virtual
 * address in the current vCPU's kernel tables. NULL if it does not qualify.
 */
static struct frame *entry_table(struct domain *ld, u64 addr, u32 flags, unsigned int *idx,
				 u64 *va)
{
	struct vcpu *v = current_vcpu();
	mfn_t mfn;

	*va = 0;
	if (flags & GNTMAP_contains_pte) {
		if (addr & 7)
			return NULL;
		mfn = addr >> PAGE_SHIFT;
		*idx = (addr & (PAGE_SIZE - 1)) / 8;
	} else {
		if (!v || v->domain != ld || !v->arch.kernel_root ||
		    pt_walk_l1(v->arch.kernel_root, addr, &mfn, idx))
			return NULL;
		*va = addr;
	}
	return pv_get_l1_in_use(mfn, ld->id);
}

int arch_gnttab_create_mapping(struct domain *ld, u64 addr, u32 flags, u64 mfn, u16 owner)
{
	struct pt_ctx ctx;
	u64 pte = (mfn << PAGE_SHIFT) | GNT_PTE_FLAGS |
		  ((u64)((flags >> GNTMAP_guest_avail0_shift) & GNT_AVAIL_MASK) << GNT_AVAIL_SHIFT);
	struct frame *l1;
	unsigned int idx;
	u64 va, old;
	int rc;

	if (!(flags & GNTMAP_readonly))
		pte |= PG_RW;
	l1 = entry_table(ld, addr, flags, &idx, &va);
	if (!l1)
		return -EINVAL;
	/* The granter's frame; no privilege of its own (no I/O memory, no foreign frames). */
	pt_ctx_self(&ctx, ld->id, false);
	ctx.pg_owner = owner;
	ctx.pg_priv = false;
	rc = pt_modify_entry(l1, 1, idx, pt_rmw_set, &pte, &ctx, &old);
	put_page_and_type(l1);
	if (rc)
		return -EINVAL;
	if (va && (old & PG_P))
		tlb_invlpg_local(va);
	return 0;
}

struct unmap_check {
	u64 mfn;
	bool rw;
	bool matched;
};

/* Clears the entry only if it is still the grant mapping. */
static bool clear_if_grant(u64 old, u64 *new_entry, void *arg)
{
	struct unmap_check *c = arg;

	c->matched = (old & PG_P) && pte_mfn(old) == c->mfn && !!(old & PG_RW) == c->rw;
	*new_entry = 0;
	return c->matched;
}

int arch_gnttab_destroy_mapping(struct domain *ld, u64 addr, u32 flags, u64 mfn)
{
	struct pt_ctx ctx;
	struct unmap_check c = { .mfn = mfn, .rw = !(flags & GNTMAP_readonly) };
	struct frame *l1;
	unsigned int idx;
	u64 va, old;
	int rc;

	l1 = entry_table(ld, addr, flags, &idx, &va);
	if (!l1)
		return -EINVAL;
	pt_ctx_self(&ctx, ld->id, false);
	rc = pt_modify_entry(l1, 1, idx, clear_if_grant, &c, &ctx, &old);
	put_page_and_type(l1);
	return rc || !c.matched ? -EINVAL : 0;
}

void arch_gnttab_flush_tlb(struct domain *ld)
{
	tlb_flush_cpus(tlb_domain_cpus(ld) | tlb_this_cpu());
}

void *arch_gnttab_map_frame(u64 mfn)
{
	return pt_map(mfn);
}
