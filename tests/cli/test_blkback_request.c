/*
 * mica-blkback's request decoder (pvdrivers/blkback/request.c): good reads,
 * writes, flushes, discards and indirect requests, and each way a frontend
 * can get a field wrong.
 */
/* tool-sources: pvdrivers/blkback/request.c */
#include "check.h"

#include <errno.h>

#include "request.h"

static const struct blk_limits disk = { .sectors = 2048, .discard = true };
static const struct blk_limits rodisk = { .sectors = 2048, .readonly = true };
static union blkif_sring_entry slot;
static struct blk_req r;

static struct blkif_request *rw(uint8_t op, uint64_t sector, unsigned int nsegs)
{
	memset(&slot, 0, sizeof(slot));
	slot.req.operation = op;
	slot.req.id = 0x1234567890ull;
	slot.req.sector_number = sector;
	slot.req.nr_segments = (uint8_t)nsegs;
	for (unsigned int i = 0; i < nsegs && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		slot.req.seg[i] = (struct blkif_request_segment){ .gref = 100 + i, .first_sect = 0,
								   .last_sect = 7 };
	return &slot.req;
}

static void read_write(void)
{
	rw(BLKIF_OP_READ, 8, 2);
	slot.req.seg[1].first_sect = 2;
	slot.req.seg[1].last_sect = 3;
	REQUIRE_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.id, 0x1234567890ull);
	CHECK_EQ(r.rsp_op, BLKIF_OP_READ);
	CHECK_EQ(r.nr_segs, 2);
	CHECK_EQ(r.nr_sectors, 10);
	CHECK_EQ(r.seg[1].gref, 101);
	CHECK_EQ(r.seg[1].offset, 1024);
	CHECK_EQ(r.seg[1].len, 1024);
	CHECK_EQ(r.nr_indirect, 0);
	/* The last sectors of the disk, exactly. */
	rw(BLKIF_OP_WRITE, 2048 - 88, 11);
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.nr_sectors, 88);
}

static void bad_fields(void)
{
	rw(BLKIF_OP_WRITE, 2048 - 87, 11); /* one sector past the end */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	CHECK_EQ(r.id, 0x1234567890ull); /* still answerable */
	rw(BLKIF_OP_READ, ~0ull - 3, 1); /* wraps around */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	rw(BLKIF_OP_READ, 0, 12); /* more segments than a request holds */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	rw(BLKIF_OP_READ, 0, 0); /* a read of nothing */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	rw(BLKIF_OP_READ, 0, 1);
	slot.req.seg[0].last_sect = 8; /* past the page */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	rw(BLKIF_OP_READ, 0, 1);
	slot.req.seg[0].first_sect = 5;
	slot.req.seg[0].last_sect = 4; /* backwards */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	rw(99, 0, 1); /* no such operation */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	CHECK_EQ(r.rsp_op, 99);
	rw(BLKIF_OP_WRITE_BARRIER, 0, 1); /* not offered */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_EOPNOTSUPP);
}

static void read_only(void)
{
	rw(BLKIF_OP_WRITE, 0, 1);
	CHECK_EQ(blk_decode(&slot, &rodisk, &r), BLKIF_RSP_ERROR);
	rw(BLKIF_OP_READ, 0, 1);
	CHECK_EQ(blk_decode(&slot, &rodisk, &r), BLKIF_RSP_OKAY);
	rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0); /* a flush without data is harmless */
	CHECK_EQ(blk_decode(&slot, &rodisk, &r), BLKIF_RSP_OKAY);
	rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 1); /* with data it is a write */
	CHECK_EQ(blk_decode(&slot, &rodisk, &r), BLKIF_RSP_ERROR);
}

static void flush_and_discard(void)
{
	struct blkif_request_discard *d = (struct blkif_request_discard *)&slot;

	rw(BLKIF_OP_FLUSH_DISKCACHE, ~0ull, 0); /* what blkfront sends */
	REQUIRE_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.op, BLKIF_OP_FLUSH_DISKCACHE);
	CHECK_EQ(r.nr_sectors, 0);
	rw(BLKIF_OP_FLUSH_DISKCACHE, ~0ull, 1); /* with data, the sectors must be right */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	memset(&slot, 0, sizeof(slot));
	d->operation = BLKIF_OP_DISCARD;
	d->id = 7;
	d->sector_number = 1024;
	d->nr_sectors = 1024;
	REQUIRE_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.op, BLKIF_OP_DISCARD);
	CHECK_EQ(r.sector, 1024);
	CHECK_EQ(r.nr_sectors, 1024);
	d->nr_sectors = 1025;
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	d->nr_sectors = 0;
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	d->nr_sectors = 8;
	d->flag = BLKIF_DISCARD_SECURE;
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_EOPNOTSUPP);
	d->flag = 0;
	CHECK_EQ(blk_decode(&slot, &rodisk, &r), BLKIF_RSP_EOPNOTSUPP); /* not offered read-only */
}

static void indirect(void)
{
	struct blkif_request_indirect *ind = (struct blkif_request_indirect *)&slot;
	static struct blkif_request_segment segs[BLK_MAX_INDIRECT_SEGS];

	memset(&slot, 0, sizeof(slot));
	ind->operation = BLKIF_OP_INDIRECT;
	ind->indirect_op = BLKIF_OP_WRITE;
	ind->nr_segments = 32;
	ind->id = 9;
	ind->sector_number = 256;
	ind->indirect_grefs[0] = 77;
	REQUIRE_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.rsp_op, BLKIF_OP_WRITE);
	CHECK_EQ(r.nr_indirect, 1);
	CHECK_EQ(r.indirect_gref[0], 77);
	for (unsigned int i = 0; i < 32; i++)
		segs[i] = (struct blkif_request_segment){ .gref = i, .first_sect = 0, .last_sect = 7 };
	REQUIRE_EQ(blk_decode_indirect(&r, segs, &disk), BLKIF_RSP_OKAY);
	CHECK_EQ(r.nr_segs, 32);
	CHECK_EQ(r.nr_sectors, 256);
	segs[31].last_sect = 9;
	CHECK_EQ(blk_decode_indirect(&r, segs, &disk), BLKIF_RSP_ERROR);
	/* The most blkback offers, and one more. */
	ind->nr_segments = BLK_MAX_INDIRECT_SEGS;
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	ind->nr_segments = BLK_MAX_INDIRECT_SEGS + 1;
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	ind->nr_segments = 0;
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	ind->nr_segments = 8;
	ind->indirect_op = BLKIF_OP_DISCARD; /* only reads and writes go indirect */
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_ERROR);
	/* 256 segments of 8 sectors past the end of a 2048-sector disk. */
	ind->indirect_op = BLKIF_OP_READ;
	ind->nr_segments = BLK_MAX_INDIRECT_SEGS;
	ind->sector_number = 8;
	REQUIRE_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	for (unsigned int i = 0; i < BLK_MAX_INDIRECT_SEGS; i++)
		segs[i] = (struct blkif_request_segment){ .gref = i, .first_sect = 0, .last_sect = 7 };
	CHECK_EQ(blk_decode_indirect(&r, segs, &disk), BLKIF_RSP_ERROR);
}

/* A disk of 4096-byte sectors: requests start and end on its sectors, whatever their segments. */
static void big_sectors(void)
{
	static const struct blk_limits disk4k = { .sectors = 2048, .sector_align = 8,
						  .discard = true };
	struct blkif_request_discard *d = (struct blkif_request_discard *)&slot;

	rw(BLKIF_OP_WRITE, 16, 2);
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_OKAY);
	slot.req.seg[0].last_sect = 3; /* 4 + 8 sectors: ends inside a disk sector */
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_ERROR);
	slot.req.seg[1].first_sect = 4; /* 4 + 4: whole, but the segments need not be */
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_OKAY);
	rw(BLKIF_OP_READ, 12, 1); /* starts inside one */
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_ERROR);
	CHECK_EQ(blk_decode(&slot, &disk, &r), BLKIF_RSP_OKAY);
	rw(BLKIF_OP_FLUSH_DISKCACHE, ~0ull, 0);
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_OKAY);
	memset(&slot, 0, sizeof(slot));
	d->operation = BLKIF_OP_DISCARD;
	d->sector_number = 64;
	d->nr_sectors = 64;
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_OKAY);
	d->nr_sectors = 60;
	CHECK_EQ(blk_decode(&slot, &disk4k, &r), BLKIF_RSP_ERROR);
}

int main(void)
{
	RUN(read_write);
	RUN(bad_fields);
	RUN(read_only);
	RUN(flush_and_discard);
	RUN(indirect);
	RUN(big_sectors);
	return check_done();
}
