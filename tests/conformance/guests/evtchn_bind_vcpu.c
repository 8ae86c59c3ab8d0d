/*
 * EVTCHNOP_bind_vcpu: which vCPU a port notifies (run with 2 vCPUs).
 * Xen's rules (common/event_channel.c, evtchn_bind_vcpu): unbound and
 * interdomain ports, and global VIRQs, may move to any vCPU of the domain,
 * even one that is down; per-vCPU VIRQs (VIRQ_TIMER) and IPIs may not
 * (-EINVAL); a closed port or port 0 is -EINVAL; a vCPU that does not
 * exist is -ENOENT. After a move, status reports the new vCPU and events
 * raise the upcall of that vCPU only: an event sent while it is down waits,
 * pending, and reaches it once it is up; EVTCHNOP_unmask from another
 * vCPU delivers to the port's vCPU.
 */
#include "check.h"

#define MS 1000000ULL

static volatile unsigned int hits[2], wrong_vcpu, stop;
static evtchn_port_t a, b;

static void on_event(evtchn_port_t p, void *data)
{
	unsigned int want = (unsigned int)(uintptr_t)data;

	(void)p;
	if (pv_vcpu_id() >= 2)
		return;
	hits[pv_vcpu_id()]++;
	if (pv_vcpu_id() != want)
		wrong_vcpu++;
}

static uint32_t vcpu_of(evtchn_port_t p)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = p };

	HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
	return st.vcpu;
}

static long bind_vcpu(evtchn_port_t p, uint32_t v)
{
	struct evtchn_bind_vcpu bv = { .port = p, .vcpu = v };

	return HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv);
}

/* vCPU 1: takes events until told to stop. */
static void vcpu1(void *arg)
{
	(void)arg;
	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 1, NULL);
	while (!stop) {
		pv_irq_disable();
		if (!stop)
			pv_block();
	}
	pv_irq_disable();
}

static bool wait_hits(unsigned int v, unsigned int n)
{
	uint64_t give_up = pv_time_ns() + 10000 * MS;

	while (hits[v] < n && pv_time_ns() < give_up)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	return hits[v] >= n;
}

int main(void)
{
	evtchn_port_t ipi, timer, dom_exc, unbound;
	struct evtchn_bind_interdomain bi;

	check_guest(GUEST_NAME);
	if (!check_eq("evtchn_bind_vcpu.two_vcpus", 2, pv_nr_vcpus()) || !pv_shared_info)
		return check_done();

	check_eq("evtchn_bind_vcpu.ipi.bind", 0, pv_evtchn_bind_ipi(&ipi));
	check_eq("evtchn_bind_vcpu.ipi_einval", -XEN_EINVAL, bind_vcpu(ipi, 1));
	check_eq("evtchn_bind_vcpu.timer.bind", 0, pv_evtchn_bind_virq(VIRQ_TIMER, &timer));
	check_eq("evtchn_bind_vcpu.per_vcpu_virq_einval", -XEN_EINVAL, bind_vcpu(timer, 1));
	check_eq("evtchn_bind_vcpu.global_virq.bind", 0, pv_evtchn_bind_virq(VIRQ_DOM_EXC, &dom_exc));
	check_eq("evtchn_bind_vcpu.global_virq_to_vcpu1", 0, bind_vcpu(dom_exc, 1));
	check_eq("evtchn_bind_vcpu.global_virq.status_vcpu1", 1, vcpu_of(dom_exc));
	check_eq("evtchn_bind_vcpu.unbound.alloc", 0, pv_evtchn_alloc_unbound(DOMID_SELF, &unbound));
	check_eq("evtchn_bind_vcpu.unbound_to_vcpu1", 0, bind_vcpu(unbound, 1));
	check_eq("evtchn_bind_vcpu.no_such_vcpu_enoent", -XEN_ENOENT, bind_vcpu(unbound, 2));
	check_eq("evtchn_bind_vcpu.port0_einval", -XEN_EINVAL, bind_vcpu(0, 1));
	pv_evtchn_close(unbound);
	check_eq("evtchn_bind_vcpu.closed_einval", -XEN_EINVAL, bind_vcpu(unbound, 1));
	pv_evtchn_close(ipi);
	pv_evtchn_close(timer);
	pv_evtchn_close(dom_exc);

	/* A loopback pair: a is where events arrive. */
	check_eq("evtchn_bind_vcpu.pair.alloc", 0, pv_evtchn_alloc_unbound(DOMID_SELF, &a));
	bi = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = a };
	check_eq("evtchn_bind_vcpu.pair.bind", 0,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi));
	b = bi.local_port;
	pv_evtchn_set_handler(b, on_event, (void *)0); /* the bind's own notification */
	pv_irq_enable();
	pv_irq_disable();
	pv_evtchn_set_handler(b, NULL, NULL);
	hits[0] = 0;
	pv_evtchn_set_handler(a, on_event, (void *)1);

	/* Moved to vCPU 1 while it is down: the event waits, pending, for it. */
	check_eq("evtchn_bind_vcpu.to_down_vcpu", 0, pv_evtchn_bind_vcpu(a, 1));
	check_eq("evtchn_bind_vcpu.status_vcpu1", 1, vcpu_of(a));
	pv_irq_enable();
	check_eq("evtchn_bind_vcpu.send_while_down", 0, pv_evtchn_send(b));
	check_eq("evtchn_bind_vcpu.not_on_vcpu0", 0, hits[0]);
	check_eq("evtchn_bind_vcpu.pending_for_vcpu1", 1,
		 (pv_shared_info->evtchn_pending[a / 64] >> (a % 64)) & 1);
	check_eq("evtchn_bind_vcpu.start_vcpu1", 0, pv_vcpu_start(1, vcpu1, NULL));
	check_eq("evtchn_bind_vcpu.delivered_when_up", 1, wait_hits(1, 1));

	/* While up: each send reaches vCPU 1. */
	pv_evtchn_send(b);
	check_eq("evtchn_bind_vcpu.send_reaches_vcpu1", 1, wait_hits(1, 2));
	/* Masked, then unmasked from vCPU 0: still delivered on vCPU 1. */
	pv_evtchn_mask(a);
	pv_evtchn_send(b);
	check_eq("evtchn_bind_vcpu.masked_waits", 2, hits[1]);
	check_eq("evtchn_bind_vcpu.unmask_from_vcpu0", 0, pv_evtchn_unmask(a));
	check_eq("evtchn_bind_vcpu.unmask_delivers_on_vcpu1", 1, wait_hits(1, 3));

	/* And back to vCPU 0. */
	check_eq("evtchn_bind_vcpu.back_to_vcpu0", 0, pv_evtchn_bind_vcpu(a, 0));
	pv_evtchn_set_handler(a, on_event, (void *)0);
	pv_evtchn_send(b);
	check_eq("evtchn_bind_vcpu.back_on_vcpu0", 1, wait_hits(0, 1));
	check_eq("evtchn_bind_vcpu.vcpu1_got_no_more", 3, hits[1]);
	check_eq("evtchn_bind_vcpu.handlers_on_their_vcpu", 0, wrong_vcpu);

	stop = 1;
	pv_evtchn_bind_vcpu(a, 1);
	pv_evtchn_send(b);
	pv_irq_disable();
	return check_done();
}
