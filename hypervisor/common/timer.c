/*
 * Software timers on per-CPU sorted lists. Lists are short (a few timers
 * per vCPU on the CPU), so insertion is a linear walk; the earliest
 * expiry programs the CPU's one-shot timer.
 */
#include <asm/percpu.h>
#include <asm/time.h>
#include <mica/console.h>
#include <mica/lib.h>
#include <mica/sched.h>
#include <mica/spinlock.h>
#include <mica/timer.h>

struct timer_cpu {
	spinlock_t lock;
	struct timer *head; /* sorted by expiry */
};

static struct timer_cpu timer_cpus[MAX_CPUS];

u64 now_ns(void)
{
	return arch_boot_ns();
}

void timer_init(struct timer *t, void (*fn)(void *data), void *data, unsigned int cpu)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->data = data;
	t->cpu = cpu;
}

/* Takes t off its CPU's list; lock held. */
static void dequeue(struct timer_cpu *tc, struct timer *t)
{
	for (struct timer **p = &tc->head; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->active = false;
}

void set_timer(struct timer *t, u64 expires)
{
	struct timer_cpu *tc = &timer_cpus[t->cpu];
	struct timer **p;
	u64 flags = spin_lock_irqsave(&tc->lock);
	bool first;

	if (t->active)
		dequeue(tc, t);
	t->expires = expires;
	for (p = &tc->head; *p && (*p)->expires <= expires; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
	t->active = true;
	first = tc->head == t;
	spin_unlock(&tc->lock);
	if (first)
		raise_softirq(t->cpu, SOFTIRQ_TIMER);
	arch_irq_restore(flags);
}

void stop_timer(struct timer *t)
{
	struct timer_cpu *tc = &timer_cpus[t->cpu];
	u64 flags = spin_lock_irqsave(&tc->lock);

	if (t->active)
		dequeue(tc, t);
	spin_unlock_irqrestore(&tc->lock, flags);
}

void migrate_timer(struct timer *t, unsigned int cpu)
{
	struct timer_cpu *tc = &timer_cpus[t->cpu];
	u64 flags = arch_irq_save();
	bool was_active;

	spin_lock(&tc->lock);
	was_active = t->active;
	if (was_active)
		dequeue(tc, t);
	spin_unlock(&tc->lock);
	t->cpu = cpu;
	if (was_active)
		set_timer(t, t->expires);
	arch_irq_restore(flags);
}

void timer_softirq_action(void)
{
	unsigned int cpu = this_cpu()->cpu;
	struct timer_cpu *tc = &timer_cpus[cpu];
	u64 now = now_ns();

	spin_lock(&tc->lock);
	while (tc->head && tc->head->expires <= now) {
		struct timer *t = tc->head;

		tc->head = t->next;
		t->active = false;
		spin_unlock(&tc->lock);
		t->fn(t->data);
		spin_lock(&tc->lock);
		now = now_ns();
	}
	timer_set_oneshot(tc->head ? (tc->head->expires ? tc->head->expires : 1) : 0);
	spin_unlock(&tc->lock);
}

static void hardware_timer_hook(u64 now)
{
	raise_softirq(this_cpu()->cpu, SOFTIRQ_TIMER);
}

void timers_init(void)
{
	timer_set_hook(hardware_timer_hook);
}
