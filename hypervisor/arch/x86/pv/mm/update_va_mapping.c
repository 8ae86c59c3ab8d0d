/*
 * update_va_mapping (hypercall 14) and update_va_mapping_otherdomain (22):
 * rewrite the L1 entry that maps one address in the caller's current
 * (kernel) page tables, with the checks of mmu_update, then flush as
 * asked (section 2.4.11).
 *
 * flags bits 1:0: UVMF_NONE, UVMF_TLB_FLUSH or UVMF_INVLPG; the rest is
 * 0 (this CPU), UVMF_ALL (every vCPU of the domain) or a guest pointer to
 * a vCPU bitmap. Even with UVMF_NONE this CPU forgets the address when
 * the entry lost its presence or its write permission: cheap, and what
 * Linux's pin sequence (make read-only, then pin) is happiest with.
 */
#include <mica/domain.h>
#include <pv/hypercall_handlers.h>
#include <pv/mm.h>
#include "mm_arch.h"

static int flush(struct domain *d, u64 va, u64 flags, u64 old, u64 new_entry)
{
	u64 scope = flags & ~(u64)UVMF_FLUSHTYPE_MASK, cpus = tlb_this_cpu();
	unsigned int type = flags & UVMF_FLUSHTYPE_MASK;

	if (type != UVMF_TLB_FLUSH && type != UVMF_INVLPG) {
		if ((old & PG_P) && (!(new_entry & PG_P) || ((old & PG_RW) && !(new_entry & PG_RW))))
			tlb_invlpg_local(va);
		return 0;
	}
	if (scope == UVMF_ALL)
		cpus = tlb_domain_cpus(d);
	else if (scope != UVMF_LOCAL && tlb_vcpumask_cpus(d, scope, &cpus))
		return -EFAULT;
	/* Other CPUs flush everything; this one a single address will do for INVLPG. */
	tlb_flush_or_invlpg(cpus, type == UVMF_INVLPG, va);
	return 0;
}

static long update_va_mapping(u64 va, u64 pte, u64 flags, const struct pg_owner *pg)
{
	struct vcpu *v = current_vcpu();
	struct domain *d = v->domain;
	struct pt_ctx ctx;
	struct frame *l1;
	unsigned int idx;
	mfn_t l1_mfn;
	u64 old;
	int rc;

	if (!v->arch.kernel_root || pt_walk_l1(v->arch.kernel_root, va, &l1_mfn, &idx))
		return -EINVAL;
	l1 = pv_get_l1_in_use(l1_mfn, d->id);
	if (!l1)
		return -EINVAL;
	pt_ctx_self(&ctx, d->id, false);
	ctx.pg_owner = pg->id;
	ctx.pg_priv = pg->priv;
	rc = pt_modify_entry(l1, 1, idx, pt_rmw_set, &pte, &ctx, &old);
	put_page_and_type(l1);
	if (rc)
		return rc;
	return flush(d, va, flags, old, pte);
}

long do_update_va_mapping(pv_u64 va, pv_u64 pte, pv_u64 flags)
{
	struct pg_owner self;

	pv_get_pg_owner(current_vcpu()->domain, DOMID_SELF, &self);
	return update_va_mapping(va, pte, flags, &self);
}

long do_update_va_mapping_otherdomain(pv_u64 va, pv_u64 pte, pv_u64 flags, domid_t domid)
{
	struct domain *d = current_vcpu()->domain;
	struct pg_owner pg;
	long rc;

	if (pv_get_pg_owner(d, domid, &pg))
		return -ESRCH;
	rc = pg.foreign && !d->is_privileged ? -EPERM : update_va_mapping(va, pte, flags, &pg);
	pv_put_pg_owner(&pg);
	return rc;
}
