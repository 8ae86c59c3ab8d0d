/*
 * libFuzzer target: mica-blkback's request path against a hostile
 * frontend. The input plays the frontend: it sets the disk (size,
 * sector size, read-only, discard), then fills a one-page ring with request slots and
 * moves req_prod to any value, and supplies the contents of indirect
 * segment pages. blkback's consumer (pvdrivers/lib/ring.c) and decoder
 * (pvdrivers/blkback/request.c) must never read or write outside the ring
 * or the page buffers, and every request they accept must lie within the
 * disk and its pages, with as many bytes as sectors, on whole sectors of
 * the disk.
 *
 * Layout: 9 bytes of disk (u64 sectors, u8 flags), then steps: u8 op and
 * op-specific bytes (see the switch).
 */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include "pvback.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) unsigned char ring_page[4096];
static struct blkif_request_segment indirect[BLK_MAX_INDIRECT_PAGES * 512];
static struct blk_req req;

static void check_accepted(const struct blk_req *r, const struct blk_limits *lim)
{
	uint64_t bytes = 0;

	if (r->op == BLKIF_OP_FLUSH_DISKCACHE && !r->nr_sectors && !r->nr_segs)
		return; /* a flush alone names no sectors */
	if (r->sector > lim->sectors || r->nr_sectors > lim->sectors - r->sector)
		abort();
	if (lim->sector_align > 1 && (r->sector % lim->sector_align ||
				      r->nr_sectors % lim->sector_align))
		abort();
	if (r->op == BLKIF_OP_DISCARD) {
		if (!lim->discard || !r->nr_sectors || lim->readonly)
			abort();
		return;
	}
	if (r->op != BLKIF_OP_READ && r->op != BLKIF_OP_WRITE && r->op != BLKIF_OP_FLUSH_DISKCACHE)
		abort();
	if (r->nr_segs > BLK_MAX_INDIRECT_SEGS)
		abort();
	for (unsigned int i = 0; i < r->nr_segs; i++) {
		if (!r->seg[i].len || r->seg[i].offset + r->seg[i].len > 4096 ||
		    r->seg[i].len % 512 || r->seg[i].offset % 512)
			abort();
		bytes += r->seg[i].len;
	}
	if (bytes != r->nr_sectors * 512 || bytes > BLK_MAX_BYTES)
		abort();
	if (lim->readonly && r->op != BLKIF_OP_READ && bytes)
		abort();
}

static void serve(struct pvb_ring *r, const struct blk_limits *lim, const uint8_t **p,
		  const uint8_t *end)
{
	union blkif_sring_entry slot;

	/* Bounded like blkback's service(): a ring's worth per call. */
	for (unsigned int n = 0; n < 64; n++) {
		int waiting = pvb_ring_waiting(r), status;
		struct blkif_response rsp = { 0 };

		if (waiting <= 0)
			return;
		pvb_ring_take(r, &slot, sizeof(slot));
		status = blk_decode(&slot, lim, &req);
		if (status == BLKIF_RSP_OKAY && req.nr_indirect) {
			size_t want = req.nr_indirect_segs * sizeof(indirect[0]);
			size_t have = (size_t)(end - *p) < want ? (size_t)(end - *p) : want;

			memset(indirect, 0, want);
			memcpy(indirect, *p, have);
			*p += have;
			status = blk_decode_indirect(&req, indirect, lim);
		}
		if (status == BLKIF_RSP_OKAY)
			check_accepted(&req, lim);
		rsp.id = req.id;
		rsp.status = (int16_t)status;
		pvb_ring_put(r, &rsp, sizeof(rsp));
		pvb_ring_push(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct blkif_sring *s = (struct blkif_sring *)ring_page;
	struct blk_limits lim;
	struct pvb_ring r;
	uint64_t sectors;

	if (size < 9)
		return 0;
	memcpy(&sectors, p, 8);
	/* The sectors' lowest bit picks a disk of 4096-byte sectors. */
	lim = (struct blk_limits){ .sectors = sectors >> (p[8] & 0x3f), .readonly = p[8] & 0x40,
				   .discard = p[8] & 0x80, .sector_align = sectors & 1 ? 8 : 1 };
	p += 9;
	memset(ring_page, 0, sizeof(ring_page));
	if (pvb_ring_attach(&r, ring_page, sizeof(ring_page), sizeof(union blkif_sring_entry)))
		return 0;
	while (p < end) {
		uint8_t op = *p++;

		switch (op % 4) {
		case 0: { /* write one slot: u8 index, then up to 112 bytes */
			size_t n;

			if (p >= end)
				return 0;
			n = (size_t)(end - p - 1) < sizeof(s->ring[0]) ? (size_t)(end - p - 1) :
									  sizeof(s->ring[0]);
			memcpy(&s->ring[p[0] % 32], p + 1, n);
			p += 1 + n;
			break;
		}
		case 1: /* produce: req_prod += u8 */
			if (p >= end)
				return 0;
			s->req_prod += *p++;
			break;
		case 2: { /* set any index to any value: u8 which, u32 value */
			uint32_t v;

			if (end - p < 5)
				return 0;
			memcpy(&v, p + 1, 4);
			((volatile uint32_t *)ring_page)[p[0] % 4] = v;
			p += 5;
			break;
		}
		case 3: /* the backend looks at the ring */
			serve(&r, &lim, &p, end);
			break;
		}
	}
	serve(&r, &lim, &p, end);
	return 0;
}
