/*
 * event_channel_op (32), 2-level ABI: binding (IPI, VIRQ, unbound and a
 * loopback interdomain pair), status, send, mask/unmask, close, and the
 * errors Xen gives (xen/common/event_channel.c): -EINVAL for ports that
 * are not valid or not in a state for the call, -ENOENT for a vCPU that
 * does not exist, -EEXIST for a VIRQ bound twice, -ESRCH for a domain that
 * does not exist. An event sent while masked waits; unmasking delivers it
 * through the upcall, which calls the port's handler once.
 */
#include <string.h>

#include "check.h"

#define NO_DOMAIN 0x7fe0 /* a domain id nobody has */

static volatile unsigned int hits[EVTCHN_2L_NR_CHANNELS];

static void count(evtchn_port_t port, void *data)
{
	(void)data;
	hits[port]++;
}

static long status_of(evtchn_port_t port, struct evtchn_status *st)
{
	memset(st, 0xa5, sizeof(*st));
	st->dom = DOMID_SELF;
	st->port = port;
	return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

static bool pending(evtchn_port_t port)
{
	return (pv_shared_info->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void bad_ports(void)
{
	static const evtchn_port_t bad[] = { 0, EVTCHN_2L_NR_CHANNELS, 0xffffffffu };
	struct evtchn_status st;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct evtchn_send s = { .port = bad[i] };
		struct evtchn_close c = { .port = bad[i] };
		struct evtchn_unmask u = { .port = bad[i] };

		check_eq(name_of("events.send.bad_port_einval[%#x]", bad[i]), -XEN_EINVAL,
			 HYPERVISOR_event_channel_op(EVTCHNOP_send, &s));
		check_eq(name_of("events.close.bad_port_einval[%#x]", bad[i]), -XEN_EINVAL,
			 HYPERVISOR_event_channel_op(EVTCHNOP_close, &c));
		/* Port 0 is a valid port number (reserved), so unmasking it is allowed. */
		check_eq(name_of("events.unmask.port[%#x]", bad[i]), bad[i] ? -XEN_EINVAL : 0,
			 HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u));
	}
	/* Port 0 exists but is reserved: its status is "closed". */
	check_eq("events.status.port0_rc", 0, status_of(0, &st));
	check_eq("events.status.port0_closed", EVTCHNSTAT_closed, st.status);
	check_eq("events.status.port_past_end_einval", -XEN_EINVAL,
		 status_of(EVTCHN_2L_NR_CHANNELS, &st));
	st.dom = NO_DOMAIN;
	st.port = 1;
	check_eq("events.status.no_such_domain_esrch", -XEN_ESRCH,
		 HYPERVISOR_event_channel_op(EVTCHNOP_status, &st));
}

static void bad_arguments(void)
{
	struct evtchn_bind_virq bv = { .virq = NR_VIRQS, .vcpu = 0 };
	struct evtchn_bind_ipi bi = { .vcpu = 1 };
	struct evtchn_alloc_unbound au = { .dom = NO_DOMAIN, .remote_dom = DOMID_SELF };

	check_eq("events.unknown_cmd_enosys", -XEN_ENOSYS, HYPERVISOR_event_channel_op(99, &bv));
	check_eq("events.bind_virq.null_efault", -XEN_EFAULT,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, NULL));
	check_eq("events.send.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_event_channel_op(EVTCHNOP_send, (void *)ADDR_HYPERVISOR));
	check_eq("events.bind_virq.nr_virqs_einval", -XEN_EINVAL,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	bv.virq = 0xffffffffu;
	check_eq("events.bind_virq.huge_einval", -XEN_EINVAL,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	bv = (struct evtchn_bind_virq){ .virq = VIRQ_CONSOLE, .vcpu = 1 };
	check_eq("events.bind_virq.global_on_vcpu1_einval", -XEN_EINVAL,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 1 };
	check_eq("events.bind_virq.no_such_vcpu_enoent", -XEN_ENOENT,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	check_eq("events.bind_ipi.no_such_vcpu_enoent", -XEN_ENOENT,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi));
	bi.vcpu = 0xffffffffu;
	check_eq("events.bind_ipi.vcpu_huge_enoent", -XEN_ENOENT,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi));
	check_eq("events.alloc_unbound.no_such_domain_esrch", -XEN_ESRCH,
		 HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au));
	/* 2-level only: the FIFO ABI is not offered (Linux falls back on any error). */
	struct evtchn_init_control ic = { 0 };
	struct evtchn_expand_array ea = { 0 };
	struct evtchn_set_priority sp = { .port = 1, .priority = 0 };

	check_eq("events.init_control_enosys", -XEN_ENOSYS,
		 HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &ic));
	check_eq("events.expand_array_enosys", -XEN_ENOSYS,
		 HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ea));
	check_eq("events.set_priority_enosys", -XEN_ENOSYS,
		 HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &sp));
}

/* An IPI to ourselves: bind, status, delivery masked and unmasked, close. */
static void ipi(void)
{
	struct evtchn_status st;
	evtchn_port_t port = 0;
	long rc;

	rc = pv_evtchn_bind_ipi(&port);
	check_eq("events.bind_ipi.rc", 0, rc);
	if (rc)
		return;
	check_eq("events.bind_ipi.port_nonzero", 1, port != 0);
	check_eq("events.status.ipi.rc", 0, status_of(port, &st));
	check_eq("events.status.ipi.status", EVTCHNSTAT_ipi, st.status);
	check_eq("events.status.ipi.vcpu", 0, st.vcpu);
	pv_evtchn_set_handler(port, count, NULL);

	if (!pv_shared_info) {
		check_skip("events.ipi.delivery", "shared_info not mapped");
	} else {
		struct vcpu_info *vi = pv_vcpu_info();

		/* Events masked (as at boot): the send only marks it pending. */
		pv_irq_disable();
		check_eq("events.send.masked.rc", 0, pv_evtchn_send(port));
		check_eq("events.send.masked.pending_bit", 1, pending(port));
		check_eq("events.send.masked.upcall_pending", 1, vi->evtchn_upcall_pending);
		check_bits("events.send.masked.pending_sel", 1ULL << (port / 64), 1ULL << (port / 64),
			   vi->evtchn_pending_sel);
		check_eq("events.send.masked.not_delivered", 0, hits[port]);
		pv_irq_enable();
		check_eq("events.send.delivered_on_unmask", 1, hits[port]);
		check_eq("events.send.pending_cleared", 0, pending(port));

		/* Unmasked: delivered on the way out of the send hypercall itself. */
		check_eq("events.send.unmasked.rc", 0, pv_evtchn_send(port));
		check_eq("events.send.unmasked.delivered_at_once", 2, hits[port]);

		/* A masked port: pending, but no upcall until EVTCHNOP_unmask. */
		pv_evtchn_mask(port);
		check_eq("events.port_masked.send", 0, pv_evtchn_send(port));
		check_eq("events.port_masked.pending_bit", 1, pending(port));
		check_eq("events.port_masked.not_delivered", 2, hits[port]);
		check_eq("events.port_masked.unmask_rc", 0, pv_evtchn_unmask(port));
		check_eq("events.port_masked.unmask_delivers", 3, hits[port]);

		/* Two sends while masked make one event (it is a bit, not a counter). */
		pv_irq_disable();
		pv_evtchn_send(port);
		pv_evtchn_send(port);
		pv_irq_enable();
		check_eq("events.send.coalesced", 4, hits[port]);

		/* block with this port pending returns at once, having delivered it. */
		pv_irq_disable();
		pv_evtchn_send(port);
		check_eq("events.block.pending_returns", 0, pv_block());
		check_eq("events.block.delivered", 5, hits[port]);

		/* poll on a pending (masked) port returns at once. */
		struct sched_poll p = { .ports = PV_GVA(&port), .nr_ports = 1, .timeout = 0 };

		pv_irq_disable();
		pv_evtchn_mask(port);
		pv_evtchn_send(port);
		check_eq("events.poll.pending_returns", 0, HYPERVISOR_sched_op(SCHEDOP_poll, &p));
		pv_evtchn_unmask(port);
		pv_irq_enable();
		check_eq("events.poll.then_delivered", 6, hits[port]);
		pv_irq_disable();
	}

	check_eq("events.close.ipi", 0, pv_evtchn_close(port));
	check_eq("events.status.after_close.rc", 0, status_of(port, &st));
	check_eq("events.status.after_close.closed", EVTCHNSTAT_closed, st.status);
	check_eq("events.send.closed_einval", -XEN_EINVAL, pv_evtchn_send(port));
	check_eq("events.close.twice_einval", -XEN_EINVAL, pv_evtchn_close(port));
}

static void virq(void)
{
	struct evtchn_status st;
	evtchn_port_t port = 0, again = 0;
	long rc = pv_evtchn_bind_virq(VIRQ_TIMER, &port);

	check_eq("events.bind_virq.timer", 0, rc);
	if (rc)
		return;
	check_eq("events.bind_virq.twice_eexist", -XEN_EEXIST, pv_evtchn_bind_virq(VIRQ_TIMER, &again));
	check_eq("events.status.virq.rc", 0, status_of(port, &st));
	check_eq("events.status.virq.status", EVTCHNSTAT_virq, st.status);
	check_eq("events.status.virq.virq", VIRQ_TIMER, st.u.virq);
	check_eq("events.status.virq.vcpu", 0, st.vcpu);
	check_eq("events.close.virq", 0, pv_evtchn_close(port));
	check_eq("events.bind_virq.after_close", 0, pv_evtchn_bind_virq(VIRQ_TIMER, &port));
	pv_evtchn_close(port);
}

/* alloc_unbound(SELF, SELF) then bind_interdomain to it: a loopback pair. */
static void loopback(void)
{
	struct evtchn_bind_interdomain bi;
	struct evtchn_status st;
	struct evtchn_bind_vcpu bv;
	evtchn_port_t a = 0, b;
	long rc = pv_evtchn_alloc_unbound(DOMID_SELF, &a);

	check_eq("events.alloc_unbound.self", 0, rc);
	if (rc)
		return;
	check_eq("events.status.unbound.rc", 0, status_of(a, &st));
	check_eq("events.status.unbound.status", EVTCHNSTAT_unbound, st.status);
	check_eq("events.status.unbound.remote_dom", 0, st.u.unbound.dom);
	/* Sending on an unbound port goes nowhere, without error. */
	check_eq("events.send.unbound_dropped", 0, pv_evtchn_send(a));
	bv = (struct evtchn_bind_vcpu){ .port = a, .vcpu = 0 };
	check_eq("events.bind_vcpu.unbound", 0, HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv));
	bv.vcpu = 1;
	check_eq("events.bind_vcpu.no_such_vcpu_enoent", -XEN_ENOENT,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv));

	bi = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = a };
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
	check_eq("events.bind_interdomain.loopback", 0, rc);
	if (rc)
		goto out;
	b = bi.local_port;
	check_eq("events.status.interdomain.status", EVTCHNSTAT_interdomain,
		 (status_of(b, &st), st.status));
	check_eq("events.status.interdomain.remote_port", a, st.u.interdomain.port);
	check_eq("events.bind_interdomain.again_einval", -XEN_EINVAL,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi));
	if (pv_shared_info) {
		/* Binding notifies the new port once (the peer may have sent meanwhile). */
		check_eq("events.bind_interdomain.notifies_local_port", 1, pending(b));
		pv_evtchn_set_handler(a, count, NULL);
		pv_evtchn_set_handler(b, count, NULL);
		pv_irq_enable();
		hits[a] = hits[b] = 0; /* port numbers are reused after a close */
		check_eq("events.interdomain.send_b", 0, pv_evtchn_send(b));
		check_eq("events.interdomain.arrives_on_a", 1, hits[a]);
		check_eq("events.interdomain.not_on_b", 0, hits[b]);
		pv_irq_disable();
	}
	/* Closing one end leaves the other unbound, waiting for us again. */
	check_eq("events.close.interdomain_end", 0, pv_evtchn_close(b));
	check_eq("events.status.peer_unbound_again", EVTCHNSTAT_unbound,
		 (status_of(a, &st), st.status));
out:
	pv_evtchn_close(a);
}

int main(void)
{
	check_guest(GUEST_NAME);
	if (skip_unless_implemented(IMPLEMENTED(event_channel_op), "events",
				    HYPERVISOR_event_channel_op(EVTCHNOP_send, NULL), "all"))
		return check_done();
	bad_ports();
	bad_arguments();
	ipi();
	virq();
	loopback();
	pv_irq_disable();
	return check_done();
}
