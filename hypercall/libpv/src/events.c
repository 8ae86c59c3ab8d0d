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
 *
 * With several vCPUs each has its own vcpu_info (mask, pending_sel), but
 * the pending and mask words are the domain's. A port notifies the vCPU
 * it is bound to, so libpv remembers that vCPU for every port it binds
 * (bind_ipi and bind_virq bind to the caller, EVTCHNOP_bind_vcpu moves a
 * port, everything else starts on vCPU 0, as in the hypervisor), and an
 * upcall handles only its own vCPU's ports: another vCPU's port that
 * shares a pending word stays pending for its owner's upcall, so every
 * handler runs on the vCPU its port is bound to.
 */
#include "internal.h"

volatile uint64_t pv_upcalls, pv_unhandled_events;

static struct {
	pv_evtchn_handler_t fn;
	void *data;
	unsigned int vcpu;    /* the vCPU the port notifies */
} handlers[EVTCHN_2L_NR_CHANNELS];

static void bound_to(evtchn_port_t port, unsigned int vcpu)
{
	if (port < EVTCHN_2L_NR_CHANNELS)
		__atomic_store_n(&handlers[port].vcpu, vcpu, __ATOMIC_RELEASE);
}

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
	unsigned int self = pv_vcpu_id();

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
				if (__atomic_load_n(&handlers[port].vcpu, __ATOMIC_ACQUIRE) != self)
					continue;
				/* Whoever clears the bit handles the event, exactly once. */
				if (!(__atomic_fetch_and(&s->evtchn_pending[word], ~(1ULL << bit),
							 __ATOMIC_SEQ_CST) & (1ULL << bit)))
					continue;
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

	if (rc == 0) {
		*port = a.port;
		bound_to(a.port, 0);
	}
	return rc;
}

long pv_evtchn_bind_virq(uint32_t virq, evtchn_port_t *port)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = pv_vcpu_id() };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b);

	if (rc == 0) {
		*port = b.port;
		bound_to(b.port, b.vcpu);
	}
	return rc;
}

long pv_evtchn_bind_ipi(evtchn_port_t *port)
{
	return pv_evtchn_bind_ipi_to(pv_vcpu_id(), port);
}

long pv_evtchn_bind_ipi_to(unsigned int vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &b);

	if (rc == 0) {
		*port = b.port;
		bound_to(b.port, vcpu);
	}
	return rc;
}

long pv_evtchn_bind_vcpu(evtchn_port_t port, unsigned int vcpu)
{
	struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &b);

	if (rc == 0)
		bound_to(port, vcpu);
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
	bound_to(port, 0);
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
