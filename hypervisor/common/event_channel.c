/*
 * Event channels with the 2-level ABI: each domain's port table,
 * event_channel_op (EVTCHNOP_*), VIRQ delivery and SCHEDOP_poll.
 *
 * Pure logic: this file includes no arch header, so the host unit test
 * (tests/unit/test_event_channel.c) builds and drives this very source.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/sched.h>
#include <mica/spinlock.h>
#include <mica/timer.h>
#include <mica/vcpu_time.h>
#include <pv/event_channel.h>
#include <pv/sched.h>
#include <pv/xen.h>

/*
 * Theory of operation.
 *
 * Ports. A domain has EVTCHN_2L_NR_CHANNELS (4096) ports, whose records
 * live in pages of EVTCHN_PER_PAGE allocated as the domain needs them; a
 * port is valid (else -EINVAL) once its page exists. Allocation takes the
 * lowest closed port from 1 up: port 0 is never handed out, as Linux reads
 * 0 as "no channel". The pending and mask bits of every port are not
 * here but in the domain's shared_info, where the guest reads and writes
 * them directly.
 *
 * Locking. One spinlock per domain guards its port records and VIRQ
 * tables, always taken with interrupts off (global VIRQs may be sent from
 * interrupt context). An interdomain binding joins two ports and changes
 * only with both domains' locks held, the lower domain id's first; so
 * while a domain holds its own lock, the peer of each of its bound ports
 * stays bound, and alive. That is all a send needs: it locks the sender
 * only and raises the peer's port, which is lock-free (atomic operations
 * on the peer's shared_info and vcpu_info). A domain being destroyed
 * closes each of its ports under both locks, so its peers see their ports
 * fall back to unbound and never reach it again.
 *
 * Raising a port (ABI section 3.7): set its pending bit, and if it was
 * clear and the port is unmasked, set the word's bit in the notified
 * vCPU's pending_sel; if that was clear too, set the vCPU's
 * upcall_pending and kick it. Then wake whoever polls the port, masked or
 * not. The guest-side vcpu_info is authoritative: it is re-read each time.
 *
 * Polling. A vCPU in SCHEDOP_poll has VPF_POLLING set and its bit in the
 * domain's poll_mask, and poll_port says which port it waits for (-1 for
 * several). Whoever clears the poll_mask bit (a raise of a matching port,
 * an upcall marked for the vCPU, the poll timeout) ends the poll and wakes
 * the vCPU. The poller sets its bit before it looks at the pending bits,
 * and a raiser sets the pending bit before it looks at poll_mask, so one
 * of the two always sees the other.
 */

#define EVTCHN_NR_PORTS EVTCHN_2L_NR_CHANNELS
#define EVTCHN_PER_PAGE (PAGE_SIZE / sizeof(struct evtchn))
#define EVTCHN_PAGES (EVTCHN_NR_PORTS / EVTCHN_PER_PAGE)

/* One port. state is EVTCHNSTAT_*; a closed port is all zeroes. */
struct evtchn {
	u8 state;
	u8 vcpu;                  /* the vCPU notified */
	u8 virq;                  /* virq: which VIRQ */
	u8 _pad;
	u16 remote_port;          /* interdomain: the peer's port */
	domid_t remote_domid;     /* unbound: who may bind it; interdomain: the peer */
	struct domain *remote;    /* interdomain: the peer (d itself for a loopback) */
};
_Static_assert(sizeof(struct evtchn) == 16, "port records pack 256 to a page");

/* Per vCPU. */
struct evtchn_vcpu {
	struct vcpu_info dummy_info; /* vcpu_info of a vCPU beyond shared_info's slots, until it registers one */
	u16 virq_port[NR_VIRQS];  /* bound port per VIRQ, 0 if none; domain lock */
	s32 poll_port;            /* polling: the only port, -1 for several; 0 otherwise */
	struct timer poll_timer;  /* SCHEDOP_poll timeout */
};

struct evtchn_domain {
	spinlock_t lock;
	bool dead;                /* evtchn_domain_destroy ran: no new ports */
	unsigned int nr_pages;    /* pages[0 .. nr_pages) exist */
	u64 poll_mask;            /* vCPUs in SCHEDOP_poll; atomic */
	struct evtchn *pages[EVTCHN_PAGES];
	unsigned int nr_vcpus;
	struct evtchn_vcpu vcpu[]; /* [nr_vcpus] */
};
_Static_assert(MAX_VCPUS_PER_DOMAIN <= 64, "poll_mask has a bit per vCPU");
_Static_assert(MAX_VCPUS_PER_DOMAIN <= 256, "struct evtchn keeps the vCPU in a byte");

/* Global VIRQs are bound on vCPU 0 and reach it or whichever vCPU bind_vcpu chose. */
static bool virq_is_global(unsigned int virq)
{
	return virq != VIRQ_TIMER && virq != VIRQ_DEBUG && virq != VIRQ_XENOPROF &&
	       virq != VIRQ_XENPMU;
}

static bool port_valid(const struct evtchn_domain *ed, u32 port)
{
	return port < ed->nr_pages * EVTCHN_PER_PAGE;
}

static struct evtchn *port_rec(const struct evtchn_domain *ed, u32 port)
{
	return &ed->pages[port / EVTCHN_PER_PAGE][port % EVTCHN_PER_PAGE];
}

static u64 lock_domain(struct domain *d)
{
	return spin_lock_irqsave(&d->evtchn->lock);
}

static void unlock_domain(struct domain *d, u64 flags)
{
	spin_unlock_irqrestore(&d->evtchn->lock, flags);
}

/* Both domains' locks, the lower id first (a and b may be the same). */
static u64 lock_two(struct domain *a, struct domain *b)
{
	struct domain *lo = a->id < b->id ? a : b, *hi = lo == a ? b : a;
	u64 flags = arch_irq_save();

	spin_lock(&lo->evtchn->lock);
	if (hi != lo)
		spin_lock(&hi->evtchn->lock);
	return flags;
}

static void unlock_two(struct domain *a, struct domain *b, u64 flags)
{
	if (a != b)
		spin_unlock(&b->evtchn->lock);
	spin_unlock(&a->evtchn->lock);
	arch_irq_restore(flags);
}

/*
 * The lowest closed port of d, adding a page of ports when the closed
 * ones run out. Domain lock held. -ENOSPC when all 4095 are in use.
 */
static int get_free_port(struct evtchn_domain *ed)
{
	if (ed->dead)
		return -EINVAL;
	for (u32 port = 1; port < EVTCHN_NR_PORTS; port++) {
		if (!port_valid(ed, port)) {
			struct evtchn *page = hv_zalloc(PAGE_SIZE);

			if (!page)
				return -ENOMEM;
			ed->pages[ed->nr_pages++] = page;
		}
		if (port_rec(ed, port)->state == EVTCHNSTAT_closed)
			return (int)port;
	}
	return -ENOSPC;
}

/* ---- Raising ports and waking pollers ---- */

/* Ends v's poll, if the caller just cleared its poll_mask bit. */
static void poll_end(struct evtchn_domain *ed, struct vcpu *v)
{
	struct evtchn_vcpu *ev = &ed->vcpu[v->id];

	WRITE_ONCE(ev->poll_port, 0);
	stop_timer(&ev->poll_timer);
	if (__atomic_fetch_and(&v->pause_flags, ~VPF_POLLING, __ATOMIC_SEQ_CST) & VPF_POLLING)
		vcpu_wake(v);
}

/* Claims v's poll for ending it: true for exactly one caller per poll. */
static bool poll_claim(struct evtchn_domain *ed, const struct vcpu *v)
{
	u64 bit = 1ULL << v->id;

	return __atomic_fetch_and(&ed->poll_mask, ~bit, __ATOMIC_SEQ_CST) & bit;
}

/* Wakes the vCPUs of d polling port (or several ports). */
static void check_pollers(struct domain *d, u32 port)
{
	struct evtchn_domain *ed = d->evtchn;
	u64 mask = __atomic_load_n(&ed->poll_mask, __ATOMIC_SEQ_CST);

	while (mask) {
		unsigned int id = (unsigned int)__builtin_ctzll(mask);
		struct vcpu *v = d->vcpus[id];
		s32 want;

		mask &= mask - 1;
		want = READ_ONCE(ed->vcpu[id].poll_port);
		if ((want <= 0 || (u32)want == port) && poll_claim(ed, v))
			poll_end(ed, v);
	}
}

/* Marks an upcall pending on v and makes it look (a poll ends too, as on Xen). */
static void mark_upcall_pending(struct vcpu *v)
{
	struct vcpu_info *vi = READ_ONCE(v->vcpu_info);
	struct evtchn_domain *ed = v->domain->evtchn;

	if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
		return;
	vcpu_kick(v);
	if (poll_claim(ed, v))
		poll_end(ed, v);
}

/* Raises port of d towards v (section 3.7). No lock needed; d must stay alive. */
static void evtchn_raise(struct domain *d, struct vcpu *v, u32 port)
{
	struct shared_info *s = d->shared_info;
	unsigned int word = port / 64;
	u64 bit = 1ULL << (port % 64), sel = 1ULL << word;

	if (__atomic_fetch_or(&s->evtchn_pending[word], bit, __ATOMIC_SEQ_CST) & bit)
		return;
	if (!(__atomic_load_n(&s->evtchn_mask[word], __ATOMIC_SEQ_CST) & bit)) {
		struct vcpu_info *vi = READ_ONCE(v->vcpu_info);

		if (!(__atomic_fetch_or(&vi->evtchn_pending_sel, sel, __ATOMIC_SEQ_CST) & sel))
			mark_upcall_pending(v);
	}
	check_pollers(d, port);
}

/* Raises a local port of d towards its notified vCPU. Domain lock held. */
static void raise_local(struct domain *d, u32 port)
{
	struct vcpu *v = domain_vcpu(d, port_rec(d->evtchn, port)->vcpu);

	if (v)
		evtchn_raise(d, v, port);
}

/* ---- Closing ---- */

/* The other domain port of d is bound to, or NULL. Domain lock held. */
static struct domain *peer_of(struct domain *d, u32 port)
{
	struct evtchn_domain *ed = d->evtchn;
	struct evtchn *chn;

	if (!port_valid(ed, port))
		return NULL;
	chn = port_rec(ed, port);
	if (chn->state != EVTCHNSTAT_interdomain || chn->remote == d)
		return NULL;
	return chn->remote;
}

/*
 * Locks d and, if port is bound to another domain, that peer too (in
 * domain id order), with a reference on the peer. Returns the peer or
 * NULL. Undo with unlock_port.
 */
static struct domain *lock_port(struct domain *d, u32 port, u64 *flags)
{
	for (;;) {
		struct domain *rd;

		*flags = lock_domain(d);
		rd = peer_of(d, port);
		if (!rd)
			return NULL;
		/* Let go and take both in order, then look again: the binding may have changed. */
		domain_hold(rd);
		unlock_domain(d, *flags);
		*flags = lock_two(d, rd);
		if (peer_of(d, port) == rd)
			return rd;
		unlock_two(d, rd, *flags);
		domain_put(rd);
	}
}

static void unlock_port(struct domain *d, struct domain *rd, u64 flags)
{
	if (!rd) {
		unlock_domain(d, flags);
		return;
	}
	unlock_two(d, rd, flags);
	domain_put(rd);
}

/*
 * Closes port of d: its VIRQ binding goes, an interdomain peer's port
 * becomes unbound (bindable by d again), the pending bit is cleared.
 * d's lock held, and the peer's for an interdomain port.
 */
static long close_locked(struct domain *d, u32 port)
{
	struct evtchn_domain *ed = d->evtchn;
	struct evtchn *chn;

	if (!port_valid(ed, port))
		return -EINVAL;
	chn = port_rec(ed, port);
	switch (chn->state) {
	case EVTCHNSTAT_unbound:
	case EVTCHNSTAT_ipi:
		break;
	case EVTCHNSTAT_virq:
		for (unsigned int i = 0; i < ed->nr_vcpus; i++)
			if (ed->vcpu[i].virq_port[chn->virq] == port)
				ed->vcpu[i].virq_port[chn->virq] = 0;
		break;
	case EVTCHNSTAT_interdomain: {
		struct evtchn *rchn = port_rec(chn->remote->evtchn, chn->remote_port);

		/* Unbound for d again; it keeps the vCPU it notifies. */
		*rchn = (struct evtchn){ .state = EVTCHNSTAT_unbound, .vcpu = rchn->vcpu,
					 .remote_domid = d->id };
		break;
	}
	default:
		return -EINVAL;
	}
	__atomic_fetch_and(&d->shared_info->evtchn_pending[port / 64], ~(1ULL << (port % 64)),
			   __ATOMIC_SEQ_CST);
	memset(chn, 0, sizeof(*chn));
	return 0;
}

static long close_port(struct domain *d, u32 port)
{
	u64 flags;
	struct domain *rd = lock_port(d, port, &flags);
	long rc = close_locked(d, port);

	unlock_port(d, rd, flags);
	return rc;
}

/* Closes every port of d, one at a time (each takes its own locks). */
static void close_all_ports(struct domain *d)
{
	u64 flags = lock_domain(d);
	u32 nr_ports = d->evtchn->nr_pages * EVTCHN_PER_PAGE;

	unlock_domain(d, flags);
	for (u32 port = 1; port < nr_ports; port++)
		close_port(d, port);
}

/* ---- Domain setup and teardown ---- */

static void poll_timeout(void *data)
{
	struct vcpu *v = data;
	struct evtchn_domain *ed = v->domain->evtchn;

	if (poll_claim(ed, v))
		poll_end(ed, v);
}

static size_t evtchn_domain_size(unsigned int nr_vcpus)
{
	return sizeof(struct evtchn_domain) + nr_vcpus * sizeof(struct evtchn_vcpu);
}

int evtchn_domain_init(struct domain *d)
{
	struct evtchn_domain *ed = hv_zalloc(evtchn_domain_size(d->max_vcpus));

	if (!ed)
		return -ENOMEM;
	ed->pages[0] = hv_zalloc(PAGE_SIZE);
	if (!ed->pages[0]) {
		hv_free(ed, evtchn_domain_size(d->max_vcpus));
		return -ENOMEM;
	}
	ed->nr_pages = 1;
	ed->nr_vcpus = d->max_vcpus;
	for (unsigned int i = 0; i < ed->nr_vcpus; i++) {
		struct evtchn_vcpu *ev = &ed->vcpu[i];
		struct vcpu *v = d->vcpus[i];

		ev->dummy_info.evtchn_upcall_mask = 1;
		timer_init(&ev->poll_timer, poll_timeout, v, v->processor);
		if (!v->vcpu_info)
			v->vcpu_info = &ev->dummy_info;
	}
	d->evtchn = ed;
	return 0;
}

void evtchn_domain_destroy(struct domain *d)
{
	struct evtchn_domain *ed = d->evtchn;
	u64 flags;

	if (!ed)
		return;
	flags = lock_domain(d);
	ed->dead = true;
	unlock_domain(d, flags);
	/* No port is added once dead, so this covers them all. */
	close_all_ports(d);
	for (unsigned int i = 0; i < ed->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		if (poll_claim(ed, v))
			poll_end(ed, v);
		stop_timer(&ed->vcpu[i].poll_timer);
	}
}

void evtchn_domain_free(struct domain *d)
{
	struct evtchn_domain *ed = d->evtchn;

	if (!ed)
		return;
	for (unsigned int i = 0; i < ed->nr_pages; i++)
		hv_free(ed->pages[i], PAGE_SIZE);
	d->evtchn = NULL;
	hv_free(ed, evtchn_domain_size(ed->nr_vcpus));
}

int evtchn_alloc_unbound_port(struct domain *d, domid_t remote)
{
	u64 flags = lock_domain(d);
	int port = get_free_port(d->evtchn);

	if (port > 0)
		*port_rec(d->evtchn, (u32)port) = (struct evtchn){ .state = EVTCHNSTAT_unbound,
								    .remote_domid = remote };
	unlock_domain(d, flags);
	return port;
}

/* ---- VIRQs ---- */

void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq)
{
	struct domain *d = v->domain;
	u64 flags;
	u32 port;

	if (virq >= NR_VIRQS || !d->evtchn)
		return;
	/* Most ticks find the VIRQ unbound: no need for the domain lock then. */
	if (!READ_ONCE(d->evtchn->vcpu[v->id].virq_port[virq]))
		return;
	flags = lock_domain(d);
	port = d->evtchn->vcpu[v->id].virq_port[virq];
	if (port)
		evtchn_raise(d, v, port);
	unlock_domain(d, flags);
}

void send_global_virq(unsigned int virq)
{
	struct domain *d;
	u64 flags;
	u32 port;

	if (virq >= NR_VIRQS || !virq_is_global(virq))
		return;
	d = domain_get(0);
	if (!d)
		return;
	/* A live domain has its ports: they go only with its last reference. */
	flags = lock_domain(d);
	port = d->evtchn->vcpu[0].virq_port[virq];
	if (port)
		raise_local(d, port);
	unlock_domain(d, flags);
	domain_put(d);
}

/* ---- EVTCHNOP_* workers: validate, then change ---- */

static long evtchn_alloc_unbound(struct evtchn_alloc_unbound *a)
{
	struct domain *self = current_vcpu()->domain, *d;
	long rc = domain_get_target(self, a->dom, &d);
	int port;

	if (rc)
		return rc;
	/* DOMID_SELF as the remote means the caller, not d. */
	port = evtchn_alloc_unbound_port(d, a->remote_dom == DOMID_SELF ? self->id : a->remote_dom);
	domain_put(d);
	if (port < 0)
		return port;
	a->port = (u32)port;
	return 0;
}

static long evtchn_bind_interdomain(struct evtchn_bind_interdomain *b)
{
	struct domain *ld = current_vcpu()->domain, *rd = domain_get_by_any_id(ld, b->remote_dom);
	struct evtchn *lchn, *rchn;
	u32 rport = b->remote_port;
	long rc;
	int lport;
	u64 flags;

	if (!rd)
		return -ESRCH;
	flags = lock_two(ld, rd);
	lport = get_free_port(ld->evtchn);
	if (lport < 0) {
		rc = lport;
		goto out;
	}
	rc = -EINVAL;
	if (rd->evtchn->dead || !port_valid(rd->evtchn, rport))
		goto out;
	rchn = port_rec(rd->evtchn, rport);
	if (rchn->state != EVTCHNSTAT_unbound || rchn->remote_domid != ld->id)
		goto out;

	lchn = port_rec(ld->evtchn, (u32)lport);
	*lchn = (struct evtchn){ .state = EVTCHNSTAT_interdomain, .remote_port = (u16)rport,
				 .remote_domid = rd->id, .remote = rd };
	rchn->state = EVTCHNSTAT_interdomain;
	rchn->remote = ld;
	rchn->remote_domid = ld->id;
	rchn->remote_port = (u16)lport;
	/* The peer may have sent while its port was unbound: raise ours once. */
	raise_local(ld, (u32)lport);
	b->local_port = (u32)lport;
	rc = 0;
out:
	unlock_two(ld, rd, flags);
	domain_put(rd);
	return rc;
}

static long evtchn_bind_virq(struct evtchn_bind_virq *b)
{
	struct domain *d = current_vcpu()->domain;
	u16 *slot;
	int port;
	u64 flags;

	if (b->virq >= NR_VIRQS || (virq_is_global(b->virq) && b->vcpu != 0))
		return -EINVAL;
	if (!domain_vcpu(d, b->vcpu))
		return -ENOENT;
	flags = lock_domain(d);
	slot = &d->evtchn->vcpu[b->vcpu].virq_port[b->virq];
	if (*slot) {
		port = -EEXIST;
		goto out;
	}
	port = get_free_port(d->evtchn);
	if (port < 0)
		goto out;
	*port_rec(d->evtchn, (u32)port) = (struct evtchn){ .state = EVTCHNSTAT_virq,
							    .vcpu = (u8)b->vcpu, .virq = (u8)b->virq };
	*slot = (u16)port;
	b->port = (u32)port;
out:
	unlock_domain(d, flags);
	return port < 0 ? port : 0;
}

static long evtchn_bind_ipi(struct evtchn_bind_ipi *b)
{
	struct domain *d = current_vcpu()->domain;
	int port;
	u64 flags;

	if (!domain_vcpu(d, b->vcpu))
		return -ENOENT;
	flags = lock_domain(d);
	port = get_free_port(d->evtchn);
	if (port > 0) {
		*port_rec(d->evtchn, (u32)port) = (struct evtchn){ .state = EVTCHNSTAT_ipi,
								    .vcpu = (u8)b->vcpu };
		b->port = (u32)port;
	}
	unlock_domain(d, flags);
	return port < 0 ? port : 0;
}

static long evtchn_send(u32 port)
{
	struct domain *d = current_vcpu()->domain;
	struct evtchn *chn;
	long rc = 0;
	u64 flags = lock_domain(d);

	if (!port_valid(d->evtchn, port)) {
		rc = -EINVAL;
		goto out;
	}
	chn = port_rec(d->evtchn, port);
	switch (chn->state) {
	case EVTCHNSTAT_interdomain: {
		/* Our lock keeps the binding, so the peer, as it is. */
		struct domain *rd = chn->remote;
		const struct evtchn *rchn = port_rec(rd->evtchn, chn->remote_port);
		struct vcpu *rv = domain_vcpu(rd, READ_ONCE(rchn->vcpu));

		if (rv)
			evtchn_raise(rd, rv, chn->remote_port);
		break;
	}
	case EVTCHNSTAT_ipi:
		raise_local(d, port);
		break;
	case EVTCHNSTAT_unbound:
		break; /* nobody listens yet: dropped */
	default:
		rc = -EINVAL;
	}
out:
	unlock_domain(d, flags);
	return rc;
}

static long evtchn_status(struct evtchn_status *st)
{
	struct domain *d;
	const struct evtchn *chn;
	long rc = domain_get_target(current_vcpu()->domain, st->dom, &d);
	u64 flags;

	if (rc)
		return rc;
	flags = lock_domain(d);
	if (!port_valid(d->evtchn, st->port)) {
		rc = -EINVAL;
		goto out;
	}
	chn = port_rec(d->evtchn, st->port);
	memset(&st->u, 0, sizeof(st->u));
	st->status = chn->state;
	st->vcpu = chn->vcpu;
	switch (chn->state) {
	case EVTCHNSTAT_unbound:
		st->u.unbound.dom = chn->remote_domid;
		break;
	case EVTCHNSTAT_interdomain:
		st->u.interdomain.dom = chn->remote_domid;
		st->u.interdomain.port = chn->remote_port;
		break;
	case EVTCHNSTAT_virq:
		st->u.virq = chn->virq;
		break;
	}
out:
	unlock_domain(d, flags);
	domain_put(d);
	return rc;
}

static long evtchn_bind_vcpu(const struct evtchn_bind_vcpu *b)
{
	struct domain *d = current_vcpu()->domain;
	struct evtchn *chn;
	long rc = 0;
	u64 flags;

	if (!domain_vcpu(d, b->vcpu))
		return -ENOENT;
	flags = lock_domain(d);
	if (!port_valid(d->evtchn, b->port)) {
		rc = -EINVAL;
		goto out;
	}
	chn = port_rec(d->evtchn, b->port);
	/* Unbound, interdomain and global VIRQ ports move; IPIs and per-vCPU VIRQs do not. */
	if (chn->state == EVTCHNSTAT_unbound || chn->state == EVTCHNSTAT_interdomain ||
	    (chn->state == EVTCHNSTAT_virq && virq_is_global(chn->virq)))
		chn->vcpu = (u8)b->vcpu;
	else
		rc = -EINVAL;
out:
	unlock_domain(d, flags);
	return rc;
}

/* Section 3.7: an unmasked port that is pending raises the upcall it missed. */
static long evtchn_unmask(u32 port)
{
	struct domain *d = current_vcpu()->domain;
	struct shared_info *s = d->shared_info;
	unsigned int word = port / 64;
	u64 bit = 1ULL << (port % 64), sel;
	struct vcpu *v;
	long rc = 0;
	u64 flags = lock_domain(d);

	if (!port_valid(d->evtchn, port)) {
		rc = -EINVAL;
		goto out;
	}
	sel = 1ULL << word;
	v = domain_vcpu(d, port_rec(d->evtchn, port)->vcpu);
	if (v && (__atomic_fetch_and(&s->evtchn_mask[word], ~bit, __ATOMIC_SEQ_CST) & bit) &&
	    (__atomic_load_n(&s->evtchn_pending[word], __ATOMIC_SEQ_CST) & bit) &&
	    !(__atomic_fetch_or(&READ_ONCE(v->vcpu_info)->evtchn_pending_sel, sel,
				__ATOMIC_SEQ_CST) & sel))
		mark_upcall_pending(v);
out:
	unlock_domain(d, flags);
	return rc;
}

/* Closes every port of a domain: the caller's own, or a paused one's for dom0. */
static long evtchn_reset(domid_t dom)
{
	struct domain *d;
	long rc = domain_get_target(current_vcpu()->domain, dom, &d);

	if (rc)
		return rc;
	if (d != current_vcpu()->domain && !READ_ONCE(d->pause_count))
		rc = -EINVAL;
	else
		close_all_ports(d);
	domain_put(d);
	return rc;
}

/* ---- The hypercall ---- */

#define COPY_IN(var) \
	do { \
		if (copy_from_guest(&(var), arg, sizeof(var))) \
			return -EFAULT; \
	} while (0)

/* Copies op back if rc is 0 (on a failed copy the change stays made, as on Xen). */
static long copy_back(pv_gva_t arg, const void *op, size_t size, long rc)
{
	if (!rc && copy_to_guest(arg, op, size))
		return -EFAULT;
	return rc;
}

long do_event_channel_op(pv_s32 cmd, pv_gva_t arg)
{
	switch (cmd) {
	case EVTCHNOP_alloc_unbound: {
		struct evtchn_alloc_unbound op;

		COPY_IN(op);
		return copy_back(arg, &op, sizeof(op), evtchn_alloc_unbound(&op));
	}
	case EVTCHNOP_bind_interdomain: {
		struct evtchn_bind_interdomain op;

		COPY_IN(op);
		return copy_back(arg, &op, sizeof(op), evtchn_bind_interdomain(&op));
	}
	case EVTCHNOP_bind_virq: {
		struct evtchn_bind_virq op;

		COPY_IN(op);
		return copy_back(arg, &op, sizeof(op), evtchn_bind_virq(&op));
	}
	case EVTCHNOP_bind_ipi: {
		struct evtchn_bind_ipi op;

		COPY_IN(op);
		return copy_back(arg, &op, sizeof(op), evtchn_bind_ipi(&op));
	}
	case EVTCHNOP_bind_pirq: {
		struct evtchn_bind_pirq op;

		/* No domain has physical IRQs: every pirq is out of range. */
		COPY_IN(op);
		return -EINVAL;
	}
	case EVTCHNOP_close: {
		struct evtchn_close op;

		COPY_IN(op);
		return close_port(current_vcpu()->domain, op.port);
	}
	case EVTCHNOP_send: {
		struct evtchn_send op;

		COPY_IN(op);
		return evtchn_send(op.port);
	}
	case EVTCHNOP_status: {
		struct evtchn_status op;

		COPY_IN(op);
		return copy_back(arg, &op, sizeof(op), evtchn_status(&op));
	}
	case EVTCHNOP_bind_vcpu: {
		struct evtchn_bind_vcpu op;

		COPY_IN(op);
		return evtchn_bind_vcpu(&op);
	}
	case EVTCHNOP_unmask: {
		struct evtchn_unmask op;

		COPY_IN(op);
		return evtchn_unmask(op.port);
	}
	case EVTCHNOP_reset: {
		struct evtchn_reset op;

		COPY_IN(op);
		return evtchn_reset(op.dom);
	}
	default:
		/* Includes the FIFO ABI (init_control, expand_array, set_priority): Linux falls back to 2-level. */
		return -ENOSYS;
	}
}

/* ---- SCHEDOP_poll ---- */

long sched_poll(struct vcpu *v, pv_gva_t arg)
{
	struct domain *d = v->domain;
	struct evtchn_domain *ed = d->evtchn;
	struct evtchn_vcpu *ev = &ed->vcpu[v->id];
	struct sched_poll sp;
	evtchn_port_t port = 0;
	long rc = 0;

	if (copy_from_guest(&sp, arg, sizeof(sp)))
		return -EFAULT;
	if (sp.nr_ports > SCHED_POLL_MAX_PORTS)
		return -EINVAL;
	if (!guest_range_ok(sp.ports, (size_t)sp.nr_ports * sizeof(port)))
		return -EFAULT;

	/* Announce the poll first, then look: see "Polling" above. */
	WRITE_ONCE(ev->poll_port, -1);
	__atomic_fetch_or(&ed->poll_mask, 1ULL << v->id, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->pause_flags, VPF_POLLING, __ATOMIC_SEQ_CST);

	for (u32 i = 0; i < sp.nr_ports; i++) {
		if (copy_from_guest(&port, sp.ports + (u64)i * sizeof(port), sizeof(port))) {
			rc = -EFAULT;
			goto out;
		}
		if (port >= EVTCHN_NR_PORTS) {
			rc = -EINVAL;
			goto out;
		}
		/* Pending already: no wait. */
		if (__atomic_load_n(&d->shared_info->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) &
		    (1ULL << (port % 64)))
			goto out;
	}
	if (sp.nr_ports == 1)
		WRITE_ONCE(ev->poll_port, (s32)port);
	if (sp.timeout) {
		if (ev->poll_timer.cpu != v->processor)
			migrate_timer(&ev->poll_timer, v->processor);
		set_timer(&ev->poll_timer, guest_time_to_boot_ns(sp.timeout));
	}
	/* Someone may have ended the poll already; vcpu_sleep copes. */
	vcpu_sleep(v);
	return 0;

out:
	if (poll_claim(ed, v))
		poll_end(ed, v);
	return rc;
}
