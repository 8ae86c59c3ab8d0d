/*
 * sched_op and vm_assist: a vCPU yielding, blocking until an event,
 * shutting its domain down; and the guest's opt-in assists.
 */
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/sched.h>
#include <pv/sched.h>
#include <pv/xen.h>

long do_vm_assist(pv_u32 cmd, pv_u32 type)
{
	struct domain *d = current_vcpu()->domain;

	/* The types a 64-bit PV guest may enable, as Xen accepts them. */
	if (type >= 64 || !(VMASST_VALID_PV64 & (1UL << type)))
		return -EINVAL;
	switch (cmd) {
	case VMASST_CMD_enable:
		__atomic_fetch_or(&d->vm_assist, 1UL << type, __ATOMIC_RELAXED);
		return 0;
	case VMASST_CMD_disable:
		__atomic_fetch_and(&d->vm_assist, ~(1UL << type), __ATOMIC_RELAXED);
		return 0;
	default:
		return -ENOSYS;
	}
}

/*
 * SCHEDOP_block: sleep until an event is pending. Enables events first
 * (the guest blocks with them masked to avoid a lost wake-up), and does
 * not sleep at all if one is already pending.
 */
static long sched_block(struct vcpu *v)
{
	WRITE_ONCE(v->vcpu_info->evtchn_upcall_mask, 0);
	__atomic_fetch_or(&v->pause_flags, VPF_BLOCKED, __ATOMIC_SEQ_CST);
	if (READ_ONCE(v->vcpu_info->evtchn_upcall_pending)) {
		__atomic_fetch_and(&v->pause_flags, ~VPF_BLOCKED, __ATOMIC_SEQ_CST);
		return 0;
	}
	vcpu_sleep(v);
	return 0;
}

/*
 * Reads a struct sched_shutdown's reason from the guest:
 * -EFAULT for a bad pointer, -EINVAL past SHUTDOWN_MAX.
 */
static long read_shutdown_reason(pv_gva_t arg, unsigned int *reason)
{
	pv_u32 r;

	if (copy_from_guest(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r > SHUTDOWN_MAX)
		return -EINVAL;
	*reason = r;
	return 0;
}

/*
 * SCHEDOP_remote_shutdown: the toolstack shuts another domain down as if
 * it had asked itself. dom0 only (-EPERM); -ESRCH for no such domain.
 */
static long remote_shutdown(struct domain *caller, pv_gva_t arg)
{
	struct sched_remote_shutdown rs;
	struct domain *d;

	if (!caller->is_privileged)
		return -EPERM;
	if (copy_from_guest(&rs, arg, sizeof(rs)))
		return -EFAULT;
	if (rs.reason > SHUTDOWN_MAX)
		return -EINVAL;
	d = domain_get(rs.domain_id);
	if (!d)
		return -ESRCH;
	domain_shutdown(d, rs.reason);
	domain_put(d);
	return 0;
}

long do_sched_op(pv_s32 cmd, pv_gva_t arg)
{
	struct vcpu *v = current_vcpu();
	unsigned int reason;
	long rc;

	switch (cmd) {
	case SCHEDOP_yield:
		raise_softirq(v->processor, SOFTIRQ_SCHEDULE);
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown:
		if ((rc = read_shutdown_reason(arg, &reason)))
			return rc;
		domain_shutdown(v->domain, reason);
		return 0;
	case SCHEDOP_shutdown_code:
		if ((rc = read_shutdown_reason(arg, &reason)))
			return rc;
		v->domain->shutdown_reason = (u8)reason;
		return 0;
	case SCHEDOP_remote_shutdown:
		return remote_shutdown(v->domain, arg);
	case SCHEDOP_poll:
		return sched_poll(v, arg);
	default:
		return -ENOSYS;
	}
}
