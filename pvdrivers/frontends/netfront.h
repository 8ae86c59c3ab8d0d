/*
 * A reference netif frontend on libpv: the guest half of a PV network
 * interface, small enough to read beside mica-netback and
 * docs/pvdrivers.md. One tx and one rx ring of one page each, one slot per
 * frame (no scatter-gather, no GSO, no checksum offload: it asks for none),
 * NETFRONT_RX_BUFS receive pages posted at a time. It polls instead of
 * sleeping on the event channel, because libpv's xenbus client has no
 * watches. The raw calls (netfront_tx_raw, the ring pointers) let a test
 * put anything on the rings, as a hostile frontend would.
 */
#ifndef NETFRONT_H
#define NETFRONT_H

#include <libpv.h>
#include <pv/io/netif.h>

#define NETFRONT_RX_BUFS 16

struct netfront {
	unsigned int devid;
	char dir[64];                   /* device/vif/DEVID, relative to the domain's home */
	char backend[128];              /* the backend's directory, from "backend" */
	uint8_t mac[6];                 /* from our "mac" node */
	struct netif_tx_sring *tx;      /* one page each, granted to dom0 */
	struct netif_rx_sring *rx;
	grant_ref_t tx_ref, rx_ref;
	grant_ref_t rx_buf_ref[NETFRONT_RX_BUFS];
	evtchn_port_t port;
	pv_ring_idx_t tx_prod, tx_cons, rx_prod, rx_cons;
};

/* Status of an operation that got no answer: the backend closed the device, or was silent 10 s. */
#define NETFRONT_NO_ANSWER (-100)

/*
 * Connects interface devid, as xen-netfront does: says Initialising, waits
 * for the backend's InitWait, checks feature-rx-copy, grants both rings and
 * the rx pages, posts the pages, publishes ring refs, event channel and
 * request-rx-copy, goes Connected and waits for the backend to follow.
 * 0, or -1 after printing why. Also reconnects after netfront_close.
 */
int netfront_connect(struct netfront *nf, unsigned int devid);

/* Puts n tx requests on the ring as they are, pushes and notifies, and
 * waits for all their responses. Returns the first response's status
 * (NETIF_RSP_*), or NETFRONT_NO_ANSWER. */
int netfront_tx_raw(struct netfront *nf, const struct netif_tx_request *reqs, unsigned int n);

/* Sends one frame (up to 4096 bytes) from a page granted read-only for it; the status. */
int netfront_send(struct netfront *nf, const void *frame, size_t len);

/*
 * Waits up to timeout_ms for a received frame and copies it (at most size
 * bytes) into buf; reposts the page. Returns the response's status: the
 * frame's length, or NETIF_RSP_* (< 0), or NETFRONT_NO_ANSWER.
 */
int netfront_recv(struct netfront *nf, void *buf, size_t size, unsigned int timeout_ms);

/* Pushes a new req_prod (whatever it is) and notifies: for lying on purpose. */
void netfront_kick(struct netfront *nf);

/* The backend's state now (XenbusState*), 0 if it cannot be read. */
int netfront_backend_state(struct netfront *nf);

/* Closes the interface: Closing, waits for the backend to close, Closed, grants ended. */
void netfront_close(struct netfront *nf);
/*
 * After the backend shut the interface (its state Closing: rings already
 * unmapped): writes Closing and Closed at once, without waiting for the
 * backend to follow, and ends the grants. A netfront_connect right after
 * makes the backend see the three writes in any order, or only the last.
 */
void netfront_drop(struct netfront *nf);

#endif
