/*
 * Running out of event channels. A 64-bit guest on the 2-level ABI has
 * ports 1-4095 (Xen: EVTCHN_2L_NR_CHANNELS, port 0 reserved). Allocating
 * until the hypervisor says -ENOSPC yields exactly the ports that were
 * free, each once; then every kind of bind is -ENOSPC as well; closing one
 * port makes exactly that one available again; closing everything leaves
 * the domain as it was. The hypervisor's memory for ports is bounded by
 * that limit, whatever the guest asks.
 */
#include "check.h"

#define NR 4096

static evtchn_port_t got[NR];
static uint8_t seen[NR];

static uint32_t status_of(evtchn_port_t p)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = p };

	HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
	return st.status;
}

int main(void)
{
	unsigned int in_use = 0, n = 0, dup = 0, bad = 0;
	evtchn_port_t p, extra;
	long rc;

	check_guest(GUEST_NAME);
	for (p = 1; p < NR; p++)
		if (status_of(p) != EVTCHNSTAT_closed)
			in_use++;
	while (n < NR && (rc = pv_evtchn_alloc_unbound(DOMID_SELF, &got[n])) == 0) {
		if (got[n] == 0 || got[n] >= NR)
			bad++;
		else if (seen[got[n]]++)
			dup++;
		n++;
	}
	check_eq("evtchn_exhaust.stopped_with_enospc", -XEN_ENOSPC, rc);
	check_eq("evtchn_exhaust.got_every_free_port", NR - 1 - in_use, n);
	check_eq("evtchn_exhaust.no_duplicates", 0, dup);
	check_eq("evtchn_exhaust.all_in_range", 0, bad);
	check_eq("evtchn_exhaust.bind_ipi_enospc", -XEN_ENOSPC, pv_evtchn_bind_ipi(&extra));
	check_eq("evtchn_exhaust.bind_virq_enospc", -XEN_ENOSPC, pv_evtchn_bind_virq(VIRQ_DEBUG, &extra));
	check_eq("evtchn_exhaust.alloc_again_enospc", -XEN_ENOSPC,
		 pv_evtchn_alloc_unbound(DOMID_SELF, &extra));

	/* Free one in the middle: exactly that number comes back. */
	if (n > 100) {
		check_eq("evtchn_exhaust.close_one", 0, pv_evtchn_close(got[100]));
		check_eq("evtchn_exhaust.one_free_again", 0, pv_evtchn_bind_ipi(&extra));
		check_eq("evtchn_exhaust.same_number", got[100], extra);
		got[100] = extra;
	}
	for (unsigned int i = 0; i < n; i++)
		if (pv_evtchn_close(got[i]))
			bad++;
	check_eq("evtchn_exhaust.all_closed", 0, bad);
	{
		unsigned int now = 0;

		for (p = 1; p < NR; p++)
			if (status_of(p) != EVTCHNSTAT_closed)
				now++;
		check_eq("evtchn_exhaust.back_as_before", in_use, now);
	}
	check_eq("evtchn_exhaust.alloc_after", 0, pv_evtchn_alloc_unbound(DOMID_SELF, &extra));
	pv_evtchn_close(extra);
	return check_done();
}
