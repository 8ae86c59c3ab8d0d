/*
 * mmu_update (hypercall 1): a batch of checked writes to page-table
 * entries named by machine address, and M2P updates (section 2.4.2).
 *
 * foreigndom: bits 15:0 name the page owner (FD) whose frames new L1
 * entries may map, bits 31:16 are 1 + the owner of the tables written
 * (PFD), 0 for the caller. Naming another domain needs privilege.
 *
 * Continuation, as on Xen: after MM_BATCH requests, or earlier when other
 * work is pending or the tables it released are still being devalidated
 * (pt_drain), the call is re-issued with reqs advanced past the requests
 * done and count = remaining | MMU_UPDATE_PREEMPTED; the continued call
 * reads back *pdone to keep adding to it. On an error the call stops at
 * the failing request: *pdone counts those before it.
 */
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <pv/hypercall_handlers.h>
#include <pv/mm.h>
#include "mm_arch.h"

#define MMU_CMD_BITS 7 /* ptr bits 2:0; 4-7 are no command (-ENOSYS) */

/* A checked write to an entry of a page table in use, or a plain one to any other frame. */
static int normal_update(const struct mmu_update *req, unsigned int cmd, struct pt_ctx *ctx)
{
	u64 addr = req->ptr & ~(u64)MMU_CMD_BITS, val = req->val, old;
	unsigned int idx = (addr & (PAGE_SIZE - 1)) / sizeof(u64), type;
	struct frame *f = pv_ram_frame(addr >> PAGE_SHIFT);
	struct pt_ctx self;
	int rc = -EINVAL;

	if (!f || !pt_get_page(f, ctx->pt_owner))
		return -EINVAL;
	type = pgt_type(READ_ONCE(f->type_info));
	pt_ctx_self(&self, ctx->pt_owner, false);
	if (pgt_is_table(type) && !pt_get_type_in_use(f, type)) {
		/* Upper levels only ever hold the table owner's own frames. */
		if (type == PGT_L1 || ctx->pg_owner == ctx->pt_owner)
			rc = pt_modify_entry(f, type, idx,
					     cmd == MMU_PT_UPDATE_PRESERVE_AD ? pt_rmw_set_keep_ad :
										 pt_rmw_set,
					     &val, ctx, &old);
		pt_put_type(f);
	} else if (!pt_get_type(f, PGT_WRITABLE, &self)) {
		/* Not a table in use: an ordinary store, if the frame may be written. */
		WRITE_ONCE(pt_map(frame_to_mfn(f))[idx], val);
		pt_put_type(f);
		rc = 0;
	}
	pt_put_page(f);
	return rc;
}

static int machphys_update(const struct mmu_update *req, const struct pg_owner *pg)
{
	u64 mfn = req->ptr >> PAGE_SHIFT;
	struct frame *f = pv_ram_frame(mfn);

	if (!f || !pt_get_page(f, pg->id))
		return -EINVAL;
	m2p_set(mfn, req->val);
	pt_put_page(f);
	return 0;
}

pv_u32 mm_batch_begin(pv_u32 *count, pv_gva_t done)
{
	pv_u32 total = 0;

	if (*count & MMU_UPDATE_PREEMPTED) {
		*count &= ~MMU_UPDATE_PREEMPTED;
		if (done && copy_from_guest(&total, done, sizeof(total)))
			total = 0;
	}
	return total;
}

bool mm_batch_stop(pv_u32 i, const struct pt_ctx *ctx)
{
	return (i && (i % MM_BATCH == 0 || ctx->budget < 0 || hypercall_preempt_check())) ||
	       !pt_drain(PT_DRAIN_FRAMES);
}

long mm_batch_end(long rc, pv_gva_t base, size_t size, pv_u32 i, pv_u32 count, pv_gva_t done,
		  pv_u32 total, pv_u32 foreigndom)
{
	if (!rc && !pt_drain(PT_DRAIN_FRAMES))
		rc = -ERESTART;
	if (rc == -ERESTART) {
		u64 args[4] = { base + (u64)i * size, (count - i) | MMU_UPDATE_PREEMPTED, done,
				foreigndom };

		rc = hypercall_create_continuation(4, args);
	}
	if (done) {
		total += i;
		copy_to_guest(done, &total, sizeof(total));
	}
	return rc;
}

long do_mmu_update(pv_gva_t reqs, pv_u32 count, pv_gva_t done, pv_u32 foreigndom)
{
	struct domain *d = current_vcpu()->domain, *pt_dom = d;
	u16 pfd = (u16)(foreigndom >> 16);
	struct pg_owner pg = { 0 };
	struct pt_ctx ctx;
	pv_u32 total = mm_batch_begin(&count, done), i = 0;
	long rc = 0;

	if (!guest_range_ok(reqs, (u64)count * sizeof(struct mmu_update)))
		return -EFAULT;
	if (pfd) {
		pt_dom = domain_get(pfd - 1);
		if (!pt_dom) {
			pt_dom = d;
			rc = -ESRCH;
			goto out;
		}
		if (pt_dom == d)
			domain_put(pt_dom);
	}
	if (pv_get_pg_owner(d, (u16)foreigndom, &pg)) {
		rc = -ESRCH;
		goto out;
	}
	/* Acting on another domain's tables or frames takes privilege (DOMID_IO does not). */
	if (count && !d->is_privileged && (pt_dom != d || (pg.foreign && pg.d))) {
		rc = -EPERM;
		goto out;
	}
	pt_ctx_self(&ctx, pt_dom->id, true);
	ctx.pg_owner = pg.id;
	ctx.pg_priv = pg.priv;

	for (i = 0; i < count; i++) {
		struct mmu_update req;
		unsigned int cmd;

		if (mm_batch_stop(i, &ctx)) {
			rc = -ERESTART;
			break;
		}
		if (copy_from_guest(&req, reqs + (u64)i * sizeof(req), sizeof(req))) {
			rc = -EFAULT;
			break;
		}
		cmd = req.ptr & MMU_CMD_BITS;
		switch (cmd) {
		case MMU_NORMAL_PT_UPDATE:
		case MMU_PT_UPDATE_PRESERVE_AD:
		case MMU_PT_UPDATE_NO_TRANSLATE:
			rc = normal_update(&req, cmd, &ctx);
			break;
		case MMU_MACHPHYS_UPDATE:
			rc = pt_dom != d ? -EPERM : machphys_update(&req, &pg);
			break;
		default:
			rc = -ENOSYS;
			break;
		}
		if (rc)
			break;
	}
out:
	/* Tables released by these updates are all devalidated before the guest goes on. */
	rc = mm_batch_end(rc, reqs, sizeof(struct mmu_update), i, count, done, total, foreigndom);
	pv_put_pg_owner(&pg);
	if (pt_dom != d)
		domain_put(pt_dom);
	return rc;
}
