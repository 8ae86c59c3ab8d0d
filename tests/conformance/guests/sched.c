/*
 * sched_op (29): yield, block, the shutdown argument checks (the shutdown
 * codes themselves end the run: see the crash.* runs), and poll.
 * SCHEDOP_block unmasks events and returns at once when one is pending,
 * delivering it on the way out.
 */
#include "check.h"
#include "probes.h"

int main(void)
{
	struct vcpu_info *vi = pv_vcpu_info();
	struct sched_shutdown s;

	check_guest(GUEST_NAME);

	check_eq("sched.yield", 0, HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
	check_eq("sched.yield_ignores_arg", 0,
		 HYPERVISOR_sched_op(SCHEDOP_yield, (void *)ADDR_NONCANONICAL));
	for (int i = 0; i < 100; i++)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	check_eq("sched.yield_100_times", 0, HYPERVISOR_sched_op(SCHEDOP_yield, NULL));

	/* Shutdown requests that must not shut anything down. */
	check_eq("sched.shutdown.null_efault", -XEN_EFAULT,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown, NULL));
	check_eq("sched.shutdown.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)ADDR_HYPERVISOR));
	check_eq("sched.shutdown.unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)ADDR_UNMAPPED_LOW));
	/* 0x100 would be poweroff if cut to 8 bits. */
	s.reason = 0x100;
	check_eq("sched.shutdown.reason_0x100_einval", -XEN_EINVAL,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown, &s));
	s.reason = 0xffffffff;
	check_eq("sched.shutdown.reason_huge_einval", -XEN_EINVAL,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown, &s));
	s.reason = SHUTDOWN_MAX + 1;
	check_eq("sched.shutdown.reason_max_plus_1_einval", -XEN_EINVAL,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown, &s));
	/* shutdown_code only records a reason; the domain keeps running. */
	s.reason = SHUTDOWN_crash;
	check_eq("sched.shutdown_code.crash_recorded", 0,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &s));
	check_eq("sched.shutdown_code.null_efault", -XEN_EFAULT,
		 HYPERVISOR_sched_op(SCHEDOP_shutdown_code, NULL));

	check_eq("sched.cmd_unknown_enosys", -XEN_ENOSYS, HYPERVISOR_sched_op(99, NULL));
	check_eq("sched.cmd_negative_enosys", -XEN_ENOSYS, HYPERVISOR_sched_op(-1, NULL));

	/* block with an event already pending: returns 0 at once, events unmasked, upcall run. */
	if (vi) {
		uint64_t before = pv_upcalls;

		vi->evtchn_upcall_mask = 1;
		vi->evtchn_upcall_pending = 1;
		check_eq("sched.block.pending_returns_at_once", 0,
			 HYPERVISOR_sched_op(SCHEDOP_block, NULL));
		check_eq("sched.block.delivered_upcall", 1, pv_upcalls - before);
		check_eq("sched.block.unmasked_events", 0, vi->evtchn_upcall_mask);
		iret_set_mask(1);
	} else {
		check_skip("sched.block.pending_returns_at_once", "shared_info not mapped");
	}

	/* poll: its argument checks (event channels: events guest). */
	if (IMPLEMENTED(event_channel_op)) {
		struct sched_poll p = { .ports = 0, .nr_ports = 1, .timeout = 0 };

		check_eq("sched.poll.null_efault", -XEN_EFAULT,
			 HYPERVISOR_sched_op(SCHEDOP_poll, NULL));
		check_eq("sched.poll.ports_null_efault", -XEN_EFAULT,
			 HYPERVISOR_sched_op(SCHEDOP_poll, &p));
		p.nr_ports = SCHED_POLL_MAX_PORTS + 1;
		p.ports = PV_GVA(&s);
		check_eq("sched.poll.too_many_ports_einval", -XEN_EINVAL,
			 HYPERVISOR_sched_op(SCHEDOP_poll, &p));
	} else {
		check_skip("sched.poll", "event_channel_op not implemented yet");
	}
	return check_done();
}
