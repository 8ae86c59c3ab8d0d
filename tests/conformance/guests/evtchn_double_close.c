/*
 * Closing an event channel twice, for each kind of port (IPI, VIRQ,
 * unbound, both ends of a loopback interdomain pair): the first close is
 * 0, the second -EINVAL (Xen's evtchn_close: the port is ECS_FREE), and
 * so are a send and a third close; status says closed. Closing clears the
 * port's pending bit (Xen's free_evtchn: no stale event on a re-bind), and
 * the freed number is the next one handed out (the lowest free port), with
 * nothing pending on it.
 */
#include <string.h>

#include "check.h"

static long close_port(evtchn_port_t p)
{
	struct evtchn_close c = { .port = p };

	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
}

static uint32_t status_of(evtchn_port_t p)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = p };

	HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
	return st.status;
}

static bool pending(evtchn_port_t p)
{
	return (pv_shared_info->evtchn_pending[p / 64] >> (p % 64)) & 1;
}

static void twice(const char *kind, evtchn_port_t p)
{
	check_eq(name_of("evtchn_double_close.%s.first", kind), 0, close_port(p));
	check_eq(name_of("evtchn_double_close.%s.second_einval", kind), -XEN_EINVAL, close_port(p));
	check_eq(name_of("evtchn_double_close.%s.send_einval", kind), -XEN_EINVAL, pv_evtchn_send(p));
	check_eq(name_of("evtchn_double_close.%s.third_einval", kind), -XEN_EINVAL, close_port(p));
	check_eq(name_of("evtchn_double_close.%s.status_closed", kind), EVTCHNSTAT_closed,
		 status_of(p));
}

int main(void)
{
	evtchn_port_t ipi = 0, virq = 0, unbound = 0, a = 0, b, again = 0;
	struct evtchn_bind_interdomain bi;

	check_guest(GUEST_NAME);
	if (!pv_shared_info) {
		check_skip("evtchn_double_close.all", "shared_info not mapped");
		return check_done();
	}
	/* An IPI left pending (and masked) when it is closed. */
	check_eq("evtchn_double_close.ipi.bind", 0, pv_evtchn_bind_ipi(&ipi));
	pv_evtchn_mask(ipi);
	pv_evtchn_send(ipi);
	check_eq("evtchn_double_close.ipi.pending_before", 1, pending(ipi));
	twice("ipi", ipi);
	check_eq("evtchn_double_close.ipi.pending_cleared", 0, pending(ipi));
	check_eq("evtchn_double_close.reused.bind", 0, pv_evtchn_bind_ipi(&again));
	check_eq("evtchn_double_close.reused.same_number", ipi, again);
	check_eq("evtchn_double_close.reused.nothing_pending", 0, pending(again));
	pv_evtchn_unmask(again);
	twice("reused", again);

	check_eq("evtchn_double_close.virq.bind", 0, pv_evtchn_bind_virq(VIRQ_DEBUG, &virq));
	twice("virq", virq);
	/* The VIRQ is free again: it can be bound anew. */
	check_eq("evtchn_double_close.virq.rebind", 0, pv_evtchn_bind_virq(VIRQ_DEBUG, &virq));
	close_port(virq);

	check_eq("evtchn_double_close.unbound.alloc", 0, pv_evtchn_alloc_unbound(DOMID_SELF, &unbound));
	twice("unbound", unbound);

	check_eq("evtchn_double_close.pair.alloc", 0, pv_evtchn_alloc_unbound(DOMID_SELF, &a));
	bi = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = a };
	check_eq("evtchn_double_close.pair.bind", 0,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi));
	b = bi.local_port;
	twice("pair_first_end", a);
	/* The other end is unbound again, waiting; closing it is once fine, twice not. */
	check_eq("evtchn_double_close.pair.other_end_unbound", EVTCHNSTAT_unbound, status_of(b));
	twice("pair_other_end", b);
	/* A bind to a closed port is refused. */
	check_eq("evtchn_double_close.bind_to_closed_einval", -XEN_EINVAL,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi));
	return check_done();
}
