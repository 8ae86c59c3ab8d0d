/*
 * mica-netback: dom0's network backend. One process serves every virtual
 * interface (vif) of every guest: for each it maps the frontend's transmit
 * and receive rings, binds its event channel, and joins a TAP device
 * (vifD.N) to a bridge. Frames move by grant copy in both directions, in
 * batches of up to NB_BATCH frames per copy call:
 *
 *   guest -> dom0   tx ring requests name granted pages; copied into a
 *                   local buffer, written to the TAP with a virtio-net
 *                   header (checksum offload, GSO);
 *   dom0 -> guest   frames read from the TAP (with their virtio-net
 *                   header) are copied into pages the frontend posted on
 *                   the rx ring.
 *
 * Why copy and not map: a map and unmap per page costs two hypercalls and
 * a TLB flush of dom0, a copy one hypercall shared by the whole batch; the
 * data must reach the TAP through a buffer of ours anyway (write() copies),
 * and nothing of the guest stays mapped while the frame sits in dom0's
 * stack. Only the two ring pages are mapped, for the interface's lifetime.
 *
 * Single-threaded: main.c's poll loop is the only caller of everything
 * here, so no locks.
 */
#ifndef NETBACK_H
#define NETBACK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "libmica.h"
#include "netif_parse.h"

#define NB_BATCH 32u                     /* frames per grant-copy call */
#define NB_FRAME_MAX 65536u              /* buffer room per frame */
#define NB_RING_SLOTS 256u               /* a one-page tx or rx ring */

struct netback;

struct vif {
	struct vif *next;
	struct netback *nb;
	uint32_t domid, devid;
	char be_path[64];                /* /local/domain/0/backend/vif/D/N */
	char *fe_path;                   /* the frontend's directory */
	char ifname[IFNAMSIZ];           /* vifD.N */
	char bridge[IFNAMSIZ];
	bool watching;                   /* a watch on the frontend's state is set */
	bool seen;                       /* still in the store (backend_rescan) */

	/* Set while connected (vif.c). */
	bool connected;
	bool sg, gso4, gso6, csum;       /* what the frontend negotiated */
	struct netif_tx_sring *tx;
	struct netif_rx_sring *rx;
	uint32_t tx_cons, rx_cons;       /* next request to read; responses go at the same index */
	int port;                        /* local event-channel port */
	int tap;
	bool rx_waiting;                 /* too few rx requests: TAP not polled until an event */
	uint8_t *txbuf, *rxbuf;          /* NB_BATCH * NB_FRAME_MAX each */
	struct mica_grant_copy *segs;    /* NB_BATCH * NB_TX_MAX_DATA */

	uint64_t tx_frames, rx_frames, tx_dropped, rx_dropped;
};

struct netback {
	struct mica_xs *xs;
	struct mica_evtchn *evtchn;
	struct mica_gntdev *gntdev;
	const char *default_bridge;
	struct vif *vifs;
};

/* Messages on stderr (the log), prefixed with the time. */
void nb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* backend.c: the xenbus side. Sets the watch, then rescans on each event. */
int backend_start(struct netback *nb);
void backend_rescan(struct netback *nb);
/* Shuts a connected vif for a protocol violation: disconnected, state Closing. */
void backend_fail(struct vif *v, const char *why);

/* vif.c: connecting (rings, event channel, TAP) and disconnecting one interface. */
int vif_connect(struct vif *v, char *why, size_t whysz);
void vif_disconnect(struct vif *v);

/* datapath.c: moving frames; both run until there is nothing more to do now. */
void vif_tx(struct vif *v);
void vif_rx(struct vif *v);

/* tap.c: TAP devices and bridges. */
int tap_create(const char *ifname, unsigned int offloads, char *why, size_t whysz);
int bridge_ensure(const char *bridge, char *why, size_t whysz);
int bridge_add(const char *bridge, const char *ifname, char *why, size_t whysz);

#endif
