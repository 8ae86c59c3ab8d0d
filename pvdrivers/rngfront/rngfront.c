/*
 * rngfront: the frontend of the PV entropy device on libpv (see
 * rngfront.h and docs/pv-driver-guide.md).
 *
 * The frontend owns the ring page: it writes requests and req_prod, the
 * backend writes responses and rsp_prod. Notifications are held off the
 * way every Xen ring does it: each side says in the header at which
 * index it wants the next event (req_event, rsp_event), and a producer
 * notifies only when its new index passes that value.
 *
 * libpv's xenbus has no watches, so the frontend polls the backend's state
 * node while it waits for it (every POLL_MS), with the reference
 * frontends' helpers (pvdrivers/frontends/frontdev.h); a Linux frontend
 * would use a watch instead.
 */
#include <stdio.h>
#include <string.h>

#include <pv/errno.h>
#include <pv/event_channel.h>
#include <pv/io/xenbus.h>

#include "frontdev.h"
#include "rngfront.h"

#define POLL_MS 20
#define HANDSHAKE_MS 30000

/* The ring page (one device at a time). */
static pv_u8 ring_page[4096] __attribute__((aligned(4096)));

void rngfront_sleep_ms(unsigned int ms)
{
	uint64_t deadline = pv_time_ns() + (uint64_t)ms * 1000000;

	while (pv_shared_info && pv_time_ns() < deadline)
		front_sleep_ms(ms); /* returns at any event; sleep out the rest */
}

static long set_state(struct rngfront *f, enum xenbus_state s)
{
	return front_write_num(f->dir, "state", s);
}

long rngfront_backend_state(struct rngfront *f)
{
	return front_backend_state(f->backend);
}

long rngfront_wait_backend(struct rngfront *f, int a, int b, unsigned int timeout_ms)
{
	long s = -XEN_ETIME;

	for (unsigned int waited = 0; waited <= timeout_ms; waited += POLL_MS) {
		s = rngfront_backend_state(f);
		if (s == a || s == b)
			return s;
		rngfront_sleep_ms(POLL_MS);
	}
	return s < 0 ? s : -XEN_ETIME;
}

/* Keeps the backend's error node, if it wrote one, for the caller to show. */
static void fetch_error(struct rngfront *f)
{
	if (front_read_str(f->backend, "error", f->error, sizeof(f->error)))
		f->error[0] = '\0';
}

/* Waits for the toolstack's nodes: dir/backend and dir/backend-id. */
static long find_backend(struct rngfront *f, unsigned int wait_ms)
{
	long long id = -1;

	for (unsigned int waited = 0; waited <= wait_ms; waited += POLL_MS * 5) {
		if (!front_read_str(f->dir, "backend", f->backend, sizeof(f->backend)))
			id = front_read_num(f->dir, "backend-id");
		if (id >= 0 && id < DOMID_FIRST_RESERVED) {
			f->backend_id = (domid_t)id;
			return 0;
		}
		rngfront_sleep_ms(POLL_MS * 5);
	}
	return -XEN_ENOENT;
}

/* Grants the ring page and opens the event channel: what the backend will map and bind. */
static long make_ring(struct rngfront *f)
{
	long rc;

	memset(ring_page, 0, sizeof(ring_page));
	f->sring = (struct rngif_sring *)ring_page;
	f->sring->req_event = 1;
	f->sring->rsp_event = 1;
	f->req_prod_pvt = f->rsp_cons = 0;
	rc = pv_gnttab_grant(f->backend_id, pv_virt_to_mfn(f->sring), false);
	if (rc < 0)
		return rc;
	f->ring_ref = (grant_ref_t)rc;
	rc = pv_evtchn_alloc_unbound(f->backend_id, &f->port);
	if (rc) {
		pv_gnttab_end(f->ring_ref);
		return rc;
	}
	pv_evtchn_set_handler(f->port, front_ignore_event, NULL);
	return 0;
}

long rngfront_connect(struct rngfront *f, unsigned int devid, unsigned int wait_ms)
{
	long long max;
	long rc;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "device/rng/%u", devid);
	rc = find_backend(f, wait_ms);
	if (rc)
		return rc;
	/* 1. Initialising, and the backend's InitWait: it has published its features. */
	rc = set_state(f, XenbusStateInitialising);
	if (!rc)
		rc = rngfront_wait_backend(f, XenbusStateInitWait, XenbusStateInitWait,
					   HANDSHAKE_MS);
	if (rc < 0)
		return rc;
	max = front_read_num(f->backend, "max-request-bytes");
	if (max <= 0 || max > RNGIF_MAX_REQUEST_BYTES)
		return -XEN_EINVAL;
	f->max_request = (unsigned int)max;
	/* 2. The ring and channel, published before Initialised (the backend reads them then). */
	rc = make_ring(f);
	if (rc)
		return rc;
	rc = front_write_num(f->dir, "ring-ref", f->ring_ref);
	if (!rc)
		rc = front_write_num(f->dir, "event-channel", f->port);
	if (!rc)
		rc = set_state(f, XenbusStateInitialised);
	/* 3. The backend maps and binds them, and says Connected; or refuses, and says why. */
	if (!rc)
		rc = rngfront_wait_backend(f, XenbusStateConnected, XenbusStateClosing,
					   HANDSHAKE_MS);
	if (rc == XenbusStateClosing) {
		fetch_error(f);
		rc = -XEN_EIO;
	}
	if (rc >= 0)
		rc = set_state(f, XenbusStateConnected);
	if (rc < 0) {
		pv_evtchn_close(f->port);
		pv_gnttab_end(f->ring_ref);
		return rc;
	}
	f->connected = true;
	return 0;
}

long rngfront_push(struct rngfront *f, const struct rngif_request *req)
{
	if (f->req_prod_pvt - f->rsp_cons >= RNGIF_RING_SIZE)
		return -XEN_ENOSPC;
	f->sring->ring[f->req_prod_pvt & (RNGIF_RING_SIZE - 1)].req = *req;
	f->req_prod_pvt++;
	return 0;
}

void rngfront_kick(struct rngfront *f)
{
	pv_u32 old = f->sring->req_prod;

	__atomic_thread_fence(__ATOMIC_RELEASE); /* the requests before the index */
	f->sring->req_prod = f->req_prod_pvt;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index before reading req_event */
	if (pv_ring_should_notify(old, f->req_prod_pvt, f->sring->req_event))
		pv_evtchn_send(f->port);
}

/*
 * Events are masked while it looks and until pv_block unmasks and sleeps
 * in one step: a response or the deadline's timer that comes in between
 * then leaves an event pending and the block returns at once, where with
 * events unmasked the upcall would take it and the block sleep on.
 */
static long pop(struct rngfront *f, struct rngif_response *rsp, uint64_t deadline)
{
	for (;;) {
		pv_u32 prod = __atomic_load_n(&f->sring->rsp_prod, __ATOMIC_ACQUIRE);

		if (prod != f->rsp_cons) {
			*rsp = f->sring->ring[f->rsp_cons & (RNGIF_RING_SIZE - 1)].rsp;
			f->rsp_cons++;
			return 0;
		}
		/* Ask for an event at the next response, then look once more before sleeping. */
		f->sring->rsp_event = f->rsp_cons + 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&f->sring->rsp_prod, __ATOMIC_ACQUIRE) != f->rsp_cons)
			continue;
		if (pv_time_ns() >= deadline) {
			if (rngfront_backend_state(f) != XenbusStateConnected)
				fetch_error(f);
			return -XEN_ETIME;
		}
		pv_timer_set(deadline);
		pv_block();
		pv_irq_disable();
	}
}

long rngfront_pop(struct rngfront *f, struct rngif_response *rsp, unsigned int timeout_ms)
{
	unsigned int was = pv_irq_save();
	long rc = pop(f, rsp, pv_time_ns() + (uint64_t)timeout_ms * 1000000);

	pv_irq_restore(was);
	return rc;
}

long rngfront_fill(struct rngfront *f, grant_ref_t gref, pv_u16 offset, pv_u16 len,
		   struct rngif_response *rsp)
{
	static pv_u64 next_id = 1;
	struct rngif_request req = { .id = next_id++, .gref = gref, .offset = offset,
				     .len = len, .op = RNGIF_OP_FILL };
	long rc = rngfront_push(f, &req);

	if (rc)
		return rc;
	rngfront_kick(f);
	rc = rngfront_pop(f, rsp, 10000);
	if (rc)
		return rc;
	return rsp->id == req.id ? rsp->status : -XEN_EIO;
}

long rngfront_disconnect(struct rngfront *f)
{
	long s = rngfront_backend_state(f), rc = -XEN_EBUSY;

	/* The backend may have closed first (it found us breaking the protocol). */
	if (s != XenbusStateClosing && s != XenbusStateClosed) {
		set_state(f, XenbusStateClosing);
		s = rngfront_wait_backend(f, XenbusStateClosing, XenbusStateClosed, HANDSHAKE_MS);
	}
	if (s == XenbusStateClosing || s == XenbusStateClosed) {
		/* The backend has unmapped the ring: the grant can be revoked now. */
		for (unsigned int tries = 0; tries < 50 && rc == -XEN_EBUSY; tries++) {
			rc = pv_gnttab_end(f->ring_ref);
			if (rc == -XEN_EBUSY)
				rngfront_sleep_ms(POLL_MS);
		}
	}
	pv_evtchn_close(f->port);
	set_state(f, XenbusStateClosed);
	if (rngfront_wait_backend(f, XenbusStateClosed, XenbusStateClosed, HANDSHAKE_MS) < 0 &&
	    !rc)
		rc = -XEN_ETIME;
	f->connected = false;
	return rc;
}
