/* blkback's request decoder (pure; see request.h). */
#include <string.h>

#include "request.h"

#define SECTORS_PER_PAGE 8u

/* Adds one frontend segment; false if its sector range within the page is impossible. */
static bool add_seg(struct blk_req *r, const struct blkif_request_segment *s)
{
	unsigned int first = s->first_sect, last = s->last_sect;

	if (first > last || last >= SECTORS_PER_PAGE || r->nr_segs >= BLK_MAX_INDIRECT_SEGS)
		return false;
	r->seg[r->nr_segs++] = (struct blk_seg){
		.gref = s->gref,
		.offset = (uint16_t)(first * BLKIF_SECTOR_SIZE),
		.len = (uint16_t)((last - first + 1) * BLKIF_SECTOR_SIZE),
	};
	r->nr_sectors += last - first + 1;
	return true;
}

/* The data's sectors lie within the disk, and a write is allowed. */
static int check_range(const struct blk_req *r, const struct blk_limits *lim)
{
	/* A flush without data names no sectors (blkfront leaves sector_number at ~0). */
	if (!r->nr_sectors && r->op == BLKIF_OP_FLUSH_DISKCACHE)
		return BLKIF_RSP_OKAY;
	if (r->sector > lim->sectors || r->nr_sectors > lim->sectors - r->sector)
		return BLKIF_RSP_ERROR;
	if (lim->sector_align > 1 && (r->sector % lim->sector_align ||
				      r->nr_sectors % lim->sector_align))
		return BLKIF_RSP_ERROR;
	if (lim->readonly && r->op != BLKIF_OP_READ && (r->nr_sectors || r->op == BLKIF_OP_DISCARD))
		return BLKIF_RSP_ERROR;
	return BLKIF_RSP_OKAY;
}

static int decode_discard(const struct blkif_request_discard *d, const struct blk_limits *lim,
			  struct blk_req *out)
{
	out->id = d->id;
	if (!lim->discard || (d->flag & BLKIF_DISCARD_SECURE))
		return BLKIF_RSP_EOPNOTSUPP;
	out->sector = d->sector_number;
	out->nr_sectors = d->nr_sectors;
	if (!out->nr_sectors)
		return BLKIF_RSP_ERROR;
	return check_range(out, lim);
}

static int decode_indirect(const struct blkif_request_indirect *ind, struct blk_req *out)
{
	unsigned int pages;

	out->id = ind->id;
	out->rsp_op = ind->indirect_op;
	if (ind->indirect_op != BLKIF_OP_READ && ind->indirect_op != BLKIF_OP_WRITE)
		return BLKIF_RSP_ERROR;
	out->op = ind->indirect_op;
	out->sector = ind->sector_number;
	if (!ind->nr_segments || ind->nr_segments > BLK_MAX_INDIRECT_SEGS)
		return BLKIF_RSP_ERROR;
	pages = (ind->nr_segments + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) /
		BLKIF_SEGS_PER_INDIRECT_FRAME;
	out->nr_indirect = pages;
	out->nr_indirect_segs = ind->nr_segments;
	for (unsigned int i = 0; i < pages; i++)
		out->indirect_gref[i] = ind->indirect_grefs[i];
	return BLKIF_RSP_OKAY;
}

int blk_decode(const union blkif_sring_entry *slot, const struct blk_limits *lim,
	       struct blk_req *out)
{
	const struct blkif_request *rq = &slot->req;

	out->id = rq->id;
	out->rsp_op = out->op = rq->operation;
	out->sector = 0;
	out->nr_sectors = 0;
	out->nr_segs = 0;
	out->nr_indirect = 0;
	out->nr_indirect_segs = 0;
	switch (rq->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_FLUSH_DISKCACHE:
		break;
	case BLKIF_OP_DISCARD:
		return decode_discard((const struct blkif_request_discard *)slot, lim, out);
	case BLKIF_OP_INDIRECT:
		return decode_indirect((const struct blkif_request_indirect *)slot, out);
	case BLKIF_OP_WRITE_BARRIER:
		return BLKIF_RSP_EOPNOTSUPP; /* not offered: flush is */
	default:
		return BLKIF_RSP_ERROR;
	}
	/* A flush may carry data to write first; reads and writes must carry some. */
	if (rq->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ||
	    (!rq->nr_segments && rq->operation != BLKIF_OP_FLUSH_DISKCACHE))
		return BLKIF_RSP_ERROR;
	out->sector = rq->sector_number;
	for (unsigned int i = 0; i < rq->nr_segments; i++)
		if (!add_seg(out, &rq->seg[i]))
			return BLKIF_RSP_ERROR;
	return check_range(out, lim);
}

int blk_decode_indirect(struct blk_req *r, const struct blkif_request_segment *segs,
			const struct blk_limits *lim)
{
	if (!r->nr_indirect || r->nr_indirect_segs > BLK_MAX_INDIRECT_SEGS)
		return BLKIF_RSP_ERROR;
	r->nr_segs = 0;
	r->nr_sectors = 0;
	for (unsigned int i = 0; i < r->nr_indirect_segs; i++)
		if (!add_seg(r, &segs[i]))
			return BLKIF_RSP_ERROR;
	return check_range(r, lim);
}
