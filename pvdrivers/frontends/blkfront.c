/*
 * A reference blkif frontend on libpv (see blkfront.h). The steps are the
 * ones Linux's xen-blkfront takes, in the same order, with the same store
 * nodes; each is commented with what the backend does in answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/io/xenbus.h>

#include "blkfront.h"
#include "frontdev.h"

static uint8_t ring_page[4096] __attribute__((aligned(4096)));

int blkfront_backend_state(struct blkfront *bf)
{
	return front_backend_state(bf->backend);
}

int blkfront_connect(struct blkfront *bf, unsigned int devid)
{
	long rc;

	memset(bf, 0, sizeof(*bf));
	bf->devid = devid;
	snprintf(bf->dir, sizeof(bf->dir), "device/vbd/%u", devid);
	if (pv_xenbus_init() || pv_gnttab_init(1)) {
		printf("blkfront: no store ring or grant table\n");
		return -1;
	}
	if (front_find_backend(bf->dir, bf->backend, sizeof(bf->backend)))
		return -1;
	/* 1. The backend opened the image and published its features. */
	if (!front_wait_backend(bf->backend, XenbusStateInitWait, 20000)) {
		printf("blkfront: the backend never reached InitWait\n");
		return -1;
	}
	/* 2. A fresh ring (both event thresholds at 1), granted to dom0, and a channel. */
	bf->ring = (struct blkif_sring *)ring_page;
	memset(ring_page, 0, sizeof(ring_page));
	bf->ring->req_event = bf->ring->rsp_event = 1;
	rc = pv_gnttab_grant(0, pv_virt_to_mfn(ring_page), false);
	if (rc < 0 || pv_evtchn_alloc_unbound(0, &bf->port)) {
		printf("blkfront: cannot grant the ring or allocate a channel\n");
		return -1;
	}
	bf->ring_ref = (grant_ref_t)rc;
	pv_evtchn_set_handler(bf->port, front_ignore_event, NULL);
	/* 3. Publish them; Initialised makes the backend map the ring and connect. */
	rc = front_write_num(bf->dir, "ring-ref", bf->ring_ref);
	rc = rc ?: front_write_num(bf->dir, "event-channel", bf->port);
	if (!rc) {
		char path[96];

		snprintf(path, sizeof(path), "%s/protocol", bf->dir);
		rc = pv_xenbus_write(path, "x86_64-abi");
	}
	rc = rc ?: front_write_num(bf->dir, "state", XenbusStateInitialised);
	if (rc) {
		printf("blkfront: cannot write to the store (%ld)\n", rc);
		return -1;
	}
	/* 4. Connected: the size is there. */
	if (!front_wait_backend(bf->backend, XenbusStateConnected, 20000)) {
		printf("blkfront: the backend did not connect (state %d)\n",
		       blkfront_backend_state(bf));
		return -1;
	}
	bf->sectors = (uint64_t)front_read_num(bf->backend, "sectors");
	bf->info = (unsigned int)front_read_num(bf->backend, "info");
	front_write_num(bf->dir, "state", XenbusStateConnected);
	return 0;
}

int blkfront_submit(struct blkfront *bf, const union blkif_sring_entry *req)
{
	union blkif_sring_entry *slot = &bf->ring->ring[bf->req_prod % BLKIF_RING_SIZE_1PAGE];
	pv_ring_idx_t old = bf->req_prod;
	struct blkif_response rsp;

	*slot = *req;
	slot->req.id = bf->req_prod;
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the request before the index */
	bf->ring->req_prod = ++bf->req_prod;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (pv_ring_should_notify(old, bf->req_prod, bf->ring->req_event))
		pv_evtchn_send(bf->port);
	for (int i = 0; i < 1000; i++) {
		if (__atomic_load_n(&bf->ring->rsp_prod, __ATOMIC_ACQUIRE) != bf->rsp_cons) {
			rsp = bf->ring->ring[bf->rsp_cons++ % BLKIF_RING_SIZE_1PAGE].rsp;
			bf->ring->rsp_event = bf->rsp_cons + 1;
			return rsp.status;
		}
		if (blkfront_backend_state(bf) != XenbusStateConnected)
			return -100;
		front_sleep_ms(10);
	}
	return -100;
}

int blkfront_rw(struct blkfront *bf, bool write, uint64_t sector, void *page, unsigned int nr)
{
	union blkif_sring_entry req = { 0 };
	/* The backend only reads the page of a write: grant it read-only then. */
	long ref = pv_gnttab_grant(0, pv_virt_to_mfn(page), write);
	int status;

	if (ref < 0 || nr < 1 || nr > 8)
		return BLKIF_RSP_ERROR;
	req.req.operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	req.req.nr_segments = 1;
	req.req.handle = (blkif_vdev_t)bf->devid;
	req.req.sector_number = sector;
	req.req.seg[0] = (struct blkif_request_segment){ .gref = (grant_ref_t)ref, .first_sect = 0,
							  .last_sect = (uint8_t)(nr - 1) };
	status = blkfront_submit(bf, &req);
	pv_gnttab_end((grant_ref_t)ref);
	return status;
}

void blkfront_close(struct blkfront *bf)
{
	front_close(bf->dir, bf->backend, "blkfront");
	pv_gnttab_end(bf->ring_ref);
}
