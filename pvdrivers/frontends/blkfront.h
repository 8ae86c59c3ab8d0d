/*
 * A reference blkif frontend on libpv: the guest half of a PV disk, small
 * enough to read in one sitting beside mica-blkback and docs/pvdrivers.md.
 * One single-page ring, one request in flight, data in pages the caller
 * owns. It polls instead of sleeping on the event channel between steps,
 * because libpv's xenbus client has no watches.
 */
#ifndef BLKFRONT_H
#define BLKFRONT_H

#include <libpv.h>
#include <pv/io/blkif.h>

struct blkfront {
	unsigned int devid;             /* 51712 for xvda */
	char dir[64];                   /* device/vbd/DEVID, relative to the domain's home */
	char backend[128];              /* the backend's directory, from "backend" */
	struct blkif_sring *ring;       /* one page, granted to dom0 */
	grant_ref_t ring_ref;
	evtchn_port_t port;
	pv_ring_idx_t req_prod, rsp_cons;
	uint64_t sectors;               /* the disk's size in 512-byte sectors */
	unsigned int info;              /* VDISK_* */
};

/*
 * Connects device devid: waits for the backend's InitWait, grants the ring,
 * allocates the event channel, publishes both and goes Initialised, waits
 * for Connected and reads the size. 0, or -1 after printing why.
 */
int blkfront_connect(struct blkfront *bf, unsigned int devid);

/*
 * Sends one request as it is (the caller fills every field; the id is
 * set here) and waits for its answer. Returns the response's status
 * (BLKIF_RSP_*), or -100 if the backend closed the device or did not
 * answer within 10 seconds.
 */
int blkfront_submit(struct blkfront *bf, const union blkif_sring_entry *req);

/*
 * Reads or writes nr (1..8) sectors at sector from or into page, a 4 KiB
 * page of the guest (offset 0); grants it for the request and revokes it
 * after. Returns the status.
 */
int blkfront_rw(struct blkfront *bf, bool write, uint64_t sector, void *page, unsigned int nr);

/* The backend's state now (XenbusState*), 0 if it cannot be read. */
int blkfront_backend_state(struct blkfront *bf);

/* Closes the device: Closing, waits for the backend to close, Closed. */
void blkfront_close(struct blkfront *bf);

#endif
