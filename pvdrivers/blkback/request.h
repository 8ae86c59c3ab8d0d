/*
 * blkback's request decoder (pure, host-tested and fuzzed): turns a ring
 * slot the frontend wrote into a request blkback can carry out, or into
 * the status to answer it with. Every field is checked against the disk
 * and the features blkback offered, so nothing a frontend writes can make
 * blkback touch a sector past the end, a page offset past 4096, or more
 * segments than its buffer holds.
 */
#ifndef BLKBACK_REQUEST_H
#define BLKBACK_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <pv/io/blkif.h>

/* Segments per request blkback offers through indirect descriptors. */
#define BLK_MAX_INDIRECT_SEGS 256
#define BLK_MAX_INDIRECT_PAGES \
	((BLK_MAX_INDIRECT_SEGS + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / BLKIF_SEGS_PER_INDIRECT_FRAME)
#define BLK_MAX_BYTES (BLK_MAX_INDIRECT_SEGS * 4096u)

/* What the disk is and what blkback offered the frontend. */
struct blk_limits {
	uint64_t sectors;               /* of 512 bytes */
	/*
	 * The disk's logical sector in 512-byte units (8 for a 4096-byte device;
	 * 0 or 1: none). The protocol counts 512-byte sectors whatever the disk's,
	 * so a request must start and end on one of the disk's own sectors.
	 */
	uint32_t sector_align;
	bool readonly;
	bool discard;                   /* feature-discard offered */
};

/* One data segment: len bytes at offset of the granted page gref. */
struct blk_seg {
	uint32_t gref;
	uint16_t offset;
	uint16_t len;
};

struct blk_req {
	uint64_t id;                    /* echoed in the response */
	uint8_t rsp_op;                 /* the response's operation */
	uint8_t op;                     /* READ, WRITE, FLUSH_DISKCACHE or DISCARD */
	uint64_t sector;                /* first 512-byte sector */
	uint64_t nr_sectors;            /* READ/WRITE/FLUSH: of the data; DISCARD: to discard */
	unsigned int nr_segs;
	struct blk_seg seg[BLK_MAX_INDIRECT_SEGS];
	unsigned int nr_indirect;       /* > 0: segments are in these pages, see below */
	uint32_t indirect_gref[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	unsigned int nr_indirect_segs;  /* segments the indirect pages hold */
};

/*
 * Decodes one slot (already copied out of the shared ring). Returns
 * BLKIF_RSP_OKAY, or the status to answer with (BLKIF_RSP_ERROR for a
 * malformed request, BLKIF_RSP_EOPNOTSUPP for an operation not offered);
 * out->id and out->rsp_op are set in every case, so the request can
 * always be answered. When out->nr_indirect > 0 the caller copies those
 * pages from the guest and calls blk_decode_indirect before doing the I/O.
 */
int blk_decode(const union blkif_sring_entry *slot, const struct blk_limits *lim,
	       struct blk_req *out);
/*
 * Takes the segments of an indirect request from segs (out->nr_indirect_segs
 * entries copied from its indirect pages) and checks them and the sector
 * range. Returns BLKIF_RSP_OKAY or BLKIF_RSP_ERROR.
 */
int blk_decode_indirect(struct blk_req *r, const struct blkif_request_segment *segs,
			const struct blk_limits *lim);

#endif
