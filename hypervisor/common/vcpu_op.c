/*
 * vcpu_op: bringing a domain's vCPUs up and down, their timers, and the
 * guest memory the hypervisor keeps up to date for them (the registered
 * vcpu_info and runstate areas).
 */
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/sched.h>
#include <mica/spinlock.h>
#include <mica/vcpu_time.h>
#include <pv/sched.h>
#include <pv/vcpu.h>
#include <pv/xen.h>

static long vcpu_initialise(struct vcpu *v, pv_gva_t arg)
{
	struct vcpu_guest_context *ctx;
	long rc;

	/* Beyond shared_info's slots a vCPU has no vcpu_info until it registers one. */
	if (v->id >= XEN_LEGACY_MAX_VCPUS && !READ_ONCE(v->vcpu_info_mfn))
		return -EINVAL;
	ctx = hv_zalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	if (copy_from_guest(ctx, arg, sizeof(*ctx))) {
		rc = -EFAULT;
		goto out;
	}
	/*
	 * One initialiser at a time per vCPU, without holding a lock while the
	 * page tables are validated (that may wait for TLB flushes on CPUs
	 * that could be spinning on the same lock with interrupts off).
	 */
	if (__atomic_exchange_n(&v->initialising, true, __ATOMIC_ACQUIRE)) {
		rc = -EBUSY;
		goto out;
	}
	if (vcpu_initialised(v))
		rc = -EEXIST;
	else
		rc = pv_vcpu_initialise(v, ctx);
	__atomic_store_n(&v->initialising, false, __ATOMIC_RELEASE);
out:
	hv_free(ctx, sizeof(*ctx));
	return rc;
}

/* Takes v down; taking down the last vCPU that was up powers the domain off. */
static long vcpu_down(struct vcpu *v)
{
	struct domain *d = v->domain;
	unsigned int i = 0;

	/* i stops at the first other vCPU that is up. */
	while (i < d->max_vcpus &&
	       (d->vcpus[i] == v || (READ_ONCE(d->vcpus[i]->pause_flags) & VPF_DOWN)))
		i++;
	if (i == d->max_vcpus)
		domain_shutdown(d, SHUTDOWN_poweroff);
	else if (!(__atomic_fetch_or(&v->pause_flags, VPF_DOWN, __ATOMIC_SEQ_CST) & VPF_DOWN))
		vcpu_sleep(v);
	return 0;
}

/*
 * Moves v's vcpu_info into the guest frame mfn at offset. Only the vCPU
 * itself, or a vCPU that is down, may be moved; the frame must be RAM of
 * the domain that may be mapped writable, and it keeps a writable type
 * reference (so it can become neither a page table nor another domain's)
 * until vcpu_info_release. Once per vCPU.
 */
static long register_vcpu_info(struct vcpu *v, const struct vcpu_register_vcpu_info *r)
{
	struct domain *d = v->domain;
	struct frame *f = mfn_is_ram(r->mfn) ? mfn_to_frame(r->mfn) : NULL;
	struct vcpu_info *vi;
	long rc;

	if (r->offset > PAGE_SIZE - sizeof(struct vcpu_info))
		return -EINVAL;
	if (READ_ONCE(v->vcpu_info_mfn))
		return -EBUSY;
	if (v != current_vcpu() && !(READ_ONCE(v->pause_flags) & VPF_DOWN))
		return -EINVAL;
	if (!f || get_page_and_type(f, d, PGT_WRITABLE))
		return -EINVAL;
	vi = (struct vcpu_info *)((u8 *)__va(r->mfn << PAGE_SHIFT) + r->offset);
	rc = vcpu_info_move(v, vi, r->mfn);
	if (rc)
		put_page_and_type(f); /* lost a race with another registration */
	return rc;
}

void vcpu_info_release(struct vcpu *v)
{
	u64 mfn = v->vcpu_info_mfn;

	if (!mfn)
		return;
	v->vcpu_info = NULL;
	v->vcpu_info_mfn = 0;
	put_page_and_type(mfn_to_frame(mfn));
}

long do_vcpu_op(pv_s32 cmd, pv_u32 vcpuid, pv_gva_t arg)
{
	struct vcpu *self = current_vcpu();
	struct vcpu *v = domain_vcpu(self->domain, vcpuid);

	if (!v)
		return -ENOENT;
	switch (cmd) {
	case VCPUOP_initialise:
		return vcpu_initialise(v, arg);
	case VCPUOP_up:
		if (!vcpu_initialised(v))
			return -EINVAL;
		if (__atomic_fetch_and(&v->pause_flags, ~VPF_DOWN, __ATOMIC_SEQ_CST) & VPF_DOWN)
			vcpu_wake(v);
		return 0;
	case VCPUOP_down:
		return vcpu_down(v);
	case VCPUOP_is_up:
		return !(READ_ONCE(v->pause_flags) & VPF_DOWN);
	case VCPUOP_get_runstate_info: {
		struct vcpu_runstate_info rs;

		vcpu_get_runstate(v, &rs);
		return copy_to_guest(arg, &rs, sizeof(rs)) ? -EFAULT : 0;
	}
	case VCPUOP_register_runstate_memory_area: {
		struct vcpu_register_runstate_memory_area area;

		if (copy_from_guest(&area, arg, sizeof(area)))
			return -EFAULT;
		return vcpu_register_runstate_area(v, area.addr);
	}
	case VCPUOP_set_periodic_timer: {
		struct vcpu_set_periodic_timer set;

		if (copy_from_guest(&set, arg, sizeof(set)))
			return -EFAULT;
		if (!set.period_ns)
			return -EINVAL;
		return vcpu_set_periodic_timer(v, set.period_ns);
	}
	case VCPUOP_stop_periodic_timer:
		return vcpu_set_periodic_timer(v, 0);
	case VCPUOP_set_singleshot_timer: {
		struct vcpu_set_singleshot_timer set;

		if (v != self)
			return -EINVAL;
		if (copy_from_guest(&set, arg, sizeof(set)))
			return -EFAULT;
		return vcpu_set_singleshot_timer(v, set.timeout_abs_ns, set.flags);
	}
	case VCPUOP_stop_singleshot_timer:
		if (v != self)
			return -EINVAL;
		vcpu_stop_singleshot_timer(v);
		return 0;
	case VCPUOP_register_vcpu_info: {
		struct vcpu_register_vcpu_info r;

		if (copy_from_guest(&r, arg, sizeof(r)))
			return -EFAULT;
		return register_vcpu_info(v, &r);
	}
	default:
		/*
		 * Also send_nmi, get_physid and the time memory area (Linux then
		 * leaves the vDSO on its own clock); the *_phys_area ones are
		 * unused by Linux 6.1.
		 */
		return -ENOSYS;
	}
}
