/*
 * mica-rngback's request check (pvdrivers/rngback/request.c) at every
 * boundary, and the rngif ring as the backend consumes it through
 * libpvback's ring consumer: the layout's slot count, and requests and
 * responses in the same slots.
 */
/* tool-sources: pvdrivers/rngback/request.c pvdrivers/lib/ring.c */
#include "check.h"

#include <errno.h>
#include <string.h>

#include <pv/io/rngif.h>

#include "rngback.h"

static struct rngif_request req(pv_u8 op, pv_u16 offset, pv_u16 len)
{
	return (struct rngif_request){ .id = 7, .gref = 8, .offset = offset, .len = len, .op = op };
}

static void checks_every_field(void)
{
	static const struct {
		pv_u16 offset, len;
		unsigned int max;
		int status;
	} cases[] = {
		{ 0, 1, 4096, RNGIF_RSP_OKAY },
		{ 0, 4096, 4096, RNGIF_RSP_OKAY },
		{ 4095, 1, 4096, RNGIF_RSP_OKAY },
		{ 100, 50, 4096, RNGIF_RSP_OKAY },
		{ 0, 0, 4096, RNGIF_RSP_EINVAL },           /* zero length */
		{ 0, 4097, 4096, RNGIF_RSP_EINVAL },        /* more than a page */
		{ 0, 65, 64, RNGIF_RSP_EINVAL },            /* more than offered */
		{ 4095, 2, 4096, RNGIF_RSP_EINVAL },        /* past the page */
		{ 4096, 1, 4096, RNGIF_RSP_EINVAL },
		{ 0xffff, 0xffff, 0xffff, RNGIF_RSP_EINVAL }, /* a wrap attempt */
	};
	struct rngif_request r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = req(RNGIF_OP_FILL, cases[i].offset, cases[i].len);
		CHECK_EQ(rngback_check(&r, cases[i].max), cases[i].status);
	}
	/* Unknown operations. */
	for (unsigned int op = 1; op < 256; op++) {
		r = req((pv_u8)op, 0, 16);
		CHECK_EQ(rngback_check(&r, 4096), RNGIF_RSP_EINVAL);
	}
}

static void ring_round_trip(void)
{
	static unsigned char page[4096] __attribute__((aligned(4096)));
	struct rngif_sring *s = (struct rngif_sring *)page;
	struct rngif_request in, out;
	struct rngif_response rsp = { .id = 7, .status = RNGIF_RSP_OKAY, .len = 16 };
	struct pvb_ring r;

	memset(page, 0, sizeof(page));
	s->req_event = s->rsp_event = 1;
	CHECK_EQ(pvb_ring_attach(&r, page, sizeof(page), sizeof(union rngif_sring_entry)), 0);
	CHECK_EQ(r.size, RNGIF_RING_SIZE);
	in = req(RNGIF_OP_FILL, 16, 16);
	s->ring[0].req = in;
	s->req_prod = 1;
	CHECK_EQ(pvb_ring_waiting(&r), 1);
	pvb_ring_take(&r, &out, sizeof(out));
	CHECK(!memcmp(&in, &out, sizeof(in)));
	pvb_ring_put(&r, &rsp, sizeof(rsp));
	CHECK(pvb_ring_push(&r)); /* rsp_event 1: the frontend wants this one */
	CHECK_EQ(s->rsp_prod, 1u);
	CHECK_EQ(s->ring[0].rsp.id, 7u);
	CHECK_EQ(s->ring[0].rsp.len, 16u);
	/* A frontend claiming a whole ring more than it may. */
	s->req_prod = 1 + RNGIF_RING_SIZE + 1;
	CHECK_EQ(pvb_ring_waiting(&r), -EPROTO);
}

int main(void)
{
	RUN(checks_every_field);
	RUN(ring_round_trip);
	return check_done();
}
