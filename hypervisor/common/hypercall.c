/*
 * Hypercall dispatch, continuations and multicall. Handlers are found
 * through the table generated from hypercall/include/pv/hypercall_table.def.
 */
#include <asm/percpu.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/timer.h>
#include <pv/hypercall_dispatch.h>
#include <pv/xen.h>

/*
 * Per CPU: active while a multicall entry runs, so continuations go to it;
 * continued once the hypercall being dispatched has made itself start
 * again (its RAX must keep the hypercall number).
 */
static struct multicall_state {
	bool active;
	bool preempted;
	bool continued;
	u64 args[6];
} mc_state[MAX_CPUS];

/*
 * Hypercalls run with interrupts off, so the timer cannot raise its
 * softirq meanwhile: look at the CPU's timer deadline too.
 */
bool hypercall_preempt_check(void)
{
	struct cpu_info *ci = this_cpu();
	u64 deadline = READ_ONCE(ci->timer_deadline_ns);

	return READ_ONCE(ci->softirq) != 0 || (deadline && now_ns() >= deadline);
}

long hypercall_create_continuation(unsigned int nargs, const u64 *args)
{
	struct multicall_state *mc = &mc_state[this_cpu()->cpu];
	struct cpu_regs *regs = guest_regs_of(this_cpu());
	u64 *arg_regs[6] = { &regs->rdi, &regs->rsi, &regs->rdx, &regs->r10, &regs->r8, &regs->r9 };

	/* The new arguments go to the multicall entry being run, or to the guest's registers. */
	for (unsigned int i = 0; i < nargs && i < 6; i++)
		*(mc->active ? &mc->args[i] : arg_regs[i]) = args[i];
	if (mc->active) {
		mc->preempted = true;
		return 0;
	}
	mc->continued = true;
	regs->rip -= 2; /* back to SYSCALL */
	return (long)regs->rax; /* RAX keeps the hypercall number */
}

static long call(const struct pv_hypercall_desc *hc, const u64 args[6])
{
	struct vcpu *v = current_vcpu();

	if ((hc->flags & PV_HCF_DOM0) && !v->domain->is_privileged)
		return -EPERM;
	return hc->fn(args);
}

void hypercall_dispatch(struct cpu_regs *regs)
{
	struct multicall_state *mc = &mc_state[this_cpu()->cpu];
	const u64 args[6] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9 };
	long ret;

	mc->continued = false;
	ret = call(pv_hypercall_lookup(regs->rax), args);
	/* A continuation moved RIP back and keeps RAX = the number. */
	if (!mc->continued)
		regs->rax = (u64)ret;
}

/*
 * multicall(calls, nr): runs each entry as if it were its own hypercall
 * and stores its result in the entry. Returns 0 unless the list itself is
 * unreadable (-EFAULT). Preemptible between entries, and inside an entry
 * whose hypercall continues itself.
 *
 * Two entries are special, as on Xen (common/multicall.c): a multicall
 * inside a multicall is refused with -EINVAL; an iret takes effect, with
 * its frame at the guest RSP the multicall was issued with, and ends the
 * multicall, whose return value (RAX on the way back to the iret's
 * target) is the iret's: the frame's RAX. Later entries do not run.
 */
long do_multicall(pv_gva_t calls, pv_u32 nr_calls)
{
	struct multicall_state *mc = &mc_state[this_cpu()->cpu];

	for (pv_u32 i = 0; i < nr_calls; i++) {
		struct multicall_entry e;
		u64 gva = calls + (u64)i * sizeof(e);

		if (i && hypercall_preempt_check()) {
			u64 cont[2] = { gva, nr_calls - i };

			return hypercall_create_continuation(2, cont);
		}
		if (copy_from_guest(&e, gva, sizeof(e)))
			return -EFAULT;
		if (e.op == PV_HC_multicall) {
			e.result = -EINVAL;
		} else if (e.op == PV_HC_iret) {
			e.result = call(pv_hypercall_lookup(e.op), e.args);
			/* Best effort: the guest is already on its way to the iret's target. */
			(void)copy_to_guest(gva + 8, &e.result, sizeof(e.result));
			return (long)e.result;
		} else {
			mc->active = true;
			mc->preempted = false;
			e.result = call(pv_hypercall_lookup(e.op), e.args);
			mc->active = false;
			if (mc->preempted) {
				/* Resume this entry with its updated arguments. */
				u64 cont[2] = { gva, nr_calls - i };

				memcpy(e.args, mc->args, sizeof(e.args));
				if (copy_to_guest(gva, &e, sizeof(e)))
					return -EFAULT;
				return hypercall_create_continuation(2, cont);
			}
		}
		if (copy_to_guest(gva + 8, &e.result, sizeof(e.result)))
			return -EFAULT;
	}
	return 0;
}
