/*
 * vCPUs sending events to each other (run with 2 and with 4 vCPUs:
 * "vcpus=N" on dom0's command line, dom0_vcpus=N for the hypervisor).
 * vCPU 0 brings the others up with VCPUOP_initialise and VCPUOP_up and
 * binds one IPI port per vCPU (EVTCHNOP_bind_ipi with that vCPU, as
 * Linux binds its IPIs). Then:
 *
 *  - a token goes round the ring 0 -> 1 -> ... -> N-1 -> 0, ROUNDS times:
 *    each vCPU blocks (SCHEDOP_block) until its port fires, then sends on
 *    the next one's. Exactly one event is ever outstanding, so every
 *    vCPU's handler must run exactly ROUNDS times, always on the vCPU
 *    its port is bound to;
 *  - vCPU 0 plays ping-pong with each other vCPU in turn, PINGS times;
 *  - each vCPU then returns, which takes it down (VCPUOP_down): is_up
 *    says 0 for it, and the events it would get stay undelivered.
 */
#include <stdio.h>

#include "check.h"
#include "cmdline.h"

#define ROUNDS 300
#define PINGS 100
#define MS 1000000ULL
/*
 * How long vCPU 0 waits for an event before it calls the vCPUs stuck and
 * prints where everything stands. Events take microseconds; on a host
 * busy with other work, each vCPU of QEMU is a thread the host may not run
 * for a while, and a vCPU holding a hypervisor lock can make the others
 * spin for the host's whole timeslice: seconds per event were seen with a
 * load of 6 per host CPU.
 */
#define WAIT_MS 20000

static unsigned int nr;
static evtchn_port_t port[PV_MAX_VCPUS];
static volatile unsigned int hits[PV_MAX_VCPUS], wrong_vcpu, started[PV_MAX_VCPUS];
static volatile unsigned int phase;            /* 1 ring, 2 ping-pong, 3 stop */

static void on_event(evtchn_port_t p, void *data)
{
	unsigned int id = (unsigned int)(uintptr_t)data;

	(void)p;
	if (pv_vcpu_id() != id)
		wrong_vcpu++;
	hits[id]++;
}

/*
 * Each vCPU but 0: wait (blocking) for its port, then pass each event on:
 * round the ring in phase 1, back to vCPU 0 in phase 2. The phase cannot
 * change under an event being passed on: vCPU 0 moves to the next phase
 * only when every event of the current one has come back to it.
 */
static void worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	unsigned int seen = 0;

	/* No 10 ms tick (Linux stops it at boot too): events only. */
	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, id, NULL);
	started[id] = 1;
	for (;;) {
		pv_irq_disable();
		while (hits[id] == seen && phase != 3) {
			pv_block(); /* unmasks; returns once the upcall ran */
			pv_irq_disable();
		}
		pv_irq_enable();
		if (phase == 3)
			break;
		for (; seen < hits[id]; seen++)
			pv_evtchn_send(phase == 1 ? port[(id + 1) % nr] : port[0]);
	}
	pv_irq_disable();
}

/* On a timeout: where every vCPU and port stands, to tell a lost event from a lost wakeup. */
static void dump_state(const char *when)
{
	static const char *const states[] = { "running", "runnable", "blocked", "offline" };

	printf("smp_events: stuck %s; pending word 0 %#llx, mask word 0 %#llx\n", when,
	       (unsigned long long)pv_shared_info->evtchn_pending[0],
	       (unsigned long long)pv_shared_info->evtchn_mask[0]);
	for (unsigned int i = 0; i < nr; i++) {
		const struct vcpu_info *vi = &pv_shared_info->vcpu_info[i];
		struct vcpu_runstate_info rs = { 0 };

		HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, i, &rs);
		printf("smp_events:   vCPU %u: port %u, hits %u, upcall pending %u mask %u sel %#llx, %s"
		       " (running %llu ms, blocked %llu ms)\n",
		       i, port[i], hits[i], vi->evtchn_upcall_pending, vi->evtchn_upcall_mask,
		       (unsigned long long)vi->evtchn_pending_sel,
		       rs.state < 4 ? states[rs.state] : "?",
		       (unsigned long long)(rs.time[0] / 1000000), (unsigned long long)(rs.time[2] / 1000000));
	}
}

/* vCPU 0 waits for its own port with a timeout; false if nothing came. */
static bool wait0(unsigned int target)
{
	uint64_t give_up = pv_time_ns() + WAIT_MS * MS;

	while (hits[0] < target && pv_time_ns() < give_up) {
		pv_irq_disable();
		if (hits[0] < target)
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		pv_irq_enable();
	}
	if (hits[0] < target) {
		dump_state(name_of("waiting for hit %u", target));
		give_up = pv_time_ns() + 300 * MS;
		while (pv_time_ns() < give_up)
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		dump_state("300 ms later");
	}
	return hits[0] >= target;
}

int main(void)
{
	unsigned int ok = 0;

	check_guest(GUEST_NAME);
	nr = (unsigned int)cmdline_uint("vcpus=", 2);
	if (!check_eq("smp_events.nr_vcpus", nr, pv_nr_vcpus()) || nr < 2 || nr > PV_MAX_VCPUS)
		return check_done();

	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	for (unsigned int i = 0; i < nr; i++) {
		check_eq(name_of("smp_events.bind_ipi[%u]", i), 0, pv_evtchn_bind_ipi_to(i, &port[i]));
		pv_evtchn_set_handler(port[i], on_event, (void *)(uintptr_t)i);
	}
	for (unsigned int i = 1; i < nr; i++) {
		check_eq(name_of("smp_events.is_up_before[%u]", i), 0,
			 HYPERVISOR_vcpu_op(VCPUOP_is_up, i, NULL));
		check_eq(name_of("smp_events.start[%u]", i), 0,
			 pv_vcpu_start(i, worker, (void *)(uintptr_t)i));
		check_eq(name_of("smp_events.is_up_after[%u]", i), 1,
			 HYPERVISOR_vcpu_op(VCPUOP_is_up, i, NULL));
	}
	for (uint64_t give_up = pv_time_ns() + WAIT_MS * MS; pv_time_ns() < give_up;) {
		ok = 0;
		for (unsigned int i = 1; i < nr; i++)
			ok += started[i];
		if (ok == nr - 1)
			break;
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	check_eq("smp_events.all_started", nr - 1, ok);

	/* The ring. */
	phase = 1;
	pv_irq_enable();
	for (unsigned int r = 0; r < ROUNDS; r++) {
		pv_evtchn_send(port[1]);
		if (!wait0(r + 1))
			break;
	}
	check_eq("smp_events.ring.vcpu0_hits", ROUNDS, hits[0]);
	for (unsigned int i = 1; i < nr; i++)
		check_eq(name_of("smp_events.ring.hits[%u]", i), ROUNDS, hits[i]);

	/* Ping-pong with each vCPU in turn. */
	hits[0] = 0;
	phase = 2;
	for (unsigned int i = 1; i < nr; i++) {
		unsigned int before = hits[i];

		for (unsigned int n = 0; n < PINGS; n++) {
			pv_evtchn_send(port[i]);
			if (!wait0((i - 1) * PINGS + n + 1))
				break;
		}
		check_eq(name_of("smp_events.pingpong[%u].pings", i), PINGS, hits[i] - before);
	}
	check_eq("smp_events.pingpong.pongs", (nr - 1) * PINGS, hits[0]);
	check_eq("smp_events.handlers_on_bound_vcpu", 0, wrong_vcpu);

	/* Stop: wake everyone; each returns and goes down. */
	phase = 3;
	for (unsigned int i = 1; i < nr; i++)
		pv_evtchn_send(port[i]);
	ok = 0;
	for (uint64_t give_up = pv_time_ns() + WAIT_MS * MS; pv_time_ns() < give_up;) {
		ok = 0;
		for (unsigned int i = 1; i < nr; i++)
			ok += HYPERVISOR_vcpu_op(VCPUOP_is_up, i, NULL) == 0;
		if (ok == nr - 1)
			break;
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	check_eq("smp_events.all_down", nr - 1, ok);
	pv_irq_disable();
	return check_done();
}
