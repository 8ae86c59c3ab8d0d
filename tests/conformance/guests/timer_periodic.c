/*
 * The periodic timer (VCPUOP_set_periodic_timer): a new PV vCPU starts
 * with a 10 ms tick on VIRQ_TIMER (Xen's default, which Linux stops at
 * boot); a period set explicitly ticks at that rate; the next tick is
 * armed one period after the last one fired (Xen: no catching up), so
 * over a window W there are never more than W / period + 1 ticks; stopped,
 * it never ticks again. It ticks only while its vCPU is on a CPU (Xen
 * stops it when the vCPU is descheduled and, when it runs again, sends a
 * tick that fell due meanwhile at once): a vCPU blocked for 100 ms gets
 * one tick, when it wakes. Periods under 1 ms are -EINVAL (Xen:
 * "period_ns < MILLISECS(1)"), as is 0; a vCPU that does not exist is
 * -ENOENT.
 *
 * On time: each tick is armed one period after the last one fired, so
 * every delay of the host in running QEMU's timer and vCPU threads adds to
 * the interval after it (timer_oneshot explains those delays; with a load
 * of 5-6 per host CPU, intervals of period + 5 to 20 ms were measured).
 * So the median interval must be at least the period less 1 ms and at most
 * the period plus 30 ms, and the window must hold at least a tenth of
 * W / period ticks, and two: a tick that stops, or that only comes when the
 * vCPU is switched in, fails that; the exact checks are the upper bound on
 * the count and the behaviour while blocked and stopped.
 */
#include <stdio.h>

#include "check.h"

#define MS 1000000ULL
#define MAX_TICKS 128

static volatile unsigned int ticks;
static volatile uint64_t tick_at[MAX_TICKS];
static evtchn_port_t port;

static void on_timer(evtchn_port_t p, void *data)
{
	(void)p;
	(void)data;
	if (ticks < MAX_TICKS)
		tick_at[ticks] = pv_time_ns();
	ticks++;
}

/*
 * Lets window_ms of guest time pass running, with events on. No PAUSE in
 * the loop: under QEMU's TCG every PAUSE leaves the vCPU's translated code
 * and takes QEMU's global lock, which then delays QEMU's own timers (the
 * APIC's among them) by milliseconds.
 */
static void run_for(uint64_t window_ms)
{
	uint64_t end = pv_time_ns() + window_ms * MS;

	while (pv_time_ns() < end)
		__asm__ volatile("" ::: "memory");
}

/* Lets window_ms pass blocked: SCHEDOP_poll on a port nobody raises, with a timeout. */
static void block_for(uint64_t window_ms)
{
	static evtchn_port_t quiet;
	uint64_t end = pv_time_ns() + window_ms * MS;
	struct sched_poll p = { .ports = PV_GVA(&quiet), .nr_ports = 1, .timeout = end };

	if (!quiet && pv_evtchn_bind_ipi(&quiet))
		return;
	pv_irq_disable();
	while (pv_time_ns() < end)
		HYPERVISOR_sched_op(SCHEDOP_poll, &p);
	pv_irq_enable();
}

static uint64_t median_interval(unsigned int n)
{
	static uint64_t iv[MAX_TICKS];

	if (n < 2)
		return 0;
	for (unsigned int i = 1; i < n; i++)
		iv[i - 1] = tick_at[i] - tick_at[i - 1];
	for (unsigned int i = 1; i < n - 1; i++)
		for (unsigned int j = i; j > 0 && iv[j - 1] > iv[j]; j--) {
			uint64_t x = iv[j];

			iv[j] = iv[j - 1];
			iv[j - 1] = x;
		}
	return iv[(n - 1) / 2];
}

static void measure(const char *what, uint64_t period_ms, uint64_t window_ms)
{
	unsigned int n;
	uint64_t med;

	ticks = 0;
	run_for(window_ms);
	pv_irq_disable();
	n = ticks;
	med = median_interval(n < MAX_TICKS ? n : MAX_TICKS);
	printf("timer_periodic: %s: %u ticks in %llu ms, median interval %llu us\n", what, n,
	       (unsigned long long)window_ms, (unsigned long long)(med / 1000));
	check_eq(name_of("timer_periodic.%s.not_too_many", what), 1, n <= window_ms / period_ms + 1);
	check_eq(name_of("timer_periodic.%s.not_too_few", what), 1,
		 n >= 2 && n >= window_ms / period_ms / 10);
	check_eq(name_of("timer_periodic.%s.median_interval", what), 1,
		 med + MS >= period_ms * MS && med <= (period_ms + 30) * MS);
	pv_irq_enable();
}

int main(void)
{
	struct vcpu_set_periodic_timer set;

	check_guest(GUEST_NAME);
	if (!pv_shared_info || pv_evtchn_bind_virq(VIRQ_TIMER, &port)) {
		check_skip("timer_periodic.all", "no shared_info or VIRQ_TIMER");
		return check_done();
	}
	pv_evtchn_set_handler(port, on_timer, NULL);
	pv_irq_enable();
	measure("default_10ms", 10, 200);

	set.period_ns = 20 * MS;
	check_eq("timer_periodic.set_20ms", 0, HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &set));
	measure("20ms", 20, 300);
	set.period_ns = 2 * MS;
	check_eq("timer_periodic.set_2ms", 0, HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &set));
	measure("2ms", 2, 100);

	/* Blocked: no ticks until it runs again, then the one that fell due. */
	set.period_ns = 10 * MS;
	HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &set);
	{
		uint64_t start = pv_time_ns();

		ticks = 0;
		block_for(100);
		check_eq("timer_periodic.blocked.one_tick_on_wake", 1, ticks);
		check_eq("timer_periodic.blocked.tick_after_the_block", 1,
			 ticks == 1 && tick_at[0] >= start + 100 * MS);
	}

	check_eq("timer_periodic.stop", 0, HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
	ticks = 0;
	run_for(60);
	check_eq("timer_periodic.stopped_no_ticks", 0, ticks);

	set.period_ns = MS - 1;
	check_eq("timer_periodic.under_1ms_einval", -XEN_EINVAL,
		 HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &set));
	set.period_ns = 0;
	check_eq("timer_periodic.zero_einval", -XEN_EINVAL,
		 HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &set));
	set.period_ns = MS;
	check_eq("timer_periodic.exactly_1ms_allowed", 0,
		 HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &set));
	check_eq("timer_periodic.stop_again", 0, HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
	check_eq("timer_periodic.no_such_vcpu_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 8191, &set));
	check_eq("timer_periodic.null_efault", -XEN_EFAULT,
		 HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, NULL));
	pv_irq_disable();
	return check_done();
}
