/*
 * Guest time: the pvclock record in every vcpu_info, the wall clock in
 * shared_info, set_timer_op and the vCPU timers behind VIRQ_TIMER, and
 * the runstate record (mica/vcpu_time.h).
 */
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/sched.h>
#include <mica/spinlock.h>
#include <mica/timer.h>
#include <mica/vcpu_time.h>
#include <pv/event_channel.h>
#include <pv/vcpu.h>
#include <pv/xen.h>

/*
 * Theory of operation.
 *
 * The guest clock. Every vCPU of every domain gets the same record: the
 * TSC value tsc_base at which guest system time was ns_base (about the
 * hypervisor's boot time at that moment), and the scale (mul, shift) of
 * the TSC's rate. The record never changes after boot, so a guest
 * extrapolating from it reads one exact function of the TSC: monotonic,
 * the same on every vCPU when the TSCs agree, and with no step at an
 * update. Rewriting it (on every switch to the vCPU and every timer event
 * it gets) only repairs what the guest may have scribbled, and fills a
 * newly registered vcpu_info. TSC_STABLE is set when the CPU reports an
 * invariant TSC (CPUID 0x80000007 EDX bit 8); the hypervisor already
 * assumes TSCs that agree across CPUs (smp.c warns when they do not).
 *
 * Guest time and now_ns() run at the same rate, from two roundings of
 * it, so they drift apart by well under a microsecond a minute. Timers
 * are therefore armed by distance: a guest deadline D becomes now_ns() +
 * (D - guest now). Each timer function checks the guest clock again and
 * re-arms if it came early, which also bounds how far ahead a hardware
 * deadline is ever programmed (MAX_ARM_NS).
 *
 * Per vCPU (struct vcpu_timers, v->timer_priv), one lock, taken with
 * interrupts off, guards the timers, the runstate and the writing of the
 * vCPU's time record. Timer functions run on the vCPU's CPU from the timer
 * softirq; they take the lock, decide, drop it, and only then send
 * VIRQ_TIMER (which takes the event-channel lock).
 *
 * The periodic timer ticks only while its vCPU is on a CPU (as on Xen): it
 * stops at switch-out and restarts at switch-in, where a tick missed in
 * between is sent at once. The singleshot timer runs whatever the vCPU
 * does, since it is what wakes a blocked vCPU.
 *
 * The runstate record is kept here and copied to the guest's registered
 * area (a kernel virtual address) only while an address space of that
 * domain's kernel is loaded on this CPU: at switch-out of the vCPU, at
 * switch-in, in its timer events, and at registration. When the vCPU is
 * in user mode the copy waits for the next such moment. Linux only uses
 * it for steal time, and the ABI allows it to be stale.
 */

#define MAX_ARM_NS (1ULL << 40)           /* about 18 minutes */
#define DEFAULT_PERIOD_NS (10 * NSEC_PER_MSEC) /* a new PV vCPU's tick, as on Xen */
#define MIN_PERIOD_NS NSEC_PER_MSEC
#define MAX_PERIOD_NS (1ULL << 62)
#define SET_TIMER_OP_FAR_NS (1ULL << 50)  /* about 13 days */
#define SET_TIMER_OP_FAR_DELAY_NS (100 * NSEC_PER_MSEC)

/* The guest clock; written once by vcpu_time_boot_init. */
static struct {
	u64 tsc_base;    /* TSC at which the guest clock read ns_base */
	u64 ns_base;
	u32 mul;         /* 0 until vcpu_time_boot_init */
	s8 shift;
	u8 flags;        /* XEN_PVCLOCK_* */
	u64 wc_ns;       /* Unix time, in ns, at guest system time 0 */
} clk;

struct vcpu_timers {
	spinlock_t lock;
	struct vcpu *v;
	struct timer singleshot;
	u64 singleshot_deadline;  /* guest time, while singleshot_armed */
	bool singleshot_armed;
	struct timer periodic;
	u64 period;               /* ns; 0 = off */
	u64 periodic_last;        /* guest time of the last tick */
	bool periodic_running;    /* v is on a CPU, so its tick is armed */
	struct vcpu_runstate_info runstate;
	u64 runstate_gva;         /* the guest's copy; 0 = none */
	bool runstate_dirty;      /* the guest's copy is behind */
};

/* ---- The clock ---- */

void pvclock_scale_for(u64 hz, u32 *mul, s8 *shift)
{
	u64 num = NSEC_PER_SEC, den = hz ? MIN(hz, 1ULL << 40) : NSEC_PER_SEC, q = 0;
	int s = 0;

	/* Bring num / den into [1/2, 1) by scaling the TSC up (shift > 0) or down. */
	while (den <= num) {
		den <<= 1;
		s++;
	}
	while (den > 2 * num) {
		num <<= 1;
		s--;
	}
	/* mul = num * 2^32 / den, by long division: the image has no 128-bit divide. */
	for (int i = 0; i < 32; i++) {
		num <<= 1;
		q <<= 1;
		if (num >= den) {
			num -= den;
			q |= 1;
		}
	}
	*mul = (u32)q;
	*shift = (s8)s;
}

u64 pvclock_scale(u64 ticks, u32 mul, s8 shift)
{
	if (shift < 0)
		ticks >>= -shift;
	else
		ticks <<= shift;
	return (u64)(((unsigned __int128)ticks * mul) >> 32);
}

u64 guest_system_time(void)
{
	if (!clk.mul)
		return now_ns();
	return clk.ns_base + pvclock_scale(rdtsc() - clk.tsc_base, clk.mul, clk.shift);
}

u64 guest_time_to_boot_ns(u64 guest_ns)
{
	u64 guest_now = guest_system_time(), boot_now = now_ns();
	u64 ahead;

	if (guest_ns <= guest_now)
		return boot_now;
	ahead = guest_ns - guest_now;
	return ahead > ~0ULL - boot_now ? ~0ULL : boot_now + ahead;
}

u64 unix_seconds(unsigned int year, unsigned int month, unsigned int day,
		 unsigned int hour, unsigned int min, unsigned int sec)
{
	static const u16 days_before_month[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
	};
	u64 y = year - 1, days;
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	/* Days from 0001-01-01 to the 1st of January of year, less those to 1970. */
	days = y * 365 + y / 4 - y / 100 + y / 400 - 719162;
	days += days_before_month[(month - 1) % 12] + (leap && month > 2) + day - 1;
	return ((days * 24 + hour) * 60 + min) * 60 + sec;
}

void vcpu_time_boot_init(void)
{
	u64 t0 = rdtsc(), ns = now_ns(), t1 = rdtsc(), rtc;

	clk.tsc_base = t0 + (t1 - t0) / 2;
	clk.ns_base = ns;
	/* CPUID 0x80000007 EDX bit 8: the TSC is invariant. */
	clk.flags = cpu_has(0x80000007, CPUID_EDX, 8) ? XEN_PVCLOCK_TSC_STABLE_BIT : 0;
	pvclock_scale_for(tsc_hz, &clk.mul, &clk.shift);

	rtc = arch_rtc_read_seconds();
	if (!rtc) {
		pr_warn("time: no readable RTC; guests' wall clock starts at 1970");
	} else {
		/* The RTC's second began up to a second ago: take its middle, as
		 * Linux's hctosys does, so the guests' error is +-0.5 s, not -1..0. */
		u64 wall = rtc * NSEC_PER_SEC + NSEC_PER_SEC / 2, since_boot = guest_system_time();

		clk.wc_ns = wall > since_boot ? wall - since_boot : 0;
	}
	pr_info("time: guest clock mul %u shift %d%s; wall clock %llu s from the RTC", clk.mul,
		clk.shift, clk.flags ? ", TSC stable" : "", (unsigned long long)rtc);
}

/* Rewrites a time record, odd version while it changes (the guest retries then). */
static void write_time_record(struct vcpu_time_info *t)
{
	u32 version = (READ_ONCE(t->version) + 1) | 1;

	WRITE_ONCE(t->version, version);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(t->tsc_timestamp, clk.tsc_base);
	WRITE_ONCE(t->system_time, clk.ns_base);
	WRITE_ONCE(t->tsc_to_system_mul, clk.mul);
	WRITE_ONCE(t->tsc_shift, clk.shift);
	WRITE_ONCE(t->flags, clk.flags);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(t->version, version + 1);
}

static void write_wallclock(struct shared_info *s)
{
	u32 version = (READ_ONCE(s->wc_version) + 1) | 1;
	u64 sec = clk.wc_ns / NSEC_PER_SEC;

	WRITE_ONCE(s->wc_version, version);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(s->wc_sec, (u32)sec);
	WRITE_ONCE(s->wc_sec_hi, (u32)(sec >> 32));
	WRITE_ONCE(s->wc_nsec, (u32)(clk.wc_ns % NSEC_PER_SEC));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(s->wc_version, version + 1);
}

void vcpu_time_update(struct vcpu *v)
{
	struct vcpu_timers *vt = v->timer_priv;
	u64 flags = spin_lock_irqsave(&vt->lock);

	write_time_record(&READ_ONCE(v->vcpu_info)->time);
	spin_unlock_irqrestore(&vt->lock, flags);
}

int vcpu_info_move(struct vcpu *v, struct vcpu_info *vi, u64 mfn)
{
	struct vcpu_timers *vt = v->timer_priv;
	u64 flags = spin_lock_irqsave(&vt->lock);

	if (v->vcpu_info_mfn) {
		spin_unlock_irqrestore(&vt->lock, flags);
		return -EBUSY;
	}
	memcpy(vi, v->vcpu_info, sizeof(*vi));
	write_time_record(&vi->time);
	__atomic_store_n(&v->vcpu_info, vi, __ATOMIC_SEQ_CST);
	v->vcpu_info_mfn = mfn;
	/* Events raised into the old copy meanwhile: make the guest scan everything. */
	__atomic_store_n(&vi->evtchn_pending_sel, ~0ULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	spin_unlock_irqrestore(&vt->lock, flags);
	return 0;
}

/* ---- Timers ---- */

/* Arms t for guest time deadline; far ones come early and re-arm. Lock held. */
static void arm(struct timer *t, u64 deadline)
{
	u64 now = guest_system_time();

	if (deadline > now && deadline - now > MAX_ARM_NS)
		deadline = now + MAX_ARM_NS;
	set_timer(t, guest_time_to_boot_ns(deadline));
}

/* A timer event for v: its time record refreshed, then VIRQ_TIMER. No lock held. */
static void timer_event(struct vcpu *v)
{
	vcpu_time_update(v);
	send_guest_vcpu_virq(v, VIRQ_TIMER);
}

static void singleshot_fn(void *data)
{
	struct vcpu_timers *vt = data;
	u64 flags = spin_lock_irqsave(&vt->lock);
	bool fire = vt->singleshot_armed && guest_system_time() >= vt->singleshot_deadline;

	if (fire)
		vt->singleshot_armed = false;
	else if (vt->singleshot_armed)
		arm(&vt->singleshot, vt->singleshot_deadline); /* it came early */
	spin_unlock_irqrestore(&vt->lock, flags);
	if (fire)
		timer_event(vt->v);
}

/*
 * Sends the tick if one is due and arms the next; false if none was due.
 * Lock held, v on a CPU.
 */
static bool periodic_work(struct vcpu_timers *vt)
{
	u64 now = guest_system_time(), next = vt->periodic_last + vt->period;
	bool tick = false;

	if (now >= next) {
		tick = true;
		vt->periodic_last = now;
		next = now + vt->period;
	}
	arm(&vt->periodic, next);
	return tick;
}

static void periodic_fn(void *data)
{
	struct vcpu_timers *vt = data;
	bool tick = false;
	u64 flags = spin_lock_irqsave(&vt->lock);

	if (vt->periodic_running && vt->period)
		tick = periodic_work(vt);
	spin_unlock_irqrestore(&vt->lock, flags);
	if (tick)
		timer_event(vt->v);
}

static void follow_vcpu(struct vcpu_timers *vt, unsigned int cpu)
{
	if (vt->singleshot.cpu != cpu)
		migrate_timer(&vt->singleshot, cpu);
	if (vt->periodic.cpu != cpu)
		migrate_timer(&vt->periodic, cpu);
}

int vcpu_set_singleshot_timer(struct vcpu *v, u64 deadline, u32 flags)
{
	struct vcpu_timers *vt = v->timer_priv;
	u64 irq;

	if ((flags & VCPU_SSHOTTMR_future) && deadline < guest_system_time())
		return -ETIME;
	irq = spin_lock_irqsave(&vt->lock);
	follow_vcpu(vt, v->processor);
	vt->singleshot_deadline = deadline;
	vt->singleshot_armed = true;
	arm(&vt->singleshot, deadline);
	spin_unlock_irqrestore(&vt->lock, irq);
	return 0;
}

void vcpu_stop_singleshot_timer(struct vcpu *v)
{
	struct vcpu_timers *vt = v->timer_priv;
	u64 flags = spin_lock_irqsave(&vt->lock);

	vt->singleshot_armed = false;
	stop_timer(&vt->singleshot);
	spin_unlock_irqrestore(&vt->lock, flags);
}

int vcpu_set_periodic_timer(struct vcpu *v, u64 period_ns)
{
	struct vcpu_timers *vt = v->timer_priv;
	bool tick = false;
	u64 flags;

	if (period_ns && (period_ns < MIN_PERIOD_NS || period_ns > MAX_PERIOD_NS))
		return -EINVAL;
	flags = spin_lock_irqsave(&vt->lock);
	vt->period = period_ns;
	vt->periodic_last = guest_system_time();
	if (!period_ns)
		stop_timer(&vt->periodic);
	else if (vt->periodic_running)
		tick = periodic_work(vt);
	spin_unlock_irqrestore(&vt->lock, flags);
	if (tick)
		send_guest_vcpu_virq(v, VIRQ_TIMER);
	return 0;
}

/*
 * set_timer_op: the calling vCPU's singleshot timer at an absolute guest
 * time; 0 cancels, a past time fires at once. As on Xen, a deadline that
 * is "negative" or more than 2^50 ns away (a wrapped Linux jiffy value,
 * or "no timer" from old guests) becomes 100 ms from now.
 */
long do_set_timer_op(pv_u64 timeout_abs_ns)
{
	struct vcpu *v = current_vcpu();
	u64 now = guest_system_time();

	if (!timeout_abs_ns) {
		vcpu_stop_singleshot_timer(v);
		return 0;
	}
	if ((s64)timeout_abs_ns < 0 ||
	    (timeout_abs_ns > now && timeout_abs_ns - now > SET_TIMER_OP_FAR_NS))
		timeout_abs_ns = now + SET_TIMER_OP_FAR_DELAY_NS;
	return vcpu_set_singleshot_timer(v, timeout_abs_ns, 0);
}

/* ---- Runstate ---- */

static void runstate_set(struct vcpu_timers *vt, int state, u64 now)
{
	struct vcpu_runstate_info *rs = &vt->runstate;

	if (now > rs->state_entry_time)
		rs->time[rs->state] += now - rs->state_entry_time;
	rs->state = state;
	rs->state_entry_time = now;
	vt->runstate_dirty = true;
}

/*
 * Copies the runstate to the guest if its copy is behind; loaded says the
 * domain's kernel address space is the one on this CPU. Lock held.
 */
static void runstate_flush(struct vcpu_timers *vt, bool loaded)
{
	const struct domain *d = vt->v->domain;
	struct vcpu_runstate_info rs = vt->runstate;
	u64 gva = vt->runstate_gva;

	if (!gva) {
		vt->runstate_dirty = false;
		return;
	}
	if (!vt->runstate_dirty || !loaded)
		return;
	if (READ_ONCE(d->vm_assist) & (1ULL << VMASST_TYPE_runstate_update_flag)) {
		/* Guests that asked see the flag while the record is half written. */
		u64 busy = rs.state_entry_time | XEN_RUNSTATE_UPDATE;

		copy_to_guest(gva + offsetof(struct vcpu_runstate_info, state_entry_time), &busy,
			      sizeof(busy));
		__atomic_thread_fence(__ATOMIC_RELEASE);
		rs.state_entry_time = busy;
		copy_to_guest(gva, &rs, sizeof(rs));
		__atomic_thread_fence(__ATOMIC_RELEASE);
		rs.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
		copy_to_guest(gva + offsetof(struct vcpu_runstate_info, state_entry_time),
			      &rs.state_entry_time, sizeof(rs.state_entry_time));
	} else {
		copy_to_guest(gva, &rs, sizeof(rs));
	}
	/* A copy that faulted is not retried: the address is the guest's to get right. */
	vt->runstate_dirty = false;
}

/* Whether v's own kernel address space is the one loaded here. */
static bool loaded_here(const struct vcpu *v)
{
	return current_vcpu() == v && v->arch.kernel_mode;
}

void vcpu_get_runstate(struct vcpu *v, struct vcpu_runstate_info *out)
{
	struct vcpu_timers *vt = v->timer_priv;
	u64 now = guest_system_time();
	u64 flags = spin_lock_irqsave(&vt->lock);

	*out = vt->runstate;
	if (now > out->state_entry_time)
		out->time[out->state] += now - out->state_entry_time;
	spin_unlock_irqrestore(&vt->lock, flags);
}

int vcpu_register_runstate_area(struct vcpu *v, u64 gva)
{
	struct vcpu_timers *vt = v->timer_priv;
	const struct vcpu *cur = current_vcpu();
	u64 flags;

	if (gva && !guest_range_ok(gva, sizeof(struct vcpu_runstate_info)))
		return -EFAULT;
	flags = spin_lock_irqsave(&vt->lock);
	vt->runstate_gva = gva;
	vt->runstate_dirty = true;
	/* The caller's kernel address space maps its domain's areas too. */
	runstate_flush(vt, cur && cur->domain == v->domain && cur->arch.kernel_mode);
	spin_unlock_irqrestore(&vt->lock, flags);
	return 0;
}

/* ---- Scheduler hooks ---- */

void vcpu_time_switch_out(struct vcpu *prev)
{
	struct vcpu_timers *vt = prev ? prev->timer_priv : NULL;
	int state;
	u64 flags;

	if (!vt)
		return;
	if (vcpu_runnable(prev))
		state = RUNSTATE_runnable;
	else if (READ_ONCE(prev->pause_flags) & (VPF_BLOCKED | VPF_POLLING))
		state = RUNSTATE_blocked;
	else
		state = RUNSTATE_offline;
	flags = spin_lock_irqsave(&vt->lock);
	vt->periodic_running = false;
	stop_timer(&vt->periodic);
	runstate_set(vt, state, guest_system_time());
	runstate_flush(vt, loaded_here(prev));
	spin_unlock_irqrestore(&vt->lock, flags);
}

void vcpu_time_switch_in(struct vcpu *next)
{
	struct vcpu_timers *vt = next ? next->timer_priv : NULL;
	bool tick = false;
	u64 flags;

	if (!vt)
		return;
	flags = spin_lock_irqsave(&vt->lock);
	follow_vcpu(vt, next->processor);
	write_time_record(&READ_ONCE(next->vcpu_info)->time);
	runstate_set(vt, RUNSTATE_running, guest_system_time());
	runstate_flush(vt, loaded_here(next));
	vt->periodic_running = true;
	if (vt->period)
		tick = periodic_work(vt);
	spin_unlock_irqrestore(&vt->lock, flags);
	if (tick)
		send_guest_vcpu_virq(next, VIRQ_TIMER);
}

/* ---- Domains ---- */

int vcpu_time_domain_init(struct domain *d)
{
	struct vcpu_timers *all;
	u64 now;

	if (!clk.mul)
		vcpu_time_boot_init();
	all = hv_zalloc(d->max_vcpus * sizeof(*all));
	if (!all)
		return -ENOMEM;
	now = guest_system_time();
	for (unsigned int i = 0; i < d->max_vcpus; i++) {
		struct vcpu_timers *vt = &all[i];
		struct vcpu *v = d->vcpus[i]; /* all exist: domain_create made them first */

		vt->v = v;
		timer_init(&vt->singleshot, singleshot_fn, vt, v->processor);
		timer_init(&vt->periodic, periodic_fn, vt, v->processor);
		vt->period = DEFAULT_PERIOD_NS;
		vt->periodic_last = now;
		vt->runstate.state = (v->pause_flags & VPF_DOWN) ? RUNSTATE_offline
								  : RUNSTATE_runnable;
		vt->runstate.state_entry_time = now;
		if (v->vcpu_info)
			write_time_record(&v->vcpu_info->time);
		v->timer_priv = vt;
	}
	write_wallclock(d->shared_info);
	return 0;
}

void vcpu_time_domain_destroy(struct domain *d)
{
	/* NULL if domain_create failed before vcpu_time_domain_init, which gives each vCPU one. */
	struct vcpu_timers *all = d->vcpus[0] ? d->vcpus[0]->timer_priv : NULL;

	if (!all)
		return;
	for (unsigned int i = 0; i < d->max_vcpus; i++) {
		u64 flags = spin_lock_irqsave(&all[i].lock);

		all[i].singleshot_armed = false;
		all[i].periodic_running = false;
		stop_timer(&all[i].singleshot);
		stop_timer(&all[i].periodic);
		spin_unlock_irqrestore(&all[i].lock, flags);
		d->vcpus[i]->timer_priv = NULL;
	}
	hv_free(all, d->max_vcpus * sizeof(*all));
}
