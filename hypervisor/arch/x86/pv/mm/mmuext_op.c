/*
 * mmuext_op (hypercall 26): pinning and unpinning page tables, the two
 * page-table roots of a vCPU, TLB and cache flushes, the LDT, and page
 * clearing and copying (section 2.4.22). Also the pin and root entry
 * points the domain builder uses.
 *
 * foreigndom (bits 15:0) names the domain whose frames pins, unpins and
 * page operations act on (the toolstack pins a new domain's tables);
 * everything about the caller's own vCPU (roots, flushes, LDT) refuses a
 * foreign domain with -EPERM. Continuation as in mmu_update.c.
 */
#include <asm/x86.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <pv/hypercall_handlers.h>
#include <pv/mm.h>
#include "mm_arch.h"

int pv_pin_table(struct domain *d, u64 mfn, unsigned int level)
{
	struct frame *f = pv_ram_frame(mfn);
	struct pt_ctx ctx;

	if (!f || level < 1 || level > 4)
		return -EINVAL;
	pt_ctx_self(&ctx, d->id, false);
	return pt_pin(f, level, &ctx);
}

/* pv_set_root, preemptible for mmuext_op (-ERESTART). */
static int set_root(struct vcpu *v, u64 mfn, bool user, bool preemptible)
{
	struct domain *d = v->domain;
	u64 *slot = user ? &v->arch.user_root : &v->arch.kernel_root;
	u64 old = *slot;
	bool loaded = v == current_vcpu() && v->arch.kernel_mode == !user;
	struct pt_ctx ctx;
	int rc;

	if (mfn == old) {
		if (loaded && mfn)
			write_cr3(mfn << PAGE_SHIFT);
		return 0;
	}
	if (mfn) {
		struct frame *f = pv_ram_frame(mfn);

		pt_ctx_self(&ctx, d->id, preemptible);
		rc = f ? pt_get_page_and_type(f, d->id, PGT_L4, &ctx) : -EINVAL;
		if (rc)
			return rc;
	} else if (!user) {
		return -EINVAL;
	}
	*slot = mfn;
	/* Off the old root before its references go. */
	if (loaded && mfn)
		write_cr3(mfn << PAGE_SHIFT);
	if (old)
		put_page_and_type(mfn_to_frame(old));
	return 0;
}

int pv_set_root(struct vcpu *v, u64 mfn, bool user)
{
	return set_root(v, mfn, user, false);
}

void pv_mm_vcpu_destroy(struct vcpu *v)
{
	for (int user = 0; user < 2; user++) {
		u64 *slot = user ? &v->arch.user_root : &v->arch.kernel_root, mfn = *slot;

		*slot = 0;
		if (mfn)
			put_page_and_type(mfn_to_frame(mfn));
	}
	pv_destroy_gdt(v);
}

/* The six TLB operations: this CPU, the vCPUs of a bitmap, or all of d's (with this CPU). */
static int flush(struct domain *d, const struct mmuext_op *op)
{
	bool invlpg = op->cmd == MMUEXT_INVLPG_LOCAL || op->cmd == MMUEXT_INVLPG_MULTI ||
		      op->cmd == MMUEXT_INVLPG_ALL;
	u64 cpus = tlb_this_cpu();

	if ((op->cmd == MMUEXT_TLB_FLUSH_MULTI || op->cmd == MMUEXT_INVLPG_MULTI) &&
	    tlb_vcpumask_cpus(d, op->arg2, &cpus))
		return -EINVAL;
	if (op->cmd == MMUEXT_TLB_FLUSH_ALL || op->cmd == MMUEXT_INVLPG_ALL)
		cpus |= tlb_domain_cpus(d);
	/* Other CPUs flush everything; this one a single address will do for INVLPG. */
	tlb_flush_or_invlpg(cpus, invlpg, op->arg1);
	return 0;
}

static int set_ldt(const struct mmuext_op *op)
{
	u64 base = op->arg1, ents = op->arg2;

	if (ents > PV_LDT_MAX_ENTRIES ||
	    (ents && ((base & (PAGE_SIZE - 1)) || !guest_range_ok(base, ents * 8))))
		return -EINVAL;
	/* No LDT is all Linux asks for (cpu_init, load_mm_ldt); modify_ldt users are not served. */
	return ents ? -EOPNOTSUPP : 0;
}

/* A frame of pg's to write: a general and a writable type reference. */
static struct frame *writable_frame(u64 mfn, const struct pg_owner *pg)
{
	struct frame *f = pv_ram_frame(mfn);
	struct pt_ctx ctx;

	pt_ctx_self(&ctx, pg->id, false);
	return f && !pt_get_page_and_type(f, pg->id, PGT_WRITABLE, &ctx) ? f : NULL;
}

static int copy_page(const struct mmuext_op *op, const struct pg_owner *pg)
{
	struct frame *src = pv_ram_frame(op->arg2), *dst;

	if (!src || !pt_get_page(src, pg->id))
		return -EINVAL;
	dst = writable_frame(op->arg1, pg);
	if (!dst) {
		pt_put_page(src);
		return -EINVAL;
	}
	memcpy(pt_map(frame_to_mfn(dst)), pt_map(frame_to_mfn(src)), PAGE_SIZE);
	put_page_and_type(dst);
	pt_put_page(src);
	return 0;
}

static int clear_page(const struct mmuext_op *op, const struct pg_owner *pg)
{
	struct frame *f = writable_frame(op->arg1, pg);

	if (!f)
		return -EINVAL;
	memset(pt_map(frame_to_mfn(f)), 0, PAGE_SIZE);
	put_page_and_type(f);
	return 0;
}

/* Commands about the caller's own vCPU and address space; pg is not foreign. */
static int own_op(struct vcpu *v, const struct mmuext_op *op)
{
	struct domain *d = v->domain;

	switch (op->cmd) {
	case MMUEXT_NEW_BASEPTR:
		return set_root(v, op->arg1, false, true);
	case MMUEXT_NEW_USER_BASEPTR:
		return set_root(v, op->arg1, true, true);
	case MMUEXT_TLB_FLUSH_LOCAL:
	case MMUEXT_INVLPG_LOCAL:
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI:
	case MMUEXT_TLB_FLUSH_ALL:
	case MMUEXT_INVLPG_ALL:
		return flush(d, op);
	case MMUEXT_FLUSH_CACHE:
	case MMUEXT_FLUSH_CACHE_GLOBAL:
		/* Coherent between CPUs: GLOBAL too writes back this one's (with Xen's errnos). */
		if (!d->is_privileged)
			return op->cmd == MMUEXT_FLUSH_CACHE ? -EACCES : -EINVAL;
		__asm__ volatile("wbinvd" ::: "memory");
		return 0;
	case MMUEXT_SET_LDT:
		return set_ldt(op);
	default:
		return -ENOSYS;
	}
}

static int do_one(struct vcpu *v, const struct mmuext_op *op, const struct pg_owner *pg,
		  struct pt_ctx *ctx)
{
	struct frame *f = pv_ram_frame(op->arg1); /* for pins and unpins */

	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
	case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE:
	case MMUEXT_PIN_L4_TABLE:
		return f ? pt_pin(f, op->cmd - MMUEXT_PIN_L1_TABLE + PGT_L1, ctx) : -EINVAL;
	case MMUEXT_UNPIN_TABLE:
		return f ? pt_unpin(f, pg->id) : -EINVAL;
	case MMUEXT_CLEAR_PAGE:
		return clear_page(op, pg);
	case MMUEXT_COPY_PAGE:
		return copy_page(op, pg);
	case MMUEXT_MARK_SUPER:
	case MMUEXT_UNMARK_SUPER:
		return -EOPNOTSUPP;
	case MMUEXT_NEW_BASEPTR:
	case MMUEXT_NEW_USER_BASEPTR:
	case MMUEXT_TLB_FLUSH_LOCAL:
	case MMUEXT_INVLPG_LOCAL:
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI:
	case MMUEXT_TLB_FLUSH_ALL:
	case MMUEXT_INVLPG_ALL:
	case MMUEXT_FLUSH_CACHE:
	case MMUEXT_FLUSH_CACHE_GLOBAL:
	case MMUEXT_SET_LDT:
		return pg->foreign ? -EPERM : own_op(v, op);
	default:
		return -ENOSYS;
	}
}

long do_mmuext_op(pv_gva_t ops, pv_u32 count, pv_gva_t done, pv_u32 foreigndom)
{
	struct vcpu *v = current_vcpu();
	struct domain *d = v->domain;
	struct pg_owner pg;
	struct pt_ctx ctx;
	pv_u32 total = mm_batch_begin(&count, done), i;
	long rc = 0;

	if (!guest_range_ok(ops, (u64)count * sizeof(struct mmuext_op)))
		return -EFAULT;
	if (pv_get_pg_owner(d, (u16)foreigndom, &pg))
		return -ESRCH;
	/* DOMID_IO owns no page tables. */
	rc = !pg.d ? -EINVAL : pg.foreign && !d->is_privileged ? -EPERM : 0;
	if (rc) {
		pv_put_pg_owner(&pg);
		return rc;
	}

	/* One validation budget for the whole call: pins stop it when spent. */
	pt_ctx_self(&ctx, pg.id, true);
	for (i = 0; i < count; i++) {
		struct mmuext_op op;

		if (mm_batch_stop(i, &ctx)) {
			rc = -ERESTART;
			break;
		}
		if (copy_from_guest(&op, ops + (u64)i * sizeof(op), sizeof(op))) {
			rc = -EFAULT;
			break;
		}
		rc = do_one(v, &op, &pg, &ctx);
		if (rc)
			break;
	}
	/* An unpinned tree is devalidated entirely before the guest takes its pages back. */
	rc = mm_batch_end(rc, ops, sizeof(struct mmuext_op), i, count, done, total, foreigndom);
	pv_put_pg_owner(&pg);
	return rc;
}
