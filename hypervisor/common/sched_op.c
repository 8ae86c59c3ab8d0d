/*
 * sched_op and vm_assist: a vCPU yielding, blocking until an event,
 * shutting its domain down; and the guest's opt-in assists.
 */
#include <asm/pv.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/sched.h>
#include <pv/sched.h>
#include <pv/xen.h>

/* vm_assist types a 64-bit PV guest may enable (as Xen accepts them). */
#define VM_ASSIST_VALID VMASST_VALID_PV64

long do_vm_assist(pv_u32 cmd, pv_u32 type)
{
	struct domain *d = current_vcpu()->domain;

	if (type >= 64 || !(VM_ASSIST_VALID & (1UL << type)))
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

long do_sched_op(pv_s32 cmd, pv_gva_t arg)
{
	struct vcpu *v = current_vcpu();

	switch (cmd) {
	case SCHEDOP_yield:
		raise_softirq(v->processor, SOFTIRQ_SCHEDULE);
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown: {
		struct sched_shutdown s;

		if (copy_from_guest(&s, arg, sizeof(s)))
			return -EFAULT;
		if (s.reason > SHUTDOWN_MAX)
			return -EINVAL;
		domain_shutdown(v->domain, s.reason);
		return 0;
	}
	case SCHEDOP_shutdown_code: {
		struct sched_shutdown s;

		if (copy_from_guest(&s, arg, sizeof(s)))
			return -EFAULT;
		if (s.reason > SHUTDOWN_MAX)
			return -EINVAL;
		v->domain->shutdown_reason = (u8)s.reason;
		return 0;
	}
	case SCHEDOP_poll:
		return sched_poll(v, arg);
	default:
		return -ENOSYS;
	}
}
