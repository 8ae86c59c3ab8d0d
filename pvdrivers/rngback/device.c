/*
 * mica-rngback: one PV entropy device as libpvback drives it. The library
 * finds the device in the store, runs the xenbus state machine and calls:
 *
 *   probe       the toolstack made backend/rng/D/0: publish max-request-bytes
 *   connect     the frontend is Initialised: map its ring, bind its channel
 *   service     its channel fired (or pvb_again): answer what is on the ring
 *   disconnect  the library is about to unmap the ring: forget the pointer
 *
 * Every request is copied out of the shared page (pvb_ring_take) and
 * checked (rngback_check) before it is acted on; the random bytes reach
 * the guest only by a grant copy into the page it named, which the
 * hypervisor refuses unless that page is granted writable to dom0.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "libmica.h"
#include "rngback.h"

struct rng_dev {
	struct pvb_ring ring;       /* valid while connected */
	int port;                   /* local event-channel port; -1 when not bound */
	unsigned long long served;  /* requests answered OKAY, for the log */
};

static int rng_probe(struct pvb_dev *d)
{
	struct rng_dev *r = pvb_priv(d);
	int rc;

	r->port = -1;
	rc = pvb_write(d, "max-request-bytes", "%u", RNGBACK_MAX_REQUEST);
	if (rc) {
		pvb_fail(d, "cannot publish max-request-bytes: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

static int rng_connect(struct pvb_dev *d)
{
	struct rng_dev *r = pvb_priv(d);
	unsigned int pages;
	void *shared;
	int rc;

	/* One page, named by ring-ref (max_order 0: no multi-page rings). */
	rc = pvb_map_ring(d, "ring-ref", 0, &shared, &pages);
	if (rc)
		return rc;
	rc = pvb_ring_attach(&r->ring, shared, (size_t)pages * 4096,
			     sizeof(union rngif_sring_entry));
	if (rc) {
		pvb_fail(d, "the frontend's ring indices are impossible before it started");
		return rc;
	}
	r->port = pvb_bind_event(d, "event-channel");
	if (r->port < 0)
		return r->port;
	pvb_log(d, "ring of %u slots, event channel %d", r->ring.size, r->port);
	return 0;
}

/* Answers one request (already copied out and owned by us). */
static void fill(struct pvb_dev *d, const struct rngif_request *req, struct rngif_response *rsp)
{
	unsigned char buf[RNGBACK_MAX_REQUEST];
	struct mica_grant_copy seg;
	struct rng_dev *r = pvb_priv(d);
	ssize_t got;
	int rc;

	memset(rsp, 0, sizeof(*rsp));
	rsp->id = req->id;
	rsp->status = (int16_t)rngback_check(req, RNGBACK_MAX_REQUEST);
	if (rsp->status != RNGIF_RSP_OKAY)
		return;
	/* At most 4096 bytes: getrandom() returns them whole once the pool is ready. */
	got = getrandom(buf, req->len, 0);
	if (got != req->len) {
		pvb_log(d, "getrandom: %s", got < 0 ? strerror(errno) : "short read");
		rsp->status = RNGIF_RSP_EIO;
		return;
	}
	pvb_copy_seg(d, &seg, true, req->gref, req->offset, buf, req->len);
	rc = pvb_copy(d, &seg, 1);
	if (rc) {
		/* A guest mistake, not a protocol break: answer it and carry on. */
		rsp->status = rc == -EIO ? RNGIF_RSP_EGRANT : RNGIF_RSP_EIO;
		return;
	}
	rsp->len = req->len;
	r->served++;
}

static void rng_service(struct pvb_dev *d, int port)
{
	struct rng_dev *r = pvb_priv(d);
	struct rngif_request req;
	struct rngif_response rsp;
	unsigned int done = 0;
	int waiting;

	(void)port; /* one channel per device: whichever fired, the ring is the same */
	for (;;) {
		waiting = pvb_ring_waiting(&r->ring);
		if (waiting < 0) {
			pvb_close_device(d, "the frontend's req_prod claims more requests than the "
					 "ring holds; closing the device");
			return;
		}
		if (waiting == 0) {
			/* Re-arm req_event; requests that slipped in meanwhile are served now. */
			if (!pvb_ring_final_check(&r->ring))
				break;
			continue;
		}
		if (done == RNGBACK_BATCH) {
			pvb_again(d); /* the other devices get their turn first */
			break;
		}
		pvb_ring_take(&r->ring, &req, sizeof(req));
		fill(d, &req, &rsp);
		pvb_ring_put(&r->ring, &rsp, sizeof(rsp));
		done++;
	}
	if (pvb_ring_push(&r->ring))
		pvb_notify(d, r->port);
}

static void rng_disconnect(struct pvb_dev *d)
{
	struct rng_dev *r = pvb_priv(d);

	if (r->ring.hdr)
		pvb_log(d, "disconnected after %llu requests served", r->served);
	memset(&r->ring, 0, sizeof(r->ring));
	r->port = -1;
}

const struct pvb_ops rngback_ops = {
	.type = "rng",
	.priv_size = sizeof(struct rng_dev),
	.probe = rng_probe,
	.connect = rng_connect,
	.service = rng_service,
	.disconnect = rng_disconnect,
};
