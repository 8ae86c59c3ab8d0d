/*
 * blkfront-test: a libpv guest that tests mica-blkback through the
 * reference frontend (blkfront.c). Its command line picks the part:
 *
 *   good     writes patterns through single and multi-sector requests,
 *            reads them back, flushes, and closes the device cleanly;
 *   hostile  sends what a broken or malicious frontend would (a grant ref
 *            it never made, a segment past its page, sectors past the end,
 *            an unknown operation, too many indirect segments, a barrier,
 *            a read into a page granted read-only), checks each is refused
 *            with the right status, then lies about its ring index and
 *            checks that blkback closes the device instead of hanging.
 *
 * Each check prints one line "blkfront-test: WHAT: ANSWER" on the console
 * (the hypervisor's log, as "(dN) ..."), and "blkfront-test: done" last.
 */
#include <stdio.h>
#include <string.h>

#include <pv/io/xenbus.h>

#include "blkfront.h"
#include "frontdev.h"

static uint8_t data[2][4096] __attribute__((aligned(4096)));
static struct blkfront bf;
static int failures;

static const char *answer(int status)
{
	switch (status) {
	case BLKIF_RSP_OKAY: return "ok";
	case BLKIF_RSP_ERROR: return "error";
	case BLKIF_RSP_EOPNOTSUPP: return "not supported";
	case -100: return "no answer";
	default: return "strange status";
	}
}

static void expect(const char *what, int status, int want)
{
	printf("blkfront-test: %s: %s\n", what, answer(status));
	if (status != want) {
		printf("blkfront-test: %s: expected %s\n", what, answer(want));
		failures++;
	}
}

static union blkif_sring_entry one_segment(uint8_t op, uint64_t sector, grant_ref_t ref,
					   uint8_t first, uint8_t last)
{
	union blkif_sring_entry r = { 0 };

	r.req.operation = op;
	r.req.nr_segments = 1;
	r.req.sector_number = sector;
	r.req.seg[0] = (struct blkif_request_segment){ .gref = ref, .first_sect = first,
						       .last_sect = last };
	return r;
}

static void good(void)
{
	union blkif_sring_entry r;

	for (int i = 0; i < 4096; i++) {
		data[0][i] = (uint8_t)(i * 7 + 1);
		data[1][i] = 0;
	}
	expect("write 8 sectors", blkfront_rw(&bf, true, 16, data[0], 8), BLKIF_RSP_OKAY);
	expect("read them back", blkfront_rw(&bf, false, 16, data[1], 8), BLKIF_RSP_OKAY);
	if (memcmp(data[0], data[1], 4096)) {
		printf("blkfront-test: the data read back differs\n");
		failures++;
	}
	expect("write the last sector", blkfront_rw(&bf, true, bf.sectors - 1, data[0], 1),
	       BLKIF_RSP_OKAY);
	memset(&r, 0, sizeof(r));
	r.req.operation = BLKIF_OP_FLUSH_DISKCACHE;
	r.req.sector_number = ~0ull;
	expect("flush", blkfront_submit(&bf, &r), BLKIF_RSP_OKAY);
	blkfront_close(&bf);
	if (!failures)
		printf("blkfront-test: good: all checks passed\n");
}

static void hostile(void)
{
	long ro = pv_gnttab_grant(0, pv_virt_to_mfn(data[0]), true);
	long rw = pv_gnttab_grant(0, pv_virt_to_mfn(data[1]), false);
	union blkif_sring_entry r;
	struct blkif_request_indirect *ind = (struct blkif_request_indirect *)&r;

	r = one_segment(BLKIF_OP_READ, 0, 4000, 0, 7);
	expect("bad grant ref", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(BLKIF_OP_READ, 0, (grant_ref_t)rw, 0, 8);
	expect("segment past the page", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(BLKIF_OP_READ, 0, (grant_ref_t)rw, 6, 2);
	expect("segment backwards", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(BLKIF_OP_WRITE, bf.sectors, (grant_ref_t)ro, 0, 0);
	expect("sector past the end", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(BLKIF_OP_READ, ~0ull - 2, (grant_ref_t)rw, 0, 7);
	expect("sector wrapping around", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(77, 0, (grant_ref_t)rw, 0, 7);
	expect("bad operation", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(BLKIF_OP_WRITE_BARRIER, 0, (grant_ref_t)ro, 0, 7);
	expect("barrier", blkfront_submit(&bf, &r), BLKIF_RSP_EOPNOTSUPP);
	r = one_segment(BLKIF_OP_READ, 0, (grant_ref_t)rw, 0, 7);
	r.req.nr_segments = 40;
	expect("too many segments", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	memset(&r, 0, sizeof(r));
	ind->operation = BLKIF_OP_INDIRECT;
	ind->indirect_op = BLKIF_OP_READ;
	ind->nr_segments = 4000;
	ind->indirect_grefs[0] = (grant_ref_t)rw;
	expect("too many indirect segments", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	ind->nr_segments = 2;
	ind->indirect_grefs[0] = 4001;
	expect("indirect page not granted", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	r = one_segment(BLKIF_OP_READ, 0, (grant_ref_t)ro, 0, 7);
	expect("read into a read-only grant", blkfront_submit(&bf, &r), BLKIF_RSP_ERROR);
	/* Still serving after all that. */
	r = one_segment(BLKIF_OP_READ, 0, (grant_ref_t)rw, 0, 7);
	expect("a good read after them", blkfront_submit(&bf, &r), BLKIF_RSP_OKAY);
	/* The lie: a producer index far beyond anything the ring can hold. */
	bf.ring->req_prod = bf.req_prod + 1000;
	pv_evtchn_send(bf.port);
	for (int i = 0; i < 500 && blkfront_backend_state(&bf) == XenbusStateConnected; i++)
		front_sleep_ms(10);
	if (blkfront_backend_state(&bf) == XenbusStateClosing ||
	    blkfront_backend_state(&bf) == XenbusStateClosed) {
		printf("blkfront-test: lying ring index: device closed\n");
	} else {
		printf("blkfront-test: lying ring index: backend state %d\n",
		       blkfront_backend_state(&bf));
		failures++;
	}
	blkfront_close(&bf);
	pv_gnttab_end((grant_ref_t)ro);
	pv_gnttab_end((grant_ref_t)rw);
	if (!failures)
		printf("blkfront-test: hostile: all checks passed\n");
}

int main(void)
{
	const char *cmd = (const char *)pv_start_info->cmd_line;

	pv_irq_enable();
	if (blkfront_connect(&bf, 51712)) {
		printf("blkfront-test: done (no device)\n");
		return 1;
	}
	printf("blkfront-test: connected, %llu sectors, info %u\n",
	       (unsigned long long)bf.sectors, bf.info);
	if (strstr(cmd, "hostile"))
		hostile();
	else
		good();
	printf("blkfront-test: done, %d failure%s\n", failures, failures == 1 ? "" : "s");
	return 0;
}
