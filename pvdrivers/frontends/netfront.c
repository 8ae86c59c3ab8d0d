/*
 * A reference netif frontend on libpv (see netfront.h). The steps are the
 * ones Linux's xen-netfront takes, with the same store nodes; each says
 * what mica-netback does in answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/io/xenbus.h>

#include "frontdev.h"
#include "netfront.h"

static uint8_t tx_ring_page[4096] __attribute__((aligned(4096)));
static uint8_t rx_ring_page[4096] __attribute__((aligned(4096)));
static uint8_t tx_page[4096] __attribute__((aligned(4096)));
static uint8_t rx_pages[NETFRONT_RX_BUFS][4096] __attribute__((aligned(4096)));

int netfront_backend_state(struct netfront *nf)
{
	return front_backend_state(nf->backend);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long b = strtoul(s + 3 * i, &end, 16);

		if (end != s + 3 * i + 2 || b > 255 || (i < 5 && *end != ':'))
			return false;
		mac[i] = (uint8_t)b;
	}
	return true;
}

/* Makes request slot i of the rx ring post rx page i. */
static void post_rx(struct netfront *nf, unsigned int i)
{
	struct netif_rx_request *r = &nf->rx->ring[nf->rx_prod++ % NETIF_RX_RING_SIZE].req;

	r->id = (pv_u16)i;
	r->gref = nf->rx_buf_ref[i];
}

/* Publishes the requests written so far and notifies if the backend asked to be. */
static void push(struct netfront *nf, volatile pv_ring_idx_t *req_prod,
		 volatile pv_ring_idx_t *req_event, pv_ring_idx_t new_prod)
{
	pv_ring_idx_t old = *req_prod;

	__atomic_thread_fence(__ATOMIC_RELEASE); /* the requests before the index */
	*req_prod = new_prod;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (pv_ring_should_notify(old, new_prod, *req_event))
		pv_evtchn_send(nf->port);
}

int netfront_connect(struct netfront *nf, unsigned int devid)
{
	static bool initialised;
	char mac[32];
	long rc;

	memset(nf, 0, sizeof(*nf));
	nf->devid = devid;
	snprintf(nf->dir, sizeof(nf->dir), "device/vif/%u", devid);
	if (!initialised && (pv_xenbus_init() || pv_gnttab_init(1))) {
		printf("netfront: no store ring or grant table\n");
		return -1;
	}
	initialised = true;
	if (front_find_backend(nf->dir, nf->backend, sizeof(nf->backend)))
		return -1;
	if (front_read_str(nf->dir, "mac", mac, sizeof(mac)) || !parse_mac(mac, nf->mac)) {
		printf("netfront: %s/mac is missing or not a MAC address\n", nf->dir);
		return -1;
	}
	/* 1. Initialising: a backend that closed this interface before offers it again. */
	front_write_num(nf->dir, "state", XenbusStateInitialising);
	/* 2. The backend published its features and waits (InitWait). */
	if (!front_wait_backend(nf->backend, XenbusStateInitWait, 20000)) {
		printf("netfront: the backend never reached InitWait\n");
		return -1;
	}
	if (front_read_num(nf->backend, "feature-rx-copy") != 1) {
		printf("netfront: the backend does not copy received frames (feature-rx-copy)\n");
		return -1;
	}
	/* 3. Fresh rings (event thresholds at 1), granted to dom0; a channel; rx pages posted. */
	memset(tx_ring_page, 0, sizeof(tx_ring_page));
	memset(rx_ring_page, 0, sizeof(rx_ring_page));
	nf->tx = (struct netif_tx_sring *)tx_ring_page;
	nf->rx = (struct netif_rx_sring *)rx_ring_page;
	nf->tx->req_event = nf->tx->rsp_event = 1;
	nf->rx->req_event = nf->rx->rsp_event = 1;
	rc = pv_gnttab_grant(0, pv_virt_to_mfn(tx_ring_page), false);
	nf->tx_ref = (grant_ref_t)rc;
	if (rc >= 0) {
		rc = pv_gnttab_grant(0, pv_virt_to_mfn(rx_ring_page), false);
		nf->rx_ref = (grant_ref_t)rc;
	}
	for (unsigned int i = 0; rc >= 0 && i < NETFRONT_RX_BUFS; i++) {
		rc = pv_gnttab_grant(0, pv_virt_to_mfn(rx_pages[i]), false);
		nf->rx_buf_ref[i] = (grant_ref_t)rc;
		post_rx(nf, i);
	}
	if (rc < 0 || pv_evtchn_alloc_unbound(0, &nf->port)) {
		printf("netfront: cannot grant the rings or allocate a channel\n");
		return -1;
	}
	pv_evtchn_set_handler(nf->port, front_ignore_event, NULL);
	nf->rx->req_prod = nf->rx_prod;
	/* 4. Publish them; Connected makes the backend map the rings and join its TAP to the bridge. */
	rc = front_write_num(nf->dir, "tx-ring-ref", nf->tx_ref);
	rc = rc ?: front_write_num(nf->dir, "rx-ring-ref", nf->rx_ref);
	rc = rc ?: front_write_num(nf->dir, "event-channel", nf->port);
	rc = rc ?: front_write_num(nf->dir, "request-rx-copy", 1);
	rc = rc ?: front_write_num(nf->dir, "feature-rx-notify", 1);
	rc = rc ?: front_write_num(nf->dir, "state", XenbusStateConnected);
	if (rc) {
		printf("netfront: cannot write to the store (%ld)\n", rc);
		return -1;
	}
	if (!front_wait_backend(nf->backend, XenbusStateConnected, 20000)) {
		printf("netfront: the backend did not connect (state %d)\n",
		       netfront_backend_state(nf));
		return -1;
	}
	return 0;
}

int netfront_tx_raw(struct netfront *nf, const struct netif_tx_request *reqs, unsigned int n)
{
	pv_ring_idx_t first = nf->tx_prod;
	int status = NETFRONT_NO_ANSWER;

	for (unsigned int i = 0; i < n; i++)
		nf->tx->ring[nf->tx_prod++ % NETIF_TX_RING_SIZE].req = reqs[i];
	push(nf, &nf->tx->req_prod, &nf->tx->req_event, nf->tx_prod);
	for (int t = 0; t < 1000; t++) {
		pv_ring_idx_t prod = __atomic_load_n(&nf->tx->rsp_prod, __ATOMIC_ACQUIRE);

		if ((pv_ring_idx_t)(prod - first) >= n) {
			status = nf->tx->ring[first % NETIF_TX_RING_SIZE].rsp.status;
			nf->tx_cons = nf->tx_prod;
			nf->tx->rsp_event = nf->tx_cons + 1;
			return status;
		}
		if (netfront_backend_state(nf) != XenbusStateConnected)
			return NETFRONT_NO_ANSWER;
		front_sleep_ms(10);
	}
	return status;
}

int netfront_send(struct netfront *nf, const void *frame, size_t len)
{
	long ref;
	int status;

	if (len > sizeof(tx_page))
		return NETIF_RSP_ERROR;
	memcpy(tx_page, frame, len);
	/* netback only reads a transmitted page: grant it read-only. */
	ref = pv_gnttab_grant(0, pv_virt_to_mfn(tx_page), true);
	if (ref < 0)
		return NETIF_RSP_ERROR;
	status = netfront_tx_raw(nf, &(struct netif_tx_request){ .gref = (grant_ref_t)ref,
								 .size = (pv_u16)len,
								 .id = (pv_u16)nf->tx_prod },
				 1);
	pv_gnttab_end((grant_ref_t)ref);
	return status;
}

int netfront_recv(struct netfront *nf, void *buf, size_t size, unsigned int timeout_ms)
{
	for (unsigned int t = 0; t <= timeout_ms; t += 10) {
		pv_ring_idx_t prod = __atomic_load_n(&nf->rx->rsp_prod, __ATOMIC_ACQUIRE);

		if (prod != nf->rx_cons) {
			struct netif_rx_response r = nf->rx->ring[nf->rx_cons++ % NETIF_RX_RING_SIZE].rsp;
			unsigned int id = r.id % NETFRONT_RX_BUFS;

			if (r.status > 0 && r.offset + (unsigned int)r.status <= 4096)
				memcpy(buf, rx_pages[id] + r.offset,
				       (size_t)r.status < size ? (size_t)r.status : size);
			nf->rx->rsp_event = nf->rx_cons + 1;
			/* The page goes back to the backend for the next frame. */
			post_rx(nf, id);
			push(nf, &nf->rx->req_prod, &nf->rx->req_event, nf->rx_prod);
			return r.status;
		}
		if (netfront_backend_state(nf) != XenbusStateConnected)
			return NETFRONT_NO_ANSWER;
		front_sleep_ms(10);
	}
	return NETFRONT_NO_ANSWER;
}

void netfront_kick(struct netfront *nf)
{
	pv_evtchn_send(nf->port);
}

/* Ends the grants of both rings and the rx pages, and closes the channel. */
static void release(struct netfront *nf)
{
	pv_gnttab_end(nf->tx_ref);
	pv_gnttab_end(nf->rx_ref);
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		pv_gnttab_end(nf->rx_buf_ref[i]);
	pv_evtchn_close(nf->port);
}

void netfront_close(struct netfront *nf)
{
	front_close(nf->dir, nf->backend, "netfront");
	/* The backend unmapped everything before it said Closed (or still maps them: ending fails). */
	release(nf);
}

void netfront_drop(struct netfront *nf)
{
	front_write_num(nf->dir, "state", XenbusStateClosing);
	front_write_num(nf->dir, "state", XenbusStateClosed);
	release(nf);
}
