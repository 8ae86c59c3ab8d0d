/*
 * Event channels, 2-level ABI (PV ABI notes, section 3.7). The hypervisor
 * raises a port by setting its bit in shared_info's evtchn_pending[], the
 * word's bit in our vcpu_info's evtchn_pending_sel, and
 * evtchn_upcall_pending; if events are not masked it then enters
 * pv_event_callback. The upcall clears upcall_pending, takes pending_sel
 * with an atomic exchange, and for each word it names handles the ports
 * that are pending and not masked, clearing each pending bit first. It
 * loops until upcall_pending stays clear, so nothing raised meanwhile is
 * lost. The return (iret) restores the event mask of the interrupted code.
 *
 * The event mask (vcpu_info.evtchn_upcall_mask) is the virtual interrupt
 * flag: pv_irq_disable/enable set and clear it. Unmasking with an event
 * pending makes a hypercall (xen_version) whose return delivers it.
 */
#include "internal.h"

volatile uint64_t pv_upcalls, pv_unhandled_events;

static struct {
	pv_evtchn_handler_t fn;
	void *data;
} handlers[EVTCHN_2L_NR_CHANNELS];

void pv_evtchn_set_handler(evtchn_port_t port, pv_evtchn_handler_t fn, void *data)
{
	if (port >= EVTCHN_2L_NR_CHANNELS)
		return;
	handlers[port].data = data;
	handlers[port].fn = fn;
}

void pv_evtchn_upcall(void)
{
	struct vcpu_info *vi = pv_vcpu_info();
	struct shared_info *s = pv_shared_info;

	pv_upcalls++;
	if (!vi)
		return;
	while (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE)) {
		uint64_t sel;

		__atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
		sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		while (sel) {
			unsigned int word = (unsigned int)__builtin_ctzll(sel);
			uint64_t ready = __atomic_load_n(&s->evtchn_pending[word], __ATOMIC_ACQUIRE) &
					 ~__atomic_load_n(&s->evtchn_mask[word], __ATOMIC_ACQUIRE);

			sel &= sel - 1;
			while (ready) {
				unsigned int bit = (unsigned int)__builtin_ctzll(ready);
				evtchn_port_t port = word * 64 + bit;

				ready &= ready - 1;
				__atomic_fetch_and(&s->evtchn_pending[word], ~(1ULL << bit),
						   __ATOMIC_SEQ_CST);
				if (handlers[port].fn)
					handlers[port].fn(port, handlers[port].data);
				else
					pv_unhandled_events++;
			}
		}
	}
}

void pv_irq_disable(void)
{
	struct vcpu_info *vi = pv_vcpu_info();

	if (vi)
		__atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}

void pv_irq_enable(void)
{
	struct vcpu_info *vi = pv_vcpu_info();

	if (!vi)
		return;
	__atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
	/* Raised while masked: no upcall came, so ask for one now. */
	if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
		HYPERVISOR_xen_version(XENVER_version, NULL);
}

unsigned int pv_irq_save(void)
{
	struct vcpu_info *vi = pv_vcpu_info();

	if (!vi)
		return 1;
	return __atomic_exchange_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}

void pv_irq_restore(unsigned int mask)
{
	if (!mask)
		pv_irq_enable();
}

long pv_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);

	if (rc == 0)
		*port = a.port;
	return rc;
}

long pv_evtchn_bind_virq(uint32_t virq, evtchn_port_t *port)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = 0 };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b);

	if (rc == 0)
		*port = b.port;
	return rc;
}

long pv_evtchn_bind_ipi(evtchn_port_t *port)
{
	struct evtchn_bind_ipi b = { .vcpu = 0 };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &b);

	if (rc == 0)
		*port = b.port;
	return rc;
}

long pv_evtchn_send(evtchn_port_t port)
{
	struct evtchn_send s = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

long pv_evtchn_close(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	pv_evtchn_set_handler(port, NULL, NULL);
	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
}

long pv_evtchn_unmask(evtchn_port_t port)
{
	struct evtchn_unmask u = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

void pv_evtchn_mask(evtchn_port_t port)
{
	if (pv_shared_info && port < EVTCHN_2L_NR_CHANNELS)
		__atomic_fetch_or(&pv_shared_info->evtchn_mask[port / 64], 1ULL << (port % 64),
				  __ATOMIC_SEQ_CST);
}

long pv_block(void)
{
	return HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}
