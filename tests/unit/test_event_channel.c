/*
 * Unit tests for event channels (hypervisor/common/event_channel.c): the
 * port state machine driven through do_event_channel_op as a guest would
 * call it, the 2-level raise and unmask rules of ABI section 3.7, VIRQ
 * routing and SCHEDOP_poll. The hypervisor around it (domains, scheduler,
 * timers, guest memory) is simulated here.
 */
/* unit-sources: hypervisor/common/event_channel.c hypervisor/common/lib/string.c */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/sched.h>
#include <mica/timer.h>
#include <mica/vcpu_time.h>
#include <pv/event_channel.h>
#include <pv/sched.h>
#include <pv/xen.h>

u64 arch_irq_save(void);
void arch_irq_restore(u64 flags);

/* Whether a CPU holds l (or waits for it): its next ticket is not the one served. */
static bool spin_is_locked(const spinlock_t *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

/* ---- The simulated hypervisor ---- */

#define MAX_DOMS 8
#define BAD_GVA 0x10ULL /* guest addresses below 64 KiB fault */

static struct domain *doms[MAX_DOMS];
static __thread struct vcpu *cur;   /* per thread: the concurrency case runs two "CPUs" */
static __thread int irq_depth;

struct vcpu_log {
	int kicks, wakes, sleeps;
};
static struct vcpu_log logs[MAX_DOMS][MAX_VCPUS_PER_DOMAIN];

static struct vcpu_log *log_of(const struct vcpu *v)
{
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i] == v->domain)
			return &logs[i][v->id];
	abort();
}

struct vcpu *current_vcpu(void)
{
	return cur;
}

struct domain *domain_get(domid_t id)
{
	for (int i = 0; i < MAX_DOMS; i++) {
		if (doms[i] && doms[i]->id == id && !doms[i]->is_dying) {
			__atomic_fetch_add(&doms[i]->refcount, 1, __ATOMIC_RELAXED);
			return doms[i];
		}
	}
	return NULL;
}

void domain_put(struct domain *d)
{
	__atomic_fetch_sub(&d->refcount, 1, __ATOMIC_RELAXED);
}

void vcpu_kick(struct vcpu *v)
{
	log_of(v)->kicks++;
	if (v->pause_flags & VPF_BLOCKED) {
		v->pause_flags &= ~VPF_BLOCKED;
		vcpu_wake(v);
	}
}

void vcpu_wake(struct vcpu *v)
{
	log_of(v)->wakes++;
}

void vcpu_sleep(struct vcpu *v)
{
	log_of(v)->sleeps++;
}

void timer_init(struct timer *t, void (*fn)(void *data), void *data, unsigned int cpu)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->data = data;
	t->cpu = cpu;
}

void set_timer(struct timer *t, u64 expires)
{
	t->expires = expires;
	t->active = true;
}

void stop_timer(struct timer *t)
{
	t->active = false;
}

void migrate_timer(struct timer *t, unsigned int cpu)
{
	t->cpu = cpu;
}

/* Runs a timer's function as the timer softirq would. */
static void fire(struct timer *t)
{
	t->active = false;
	t->fn(t->data);
}

u64 guest_time_to_boot_ns(u64 guest_ns)
{
	return guest_ns;
}

u64 arch_irq_save(void)
{
	irq_depth++;
	return 1;
}

void arch_irq_restore(u64 flags)
{
	irq_depth--;
}

bool guest_range_ok(u64 va, size_t len)
{
	return va + len >= va;
}

int copy_from_guest(void *dst, u64 src, size_t len)
{
	if (!guest_range_ok(src, len) || src < 0x10000)
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)src, len);
	return 0;
}

int copy_to_guest(u64 dst, const void *src, size_t len)
{
	if (!guest_range_ok(dst, len) || dst < 0x10000)
		return -EFAULT;
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

static long pages_live;

void *hv_zalloc(size_t size)
{
	size_t rounded = (size + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, rounded);

	if (p) {
		memset(p, 0, rounded);
		pages_live += (long)(rounded / 4096);
	}
	return p;
}

void hv_free(void *p, size_t size)
{
	if (p) {
		pages_live -= (long)(((size + 4095) & ~(size_t)4095) / 4096);
		free(p);
	}
}

static struct domain *make_domain(domid_t id, bool privileged, unsigned int nr_vcpus)
{
	struct domain *d = calloc(1, sizeof(*d));
	int slot = 0;

	if (!d)
		abort();
	while (doms[slot])
		slot++;
	d->id = id;
	d->is_privileged = privileged;
	d->max_vcpus = nr_vcpus;
	d->refcount = 1;
	d->shared_info = aligned_alloc(4096, 4096);
	if (!d->shared_info)
		abort();
	memset(d->shared_info, 0, 4096);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = aligned_alloc(64, (sizeof(*v) + 63) & ~(size_t)63);

		if (!v)
			abort();
		memset(v, 0, sizeof(*v));
		v->id = i;
		v->domain = d;
		v->processor = i % 2;
		if (i < XEN_LEGACY_MAX_VCPUS)
			v->vcpu_info = &d->shared_info->vcpu_info[i];
		d->vcpus[i] = v;
	}
	memset(logs[slot], 0, sizeof(logs[slot]));
	doms[slot] = d;
	REQUIRE_EQ(evtchn_domain_init(d), 0);
	return d;
}

static void free_domain(struct domain *d)
{
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i] == d)
			doms[i] = NULL;
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		free(d->vcpus[i]);
	free(d->shared_info);
	free(d);
}

static struct domain *dom0, *domu, *dom2;

/* Frees every domain; with check, first checks nothing leaked: references, locks, pages. */
static void cleanup(bool check)
{
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i])
			evtchn_domain_destroy(doms[i]);
	for (int i = 0; i < MAX_DOMS; i++) {
		struct domain *d = doms[i];

		if (!d)
			continue;
		if (check) {
			CHECK_MSG(d->refcount == 1, "d%u refcount %u", d->id, d->refcount);
			/* The lock is the first member of the (private) event state. */
			CHECK(!spin_is_locked((spinlock_t *)(void *)d->evtchn));
		}
		evtchn_domain_free(d);
		free_domain(d);
	}
	if (check) {
		CHECK_EQ(irq_depth, 0);
		CHECK_EQ(pages_live, 0);
	}
	pages_live = 0;
}

/* Every case starts with dom0 (privileged, 2 vCPUs), d1 (2 vCPUs), d2 (1 vCPU). */
static void setup(void)
{
	cleanup(false); /* after a case that was abandoned half-way */
	dom0 = make_domain(0, true, 2);
	domu = make_domain(1, false, 2);
	dom2 = make_domain(2, false, 1);
	cur = domu->vcpus[0];
	irq_depth = 0;
}

#define CASE(name) \
	static void name##_body(void); \
	static void name(void) { setup(); name##_body(); cleanup(true); } \
	static void name##_body(void)

/* ---- Guest-side helpers ---- */

static void as(struct domain *d, unsigned int vcpu)
{
	cur = d->vcpus[vcpu];
}

static long op(int cmd, void *arg)
{
	return do_event_channel_op(cmd, (pv_gva_t)(uintptr_t)arg);
}

static long alloc_unbound(domid_t dom, domid_t remote, u32 *port)
{
	struct evtchn_alloc_unbound a = { .dom = dom, .remote_dom = remote, .port = 0xdead };
	long rc = op(EVTCHNOP_alloc_unbound, &a);

	if (port)
		*port = a.port;
	return rc;
}

static long bind_interdomain(domid_t remote, u32 rport, u32 *lport)
{
	struct evtchn_bind_interdomain b = { .remote_dom = remote, .remote_port = rport };
	long rc = op(EVTCHNOP_bind_interdomain, &b);

	if (lport)
		*lport = b.local_port;
	return rc;
}

static long bind_virq(u32 virq, u32 vcpu, u32 *port)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
	long rc = op(EVTCHNOP_bind_virq, &b);

	if (port)
		*port = b.port;
	return rc;
}

static long bind_ipi(u32 vcpu, u32 *port)
{
	struct evtchn_bind_ipi b = { .vcpu = vcpu };
	long rc = op(EVTCHNOP_bind_ipi, &b);

	if (port)
		*port = b.port;
	return rc;
}

static long ev_close(u32 port)
{
	struct evtchn_close c = { .port = port };

	return op(EVTCHNOP_close, &c);
}

static long ev_send(u32 port)
{
	struct evtchn_send s = { .port = port };

	return op(EVTCHNOP_send, &s);
}

static long ev_unmask(u32 port)
{
	struct evtchn_unmask u = { .port = port };

	return op(EVTCHNOP_unmask, &u);
}

static long bind_vcpu(u32 port, u32 vcpu)
{
	struct evtchn_bind_vcpu b = { .port = port, .vcpu = vcpu };

	return op(EVTCHNOP_bind_vcpu, &b);
}

static long ev_status(domid_t dom, u32 port, struct evtchn_status *st)
{
	memset(st, 0xa5, sizeof(*st));
	st->dom = dom;
	st->port = port;
	return op(EVTCHNOP_status, st);
}

static bool pending(const struct domain *d, u32 port)
{
	return d->shared_info->evtchn_pending[port / 64] & (1ULL << (port % 64));
}

static void set_mask(struct domain *d, u32 port, bool on)
{
	if (on)
		d->shared_info->evtchn_mask[port / 64] |= 1ULL << (port % 64);
	else
		d->shared_info->evtchn_mask[port / 64] &= ~(1ULL << (port % 64));
}

static void clear_pending(struct domain *d, u32 port)
{
	d->shared_info->evtchn_pending[port / 64] &= ~(1ULL << (port % 64));
}

static struct vcpu_info *vi(struct domain *d, unsigned int vcpu)
{
	return d->vcpus[vcpu]->vcpu_info;
}

/* What the guest's upcall handler does with a vCPU's state after an event. */
static void ack_upcall(struct domain *d, unsigned int vcpu)
{
	vi(d, vcpu)->evtchn_upcall_pending = 0;
	vi(d, vcpu)->evtchn_pending_sel = 0;
}

static int kicks(struct domain *d, unsigned int vcpu)
{
	return log_of(d->vcpus[vcpu])->kicks;
}

/* ---- Cases ---- */

CASE(port_zero_is_never_allocated)
{
	struct evtchn_status st;
	u32 port;

	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &port), 0);
	CHECK_EQ(port, 1);
	CHECK_EQ(ev_status(DOMID_SELF, 0, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	CHECK_EQ(ev_close(0), -EINVAL);
	CHECK_EQ(ev_send(0), -EINVAL);
	CHECK_EQ(bind_vcpu(0, 0), -EINVAL);
	CHECK_EQ(bind_ipi(0, &port), 0);
	CHECK_EQ(port, 2);
}

CASE(alloc_unbound_and_status)
{
	struct evtchn_status st;
	u32 p1, p2, p3;

	/* remote = DOMID_SELF means the caller. */
	CHECK_EQ(alloc_unbound(DOMID_SELF, DOMID_SELF, &p1), 0);
	CHECK_EQ(ev_status(DOMID_SELF, p1, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, 1);
	CHECK_EQ(st.vcpu, 0);
	/* Naming itself by id works like DOMID_SELF. */
	CHECK_EQ(alloc_unbound(1, 0, &p2), 0);
	CHECK_EQ(p2, p1 + 1);
	CHECK_EQ(ev_status(1, p2, &st), 0);
	CHECK_EQ(st.u.unbound.dom, 0);

	/* An unprivileged domain cannot touch another; a missing one is -ESRCH first. */
	CHECK_EQ(alloc_unbound(2, 1, NULL), -EPERM);
	CHECK_EQ(alloc_unbound(7, 1, NULL), -ESRCH);
	CHECK_EQ(ev_status(0, p1, &st), -EPERM);

	/* dom0 (the toolstack) allocates in a guest for dom0; DOMID_SELF is dom0 then. */
	as(dom0, 0);
	CHECK_EQ(alloc_unbound(2, DOMID_SELF, &p3), 0);
	CHECK_EQ(p3, 1);
	CHECK_EQ(ev_status(2, p3, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, 0);
	/* Status of a port nobody opened, and of one beyond the table. */
	CHECK_EQ(ev_status(2, 200, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	CHECK_EQ(ev_status(2, 4096, &st), -EINVAL);
	CHECK_EQ(ev_status(2, 0xffffffff, &st), -EINVAL);
}

CASE(bind_interdomain_both_ways)
{
	struct evtchn_status st;
	u32 fport, bport, bport2, fport2;

	/* The frontend (d1) offers a port to the backend (dom0), which binds it. */
	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &fport), 0);
	as(dom0, 0);
	CHECK_EQ(bind_interdomain(1, fport, &bport), 0);
	CHECK_EQ(ev_status(DOMID_SELF, bport, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
	CHECK_EQ(st.u.interdomain.dom, 1);
	CHECK_EQ(st.u.interdomain.port, fport);
	CHECK_EQ(ev_status(1, fport, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
	CHECK_EQ(st.u.interdomain.dom, 0);
	CHECK_EQ(st.u.interdomain.port, bport);
	/* Binding raises the new local port once: sends may have been lost. */
	CHECK(pending(dom0, bport));
	CHECK(!pending(domu, fport));
	clear_pending(dom0, bport);
	ack_upcall(dom0, 0);

	/* Each end's send raises the other. */
	CHECK_EQ(ev_send(bport), 0);
	CHECK(pending(domu, fport));
	CHECK(vi(domu, 0)->evtchn_upcall_pending);
	CHECK_EQ(vi(domu, 0)->evtchn_pending_sel, 1ULL << (fport / 64));
	CHECK_EQ(kicks(domu, 0), 1);
	as(domu, 1);
	CHECK_EQ(ev_send(fport), 0);
	CHECK(pending(dom0, bport));
	CHECK(vi(dom0, 0)->evtchn_upcall_pending);

	/* The other direction: dom0 offers, the lower-privileged d2 binds (lock order reversed). */
	as(dom0, 1);
	CHECK_EQ(alloc_unbound(DOMID_SELF, 2, &bport2), 0);
	as(dom2, 0);
	CHECK_EQ(bind_interdomain(0, bport2, &fport2), 0);
	CHECK_EQ(ev_send(fport2), 0);
	CHECK(pending(dom0, bport2));
	as(dom0, 0);
	CHECK_EQ(ev_send(bport2), 0);
	CHECK(pending(dom2, fport2));
}

CASE(bind_interdomain_refusals)
{
	u32 p, q, l;

	CHECK_EQ(alloc_unbound(DOMID_SELF, 2, &p), 0); /* for d2 only */
	as(dom0, 0);
	CHECK_EQ(bind_interdomain(1, p, &l), -EINVAL);  /* offered to someone else */
	CHECK_EQ(bind_interdomain(1, 0, &l), -EINVAL);  /* port 0 */
	CHECK_EQ(bind_interdomain(1, 77, &l), -EINVAL); /* closed */
	CHECK_EQ(bind_interdomain(1, 4096, &l), -EINVAL);
	CHECK_EQ(bind_interdomain(1, 0xffffffff, &l), -EINVAL);
	CHECK_EQ(bind_interdomain(9, 1, &l), -ESRCH);
	CHECK_EQ(bind_interdomain(DOMID_IO, 1, &l), -ESRCH);
	as(dom2, 0);
	CHECK_EQ(bind_interdomain(1, p, &l), 0);
	/* Already bound: not again. */
	CHECK_EQ(bind_interdomain(1, p, &q), -EINVAL);
	/* A refused bind leaves no port behind. */
	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &q), 0);
	CHECK_EQ(q, l + 1);
}

CASE(loopback_in_one_domain)
{
	u32 a, b;

	/* A local store (XS_LOCAL): both ends in the same domain. */
	CHECK_EQ(alloc_unbound(DOMID_SELF, DOMID_SELF, &a), 0);
	CHECK_EQ(bind_interdomain(DOMID_SELF, a, &b), 0);
	clear_pending(domu, b);
	ack_upcall(domu, 0);
	CHECK_EQ(ev_send(b), 0);
	CHECK(pending(domu, a));
	CHECK_EQ(ev_send(a), 0);
	CHECK(pending(domu, b));
	CHECK_EQ(ev_close(a), 0);
	CHECK_EQ(ev_send(b), 0); /* now unbound: dropped */
	CHECK_EQ(ev_close(b), 0);
}

CASE(closing_one_end)
{
	struct evtchn_status st;
	u32 f, b, b2;

	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &f), 0);
	as(dom0, 0);
	CHECK_EQ(bind_interdomain(1, f, &b), 0);
	CHECK_EQ(ev_close(b), 0);
	CHECK(!pending(dom0, b)); /* closing clears the pending bit */
	CHECK_EQ(ev_status(DOMID_SELF, b, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	/* The frontend's port is unbound again, for the same backend. */
	CHECK_EQ(ev_status(1, f, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, 0);
	as(domu, 0);
	ack_upcall(domu, 0);
	CHECK_EQ(ev_send(f), 0); /* dropped, no error */
	as(dom0, 0);
	CHECK_EQ(ev_close(b), -EINVAL); /* already closed */
	CHECK_EQ(ev_send(b), -EINVAL);
	CHECK_EQ(bind_interdomain(1, f, &b2), 0);
	CHECK_EQ(b2, b);

	/* Closing from the lower-id side of the pair as well. */
	as(domu, 0);
	CHECK_EQ(ev_close(f), 0);
	CHECK_EQ(ev_status(0, b2, &st), -EPERM);
	as(dom0, 0);
	CHECK_EQ(ev_status(DOMID_SELF, b2, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, 1);
}

CASE(peer_dies)
{
	struct evtchn_status st;
	u32 f, b;

	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &f), 0);
	as(dom0, 0);
	CHECK_EQ(bind_interdomain(1, f, &b), 0);
	domu->is_dying = true;
	evtchn_domain_destroy(domu);
	CHECK_EQ(ev_status(DOMID_SELF, b, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	CHECK_EQ(st.u.unbound.dom, 1);
	CHECK_EQ(ev_send(b), 0);
	CHECK_EQ(bind_interdomain(1, f, NULL), -ESRCH);
	/* The dead domain takes no new ports. */
	CHECK_EQ(evtchn_alloc_unbound_port(domu, 0), -EINVAL);
	CHECK_EQ(ev_close(b), 0);
}

CASE(bind_virq_rules)
{
	struct evtchn_status st;
	u32 t0, t1, again, dbg;

	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, &t0), 0);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, &again), -EEXIST);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 1, &t1), 0);
	CHECK(t1 != t0);
	CHECK_EQ(bind_virq(VIRQ_DEBUG, 1, &dbg), 0);
	CHECK_EQ(ev_status(DOMID_SELF, t1, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_virq);
	CHECK_EQ(st.u.virq, VIRQ_TIMER);
	CHECK_EQ(st.vcpu, 1);

	/* Global VIRQs bind on vCPU 0 only. */
	CHECK_EQ(bind_virq(VIRQ_CONSOLE, 1, NULL), -EINVAL);
	CHECK_EQ(bind_virq(NR_VIRQS, 0, NULL), -EINVAL);
	CHECK_EQ(bind_virq(0xffffffff, 0, NULL), -EINVAL);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 2, NULL), -ENOENT);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0xffffffff, NULL), -ENOENT);

	/* Delivery goes to the vCPU it was bound on. */
	send_guest_vcpu_virq(domu->vcpus[1], VIRQ_TIMER);
	CHECK(pending(domu, t1));
	CHECK(vi(domu, 1)->evtchn_upcall_pending);
	CHECK(!vi(domu, 0)->evtchn_upcall_pending);
	send_guest_vcpu_virq(domu->vcpus[1], VIRQ_XENPMU); /* not bound: nothing */
	send_guest_vcpu_virq(domu->vcpus[1], 1000);
	CHECK_EQ(ev_send(t1), -EINVAL); /* VIRQ ports cannot be sent to */

	/* Closing unbinds: the VIRQ may be bound again, and sending it does nothing meanwhile. */
	CHECK_EQ(ev_close(t0), 0);
	send_guest_vcpu_virq(domu->vcpus[0], VIRQ_TIMER);
	CHECK(!pending(domu, t0));
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, &again), 0);
	CHECK_EQ(again, t0);
}

CASE(global_virqs_go_to_dom0)
{
	u32 p, q;

	send_global_virq(VIRQ_DOM_EXC); /* nobody bound: nothing */
	CHECK_EQ(bind_virq(VIRQ_DOM_EXC, 0, &q), 0); /* a guest may bind, but gets nothing */
	as(dom0, 0);
	CHECK_EQ(bind_virq(VIRQ_DOM_EXC, 0, &p), 0);
	send_global_virq(VIRQ_DOM_EXC);
	CHECK(pending(dom0, p));
	CHECK(!pending(domu, q));
	CHECK(vi(dom0, 0)->evtchn_upcall_pending);
	/* bind_vcpu moves a global VIRQ's delivery. */
	clear_pending(dom0, p);
	ack_upcall(dom0, 0);
	CHECK_EQ(bind_vcpu(p, 1), 0);
	send_global_virq(VIRQ_DOM_EXC);
	CHECK(pending(dom0, p));
	CHECK(vi(dom0, 1)->evtchn_upcall_pending);
	CHECK(!vi(dom0, 0)->evtchn_upcall_pending);
	send_global_virq(VIRQ_TIMER); /* per-vCPU: never global */
	send_global_virq(NR_VIRQS);
}

CASE(bind_ipi_and_send)
{
	struct evtchn_status st;
	u32 p;

	CHECK_EQ(bind_ipi(1, &p), 0);
	CHECK_EQ(bind_ipi(2, NULL), -ENOENT);
	CHECK_EQ(bind_ipi(0xffffffff, NULL), -ENOENT);
	CHECK_EQ(ev_status(DOMID_SELF, p, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_ipi);
	CHECK_EQ(st.vcpu, 1);
	CHECK_EQ(ev_send(p), 0);
	CHECK(pending(domu, p));
	CHECK(vi(domu, 1)->evtchn_upcall_pending);
	CHECK(!vi(domu, 0)->evtchn_upcall_pending);
	CHECK_EQ(kicks(domu, 1), 1);
	CHECK_EQ(bind_vcpu(p, 0), -EINVAL); /* IPIs stay where they were bound */
}

CASE(raise_follows_section_3_7)
{
	u32 a, b;

	CHECK_EQ(bind_ipi(0, &a), 0);
	CHECK_EQ(bind_ipi(0, &b), 0);

	/* Masked: only the pending bit. */
	set_mask(domu, a, true);
	CHECK_EQ(ev_send(a), 0);
	CHECK(pending(domu, a));
	CHECK_EQ(vi(domu, 0)->evtchn_pending_sel, 0);
	CHECK(!vi(domu, 0)->evtchn_upcall_pending);
	CHECK_EQ(kicks(domu, 0), 0);

	/* Unmasked: pending, sel, upcall, one kick. */
	CHECK_EQ(ev_send(b), 0);
	CHECK_EQ(vi(domu, 0)->evtchn_pending_sel, 1);
	CHECK(vi(domu, 0)->evtchn_upcall_pending);
	CHECK_EQ(kicks(domu, 0), 1);
	/* Already pending: nothing more. */
	CHECK_EQ(ev_send(b), 0);
	CHECK_EQ(kicks(domu, 0), 1);
	/* Another port in a word already selected: no new kick. */
	set_mask(domu, a, false);
	clear_pending(domu, a);
	CHECK_EQ(ev_send(a), 0);
	CHECK_EQ(kicks(domu, 0), 1);
	/* sel set, upcall already pending: no kick even for a new word. */
	{
		u32 far = 0;

		for (u32 i = 0; i < 70; i++)
			CHECK_EQ(bind_ipi(0, &far), 0);
		CHECK(far >= 64);
		CHECK_EQ(ev_send(far), 0);
		CHECK_EQ(vi(domu, 0)->evtchn_pending_sel, 1 | (1ULL << (far / 64)));
		CHECK_EQ(kicks(domu, 0), 1);
	}
	/* A blocked vCPU is woken by the kick. */
	ack_upcall(domu, 0);
	clear_pending(domu, b);
	domu->vcpus[0]->pause_flags |= VPF_BLOCKED;
	CHECK_EQ(ev_send(b), 0);
	CHECK(!(domu->vcpus[0]->pause_flags & VPF_BLOCKED));
	CHECK_EQ(log_of(domu->vcpus[0])->wakes, 1);
}

CASE(unmask_rules)
{
	u32 p, q;

	CHECK_EQ(bind_ipi(1, &p), 0);
	set_mask(domu, p, true);
	CHECK_EQ(ev_send(p), 0);
	CHECK(!vi(domu, 1)->evtchn_upcall_pending);
	/* Unmasking a pending port raises the upcall it missed, on the port's vCPU. */
	CHECK_EQ(ev_unmask(p), 0);
	CHECK(!(domu->shared_info->evtchn_mask[0] & (1ULL << p)));
	CHECK(vi(domu, 1)->evtchn_upcall_pending);
	CHECK_EQ(vi(domu, 1)->evtchn_pending_sel, 1);
	CHECK(!vi(domu, 0)->evtchn_upcall_pending);
	CHECK_EQ(kicks(domu, 1), 1);
	/* Unmasking what is not masked, or not pending, does nothing. */
	CHECK_EQ(ev_unmask(p), 0);
	CHECK_EQ(kicks(domu, 1), 1);
	CHECK_EQ(bind_ipi(1, &q), 0);
	set_mask(domu, q, true);
	CHECK_EQ(ev_unmask(q), 0);
	CHECK_EQ(kicks(domu, 1), 1);
	/* sel already set: the mask clears but no new upcall. */
	set_mask(domu, q, true);
	CHECK_EQ(ev_send(q), 0);
	vi(domu, 1)->evtchn_upcall_pending = 0;
	CHECK_EQ(ev_unmask(q), 0);
	CHECK(!vi(domu, 1)->evtchn_upcall_pending);
	/* Any valid port may be unmasked, bound or not; beyond the table is -EINVAL. */
	CHECK_EQ(ev_unmask(0), 0);
	CHECK_EQ(ev_unmask(100), 0);
	CHECK_EQ(ev_unmask(4096), -EINVAL);
	CHECK_EQ(ev_unmask(0xffffffff), -EINVAL);
}

CASE(bind_vcpu_rules)
{
	u32 u, t, f, b;

	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &u), 0);
	CHECK_EQ(bind_vcpu(u, 1), 0);
	CHECK_EQ(bind_vcpu(u, 2), -ENOENT);
	CHECK_EQ(bind_vcpu(u, 0xffffffff), -ENOENT);
	CHECK_EQ(bind_vcpu(200, 1), -EINVAL); /* closed port */
	CHECK_EQ(bind_vcpu(4096, 1), -EINVAL);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, &t), 0);
	CHECK_EQ(bind_vcpu(t, 1), -EINVAL); /* per-vCPU VIRQ */
	/* An interdomain port rebound to vCPU 1 delivers there. */
	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &f), 0);
	as(dom0, 0);
	CHECK_EQ(bind_interdomain(1, f, &b), 0);
	as(domu, 0);
	CHECK_EQ(bind_vcpu(f, 1), 0);
	as(dom0, 0);
	CHECK_EQ(ev_send(b), 0);
	CHECK(vi(domu, 1)->evtchn_upcall_pending);
	CHECK(!vi(domu, 0)->evtchn_upcall_pending);
}

CASE(port_limit_is_4096)
{
	u32 port = 0, last = 0;
	long rc;
	unsigned int n = 0;

	while ((rc = alloc_unbound(DOMID_SELF, 0, &port)) == 0) {
		CHECK_MSG(port == last + 1, "port %u after %u", port, last);
		last = port;
		if (++n > 5000)
			break;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK_EQ(n, 4095);
	CHECK_EQ(last, 4095);
	CHECK_EQ(bind_ipi(0, NULL), -ENOSPC);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, NULL), -ENOSPC);
	/* The lowest closed port comes back first. */
	CHECK_EQ(ev_close(1234), 0);
	CHECK_EQ(ev_close(77), 0);
	CHECK_EQ(bind_ipi(0, &port), 0);
	CHECK_EQ(port, 77);
	CHECK_EQ(bind_ipi(0, &port), 0);
	CHECK_EQ(port, 1234);
	CHECK_EQ(ev_send(4095), 0);
	CHECK_EQ(ev_send(4096), -EINVAL);
	CHECK_EQ(ev_close(4096), -EINVAL);
}

CASE(hostile_arguments)
{
	struct evtchn_status st;
	struct evtchn_bind_pirq pirq = { .pirq = 1 };
	u64 ic[3] = { 0 }; /* the size of init_control, the largest FIFO argument */

	CHECK_EQ(do_event_channel_op(EVTCHNOP_send, BAD_GVA), -EFAULT);
	CHECK_EQ(do_event_channel_op(EVTCHNOP_alloc_unbound, BAD_GVA), -EFAULT);
	CHECK_EQ(do_event_channel_op(EVTCHNOP_status, ~0ULL), -EFAULT);
	CHECK_EQ(op(EVTCHNOP_init_control, &ic), -ENOSYS);
	CHECK_EQ(op(EVTCHNOP_expand_array, &ic), -ENOSYS);
	CHECK_EQ(op(EVTCHNOP_set_priority, &ic), -ENOSYS);
	CHECK_EQ(op(14, &ic), -ENOSYS);
	CHECK_EQ(op(-1, &ic), -ENOSYS);
	CHECK_EQ(op(0x7fffffff, &ic), -ENOSYS);
	CHECK_EQ(op(EVTCHNOP_bind_pirq, &pirq), -EINVAL);
	CHECK_EQ(ev_close(0xffffffff), -EINVAL);
	CHECK_EQ(ev_send(0x80000000), -EINVAL);
	CHECK_EQ(bind_vcpu(0xffffffff, 0), -EINVAL);
	CHECK_EQ(ev_status(DOMID_INVALID, 1, &st), -ESRCH);
	CHECK_EQ(ev_status(0xffff, 1, &st), -ESRCH);
	CHECK_EQ(alloc_unbound(DOMID_XEN, 0, NULL), -ESRCH);

	/* A result that cannot be copied back is -EFAULT (the port stays allocated, as on Xen). */
	{
		struct evtchn_alloc_unbound *ro = (void *)(uintptr_t)BAD_GVA;

		CHECK_EQ(op(EVTCHNOP_alloc_unbound, ro), -EFAULT);
	}
}

CASE(reset_closes_everything)
{
	struct evtchn_status st;
	u32 a, b, f, bk;

	CHECK_EQ(bind_ipi(0, &a), 0);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, &b), 0);
	CHECK_EQ(alloc_unbound(DOMID_SELF, 0, &f), 0);
	as(dom0, 0);
	CHECK_EQ(bind_interdomain(1, f, &bk), 0);
	/* dom0 may reset another domain only while it is paused. */
	{
		struct evtchn_reset r = { .dom = 1 };

		CHECK_EQ(op(EVTCHNOP_reset, &r), -EINVAL);
		domu->pause_count = 1;
		CHECK_EQ(op(EVTCHNOP_reset, &r), 0);
		domu->pause_count = 0;
	}
	CHECK_EQ(ev_status(1, a, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	CHECK_EQ(ev_status(1, b, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_closed);
	CHECK_EQ(ev_status(DOMID_SELF, bk, &st), 0);
	CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	as(domu, 0);
	CHECK_EQ(bind_virq(VIRQ_TIMER, 0, NULL), 0);
	{
		struct evtchn_reset r = { .dom = DOMID_SELF };

		CHECK_EQ(op(EVTCHNOP_reset, &r), 0);
		r.dom = 2;
		CHECK_EQ(op(EVTCHNOP_reset, &r), -EPERM);
	}
}

CASE(vcpus_beyond_shared_info)
{
	struct domain *big = make_domain(5, false, 40);
	u32 p;

	for (unsigned int i = 0; i < 40; i++) {
		REQUIRE(big->vcpus[i]->vcpu_info);
		CHECK_EQ(big->vcpus[i]->vcpu_info->evtchn_upcall_mask, i >= XEN_LEGACY_MAX_VCPUS);
	}
	as(big, 0);
	CHECK_EQ(bind_ipi(35, &p), 0);
	CHECK_EQ(ev_send(p), 0);
	CHECK(big->vcpus[35]->vcpu_info->evtchn_upcall_pending);
	/* A vcpu_info the guest registered is the one written from then on. */
	{
		static struct vcpu_info mine __attribute__((aligned(64)));

		big->vcpus[35]->vcpu_info = &mine;
		clear_pending(big, p);
		CHECK_EQ(ev_send(p), 0);
		CHECK(mine.evtchn_upcall_pending);
		CHECK_EQ(mine.evtchn_pending_sel, 1);
	}
}

/* ---- SCHEDOP_poll ---- */

static long poll(struct vcpu *v, const u32 *ports, u32 nr, u64 timeout)
{
	struct sched_poll sp = { .ports = (pv_gva_t)(uintptr_t)ports, .nr_ports = nr,
				 .timeout = timeout };

	return sched_poll(v, (pv_gva_t)(uintptr_t)&sp);
}

CASE(poll_fast_path)
{
	struct vcpu *v = domu->vcpus[0];
	u32 p, ports[2];

	CHECK_EQ(bind_ipi(1, &p), 0);
	set_mask(domu, p, true);
	CHECK_EQ(ev_send(p), 0);
	ports[0] = 5;
	ports[1] = p;
	CHECK_EQ(poll(v, ports, 2, 0), 0);
	CHECK(!(v->pause_flags & VPF_POLLING));
	CHECK_EQ(log_of(v)->sleeps, 0);
}

CASE(poll_blocks_until_the_port)
{
	struct vcpu *v = domu->vcpus[0];
	u32 p, other, ports[1];

	CHECK_EQ(bind_ipi(1, &p), 0);
	CHECK_EQ(bind_ipi(1, &other), 0);
	set_mask(domu, p, true);
	set_mask(domu, other, true);
	ports[0] = p;
	CHECK_EQ(poll(v, ports, 1, 0), 0);
	CHECK(v->pause_flags & VPF_POLLING);
	CHECK_EQ(log_of(v)->sleeps, 1);
	/* Another port does not end a single-port poll. */
	as(domu, 1);
	CHECK_EQ(ev_send(other), 0);
	CHECK(v->pause_flags & VPF_POLLING);
	/* The polled port does, though masked. */
	CHECK_EQ(ev_send(p), 0);
	CHECK(!(v->pause_flags & VPF_POLLING));
	CHECK_EQ(log_of(v)->wakes, 1);
}

CASE(poll_several_ports_and_upcalls)
{
	struct vcpu *v = domu->vcpus[0];
	u32 a, b, c, ports[2];

	CHECK_EQ(bind_ipi(1, &a), 0);
	CHECK_EQ(bind_ipi(1, &b), 0);
	CHECK_EQ(bind_ipi(0, &c), 0);
	set_mask(domu, a, true);
	set_mask(domu, b, true);
	ports[0] = a;
	ports[1] = b;
	/* With several ports, any port raised in the domain ends the poll (as on Xen). */
	CHECK_EQ(poll(v, ports, 2, 0), 0);
	CHECK(v->pause_flags & VPF_POLLING);
	set_mask(domu, c, true);
	CHECK_EQ(ev_send(c), 0);
	CHECK(!(v->pause_flags & VPF_POLLING));
	/* An upcall marked for the poller ends its poll too. */
	clear_pending(domu, c);
	set_mask(domu, c, false);
	CHECK_EQ(poll(v, ports, 1, 0), 0);
	CHECK(v->pause_flags & VPF_POLLING);
	as(domu, 1);
	CHECK_EQ(ev_send(c), 0);
	CHECK(!(v->pause_flags & VPF_POLLING));
}

CASE(poll_timeout)
{
	struct vcpu *v = domu->vcpus[1];
	struct timer *found = NULL;
	u32 p, ports[1];

	CHECK_EQ(bind_ipi(0, &p), 0);
	ports[0] = p;
	v->processor = 1;
	CHECK_EQ(poll(v, ports, 1, 123456789), 0);
	CHECK(v->pause_flags & VPF_POLLING);
	/* Find the armed poll timer in the event state (the only active timer with data v). */
	{
		u8 *base = (u8 *)domu->evtchn;

		for (size_t off = 0; off + sizeof(struct timer) <= 4096; off += 8) {
			struct timer *t = (struct timer *)(base + off);

			if (t->data == v && t->active) {
				found = t;
				break;
			}
		}
	}
	REQUIRE(found);
	CHECK_EQ(found->expires, 123456789);
	CHECK_EQ(found->cpu, 1);
	fire(found);
	CHECK(!(v->pause_flags & VPF_POLLING));
	CHECK_EQ(log_of(v)->wakes, 1);
	/* A late raise after the timeout changes nothing more. */
	CHECK_EQ(ev_send(p), 0);
	CHECK_EQ(log_of(v)->wakes, 1);
	/* A poll ended by its port disarms the timeout. */
	clear_pending(domu, p);
	CHECK_EQ(poll(v, ports, 1, 5000), 0);
	CHECK(found->active);
	CHECK_EQ(ev_send(p), 0);
	CHECK(!found->active);
}

CASE(poll_hostile_arguments)
{
	struct vcpu *v = domu->vcpus[0];
	u32 ports[SCHED_POLL_MAX_PORTS + 1] = { 0 };

	CHECK_EQ(sched_poll(v, BAD_GVA), -EFAULT);
	CHECK_EQ(poll(v, ports, SCHED_POLL_MAX_PORTS + 1, 0), -EINVAL);
	CHECK_EQ(poll(v, (const u32 *)(uintptr_t)BAD_GVA, 1, 0), -EFAULT);
	ports[0] = 4096;
	CHECK_EQ(poll(v, ports, 1, 0), -EINVAL);
	CHECK(!(v->pause_flags & VPF_POLLING));
	ports[0] = 0xffffffff;
	CHECK_EQ(poll(v, ports, 1, 0), -EINVAL);
	{
		struct sched_poll sp = { .ports = ~0ULL - 3, .nr_ports = 4 };

		CHECK_EQ(sched_poll(v, (pv_gva_t)(uintptr_t)&sp), -EFAULT);
	}
	CHECK(!(v->pause_flags & VPF_POLLING));
	CHECK_EQ(log_of(v)->sleeps, 0);
}

/* ---- Two CPUs at once ---- */

#define PAIRS 16
#define ROUNDS 2000

static u32 front[PAIRS];  /* d1's port of each pair, as d1 last offered it */
static int binds_made;

/* dom0 (the lower id) keeps closing its end and binding again. */
static void *backend_thread(void *arg)
{
	u32 back[PAIRS] = { 0 };

	as(dom0, 0);
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < PAIRS; k++) {
			if (back[k]) {
				ev_send(back[k]);
				ev_close(back[k]);
				back[k] = 0;
			}
			if (bind_interdomain(1, __atomic_load_n(&front[k], __ATOMIC_RELAXED),
					     &back[k]))
				back[k] = 0;
			else
				binds_made++;
		}
	}
	for (int k = 0; k < PAIRS; k++)
		if (back[k])
			ev_close(back[k]);
	return arg;
}

/* d1 (the higher id: its closes take the locks the long way) keeps replacing its ports. */
static void *frontend_thread(void *arg)
{
	as(domu, 1);
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < PAIRS; k++) {
			u32 f = __atomic_load_n(&front[k], __ATOMIC_RELAXED), nf;

			ev_send(f);
			ev_close(f);
			if (alloc_unbound(DOMID_SELF, 0, &nf) == 0)
				__atomic_store_n(&front[k], nf, __ATOMIC_RELAXED);
		}
	}
	return arg;
}

CASE(two_cpus_bind_send_close)
{
	pthread_t a, b;
	struct evtchn_status st;

	for (int k = 0; k < PAIRS; k++)
		REQUIRE_EQ(alloc_unbound(DOMID_SELF, 0, &front[k]), 0);
	REQUIRE_EQ(pthread_create(&a, NULL, backend_thread, NULL), 0);
	REQUIRE_EQ(pthread_create(&b, NULL, frontend_thread, NULL), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_MSG(binds_made > ROUNDS, "only %d binds succeeded", binds_made);
	/* Whatever interleaving happened, every d1 port is back to unbound or closed. */
	as(domu, 0);
	for (u32 p = 1; p < 256; p++) {
		CHECK_EQ(ev_status(DOMID_SELF, p, &st), 0);
		CHECK_MSG(st.status == EVTCHNSTAT_closed || st.status == EVTCHNSTAT_unbound,
			  "port %u status %u", p, st.status);
	}
}

int main(void)
{
	RUN(port_zero_is_never_allocated);
	RUN(alloc_unbound_and_status);
	RUN(bind_interdomain_both_ways);
	RUN(bind_interdomain_refusals);
	RUN(loopback_in_one_domain);
	RUN(closing_one_end);
	RUN(peer_dies);
	RUN(bind_virq_rules);
	RUN(global_virqs_go_to_dom0);
	RUN(bind_ipi_and_send);
	RUN(raise_follows_section_3_7);
	RUN(unmask_rules);
	RUN(bind_vcpu_rules);
	RUN(port_limit_is_4096);
	RUN(hostile_arguments);
	RUN(reset_closes_everything);
	RUN(vcpus_beyond_shared_info);
	RUN(poll_fast_path);
	RUN(poll_blocks_until_the_port);
	RUN(poll_several_ports_and_upcalls);
	RUN(poll_timeout);
	RUN(poll_hostile_arguments);
	RUN(two_cpus_bind_send_close);
	cleanup(false);
	return check_done();
}
