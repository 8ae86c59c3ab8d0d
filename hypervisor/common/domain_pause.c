/*
 * Pausing vCPUs and domains for the toolstack, and the guarantee behind
 * it: when a pause returns, the vCPU is off its CPU with its registers
 * saved, so its state may be read or replaced (see mica/domain.h).
 *
 * Why a pause has to wait, and for what. Making a vCPU unrunnable
 * (pause_count, is_dying) and calling vcpu_sleep takes it off its run
 * queue and asks its CPU to reschedule if the vCPU is running there. But
 * that CPU may be between picking the vCPU (under the run-queue lock)
 * and switching to it (is_running still false): vcpu_sleep then sees
 * nothing to interrupt, and the vCPU would start anyway. So the pauser
 * asks the CPU for another pass through its softirq work and waits until
 * that pass has begun: do_softirqs runs a pass to its end before it takes
 * new bits, so a pass beginning means the switch that was in flight is
 * complete, and the pass itself reschedules away from the unrunnable
 * vCPU. Then waiting for is_running to drop is enough.
 *
 * Waits run in hypercall context with interrupts off, so they answer
 * TLB-flush requests meanwhile (as every spin-wait of the memory manager
 * does): the CPU being waited for may itself be waiting for this one.
 * No lock is held while waiting.
 */
#include <asm/percpu.h>
#include <asm/pv_mm.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/sched.h>
#include <mica/spinlock.h>

/* The toolstack may stack this many pauses, as on Xen. */
#define TOOLSTACK_PAUSE_MAX 255

static void relax(void)
{
	pv_tlb_flush_interrupt();
	spin_pause();
}

/* Returns once cpu has begun a new pass through its softirq work (at once for this CPU). */
static void cpu_softirq_pass(unsigned int cpu, u32 bit)
{
	struct cpu_info *ci = cpu < MAX_CPUS ? READ_ONCE(cpu_infos[cpu]) : NULL;

	if (!ci || ci == this_cpu())
		return;
	raise_softirq(cpu, bit);
	while ((__atomic_load_n(&ci->softirq, __ATOMIC_SEQ_CST) & bit) && READ_ONCE(ci->online))
		relax();
}

void vcpu_sleep_sync(struct vcpu *v)
{
	vcpu_sleep(v);
	cpu_softirq_pass(READ_ONCE(v->processor), SOFTIRQ_SCHEDULE);
	while (__atomic_load_n(&v->is_running, __ATOMIC_SEQ_CST))
		relax();
	/* Its registers, saved by context_switch before is_running dropped, are ours to read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void cpus_quiesce(void)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		cpu_softirq_pass(cpu, SOFTIRQ_TIMER);
}

void vcpu_pause_sync(struct vcpu *v)
{
	__atomic_fetch_add(&v->pause_count, 1, __ATOMIC_SEQ_CST);
	vcpu_sleep_sync(v);
}

void vcpu_unpause(struct vcpu *v)
{
	if (__atomic_sub_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST) == 0)
		vcpu_wake(v);
}

void domain_pause_vcpus(struct domain *d)
{
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		vcpu_pause_sync(d->vcpus[i]);
}

void domain_unpause_vcpus(struct domain *d)
{
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		vcpu_unpause(d->vcpus[i]);
}

int domain_pause_by_toolstack(struct domain *d)
{
	u32 n = __atomic_load_n(&d->pause_count, __ATOMIC_SEQ_CST);

	do {
		if (n >= TOOLSTACK_PAUSE_MAX)
			return -EOVERFLOW;
	} while (!__atomic_compare_exchange_n(&d->pause_count, &n, n + 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		vcpu_sleep_sync(d->vcpus[i]);
	return 0;
}

int domain_unpause_by_toolstack(struct domain *d)
{
	u32 n = __atomic_load_n(&d->pause_count, __ATOMIC_SEQ_CST);

	do {
		if (n == 0)
			return -EINVAL;
	} while (!__atomic_compare_exchange_n(&d->pause_count, &n, n - 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	if (n == 1)
		for (unsigned int i = 0; i < d->max_vcpus; i++)
			vcpu_wake(d->vcpus[i]);
	return 0;
}
