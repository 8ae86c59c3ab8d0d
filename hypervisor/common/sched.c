/*
 * Round-robin scheduling of vCPUs on per-CPU run queues.
 *
 * Invariant: a vCPU is on its CPU's run queue exactly while it is
 * runnable (vcpu_wake adds, vcpu_sleep removes; schedule() also drops any
 * queued vCPU it finds unrunnable). The vCPU running on a CPU stays on
 * the queue; schedule() rotates it to the back when its slice ends.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/sched.h>
#include <mica/spinlock.h>
#include <mica/timer.h>
#include <mica/vcpu_time.h>

struct runqueue {
	spinlock_t lock;
	struct vcpu *head;        /* circular list; head runs next */
	unsigned int nr;
	struct timer slice_timer; /* ends the running vCPU's timeslice */
};

static struct runqueue runqueues[MAX_CPUS];
static unsigned int next_placement; /* round-robin placement of new vCPUs */

void raise_softirq(unsigned int cpu, u32 bits)
{
	struct cpu_info *ci = cpu < MAX_CPUS ? cpu_infos[cpu] : NULL;

	if (!ci)
		return;
	__atomic_fetch_or(&ci->softirq, bits, __ATOMIC_SEQ_CST);
	if (ci != this_cpu())
		send_ipi(cpu, IRQ_VECTOR_IPI_WAKE);
}

void do_softirqs(void)
{
	u32 bits = __atomic_exchange_n(&this_cpu()->softirq, 0, __ATOMIC_SEQ_CST);

	if (bits & SOFTIRQ_TIMER)
		timer_softirq_action();
	if (bits & SOFTIRQ_SCHEDULE)
		schedule();
}

bool vcpu_runnable(const struct vcpu *v)
{
	const struct domain *d = v->domain;

	return !READ_ONCE(v->pause_flags) && !READ_ONCE(v->pause_count) &&
	       !READ_ONCE(d->pause_count) && !READ_ONCE(d->is_shutdown) &&
	       !READ_ONCE(d->is_dying);
}

/* Run-queue list operations; lock held. */
static void rq_insert_tail(struct runqueue *rq, struct vcpu *v)
{
	if (!rq->head) {
		v->rq_next = v->rq_prev = v;
		rq->head = v;
	} else {
		v->rq_next = rq->head;
		v->rq_prev = rq->head->rq_prev;
		rq->head->rq_prev->rq_next = v;
		rq->head->rq_prev = v;
	}
	v->on_runq = true;
	rq->nr++;
}

static void rq_remove(struct runqueue *rq, struct vcpu *v)
{
	if (v->rq_next == v) {
		rq->head = NULL;
	} else {
		v->rq_prev->rq_next = v->rq_next;
		v->rq_next->rq_prev = v->rq_prev;
		if (rq->head == v)
			rq->head = v->rq_next;
	}
	v->on_runq = false;
	v->rq_next = v->rq_prev = NULL;
	rq->nr--;
}

static void slice_expired(void *data)
{
	raise_softirq(this_cpu()->cpu, SOFTIRQ_SCHEDULE);
}

void schedule(void)
{
	struct cpu_info *ci = this_cpu();
	struct runqueue *rq = &runqueues[ci->cpu];
	struct vcpu *prev = ci->current, *next;
	u64 now = now_ns();

	spin_lock(&rq->lock);
	/* The running vCPU goes to the back if it stays runnable. */
	if (prev && prev->on_runq && rq->head == prev && rq->nr > 1)
		rq->head = prev->rq_next;
	while ((next = rq->head) && !vcpu_runnable(next))
		rq_remove(rq, next);
	if (rq->nr > 1)
		set_timer(&rq->slice_timer, now + SCHED_TIMESLICE_NS);
	else
		stop_timer(&rq->slice_timer);
	spin_unlock(&rq->lock);

	if (next == prev)
		return;
	if (prev)
		prev->cpu_time_ns += now - prev->slice_start_ns;
	if (next)
		next->slice_start_ns = now;
	vcpu_time_switch_out(prev);
	context_switch(prev, next);
	vcpu_time_switch_in(next);
}

void sched_add_vcpu(struct vcpu *v)
{
	unsigned int n = __atomic_fetch_add(&next_placement, 1, __ATOMIC_RELAXED);

	v->processor = cpu_infos[n % nr_cpus_online] ? n % nr_cpus_online : 0;
	v->on_runq = false;
}

void sched_remove_vcpu(struct vcpu *v)
{
	struct runqueue *rq = &runqueues[v->processor];
	u64 flags = spin_lock_irqsave(&rq->lock);

	if (v->on_runq)
		rq_remove(rq, v);
	spin_unlock_irqrestore(&rq->lock, flags);
}

void vcpu_wake(struct vcpu *v)
{
	struct runqueue *rq = &runqueues[v->processor];
	u64 flags = spin_lock_irqsave(&rq->lock);
	bool added = vcpu_runnable(v) && !v->on_runq;

	if (added)
		rq_insert_tail(rq, v);
	spin_unlock(&rq->lock);
	if (added)
		raise_softirq(v->processor, SOFTIRQ_SCHEDULE);
	arch_irq_restore(flags);
}

void vcpu_sleep(struct vcpu *v)
{
	struct runqueue *rq = &runqueues[v->processor];
	u64 flags = spin_lock_irqsave(&rq->lock);

	if (v->on_runq && !vcpu_runnable(v))
		rq_remove(rq, v);
	spin_unlock(&rq->lock);
	if (READ_ONCE(v->is_running))
		raise_softirq(v->processor, SOFTIRQ_SCHEDULE);
	arch_irq_restore(flags);
}

void vcpu_kick(struct vcpu *v)
{
	if (__atomic_fetch_and(&v->pause_flags, ~VPF_BLOCKED, __ATOMIC_SEQ_CST) & VPF_BLOCKED)
		vcpu_wake(v);
	else if (READ_ONCE(v->is_running) && v->processor != this_cpu()->cpu)
		send_ipi(v->processor, IRQ_VECTOR_IPI_WAKE);
}

void cpu_idle_loop(void)
{
	struct cpu_info *ci = this_cpu();

	ci->current = NULL;
	resume_guest_frame(guest_regs_of(ci));
}

void sched_init(void)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		timer_init(&runqueues[cpu].slice_timer, slice_expired, NULL, cpu);
	timers_init();
}
