/*
 * Port 0 is reserved: it exists (status answers "closed") but no
 * operation may use it (Xen: ECS_RESERVED). send, close and bind_vcpu are
 * -EINVAL; binding an interdomain channel to remote port 0 is -EINVAL;
 * unmask is allowed and harmless (Xen only checks that the port number is
 * valid). No allocation ever returns it, even after many allocations and
 * closes, and a pending bit the guest sets on port 0 itself delivers
 * nothing and breaks nothing.
 */
#include "check.h"

static long op(unsigned int cmd, void *arg)
{
	return HYPERVISOR_event_channel_op(cmd, arg);
}

static volatile unsigned int hits;

static void on_event(evtchn_port_t p, void *data)
{
	(void)p;
	(void)data;
	hits++;
}

int main(void)
{
	struct evtchn_send s = { .port = 0 };
	struct evtchn_close c = { .port = 0 };
	struct evtchn_unmask u = { .port = 0 };
	struct evtchn_bind_vcpu bv = { .port = 0, .vcpu = 0 };
	struct evtchn_status st = { .dom = DOMID_SELF, .port = 0 };
	struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = 0 };
	evtchn_port_t ports[64], p = 0;
	unsigned int zero = 0;

	check_guest(GUEST_NAME);
	check_eq("evtchn_port0.send_einval", -XEN_EINVAL, op(EVTCHNOP_send, &s));
	check_eq("evtchn_port0.close_einval", -XEN_EINVAL, op(EVTCHNOP_close, &c));
	check_eq("evtchn_port0.bind_vcpu_einval", -XEN_EINVAL, op(EVTCHNOP_bind_vcpu, &bv));
	check_eq("evtchn_port0.bind_interdomain_einval", -XEN_EINVAL,
		 op(EVTCHNOP_bind_interdomain, &bi));
	check_eq("evtchn_port0.unmask_allowed", 0, op(EVTCHNOP_unmask, &u));
	check_eq("evtchn_port0.status_rc", 0, op(EVTCHNOP_status, &st));
	check_eq("evtchn_port0.status_closed", EVTCHNSTAT_closed, st.status);

	/* Allocate, close, allocate again: never port 0. */
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 64; i++) {
			ports[i] = 0;
			if (pv_evtchn_alloc_unbound(DOMID_SELF, &ports[i]) == 0 && ports[i] == 0)
				zero++;
		}
		for (unsigned int i = 0; i < 64; i++)
			pv_evtchn_close(ports[i]);
	}
	check_eq("evtchn_port0.never_allocated", 0, zero);

	if (pv_shared_info) {
		/* The guest raises port 0 itself: its upcall finds nothing bound there. */
		check_eq("evtchn_port0.ipi", 0, pv_evtchn_bind_ipi(&p));
		pv_evtchn_set_handler(p, on_event, NULL);
		pv_evtchn_set_handler(0, on_event, NULL);
		__atomic_fetch_or(&pv_shared_info->evtchn_pending[0], 1ULL, __ATOMIC_SEQ_CST);
		check_eq("evtchn_port0.unmask_with_pending_bit", 0, op(EVTCHNOP_unmask, &u));
		pv_evtchn_set_handler(0, NULL, NULL);
		__atomic_fetch_and(&pv_shared_info->evtchn_pending[0], ~1ULL, __ATOMIC_SEQ_CST);
		/* A real port still works afterwards. */
		pv_irq_enable();
		check_eq("evtchn_port0.real_port_send", 0, pv_evtchn_send(p));
		pv_irq_disable();
		check_eq("evtchn_port0.real_port_delivered", 1, hits >= 1);
		pv_evtchn_close(p);
	}
	check_eq("evtchn_port0.still_einval_after", -XEN_EINVAL, op(EVTCHNOP_send, &s));
	return check_done();
}
