/* The TSC clock, its calibration against the PIT, and the per-CPU one-shot timer. */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/cmdline.h>
#include <mica/console.h>

/*
 * Theory of operation. The TSC is the only clock: all CPUs are assumed to
 * have constant-rate TSCs that agree (smp.c checks each secondary CPU
 * against the boot CPU and warns if not). time_init() measures the rate
 * once, and conversions are a 64x64->128-bit multiply by a 32.32 fixed
 * point factor, which cannot overflow for centuries of uptime.
 *
 * The timer is one deadline per CPU, kept in cpu_info. The hardware is
 * programmed for it either as an absolute TSC value (TSC-deadline mode) or
 * as a count of the APIC timer, which is capped at 2^32 - 1 ticks; the
 * interrupt handler re-arms when it fires before the deadline, so any
 * deadline, however far, is met.
 */

u64 tsc_hz;
static u64 tsc_boot;       /* TSC value at which boot time 0 lies */
static u64 tsc_to_ns_mul;  /* ns = ticks * mul >> 32 */
static u64 ns_to_tsc_mul;  /* ticks = ns * mul >> 32 */

static u64 apic_timer_hz;
static u64 apic_ns_mul;    /* APIC timer ticks = ns * mul >> 32 */
static bool use_tsc_deadline;
static timer_hook_fn timer_hook;

/* "tsc_deadline=0" forces the APIC timer's own counter even where TSC-deadline mode exists. */
static bool opt_tsc_deadline = true;
PARAM_BOOL("tsc_deadline", opt_tsc_deadline);

#define PIT_HZ 1193182
#define PIT_CH2_DATA 0x42
#define PIT_MODE 0x43
#define PIT_CH2_MODE0 0xb0 /* channel 2, low then high byte, mode 0, binary */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20

#define CAL_ROUNDS 5
#define CAL_ATTEMPTS (10 * CAL_ROUNDS) /* a busy host disturbs many */
#define CAL_PIT_TICKS (PIT_HZ / 100) /* 10 ms */
#define CAL_SPIN_LIMIT (1ULL << 32) /* TSC ticks: over a second on any x86_64 */
#define CAL_SLACK 500 /* a round is kept if its uncertainty is under 1/500 of it */

static inline u64 mul_shr32(u64 a, u64 mul)
{
	return (u64)(((unsigned __int128)a * mul) >> 32);
}

/* (num << 32) / den without overflow, for num / den < 2^32 and den < 2^32. */
static u64 ratio32(u64 num, u64 den)
{
	return ((num / den) << 32) + ((num % den) << 32) / den;
}

u64 tsc_to_ns(u64 ticks)
{
	return mul_shr32(ticks, tsc_to_ns_mul);
}

u64 ns_to_tsc(u64 ns)
{
	return mul_shr32(ns, ns_to_tsc_mul);
}

u64 arch_boot_ns(void)
{
	return tsc_to_ns(rdtsc() - tsc_boot);
}

void udelay(u64 us)
{
	u64 start = rdtsc(), ticks = ns_to_tsc(us * NSEC_PER_USEC) + 1;

	while (rdtsc() - start < ticks)
		cpu_relax();
}

/*
 * Calibration rounds. Mica itself may run virtualized (QEMU TCG, or a VM
 * on a busy host), where this CPU can be descheduled between any two
 * instructions while the clocks go on: a pause right after the count
 * starts, or between the last poll and the TSC read, makes a round short
 * or long by the pause. So each round brackets the instants it measures
 * with TSC reads and reports the brackets' width as its uncertainty.
 * Rounds uncertain by more than 1/CAL_SLACK are set aside and the rate is
 * the median of the rest; if every round is, the least uncertain one
 * gives the rate, with a warning.
 */
struct cal {
	u64 good[CAL_ROUNDS];    /* the rounds kept, in increasing order */
	unsigned int ngood, nall;
	u64 best, best_ppm;      /* the least uncertain round so far */
};

/*
 * Records one round's value, measured over `span` TSC ticks give or take
 * `uncertainty`; returns true once enough rounds are in.
 */
static bool cal_add(struct cal *c, u64 value, u64 span, u64 uncertainty)
{
	u64 ppm = uncertainty * 1000000 / span;

	if (!c->nall++ || ppm < c->best_ppm) {
		c->best = value;
		c->best_ppm = ppm;
	}
	if (uncertainty * CAL_SLACK <= span) {
		unsigned int i = c->ngood++;

		/* Kept sorted, for the median. */
		for (; i && c->good[i - 1] > value; i--)
			c->good[i] = c->good[i - 1];
		c->good[i] = value;
	}
	return c->ngood == CAL_ROUNDS || c->nall == CAL_ATTEMPTS;
}

/* The median of the good rounds, else the least uncertain round. */
static u64 cal_result(const struct cal *c, const char *what)
{
	if (!c->ngood) {
		pr_warn("%s: every calibration round was disturbed; the best is uncertain by %lu ppm",
			what, c->best_ppm);
		return c->best;
	}
	return c->good[c->ngood / 2];
}

/*
 * One measurement: TSC ticks during CAL_PIT_TICKS of PIT channel 2 in
 * mode 0, whose output (read back in port 0x61) rises at terminal count.
 * The count starts at the write of its high byte; the terminal count lies
 * after the start of the last poll that saw the output low and before the
 * end of the first that saw it high. *uncertainty is the width of those
 * two brackets. Returns 0 if the PIT does not behave.
 */
static u64 pit_measure(u64 *uncertainty)
{
	u8 portb = inb(PORT_B);
	u64 load0, load1, low = 0, before, after, ticks = 0;
	bool high;

	outb(PORT_B, (u8)((portb & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_MODE, PIT_CH2_MODE0);
	outb(PIT_CH2_DATA, CAL_PIT_TICKS & 0xff);
	load0 = rdtsc();
	outb(PIT_CH2_DATA, CAL_PIT_TICKS >> 8);
	load1 = rdtsc();
	do {
		before = rdtsc();
		high = inb(PORT_B) & PORT_B_OUT2;
		after = rdtsc();
		if (!high)
			low = before;
	} while (!high && after - load1 < CAL_SPIN_LIMIT);
	/* A missing PIT reads as all ones: the output is high at the first poll. */
	if (high && low) {
		ticks = (low + after) / 2 - (load0 + load1) / 2;
		*uncertainty = (after - low) + (load1 - load0);
	}
	outb(PORT_B, portb);
	return ticks;
}

/* TSC rate from PIT measurements (see struct cal), or 0. */
static u64 calibrate_pit(void)
{
	struct cal c = { .ngood = 0 };
	u64 ticks, uncertainty;

	do {
		ticks = pit_measure(&uncertainty);
		if (!ticks)
			return 0;
	} while (!cal_add(&c, ticks, ticks, uncertainty));
	return cal_result(&c, "TSC") * PIT_HZ / CAL_PIT_TICKS;
}

/* TSC rate as CPUID leaf 0x15 (or 0x16's base frequency) reports it, or 0. */
static u64 calibrate_cpuid(void)
{
	u32 a, b, c, d, max;

	cpuid(0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, &a, &b, &c, &d);
		if (a && b && c)
			return (u64)c * b / a;
	}
	if (max >= 0x16) {
		cpuid(0x16, &a, &b, &c, &d);
		if (a & 0xffff)
			return (u64)(a & 0xffff) * 1000000;
	}
	return 0;
}

static bool plausible_hz(u64 hz)
{
	return hz >= 100000000ULL && hz <= 20000000000ULL;
}

void time_init(void)
{
	const char *how = "calibrated against the PIT";
	u64 hz, khz;

	tsc_boot = rdtsc();
	hz = calibrate_pit();
	if (!plausible_hz(hz)) {
		hz = calibrate_cpuid();
		how = "as CPUID reports it (no working PIT)";
	}
	if (!plausible_hz(hz)) {
		hz = 1000000000ULL;
		how = "GUESSED: no working PIT and no CPUID frequency; time will be wrong";
		pr_warn("TSC: cannot measure its rate");
	}
	tsc_to_ns_mul = (NSEC_PER_SEC << 32) / hz;
	ns_to_tsc_mul = ratio32(hz, NSEC_PER_SEC);
	WRITE_ONCE(tsc_hz, hz);
	khz = (hz + 500) / 1000;
	pr_info("TSC: %lu.%03lu MHz, %s", khz / 1000, khz % 1000, how);
}

/* APIC timer ticks per second with divide-by-1, measured against the TSC (see struct cal). */
static u64 calibrate_apic_timer(void)
{
	struct cal c = { .ngood = 0 };
	u64 window = tsc_hz / 100, value, t0, t1, a, uncertainty;
	u32 left;

	apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIV_1);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | IRQ_VECTOR_TIMER);
	do {
		a = rdtsc();
		apic_write(APIC_TIMER_INIT, 0xffffffffu);
		t0 = rdtsc();
		uncertainty = t0 - a;
		t0 = (a + t0) / 2;
		while (rdtsc() - t0 < window)
			cpu_relax();
		a = rdtsc();
		left = apic_read(APIC_TIMER_CURRENT);
		t1 = rdtsc();
		uncertainty += t1 - a;
		t1 = (a + t1) / 2;
		value = (u64)(0xffffffffu - left) * NSEC_PER_SEC / tsc_to_ns(t1 - t0);
	} while (!cal_add(&c, value, t1 - t0, uncertainty));
	apic_write(APIC_TIMER_INIT, 0);
	return cal_result(&c, "timer");
}

void timer_init_cpu(void)
{
	if (this_cpu()->cpu == 0) {
		use_tsc_deadline = opt_tsc_deadline && cpu_has(1, CPUID_ECX, 24);
		if (use_tsc_deadline) {
			pr_info("timer: local APIC in TSC-deadline mode");
		} else {
			apic_timer_hz = calibrate_apic_timer();
			if (apic_timer_hz < 1000000 || apic_timer_hz >= (1ULL << 32)) {
				pr_warn("timer: APIC timer rate %lu Hz is implausible; assuming 100 MHz",
					apic_timer_hz);
				apic_timer_hz = 100000000;
			}
			apic_ns_mul = ratio32(apic_timer_hz, NSEC_PER_SEC);
			pr_info("timer: local APIC one-shot at %lu.%03lu MHz",
				apic_timer_hz / 1000000, apic_timer_hz / 1000 % 1000);
		}
	}
	this_cpu()->timer_deadline_ns = 0;
	if (use_tsc_deadline) {
		apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | IRQ_VECTOR_TIMER);
		/* The LVT write must land before the first deadline MSR write. */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(MSR_TSC_DEADLINE, 0);
	} else {
		apic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIV_1);
		apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | IRQ_VECTOR_TIMER);
		apic_write(APIC_TIMER_INIT, 0);
	}
}

/* Programs the hardware for deadline (0: disarm). Interrupts off. */
static void timer_program(u64 deadline)
{
	u64 now, count;

	if (use_tsc_deadline) {
		/* Round up, so the interrupt never comes before the deadline. */
		wrmsr(MSR_TSC_DEADLINE, deadline ? tsc_boot + ns_to_tsc(deadline) + 1 : 0);
		return;
	}
	if (!deadline) {
		apic_write(APIC_TIMER_INIT, 0);
		return;
	}
	now = arch_boot_ns();
	count = deadline > now ? mul_shr32(deadline - now, apic_ns_mul) + 1 : 1;
	apic_write(APIC_TIMER_INIT, (u32)MIN(count, 0xffffffffULL));
}

void timer_set_oneshot(u64 deadline_ns)
{
	u64 flags = local_irq_save();

	this_cpu()->timer_deadline_ns = deadline_ns;
	timer_program(deadline_ns);
	local_irq_restore(flags);
}

void timer_set_hook(timer_hook_fn hook)
{
	WRITE_ONCE(timer_hook, hook);
}

void timer_interrupt(void)
{
	struct cpu_info *ci = this_cpu();
	u64 deadline = ci->timer_deadline_ns;
	u64 now = arch_boot_ns();
	timer_hook_fn hook;

	ci->ticks++;
	if (!deadline)
		return;
	if (now < deadline) {
		/* Early: the APIC count was capped, or its rate is slightly off. */
		timer_program(deadline);
		return;
	}
	ci->timer_deadline_ns = 0;
	hook = READ_ONCE(timer_hook);
	if (hook)
		hook(now);
}
