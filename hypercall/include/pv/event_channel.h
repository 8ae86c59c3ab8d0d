/*
 * event_channel_op (32): ports, the PV guest's interrupts. Port 0 is never
 * valid (Linux reads 0 as "no channel"), so allocation starts at 1. With
 * the 2-level ABI a 64-bit guest has EVTCHN_2L_NR_CHANNELS (4096) ports,
 * whose pending and mask bits live in shared_info (pv/xen.h).
 */
#ifndef PV_EVENT_CHANNEL_H
#define PV_EVENT_CHANNEL_H

#include "types.h"

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_bind_vcpu 8
#define EVTCHNOP_unmask 9
#define EVTCHNOP_reset 10
#define EVTCHNOP_init_control 11   /* FIFO ABI (layouts in libpv): any error makes Linux use 2-level */
#define EVTCHNOP_expand_array 12   /* FIFO ABI */
#define EVTCHNOP_set_priority 13   /* FIFO ABI; Linux ignores errors */

/*
 * A port in dom that remote_dom may later bind with bind_interdomain.
 * Frontends: dom = DOMID_SELF, remote = the backend. A local store
 * (store_evtchn == 0): SELF, SELF. The toolstack: dom = the new domain.
 */
struct evtchn_alloc_unbound {
	domid_t dom, remote_dom;
	evtchn_port_t port;        /* OUT */
};
PV_CHECK_SIZE(struct evtchn_alloc_unbound, 8);
PV_CHECK_OFFSET(struct evtchn_alloc_unbound, port, 4);

/* Connects a new local port to remote_port, which must be unbound for us. */
struct evtchn_bind_interdomain {
	domid_t remote_dom;
	pv_u16 _pad;
	evtchn_port_t remote_port;
	evtchn_port_t local_port;  /* OUT */
};
PV_CHECK_SIZE(struct evtchn_bind_interdomain, 12);
PV_CHECK_OFFSET(struct evtchn_bind_interdomain, remote_port, 4);
PV_CHECK_OFFSET(struct evtchn_bind_interdomain, local_port, 8);

/*
 * Per-vCPU VIRQs bind once per vCPU; global ones only on vCPU 0. A second
 * bind is -EEXIST, after which Linux finds the port with EVTCHNOP_status.
 */
struct evtchn_bind_virq {
	pv_u32 virq;               /* VIRQ_* */
	pv_u32 vcpu;
	evtchn_port_t port;        /* OUT */
};
PV_CHECK_SIZE(struct evtchn_bind_virq, 12);

struct evtchn_bind_pirq {
	pv_u32 pirq;
	pv_u32 flags;              /* bit 0: the IRQ may be shared */
	evtchn_port_t port;        /* OUT */
};
PV_CHECK_SIZE(struct evtchn_bind_pirq, 12);

/* Linux binds four or five IPIs per CPU and BUG()s if one fails. */
struct evtchn_bind_ipi {
	pv_u32 vcpu;
	evtchn_port_t port;        /* OUT */
};
PV_CHECK_SIZE(struct evtchn_bind_ipi, 8);

struct evtchn_close {
	evtchn_port_t port;
};
PV_CHECK_SIZE(struct evtchn_close, 4);

struct evtchn_send {
	evtchn_port_t port;
};
PV_CHECK_SIZE(struct evtchn_send, 4);

struct evtchn_status {
	domid_t dom;
	pv_u16 _pad;
	evtchn_port_t port;
	pv_u32 status;             /* OUT: EVTCHNSTAT_* */
	pv_u32 vcpu;               /* OUT: the vCPU notified */
	union {
		struct {
			domid_t dom;
		} unbound;
		struct {
			domid_t dom;
			pv_u16 _pad;
			evtchn_port_t port;
		} interdomain;
		pv_u32 pirq;
		pv_u32 virq;
	} u;
};
PV_CHECK_SIZE(struct evtchn_status, 24);
PV_CHECK_OFFSET(struct evtchn_status, port, 4);
PV_CHECK_OFFSET(struct evtchn_status, u.interdomain.port, 20);

#define EVTCHNSTAT_closed 0
#define EVTCHNSTAT_unbound 1
#define EVTCHNSTAT_interdomain 2
#define EVTCHNSTAT_virq 4
#define EVTCHNSTAT_ipi 5

struct evtchn_bind_vcpu {
	evtchn_port_t port;
	pv_u32 vcpu;
};
PV_CHECK_SIZE(struct evtchn_bind_vcpu, 8);

/*
 * Clears the mask bit and, if the port is pending, raises the upcall.
 * Linux unmasks ports of its own CPU by itself and only calls this for
 * ports bound to another vCPU.
 */
struct evtchn_unmask {
	evtchn_port_t port;
};
PV_CHECK_SIZE(struct evtchn_unmask, 4);

struct evtchn_reset {
	domid_t dom;
};
PV_CHECK_SIZE(struct evtchn_reset, 2);

/*
 * Virtual interrupts. Per-vCPU: TIMER, DEBUG, XENOPROF, XENPMU. The others
 * are global and bound on vCPU 0. Linux binds TIMER and DEBUG on every
 * CPU (DEBUG failing is a BUG() with 2-level events).
 */
#define VIRQ_TIMER 0        /* singleshot deadline or periodic tick */
#define VIRQ_DEBUG 1
#define VIRQ_CONSOLE 2      /* dom0: console_io has input */
#define VIRQ_DOM_EXC 3      /* dom0: a domain crashed or shut down */
#define VIRQ_XENOPROF 7
#define VIRQ_XENPMU 13
#define NR_VIRQS 24

#endif
