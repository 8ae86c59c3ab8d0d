/*
 * rngfront: a frontend of the PV entropy device (pv/io/rngif.h) on libpv,
 * the guest half of docs/pv-driver-guide.md's worked example. One device
 * at a time, one vCPU; call pv_gnttab_init() and pv_xenbus_init() first.
 *
 * Errors are -XEN_E* values (libpv's convention): -XEN_ETIME when the
 * other end does not answer in time, -XEN_EIO when the backend closed the
 * device (its reason is in rngfront.error).
 */
#ifndef RNGFRONT_H
#define RNGFRONT_H

#include <stdbool.h>
#include <stddef.h>

#include <libpv.h>
#include <pv/io/rngif.h>

struct rngfront {
	char dir[32];               /* "device/rng/N", relative to our domain */
	char backend[128];          /* the backend's directory, from dir/backend */
	domid_t backend_id;
	unsigned int max_request;   /* what the backend offered in max-request-bytes */
	struct rngif_sring *sring;  /* our ring page; the backend maps it */
	grant_ref_t ring_ref;
	evtchn_port_t port;
	pv_u32 req_prod_pvt;        /* requests written, not all published yet */
	pv_u32 rsp_cons;            /* responses taken */
	bool connected;
	char error[160];            /* the backend's error node, when it closed the device */
};

/*
 * Connects device devid: waits (up to wait_ms) for the toolstack to
 * attach it, then does the frontend's half of the handshake: Initialising,
 * the backend's InitWait, ring and event channel published, Initialised,
 * the backend's Connected, Connected. Also reconnects a device that was
 * disconnected with rngfront_disconnect.
 */
long rngfront_connect(struct rngfront *f, unsigned int devid, unsigned int wait_ms);

/* Queues one request (not yet seen by the backend); -XEN_ENOSPC when the ring is full. */
long rngfront_push(struct rngfront *f, const struct rngif_request *req);
/* Publishes the queued requests, and notifies the backend if it asked to be. */
void rngfront_kick(struct rngfront *f);
/* Takes the next response, waiting up to timeout_ms for it. */
long rngfront_pop(struct rngfront *f, struct rngif_response *rsp, unsigned int timeout_ms);
/*
 * Fills buf[offset..offset+len) of the page granted as gref: one request,
 * answered. Returns the response's status (RNGIF_RSP_*) with *rsp, or -XEN_E*.
 */
long rngfront_fill(struct rngfront *f, grant_ref_t gref, pv_u16 offset, pv_u16 len,
		   struct rngif_response *rsp);

/*
 * Closes the device: Closing, waits for the backend to let go of the ring,
 * revokes its grant and closes the channel, Closed, and waits for the
 * backend's Closed. 0, or -XEN_EBUSY if the backend still maps the ring.
 */
long rngfront_disconnect(struct rngfront *f);

/* The backend's state node (XenbusState*); Unknown (0) if it cannot be read. */
long rngfront_backend_state(struct rngfront *f);
/* Waits up to timeout_ms for the backend's state to be one of a or b; returns it. */
long rngfront_wait_backend(struct rngfront *f, int a, int b, unsigned int timeout_ms);
/* Sleeps ms milliseconds (the one-shot timer; events are delivered meanwhile). */
void rngfront_sleep_ms(unsigned int ms);

#endif
