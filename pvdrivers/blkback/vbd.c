/*
 * blkback's device: one virtual block device of one guest, served through
 * libpvback. probe opens the image the toolstack named and publishes the
 * features; connect maps the ring and publishes the size; service takes
 * requests off the ring, moves the data with grant copies (never mapping
 * the guest's data pages) and answers each one.
 *
 * Why grant copy and not persistent grants: a copy names the guest's page
 * only for the length of one hypercall batch, so blkback holds no mapping
 * of guest data between requests, teardown has nothing to unmap but the
 * ring, and a bad ref fails one segment's status instead of a mapping.
 * The cost is a copy the hypervisor makes instead of one blkback makes
 * from a long-lived mapping (docs/pvdrivers.md has the measurement).
 *
 * A request is carried out entirely before it is answered, so a write
 * that is acknowledged is in the backing file (in dom0's page cache;
 * flush requests fsync it to the disk underneath) or, for a block device
 * (opened O_DIRECT), in the device (a flush also flushes its cache).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/io/blkif.h>

#include "blkback.h"
#include "libmica.h"

/* Requests served per wake-up before other devices get a turn. */
#define BATCH 64
#define MAX_RING_ORDER 4

struct vbd {
	struct disk disk;
	struct blk_limits lim;
	bool cdrom;
	struct pvb_ring ring;
	int port;
	unsigned long long served, errors;
};

static uint8_t *buffer; /* BLK_MAX_BYTES, shared: the daemon is single-threaded */
static struct blkif_request_segment *indirect_segs;

int vbd_buffers(void)
{
	buffer = aligned_alloc(4096, BLK_MAX_BYTES);
	indirect_segs = aligned_alloc(4096, BLK_MAX_INDIRECT_PAGES * 4096);
	return buffer && indirect_segs ? 0 : -ENOMEM;
}

static int probe(struct pvb_dev *d)
{
	struct vbd *v = pvb_priv(d);
	char *params = NULL, *mode = NULL, *type = NULL, why[400];
	bool readonly;
	int rc;

	rc = pvb_read(d, false, "params", &params);
	if (rc) {
		pvb_fail(d, "no params node: the toolstack must name the image");
		return rc;
	}
	if (pvb_read(d, false, "mode", &mode))
		mode = NULL;
	readonly = mode && mode[0] == 'r';
	if (!pvb_read(d, false, "device-type", &type))
		v->cdrom = !strcmp(type, "cdrom");
	free(type);
	free(mode);
	rc = disk_open(&v->disk, params, readonly, why, sizeof(why));
	free(params);
	if (rc) {
		pvb_fail(d, "%s", why);
		return rc;
	}
	v->lim = (struct blk_limits){
		.sectors = v->disk.sectors, .sector_align = v->disk.sector_size / 512,
		.readonly = readonly, .discard = v->disk.discard_granularity != 0,
	};
	v->port = -1;
	rc = pvb_write(d, "feature-flush-cache", "1");
	rc = rc ?: pvb_write(d, "feature-barrier", "0");
	rc = rc ?: pvb_write(d, "feature-persistent", "0");
	rc = rc ?: pvb_write(d, "feature-max-indirect-segments", "%u", BLK_MAX_INDIRECT_SEGS);
	rc = rc ?: pvb_write(d, "max-ring-page-order", "%u", MAX_RING_ORDER);
	rc = rc ?: pvb_write(d, "feature-discard", "%d", v->lim.discard ? 1 : 0);
	if (v->lim.discard) {
		rc = rc ?: pvb_write(d, "discard-granularity", "%u", v->disk.discard_granularity);
		rc = rc ?: pvb_write(d, "discard-alignment", "0");
		rc = rc ?: pvb_write(d, "discard-secure", "0");
	}
	if (rc) {
		pvb_fail(d, "cannot publish the disk's features: %s", strerror(-rc));
		disk_close(&v->disk);
		return rc;
	}
	pvb_log(d, "%s, %llu sectors, %u-byte logical sectors, %s%s%s",
		v->disk.is_device ? "device" : "image", (unsigned long long)v->disk.sectors,
		v->disk.sector_size, readonly ? "read-only" : "read-write",
		v->disk.direct ? ", direct I/O" : "", v->lim.discard ? ", discard" : "");
	return 0;
}

static int connect(struct pvb_dev *d)
{
	struct vbd *v = pvb_priv(d);
	unsigned int pages;
	char *proto = NULL;
	void *ring;
	int rc;

	if (!pvb_read(d, true, "protocol", &proto) && strcmp(proto, "x86_64-abi")) {
		pvb_fail(d, "frontend protocol %s is not x86_64-abi", proto);
		free(proto);
		return -EINVAL;
	}
	free(proto);
	rc = pvb_map_ring(d, "ring-ref", MAX_RING_ORDER, &ring, &pages);
	if (rc)
		return rc;
	rc = pvb_ring_attach(&v->ring, ring, pages * 4096u, sizeof(union blkif_sring_entry));
	if (rc) {
		pvb_fail(d, "the frontend's ring indices are impossible at connect");
		return rc;
	}
	rc = pvb_bind_event(d, "event-channel");
	if (rc < 0)
		return rc;
	v->port = rc;
	rc = pvb_write(d, "sectors", "%llu", (unsigned long long)v->disk.sectors);
	rc = rc ?: pvb_write(d, "info", "%u", (v->lim.readonly ? VDISK_READONLY : 0) |
			     (v->cdrom ? VDISK_CDROM : 0));
	rc = rc ?: pvb_write(d, "sector-size", "%u", v->disk.sector_size);
	rc = rc ?: pvb_write(d, "physical-sector-size", "%u", v->disk.physical_sector_size);
	if (rc) {
		pvb_fail(d, "cannot publish the disk's size: %s", strerror(-rc));
		return rc;
	}
	pvb_log(d, "ring of %u page%s, %u slots, event channel %d", pages, pages == 1 ? "" : "s",
		v->ring.size, v->port);
	return 0;
}

/* Copies the data segments between buffer and the guest; 0 or -errno. */
static int copy_data(struct pvb_dev *d, const struct blk_req *r, bool to_guest)
{
	struct mica_grant_copy segs[BLK_MAX_INDIRECT_SEGS];
	size_t off = 0;

	for (unsigned int i = 0; i < r->nr_segs; i++) {
		pvb_copy_seg(d, &segs[i], to_guest, r->seg[i].gref, r->seg[i].offset, buffer + off,
			     r->seg[i].len);
		off += r->seg[i].len;
	}
	return pvb_copy(d, segs, r->nr_segs);
}

/* Fetches an indirect request's segment pages and decodes them; a BLKIF_RSP_* status. */
static int fetch_indirect(struct pvb_dev *d, struct vbd *v, struct blk_req *r)
{
	struct mica_grant_copy segs[BLK_MAX_INDIRECT_PAGES];

	for (unsigned int i = 0; i < r->nr_indirect; i++)
		pvb_copy_seg(d, &segs[i], false, r->indirect_gref[i], 0,
			     (uint8_t *)indirect_segs + i * 4096u, 4096);
	if (pvb_copy(d, segs, r->nr_indirect))
		return BLKIF_RSP_ERROR;
	return blk_decode_indirect(r, indirect_segs, &v->lim);
}

/* Carries out a decoded request; a BLKIF_RSP_* status. */
static int execute(struct pvb_dev *d, struct vbd *v, const struct blk_req *r)
{
	size_t bytes = (size_t)r->nr_sectors * BLKIF_SECTOR_SIZE;
	uint64_t off = r->sector * BLKIF_SECTOR_SIZE;
	int rc;

	switch (r->op) {
	case BLKIF_OP_READ:
		rc = disk_read(&v->disk, buffer, bytes, off);
		if (!rc)
			rc = copy_data(d, r, true);
		break;
	case BLKIF_OP_WRITE:
	case BLKIF_OP_FLUSH_DISKCACHE:
		rc = 0;
		if (bytes) {
			rc = copy_data(d, r, false);
			if (!rc)
				rc = disk_write(&v->disk, buffer, bytes, off);
		}
		if (!rc && r->op == BLKIF_OP_FLUSH_DISKCACHE)
			rc = disk_flush(&v->disk);
		break;
	case BLKIF_OP_DISCARD:
		rc = disk_discard(&v->disk, off, r->nr_sectors * BLKIF_SECTOR_SIZE);
		if (rc == -EOPNOTSUPP)
			return BLKIF_RSP_EOPNOTSUPP;
		break;
	default:
		return BLKIF_RSP_ERROR;
	}
	return rc ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

static struct blk_req req; /* 2 KiB: static, the daemon is single-threaded */

static void service(struct pvb_dev *d, int port)
{
	struct vbd *v = pvb_priv(d);
	union blkif_sring_entry slot;
	unsigned int done = 0;
	bool notify = false;

	(void)port;
	for (;;) {
		int waiting = pvb_ring_waiting(&v->ring), status;
		struct blkif_response rsp;

		if (waiting < 0) {
			pvb_close_device(d, "the frontend's ring indices are impossible (req_prod "
					 "%u, %u requests consumed); device closed",
					 v->ring.hdr[0], v->ring.req_cons);
			return;
		}
		if (!waiting && !pvb_ring_final_check(&v->ring))
			break;
		if (!waiting)
			continue;
		if (done++ == BATCH) {
			pvb_again(d);
			break;
		}
		pvb_ring_take(&v->ring, &slot, sizeof(slot));
		status = blk_decode(&slot, &v->lim, &req);
		if (status == BLKIF_RSP_OKAY && req.nr_indirect)
			status = fetch_indirect(d, v, &req);
		if (status == BLKIF_RSP_OKAY)
			status = execute(d, v, &req);
		if (status != BLKIF_RSP_OKAY && v->errors++ < 10)
			pvb_log(d, "request %llu (operation %u, sector %llu) answered %s",
				(unsigned long long)req.id, slot.req.operation,
				(unsigned long long)req.sector,
				status == BLKIF_RSP_EOPNOTSUPP ? "not supported" : "with an error");
		rsp = (struct blkif_response){ .id = req.id, .operation = req.rsp_op,
					       .status = (int16_t)status };
		pvb_ring_put(&v->ring, &rsp, sizeof(rsp));
		notify |= pvb_ring_push(&v->ring);
		v->served++;
	}
	if (notify)
		pvb_notify(d, v->port);
}

static void disconnect(struct pvb_dev *d)
{
	struct vbd *v = pvb_priv(d);

	memset(&v->ring, 0, sizeof(v->ring));
	v->port = -1;
}

static void remove_vbd(struct pvb_dev *d)
{
	struct vbd *v = pvb_priv(d);

	disk_close(&v->disk);
}

const struct pvb_ops vbd_ops = {
	.type = "vbd",
	.priv_size = sizeof(struct vbd),
	.probe = probe,
	.connect = connect,
	.service = service,
	.disconnect = disconnect,
	.remove = remove_vbd,
};
