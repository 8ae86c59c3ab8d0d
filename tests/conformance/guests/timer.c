/*
 * Time and timers: vcpu_time_info moves forward and is consistent; the
 * one-shot timer (VCPUOP_set_singleshot_timer, and set_timer_op) raises
 * VIRQ_TIMER once after its deadline; vcpu_op's vCPU queries and the
 * registration of a vcpu_info copy (VCPUOP_register_vcpu_info), with
 * Xen's errors (xen/common/domain.c common_vcpu_op).
 */
#include "check.h"

#define MS 1000000ULL

static volatile unsigned int ticks;
static volatile uint64_t tick_time;
static evtchn_port_t timer_port;
/* The hypervisor writes the runstate here from registration on: never a local. */
static struct vcpu_runstate_info runstate_area;

static void on_timer(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	ticks++;
	tick_time = pv_time_ns();
}

/*
 * Waits until the timer fired or about 2 s passed; returns the ticks seen.
 * SCHEDOP_poll sleeps until the (masked) port is pending or the timeout;
 * unmasking then delivers the event to on_timer.
 */
static unsigned int wait_tick(unsigned int before)
{
	uint64_t give_up = pv_time_ns() + 2000 * MS;
	struct sched_poll p = { .ports = PV_GVA(&timer_port), .nr_ports = 1, .timeout = give_up };

	while (ticks == before && pv_time_ns() < give_up) {
		pv_irq_disable();
		HYPERVISOR_sched_op(SCHEDOP_poll, &p);
		pv_irq_enable();
	}
	pv_irq_disable();
	return ticks - before;
}

static void vcpu_queries(void)
{
	struct vcpu_runstate_info rs;
	struct vcpu_register_runstate_memory_area area = { .addr = PV_GVA(&runstate_area) };
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };

	check_eq("timer.is_up.vcpu0", 1, HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL));
	check_eq("timer.is_up.vcpu1_enoent", -XEN_ENOENT, HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL));
	check_eq("timer.is_up.vcpu8191_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_is_up, 8191, NULL));
	check_eq("timer.get_runstate_info.rc", 0,
		 HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &rs));
	check_eq("timer.get_runstate_info.running", RUNSTATE_running, rs.state);
	check_eq("timer.register_runstate_area", 0,
		 HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &area));
	check_eq("timer.stop_periodic_timer", 0,
		 HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
	check_eq("timer.unknown_cmd_enosys", -XEN_ENOSYS, HYPERVISOR_vcpu_op(99, 0, NULL));
	/* A deadline in the past with the FUTURE flag is refused. */
	check_eq("timer.singleshot.past_future_flag_etime", -XEN_ETIME,
		 HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t));
	check_eq("timer.singleshot.no_such_vcpu_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 8191, &t));
	check_eq("timer.singleshot.null_efault", -XEN_EFAULT,
		 HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, NULL));
}

static void check_clock(void)
{
	const struct vcpu_time_info *t = &pv_vcpu_info()->time;
	uint64_t a, b;

	check_eq("timer.time.version_even", 0, t->version & 1);
	check_eq("timer.time.mul_nonzero", 1, t->tsc_to_system_mul != 0);
	a = pv_time_ns();
	for (int i = 0; i < 20; i++)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	b = pv_time_ns();
	check_eq("timer.time.advances", 1, b > a);
	check_eq("timer.time.not_before_boot", 1, a > 0);
}

static void timers(void)
{
	struct vcpu_set_singleshot_timer t = { .flags = 0 };
	uint64_t deadline;
	unsigned int n;

	/* A one-shot timer 5 ms ahead fires once, not before its deadline. */
	deadline = pv_time_ns() + 5 * MS;
	t.timeout_abs_ns = deadline;
	check_eq("timer.singleshot.set", 0, HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t));
	n = wait_tick(ticks);
	check_eq("timer.singleshot.fired_once", 1, n);
	check_eq("timer.singleshot.not_early", 1, tick_time >= deadline);

	/* A deadline already past fires at once (no FUTURE flag). */
	t.timeout_abs_ns = 1;
	check_eq("timer.singleshot.past", 0, HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t));
	check_eq("timer.singleshot.past_fires", 1, wait_tick(ticks));

	/* Stopped before its deadline: nothing comes. */
	t.timeout_abs_ns = pv_time_ns() + 20 * MS;
	HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
	check_eq("timer.singleshot.stop", 0, HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL));
	deadline = pv_time_ns() + 60 * MS;
	n = ticks;
	while (pv_time_ns() < deadline)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	pv_irq_enable();
	pv_irq_disable();
	check_eq("timer.singleshot.stopped_never_fires", 0, ticks - n);

	/* set_timer_op: the older call, the same timer. */
	deadline = pv_time_ns() + 5 * MS;
	check_eq("timer.set_timer_op.set", 0, HYPERVISOR_set_timer_op(deadline));
	check_eq("timer.set_timer_op.fired_once", 1, wait_tick(ticks));
	check_eq("timer.set_timer_op.not_early", 1, tick_time >= deadline);
	HYPERVISOR_set_timer_op(pv_time_ns() + 20 * MS);
	check_eq("timer.set_timer_op.cancel", 0, HYPERVISOR_set_timer_op(0));
	deadline = pv_time_ns() + 60 * MS;
	n = ticks;
	while (pv_time_ns() < deadline)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	pv_irq_enable();
	pv_irq_disable();
	check_eq("timer.set_timer_op.cancelled_never_fires", 0, ticks - n);
}

/* Moving vcpu_info into our own page: once only; events keep working there. */
static void register_vcpu_info(void)
{
	struct vcpu_info *old = pv_vcpu_info();
	struct vcpu_register_vcpu_info again = { .mfn = 0, .offset = 0 };
	struct vcpu_set_singleshot_timer t = { .flags = 0 };
	long rc = pv_register_vcpu_info();

	check_eq("timer.register_vcpu_info", 0, rc);
	if (rc)
		return;
	check_eq("timer.register_vcpu_info.moved", 1, pv_vcpu_info() != old);
	check_eq("timer.register_vcpu_info.mask_copied", 1, pv_vcpu_info()->evtchn_upcall_mask);
	check_eq("timer.register_vcpu_info.time_valid", 1, pv_vcpu_info()->time.tsc_to_system_mul != 0);
	check_eq("timer.register_vcpu_info.twice_ebusy", -XEN_EBUSY,
		 HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &again));
	t.timeout_abs_ns = pv_time_ns() + 2 * MS;
	HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
	check_eq("timer.register_vcpu_info.timer_fires_there", 1, wait_tick(ticks));
}

int main(void)
{
	check_guest(GUEST_NAME);
	if (skip_unless_implemented(IMPLEMENTED(vcpu_op), "timer",
				    HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL), "all"))
		return check_done();
	vcpu_queries();
	if (!pv_shared_info) {
		check_skip("timer.clock_and_timers", "shared_info not mapped");
		return check_done();
	}
	check_clock();
	if (pv_evtchn_bind_virq(VIRQ_TIMER, &timer_port)) {
		check_skip("timer.timers", "cannot bind VIRQ_TIMER");
		return check_done();
	}
	pv_evtchn_set_handler(timer_port, on_timer, NULL);
	timers();
	register_vcpu_info();
	pv_irq_disable();
	return check_done();
}
