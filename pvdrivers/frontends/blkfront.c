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

static uint8_t ring_page[4096] __attribute__((aligned(4096)));
static evtchn_port_t timer_port;

static void nothing(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
}

void blkfront_sleep_ms(unsigned int ms)
{
	if (!timer_port) {
		pv_evtchn_bind_virq(VIRQ_TIMER, &timer_port);
		pv_evtchn_set_handler(timer_port, nothing, NULL);
	}
	pv_timer_set(pv_time_ns() + ms * 1000000ull);
	pv_block();
}

/* Reads DIR/key (dir: ours, or the backend's) as a number; -1 if absent. */
static long long read_num(const char *dir, const char *key)
{
	char path[192], buf[32];
	long rc;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	rc = pv_xenbus_read(path, buf, sizeof(buf) - 1);
	if (rc < 0)
		return -1;
	buf[rc] = '\0';
	return strtoll(buf, NULL, 10);
}

static long write_node(struct blkfront *bf, const char *key, const char *fmt, unsigned long long v)
{
	char path[128], value[32];

	snprintf(path, sizeof(path), "%s/%s", bf->dir, key);
	snprintf(value, sizeof(value), fmt, v);
	return pv_xenbus_write(path, value);
}

int blkfront_backend_state(struct blkfront *bf)
{
	long long s = read_num(bf->backend, "state");

	return s < 0 ? 0 : (int)s;
}

/* Polls the backend's state until it is want (or past it, for Closing); false after 20 s. */
static bool wait_backend(struct blkfront *bf, int want)
{
	for (int i = 0; i < 2000; i++) {
		int s = blkfront_backend_state(bf);

		if (s == want || (want == XenbusStateClosing && s == XenbusStateClosed))
			return true;
		blkfront_sleep_ms(10);
	}
	return false;
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
	snprintf(bf->backend, sizeof(bf->backend), "%s/backend", bf->dir);
	rc = pv_xenbus_read(bf->backend, bf->backend, sizeof(bf->backend) - 1);
	if (rc < 0) {
		printf("blkfront: %s has no backend (%ld): was the disk attached?\n", bf->dir, rc);
		return -1;
	}
	bf->backend[rc] = '\0';
	/* 1. The backend opened the image and published its features. */
	if (!wait_backend(bf, XenbusStateInitWait)) {
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
	pv_evtchn_set_handler(bf->port, nothing, NULL);
	/* 3. Publish them; Initialised makes the backend map the ring and connect. */
	rc = write_node(bf, "ring-ref", "%llu", bf->ring_ref);
	rc = rc ?: write_node(bf, "event-channel", "%llu", bf->port);
	if (!rc) {
		char path[96];

		snprintf(path, sizeof(path), "%s/protocol", bf->dir);
		rc = pv_xenbus_write(path, "x86_64-abi");
	}
	rc = rc ?: write_node(bf, "state", "%llu", XenbusStateInitialised);
	if (rc) {
		printf("blkfront: cannot write to the store (%ld)\n", rc);
		return -1;
	}
	/* 4. Connected: the size is there. */
	if (!wait_backend(bf, XenbusStateConnected)) {
		printf("blkfront: the backend did not connect (state %d)\n",
		       blkfront_backend_state(bf));
		return -1;
	}
	bf->sectors = (uint64_t)read_num(bf->backend, "sectors");
	bf->info = (unsigned int)read_num(bf->backend, "info");
	write_node(bf, "state", "%llu", XenbusStateConnected);
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
		blkfront_sleep_ms(10);
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
	write_node(bf, "state", "%llu", XenbusStateClosing);
	wait_backend(bf, XenbusStateClosing);
	write_node(bf, "state", "%llu", XenbusStateClosed);
	wait_backend(bf, XenbusStateClosed);
	pv_gnttab_end(bf->ring_ref);
}
