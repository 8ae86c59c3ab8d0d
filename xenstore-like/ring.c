/* mica-store: ring arithmetic and ring connections over an abstract backend (see ring.h). */
#include "ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "util.h"

static inline uint32_t load_guest(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void publish(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

size_t ring_read(struct ring *r, void *dst, size_t want, int *err)
{
	struct xenstore_domain_interface *intf = r->intf;
	uint32_t prod = load_guest(&intf->req_prod);
	uint32_t avail = prod - r->req_cons;
	size_t n, off, first;

	if (avail > XENSTORE_RING_SIZE) {
		*err = XENSTORE_ERROR_RINGIDX;
		return 0;
	}
	n = want < avail ? want : avail;
	off = XENSTORE_RING_IDX(r->req_cons);
	first = XENSTORE_RING_SIZE - off;
	if (first > n)
		first = n;
	memcpy(dst, (const char *)intf->req + off, first);
	memcpy((char *)dst + first, (const char *)intf->req, n - first);
	r->req_cons += (uint32_t)n;
	/* The copy completes before the guest may reuse the space. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	publish(&intf->req_cons, r->req_cons);
	return n;
}

size_t ring_write(struct ring *r, const void *src, size_t len, int *err)
{
	struct xenstore_domain_interface *intf = r->intf;
	uint32_t cons = load_guest(&intf->rsp_cons);
	uint32_t used = r->rsp_prod - cons;
	size_t space, n, off, first;

	if (used > XENSTORE_RING_SIZE) {
		*err = XENSTORE_ERROR_RINGIDX;
		return 0;
	}
	space = XENSTORE_RING_SIZE - used;
	n = len < space ? len : space;
	off = XENSTORE_RING_IDX(r->rsp_prod);
	first = XENSTORE_RING_SIZE - off;
	if (first > n)
		first = n;
	memcpy((char *)intf->rsp + off, src, first);
	memcpy((char *)intf->rsp, (const char *)src + first, n - first);
	r->rsp_prod += (uint32_t)n;
	/* The bytes are visible before the index that announces them. */
	publish(&intf->rsp_prod, r->rsp_prod);
	return n;
}

static void notify(struct ring *r)
{
	r->be->ops->notify(r->be, r->local_port);
}

/* Reports a broken ring to the guest and stops serving it until it reconnects. */
static void ring_fail(struct ring *r, uint32_t code)
{
	static const char *const why[] = {
		[XENSTORE_ERROR_COMM] = "communication error",
		[XENSTORE_ERROR_RINGIDX] = "impossible ring index",
		[XENSTORE_ERROR_PROTO] = "protocol error (message over the size limit)",
	};

	r->broken = true;
	publish(&r->intf->error, code);
	log_warn("%s: %s on its store ring; ignoring it until it reconnects", r->conn->name,
		 code < ARRAY_SIZE(why) && why[code] ? why[code] : "error");
	notify(r);
}

static void reconnect(struct ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;

	conn_reset(r->conn);
	r->req_cons = r->rsp_prod = 0;
	publish(&intf->req_cons, 0);
	publish(&intf->req_prod, 0);
	publish(&intf->rsp_cons, 0);
	publish(&intf->rsp_prod, 0);
	publish(&intf->error, XENSTORE_ERROR_NONE);
	r->broken = false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	publish(&intf->connection, XENSTORE_CONNECTED);
	log_info("%s: ring reconnected; its watches and transactions were dropped",
		 r->conn->name);
	notify(r);
}

/* Writes as much queued output as fits; returns whether anything moved. */
static bool push_output(struct ring *r)
{
	struct conn *c = r->conn;
	bool moved = false;
	const void *p;
	size_t len;

	while (!r->broken && conn_out_peek(c, &p, &len)) {
		int err = 0;
		size_t n = ring_write(r, p, len, &err);

		if (err) {
			ring_fail(r, (uint32_t)err);
			break;
		}
		if (!n)
			break;
		conn_out_done(c, n);
		moved = true;
	}
	return moved;
}

static void queue_pending(struct ring *r)
{
	if (r->queued)
		return;
	r->queued = true;
	r->pending_next = r->be->pending;
	r->be->pending = r;
}

void ring_service(struct ring *r)
{
	struct conn *c = r->conn;
	unsigned budget = RING_BUDGET;
	bool moved = false;
	size_t want;
	void *dst;

	if (load_guest(&r->intf->connection) == XENSTORE_RECONNECT) {
		reconnect(r);
		return;
	}
	if (r->broken)
		return;
	moved = push_output(r);
	while (budget && !r->broken && (want = conn_in_want(c, &dst)) > 0) {
		int err = 0, rc;
		size_t n = ring_read(r, dst, want, &err);

		if (err) {
			ring_fail(r, (uint32_t)err);
			return;
		}
		if (!n)
			break;
		moved = true;
		rc = conn_in_got(c, n);
		if (rc < 0) {
			ring_fail(r, XENSTORE_ERROR_PROTO);
			return;
		}
		if (c->dead)
			return;
		if (rc > 0) {
			budget--;
			push_output(r);
		}
	}
	if (push_output(r))
		moved = true;
	if (!budget)
		queue_pending(r);
	if (moved)
		notify(r);
}

/* conn_ops.flush: send what fits; if that unpaused input, come back for it. */
static void ring_flush(struct conn *c)
{
	struct ring *r = c->tp;
	void *dst;

	if (r->broken)
		return;
	if (push_output(r))
		notify(r);
	if (conn_in_want(c, &dst) &&
	    load_guest(&r->intf->req_prod) != r->req_cons)
		queue_pending(r);
}

/* Takes r off the list it waits on (new work, or the batch being served). */
static void ring_unqueue(struct ring *r)
{
	struct ring **lists[] = { &r->be->pending, &r->be->running };

	if (!r->queued)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(lists); i++) {
		struct ring **pp = lists[i];

		while (*pp && *pp != r)
			pp = &(*pp)->pending_next;
		if (*pp) {
			*pp = r->pending_next;
			break;
		}
	}
	r->queued = false;
}

/* conn_ops.close: unbind, unmap, forget. */
static void ring_close(struct conn *c)
{
	struct ring *r = c->tp;
	struct ring_backend *be = r->be;

	ring_unqueue(r);
	htab_remove(&be->ports, &r->h);
	be->ops->unbind(be, r->local_port);
	if (!r->local)
		be->ops->unmap(be, r->intf, r->cookie);
	if (r->dom)
		r->dom->transport = NULL;
	free(r);
	c->tp = NULL;
}

static const struct conn_ops ring_conn_ops = {
	.kind = "ring",
	.flush = ring_flush,
	.close = ring_close,
};

static bool port_eq(const struct hlink *l, const void *key)
{
	return container_of(l, struct ring, h)->local_port == *(const unsigned *)key;
}

static uint64_t port_hash(unsigned port)
{
	return hash_bytes(&port, sizeof(port), 0x706f7274);
}

static struct ring *ring_of_port(struct ring_backend *be, unsigned port)
{
	struct hlink *l = htab_find(&be->ports, port_hash(port), port_eq, &port);

	return l ? container_of(l, struct ring, h) : NULL;
}

/* Makes the connection for a mapped, bound ring. */
static int ring_attach(struct ring_backend *be, struct ring *r, unsigned domid, const char *name)
{
	struct xenstore_domain_interface *intf = r->intf;

	r->be = be;
	r->conn = conn_new(be->st, domid, &ring_conn_ops, r, name);
	if (!r->conn)
		return -ENOMEM;
	/* Start from what the page says; a bad state shows at the first step. */
	r->req_cons = load_guest(&intf->req_cons);
	r->rsp_prod = load_guest(&intf->rsp_prod);
	publish(&intf->server_features,
		XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
	r->h.hash = port_hash(r->local_port);
	htab_insert(&be->ports, &r->h);
	return 0;
}

int ring_introduce(void *ctx, struct domain *d)
{
	struct ring_backend *be = ctx;
	struct ring *r = calloc(1, sizeof(*r));
	char name[64];
	int err = 0, port;

	if (!r)
		return -ENOMEM;
	r->intf = be->ops->map(be, d->domid, d->mfn, &r->cookie, &err);
	if (!r->intf) {
		free(r);
		return err ? err : -EINVAL;
	}
	port = be->ops->bind(be, d->domid, d->port);
	if (port < 0) {
		be->ops->unmap(be, r->intf, r->cookie);
		free(r);
		return port;
	}
	r->local_port = (unsigned)port;
	r->dom = d;
	snprintf(name, sizeof(name), "domain %u", d->domid);
	err = ring_attach(be, r, d->domid, name);
	if (err) {
		be->ops->unbind(be, r->local_port);
		be->ops->unmap(be, r->intf, r->cookie);
		free(r);
		return err;
	}
	d->conn = r->conn;
	d->transport = r;
	/* Requests the guest wrote before we came are served now. */
	ring_service(r);
	return 0;
}

int ring_connect_local(struct ring_backend *be, struct xenstore_domain_interface *intf,
		       void *cookie, unsigned local_port)
{
	struct ring *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	r->intf = intf;
	r->cookie = cookie;
	r->local_port = local_port;
	r->local = true;
	err = ring_attach(be, r, 0, "dom0 kernel (local ring)");
	if (err) {
		free(r);
		return err;
	}
	/* The first event tells dom0's xenbus that the store is up. */
	ring_service(r);
	notify(r);
	return 0;
}

void ring_port_event(struct ring_backend *be, unsigned port)
{
	struct ring *r = ring_of_port(be, port);

	if (r)
		ring_service(r);
	be->ops->unmask(be, port);
}

void ring_backend_events(struct ring_backend *be)
{
	unsigned port;
	unsigned limit = 4096; /* then back to the loop; the fd stays readable */

	while (limit-- && be->ops->pending(be, &port) > 0)
		ring_port_event(be, port);
}

bool ring_backend_run_pending(struct ring_backend *be)
{
	/*
	 * Serve this batch; rings that still have work join the next one. A
	 * ring closed meanwhile (dom0's ring may RELEASE a domain) leaves the
	 * batch through ring_unqueue.
	 */
	be->running = be->pending;
	be->pending = NULL;
	while (be->running) {
		struct ring *r = be->running;

		be->running = r->pending_next;
		r->queued = false;
		ring_service(r);
	}
	return be->pending != NULL;
}

int ring_backend_init(struct ring_backend *be, const struct ring_backend_ops *ops,
		      struct store *st)
{
	memset(be, 0, sizeof(*be));
	be->ops = ops;
	be->st = st;
	be->pi.fd = -1;
	return htab_init(&be->ports, 64);
}

void ring_backend_fini(struct ring_backend *be)
{
	struct conn *c, *next;

	for (c = be->st->conns; c; c = next) {
		next = c->next;
		if (c->ops == &ring_conn_ops && ((struct ring *)c->tp)->be == be)
			conn_close(c);
	}
	htab_fini(&be->ports);
	if (be->ops && be->ops->destroy)
		be->ops->destroy(be);
}
