/*
 * Event channels as the rest of the hypervisor uses them (the guest
 * interface, event_channel_op, is in common/event_channel.c).
 */
#ifndef MICA_EVENT_H
#define MICA_EVENT_H

#include <mica/types.h>
#include <pv/types.h>

struct domain;
struct vcpu;

/*
 * Per-domain event state. init: after d's vCPUs exist (it also points the
 * vcpu_info of vCPUs beyond shared_info's 32 slots at a private dummy
 * until they register their own); 0 or -ENOMEM. destroy: closes every
 * port (peers' interdomain ports fall back to unbound) and refuses new
 * ones; d's vCPUs must be stopped. free: releases the memory, once
 * nothing can reach d any more (its vCPUs are gone, no references).
 */
int evtchn_domain_init(struct domain *d);
void evtchn_domain_destroy(struct domain *d);
void evtchn_domain_free(struct domain *d);

/*
 * A new unbound port in d that domain remote may bind (the builder's
 * console and store ports). Returns the port, or -ENOSPC, -ENOMEM, or
 * -EINVAL if d is being destroyed.
 */
int evtchn_alloc_unbound_port(struct domain *d, domid_t remote);

/* Raises a per-vCPU VIRQ (VIRQ_TIMER, VIRQ_DEBUG) on v, if the guest bound it. */
void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq);
/* Raises a global VIRQ (VIRQ_CONSOLE, VIRQ_DOM_EXC) in dom0, if bound. */
void send_global_virq(unsigned int virq);

/*
 * SCHEDOP_poll for the current vCPU v: blocks it until one of the given
 * ports is pending (masked or not), an upcall is marked, or the timeout
 * (guest system time, 0 = none) passes; returns at once if a port is
 * already pending. The block takes effect on the way back to the guest.
 */
long sched_poll(struct vcpu *v, pv_gva_t arg);

#endif
