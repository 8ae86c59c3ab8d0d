/*
 * domctl (hypercall 36): the toolstack's control of one domain, in Xen
 * 4.17's layouts and numbers (interface version 0x15) for the commands
 * Mica implements; every other command answers -ENOSYS. Privileged: the
 * dispatcher refuses any other caller with -EPERM (PV_HCF_DOM0).
 *
 * Order of the checks, as Xen's: the structure is read (-EFAULT), the
 * interface version compared (-EACCES), the domain looked up (-ESRCH;
 * createdomain names none, getdomaininfo may name a free id), then the
 * domctl lock taken. The lock is taken by trylock: a caller that finds it
 * busy has its hypercall re-issued, so no CPU ever spins on it with
 * interrupts off while the holder waits for other CPUs (pausing a vCPU,
 * flushing TLBs). The structure is copied back where Xen copies it back.
 */
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <asm/toolstack.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/domctl.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/grant_table.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/spinlock.h>
#include <mica/timer.h>
#include <pv/domctl.h>
#include <pv/vcpu.h>
#include <pv/xen.h>

static spinlock_t domctl_lock = SPINLOCK_INIT;
static domid_t domid_rover; /* the last id handed out; domctl lock */

/* The CDF flags of the 4.17 interface, and those a PV-only hypervisor without an IOMMU refuses. */
#define CDF_KNOWN (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_s3_integrity | \
		   XEN_DOMCTL_CDF_oos_off | XEN_DOMCTL_CDF_xs_domain | XEN_DOMCTL_CDF_iommu | \
		   XEN_DOMCTL_CDF_nested_virt | XEN_DOMCTL_CDF_vpmu)
#define CDF_UNSUPPORTED (XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap | XEN_DOMCTL_CDF_iommu | \
			 XEN_DOMCTL_CDF_nested_virt | XEN_DOMCTL_CDF_vpmu)

/* -- createdomain -------------------------------------------------------- */

static bool domid_free(domid_t id)
{
	struct domain *d = domain_get_any(id);

	if (d)
		domain_put(d);
	return !d;
}

/*
 * The id a new domain gets: the one asked for (1 .. DOMID_FIRST_RESERVED
 * - 1), which must be free (-EEXIST); else, for 0 or a reserved id, the
 * next free one after the last handed out (-ENOMEM when none is).
 */
static int pick_domid(domid_t *id)
{
	domid_t want = *id;

	if (want > 0 && want < DOMID_FIRST_RESERVED)
		return domid_free(want) ? 0 : -EEXIST;
	for (domid_t n = domid_rover, tries = 0; tries < DOMID_FIRST_RESERVED - 1; tries++) {
		n = n + 1 < DOMID_FIRST_RESERVED ? n + 1 : 1;
		if (domid_free(n)) {
			*id = domid_rover = n;
			return 0;
		}
	}
	return -ENOMEM;
}

/*
 * The configuration checks of Xen 4.17 (sanitise_domain_config and the
 * x86 ones) for a hypervisor with PV guests only, no IOMMU, no vPMU and
 * grant tables v1. The grant-table and event-channel limits are checked
 * but not applied yet: every domain gets the defaults.
 */
static int check_config(const struct xen_domctl_createdomain *c)
{
	if ((c->flags & ~CDF_KNOWN) || (c->flags & CDF_UNSUPPORTED) || c->iommu_opts)
		return -EINVAL;
	if (c->max_vcpus < 1 || c->max_vcpus > MAX_VCPUS_PER_DOMAIN)
		return -EINVAL;
	if ((c->grant_opts & ~0xfu) || XEN_DOMCTL_GRANT_version(c->grant_opts) != 1)
		return -EINVAL;
	if ((c->max_grant_frames != -1 &&
	     (c->max_grant_frames < 1 || c->max_grant_frames > GNTTAB_MAX_FRAMES_LIMIT)) ||
	    (c->max_maptrack_frames != -1 &&
	     (c->max_maptrack_frames < 0 || c->max_maptrack_frames > GNTTAB_MAX_MAPTRACK_LIMIT)))
		return -EINVAL;
	if (c->vmtrace_size || (c->arch.misc_flags & ~XEN_X86_MSR_RELAXED))
		return -EINVAL;
	/* Emulated devices are for HVM guests. */
	if (c->arch.emulation_flags)
		return -EOPNOTSUPP;
	/* One CPU pool, pool 0. */
	if (c->cpupool_id)
		return -ENOENT;
	return 0;
}

/* A new domain, paused once (the toolstack's unpause starts it), its vCPUs all down. */
static long create_domain(struct xen_domctl *op)
{
	const struct xen_domctl_createdomain *c = &op->u.createdomain;
	domid_t id = op->domain;
	struct domain *d;
	int rc;

	rc = pick_domid(&id);
	if (!rc)
		rc = check_config(c);
	if (rc)
		return rc;
	d = domain_create(id, false, c->max_vcpus);
	if (!d)
		return -ENOMEM;
	/* Nothing runs yet: every vCPU is down until it gets a context. */
	__atomic_store_n(&d->pause_count, 1, __ATOMIC_SEQ_CST);
	memcpy(d->handle, c->handle, sizeof(d->handle));
	d->create_flags = c->flags;
	op->domain = id;
	pr_info("d%u: created (%u vCPU%s)", id, c->max_vcpus, c->max_vcpus == 1 ? "" : "s");
	return 0;
}

/* -- getdomaininfo ------------------------------------------------------- */

/* The time v has run by now (ns), its slice under way included. Lock-free, approximate. */
static u64 vcpu_time_run(const struct vcpu *v, u64 now)
{
	u64 total = READ_ONCE(v->cpu_time_ns), start = READ_ONCE(v->slice_start_ns);

	if (READ_ONCE(v->is_running) && now > start)
		total += now - start;
	return total;
}

void domain_info(struct domain *d, struct xen_domctl_getdomaininfo *info)
{
	u32 flags = XEN_DOMINF_blocked, online = 0;
	u64 cpu_time = 0, now = now_ns();

	memset(info, 0, sizeof(*info));
	info->domain = d->id;
	info->max_vcpu_id = d->max_vcpus - 1;
	/* Blocked only if every online vCPU is; running if any is on a CPU. */
	for (unsigned int i = 0; i < d->max_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];
		bool running = READ_ONCE(v->is_running);
		u32 pf;

		cpu_time += vcpu_time_run(v, now);
		pf = READ_ONCE(v->pause_flags);
		if (pf & VPF_DOWN)
			continue;
		online++;
		/* Waiting in SCHEDOP_poll is blocking too (Xen sets its blocked flag for both). */
		if (!(pf & (VPF_BLOCKED | VPF_POLLING)))
			flags &= ~XEN_DOMINF_blocked;
		if (running)
			flags |= XEN_DOMINF_running;
	}
	info->flags = online ? flags : 0;
	if (READ_ONCE(d->is_dying))
		info->flags |= XEN_DOMINF_dying;
	if (READ_ONCE(d->is_shutdown))
		info->flags |= XEN_DOMINF_shutdown |
			       (u32)READ_ONCE(d->shutdown_reason) << XEN_DOMINF_shutdownshift;
	if (READ_ONCE(d->pause_count))
		info->flags |= XEN_DOMINF_paused;
	if (d->create_flags & XEN_DOMCTL_CDF_xs_domain)
		info->flags |= XEN_DOMINF_xs_domain;
	info->nr_online_vcpus = online;
	info->cpu_time = cpu_time;
	info->tot_pages = READ_ONCE(d->tot_pages);
	info->max_pages = READ_ONCE(d->max_pages);
	info->shared_info_frame = d->shared_info_mfn;
	memcpy(info->handle, d->handle, sizeof(info->handle));
}

/*
 * getdomaininfo in 4.17: a free id names the first domain above it
 * (-ESRCH if none, -EINVAL for a reserved id); domain says which one.
 * domain_get_next finds the domain with that very id first, dying or not.
 */
static long get_domain_info(struct xen_domctl *op)
{
	struct domain *d;

	if (op->domain >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	d = domain_get_next(op->domain);
	if (!d)
		return -ESRCH;
	domain_info(d, &op->u.getdomaininfo);
	op->domain = d->id;
	domain_put(d);
	return 0;
}

/* -- vCPU contexts ------------------------------------------------------- */

/*
 * setvcpucontext: loads a whole vCPU state (pv_vcpu_initialise checks it
 * all first), and VGCF_online brings the vCPU up (it runs once the domain
 * is unpaused) or, without it, down. A null context resets the vCPU: its
 * roots and GDT go, and it is down. The whole domain is paused meanwhile,
 * so none of its vCPUs runs or holds its lock.
 */
static long set_vcpu_context(struct domain *d, const struct xen_domctl_vcpucontext *vc)
{
	struct vcpu *v = domain_vcpu(d, vc->vcpu);
	struct vcpu_guest_context *ctx = NULL;
	long rc = 0;

	if (d == current_vcpu()->domain || !v || READ_ONCE(d->is_dying))
		return -EINVAL;
	if (vc->ctxt) {
		ctx = hv_zalloc(sizeof(*ctx));
		if (!ctx)
			return -ENOMEM;
		if (copy_from_guest(ctx, vc->ctxt, sizeof(*ctx))) {
			hv_free(ctx, sizeof(*ctx));
			return -EFAULT;
		}
	}
	domain_pause_vcpus(d);
	spin_lock(&d->lock);
	if (!ctx) {
		pv_mm_vcpu_destroy(v);
		__atomic_fetch_or(&v->pause_flags, VPF_DOWN, __ATOMIC_SEQ_CST);
	} else {
		rc = pv_vcpu_initialise(v, ctx);
		if (!rc && (ctx->flags & VGCF_online))
			__atomic_fetch_and(&v->pause_flags, ~VPF_DOWN, __ATOMIC_SEQ_CST);
		else if (!rc)
			__atomic_fetch_or(&v->pause_flags, VPF_DOWN, __ATOMIC_SEQ_CST);
	}
	spin_unlock(&d->lock);
	domain_unpause_vcpus(d);
	hv_free(ctx, sizeof(*ctx));
	return rc;
}

/* getvcpucontext: -EINVAL for no such vCPU (or the caller's own), -ENODATA before it has one. */
static long get_vcpu_context(struct domain *d, const struct xen_domctl_vcpucontext *vc)
{
	struct vcpu *v = domain_vcpu(d, vc->vcpu);
	struct vcpu_guest_context *ctx;
	long rc = 0;

	if (!v || v == current_vcpu())
		return -EINVAL;
	if (!vcpu_initialised(v))
		return -ENODATA;
	ctx = hv_zalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	vcpu_pause_sync(v);
	pv_vcpu_get_context(v, ctx);
	vcpu_unpause(v);
	if (copy_to_guest(vc->ctxt, ctx, sizeof(*ctx)))
		rc = -EFAULT;
	hv_free(ctx, sizeof(*ctx));
	return rc;
}

/*
 * getvcpuinfo: one vCPU's online, blocked and running flags, run time and
 * CPU, read without pausing it (a snapshot, as on Xen). -EINVAL past
 * max_vcpus.
 */
static long get_vcpu_info(struct domain *d, struct xen_domctl_getvcpuinfo *info)
{
	struct vcpu *v = domain_vcpu(d, info->vcpu);
	u32 pf;

	if (!v)
		return -EINVAL;
	pf = READ_ONCE(v->pause_flags);
	info->online = !(pf & VPF_DOWN);
	info->blocked = !!(pf & (VPF_BLOCKED | VPF_POLLING));
	info->running = READ_ONCE(v->is_running);
	info->cpu_time = vcpu_time_run(v, now_ns());
	info->cpu = v->processor;
	return 0;
}

/* -- the rest ------------------------------------------------------------ */

/*
 * hypercall_init: writes the hypercall page into frame gmfn (an MFN: the
 * domain is PV) of d. -EINVAL if it is not d's, -EPERM if it cannot be
 * written (a page table or descriptor page), as on Xen.
 */
static long hypercall_init(struct domain *d, u64 mfn)
{
	struct frame *f = mfn_is_ram(mfn) ? mfn_to_frame(mfn) : NULL;

	if (!f || !get_page(f, d))
		return -EINVAL;
	if (get_page_type(f, PGT_WRITABLE)) {
		put_page(f);
		return -EPERM;
	}
	arch_fill_hypercall_page(__va(mfn << PAGE_SHIFT));
	put_page_and_type(f);
	return 0;
}

static long destroy(struct domain *d, pv_gva_t arg)
{
	int rc;

	if (d == current_vcpu()->domain)
		return -EINVAL;
	rc = domain_destroy(d);
	if (rc == -EAGAIN) {
		u64 args[1] = { arg };

		return hypercall_create_continuation(1, args);
	}
	return rc;
}

/* One command, the domctl lock held; d is NULL only for createdomain and getdomaininfo. */
static long domctl(struct xen_domctl *op, struct domain *d, pv_gva_t arg, bool *copyback)
{
	struct domain *self = current_vcpu()->domain;

	switch (op->cmd) {
	case XEN_DOMCTL_createdomain:
		*copyback = true;
		return create_domain(op);
	case XEN_DOMCTL_destroydomain:
		return destroy(d, arg);
	case XEN_DOMCTL_pausedomain:
		return d == self ? -EINVAL : domain_pause_by_toolstack(d);
	case XEN_DOMCTL_unpausedomain:
		return domain_unpause_by_toolstack(d);
	case XEN_DOMCTL_getdomaininfo:
		*copyback = true;
		return get_domain_info(op);
	case XEN_DOMCTL_max_mem:
		/* Lowering it below tot_pages is allowed: the domain just cannot grow until it shrinks. */
		spin_lock(&d->page_lock);
		d->max_pages = op->u.max_mem.max_memkb >> (PAGE_SHIFT - 10);
		spin_unlock(&d->page_lock);
		return 0;
	case XEN_DOMCTL_setvcpucontext:
		return set_vcpu_context(d, &op->u.vcpucontext);
	case XEN_DOMCTL_getvcpucontext:
		*copyback = true;
		return get_vcpu_context(d, &op->u.vcpucontext);
	case XEN_DOMCTL_getvcpuinfo:
		*copyback = true;
		return get_vcpu_info(d, &op->u.getvcpuinfo);
	case XEN_DOMCTL_max_vcpus:
		/* The vCPUs were made by createdomain: only that same number is accepted. */
		return d == self || op->u.max_vcpus.max != d->max_vcpus ? -EINVAL : 0;
	case XEN_DOMCTL_setdomainhandle:
		memcpy(d->handle, op->u.setdomainhandle.handle, sizeof(d->handle));
		return 0;
	case XEN_DOMCTL_hypercall_init:
		return hypercall_init(d, op->u.hypercall_init.gmfn);
	case XEN_DOMCTL_settimeoffset:
		/* Accepted; a PV guest's wall clock is the host's (shared_info). */
		return 0;
	case XEN_DOMCTL_set_address_size:
		/* 64-bit only: Mica refuses 32-bit guests (as a Xen without 32-bit PV support). */
		if (op->u.address_size.size == 32)
			return -EOPNOTSUPP;
		return op->u.address_size.size == 64 ? 0 : -EINVAL;
	default:
		return -ENOSYS;
	}
}

long do_domctl(pv_gva_t arg)
{
	struct xen_domctl op;
	struct domain *d = NULL;
	bool copyback = false;
	long rc;

	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
		return -EACCES;
	if (op.cmd != XEN_DOMCTL_createdomain) {
		d = domain_get_any(op.domain);
		if (!d && op.cmd != XEN_DOMCTL_getdomaininfo)
			return -ESRCH;
	}
	if (spin_trylock(&domctl_lock)) {
		rc = domctl(&op, d, arg, &copyback);
		spin_unlock(&domctl_lock);
	} else {
		u64 args[1] = { arg };

		rc = hypercall_create_continuation(1, args);
	}
	if (d)
		domain_put(d);
	if (copyback && !rc && copy_to_guest(arg, &op, sizeof(op)))
		rc = -EFAULT;
	return rc;
}
