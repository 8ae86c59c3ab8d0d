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
 * Built on libpvback (pvdrivers/lib), which finds the interfaces in the
 * store, walks the xenbus state machine, maps the two ring pages, binds
 * the event channel and runs the one poll loop; this daemon adds what is
 * netif's own. Single-threaded, so no locks.
 */
#ifndef NETBACK_H
#define NETBACK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "libmica.h"
#include "netif_parse.h"
#include "pvback.h"

#define NB_BATCH 32u                     /* frames per grant-copy call */
#define NB_FRAME_MAX 65536u              /* buffer room per frame */

/* One interface: libpvback's per-device state (pvb_priv). */
struct vif {
	struct pvb_dev *dev;
	char ifname[IFNAMSIZ];           /* vifD.N */
	char bridge[IFNAMSIZ];

	/* Set while connected (vif.c). */
	bool sg, gso4, gso6, csum;       /* what the frontend negotiated */
	struct netif_tx_sring *tx;       /* the shared pages, mapped by libpvback */
	struct netif_rx_sring *rx;
	struct pvb_ring txr, rxr;        /* our indices into them */
	int port;                        /* local event-channel port */
	int tap;                         /* -1 when not connected */
	bool rx_waiting;                 /* too few rx requests: TAP not polled until an event */
	uint8_t *txbuf, *rxbuf;          /* NB_BATCH * NB_FRAME_MAX each */
	struct mica_grant_copy *segs;    /* NB_BATCH * NB_TX_MAX_DATA */

	uint64_t tx_frames, rx_frames, tx_dropped, rx_dropped;
	uint64_t tx_gso, rx_gso, tx_csum, rx_csum;  /* frames with GSO, with a checksum to fill */
};

/* The bridge of interfaces whose backend directory names none (main.c, -b). */
extern const char *nb_default_bridge;

/* vif.c: libpvback's callbacks for one interface. */
int vif_probe(struct pvb_dev *d);
int vif_connect(struct pvb_dev *d);
void vif_disconnect(struct pvb_dev *d);

/* datapath.c: moving frames; each runs until there is nothing more to do now. */
void vif_tx(struct vif *v);
void vif_rx(struct vif *v);
/* The frontend posted rx requests: poll the TAP again if vif_rx had stopped for room. */
void vif_rx_resume(struct vif *v);

/* tap.c: TAP devices and bridges. */
int tap_create(const char *ifname, unsigned int offloads, char *why, size_t whysz);
int bridge_ensure(const char *bridge, char *why, size_t whysz);
int bridge_add(const char *bridge, const char *ifname, char *why, size_t whysz);

#endif
