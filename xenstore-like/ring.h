/*
 * mica-store: the shared-ring transport (struct xenstore_domain_interface).
 *
 * The ring logic is written against a backend that maps a domain's ring
 * page, binds and signals its event channel and reports events (struct
 * ring_backend_ops): ring_xen.c does it with Linux's /dev/xen devices,
 * ring_mem.c with plain memory so the logic runs in host tests and fuzzers.
 *
 * Theory. Requests flow in req[] (the guest produces, the store consumes),
 * replies and events in rsp[] (the store produces). Indexes run freely and
 * are masked with the ring size, so messages wrap around the end. The
 * store keeps its own copies of the two indexes it owns (req_cons,
 * rsp_prod) and only publishes them; it reads the guest's two (req_prod,
 * rsp_cons) once per step and checks that neither says more than a ring's
 * worth is outstanding. A guest that breaks that rule, or sends a header
 * with a payload over XENSTORE_PAYLOAD_MAX, gets XENSTORE_ERROR_RINGIDX or
 * _PROTO in the page's error field and is ignored until it asks to
 * reconnect (connection = XENSTORE_RECONNECT); it can hurt nobody else.
 * A reconnect drops the connection's watches and transactions, resets the
 * four indexes to 0 and sets connection back to XENSTORE_CONNECTED.
 * Each wake-up handles at most RING_BUDGET messages; a busy ring is put
 * back on a pending list so one guest cannot starve the others.
 */
#ifndef STORE_RING_H
#define STORE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/io/xs_wire.h>

#include "htab.h"
#include "loop.h"
#include "store.h"

#define RING_BUDGET 32

struct ring_backend;

struct ring_backend_ops {
	const char *name;
	/* Maps domid's store page (frame mfn, or its grant); NULL with -errno in *err. */
	struct xenstore_domain_interface *(*map)(struct ring_backend *be, unsigned domid,
						 uint64_t mfn, void **cookie, int *err);
	void (*unmap)(struct ring_backend *be, struct xenstore_domain_interface *intf,
		      void *cookie);
	/* Binds (domid, remote_port); returns the local port or -errno. */
	int (*bind)(struct ring_backend *be, unsigned domid, unsigned remote_port);
	void (*unbind)(struct ring_backend *be, unsigned local_port);
	void (*notify)(struct ring_backend *be, unsigned local_port);
	/* The next port with an event: 1 and *port, 0 when none is left, or -errno. */
	int (*pending)(struct ring_backend *be, unsigned *port);
	/* Lets the port raise events again once handled. */
	void (*unmask)(struct ring_backend *be, unsigned port);
	void (*destroy)(struct ring_backend *be);
};

struct ring;

struct ring_backend {
	const struct ring_backend_ops *ops;
	struct store *st;
	struct htab ports;              /* local port -> struct ring */
	struct ring *pending;           /* rings with work left over */
	struct ring *running;           /* the pending rings being served now */
	struct pitem pi;                /* the backend's event fd (pi.fd < 0: none) */
	void *priv;
};

struct ring {
	struct hlink h;                 /* be->ports, keyed by local_port */
	struct ring_backend *be;
	struct conn *conn;
	struct domain *dom;             /* NULL for dom0's own ring */
	struct xenstore_domain_interface *intf;
	void *cookie;                   /* the backend's mapping handle */
	unsigned local_port;
	uint32_t req_cons, rsp_prod;    /* the store's own copies */
	bool broken;                    /* error set; waiting for a reconnect */
	bool local;                     /* dom0's ring from xenfs: not ours to unmap */
	bool queued;                    /* on be->pending */
	struct ring *pending_next;
};

/*
 * Ring arithmetic (pure; for tests and fuzzers too). ring_read copies up to
 * want request bytes into dst and publishes req_cons; ring_write copies up
 * to len reply bytes in and publishes rsp_prod. Both return the bytes moved;
 * on an impossible index they move nothing and set *err to
 * XENSTORE_ERROR_RINGIDX (else *err is left alone).
 */
size_t ring_read(struct ring *r, void *dst, size_t want, int *err);
size_t ring_write(struct ring *r, const void *src, size_t len, int *err);

/* Sets up be (ops, store, port table); the caller fills pi.fd and priv. 0 or -ENOMEM. */
int ring_backend_init(struct ring_backend *be, const struct ring_backend_ops *ops,
		      struct store *st);
/* Closes every ring connection and frees the table; calls ops->destroy. */
void ring_backend_fini(struct ring_backend *be);

/* domain_hooks.introduce: maps the domain's ring and binds its event channel. */
int ring_introduce(void *be, struct domain *d);
/*
 * Connects dom0's own ring (xenfs xsd_kva, already mapped; local_port bound
 * by the caller). Returns 0 or -errno.
 */
int ring_connect_local(struct ring_backend *be, struct xenstore_domain_interface *intf,
		       void *cookie, unsigned local_port);

/* The backend's fd is readable: handle every pending port. */
void ring_backend_events(struct ring_backend *be);
/* An event arrived on local_port (backends without an fd call this directly). */
void ring_port_event(struct ring_backend *be, unsigned local_port);
/* Runs the rings left with work by their budget; returns whether any remain. */
bool ring_backend_run_pending(struct ring_backend *be);
/* Serves one ring: reconnect requests, input (up to the budget), output. */
void ring_service(struct ring *r);

#endif
