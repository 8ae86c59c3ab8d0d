/*
 * rngtest: a libpv guest that uses its PV entropy device (rngfront) and
 * checks every answer of mica-rngback, honest requests and hostile ones;
 * the worked example's test (tests/pvdrivers/rng.py boots it under dom0).
 *
 * One line per check, "PASS name" or "FAIL name: why", then
 * "rngtest: done, N failed". Exit status 0 when nothing failed (the
 * domain powers off), 1 otherwise (it crashes).
 */
#include <stdio.h>
#include <string.h>

#include <pv/errno.h>
#include <pv/io/xenbus.h>

#include "rngfront.h"

static unsigned int failed;
static pv_u8 page[4096] __attribute__((aligned(4096)));
static pv_u8 first[64];

/* One check: PASS, or FAIL with the printf-style reason. */
#define check(name, ok, ...)                              \
	do {                                              \
		if (ok) {                                 \
			printf("PASS %s\n", name);        \
		} else {                                  \
			printf("FAIL %s: ", name);         \
			printf(__VA_ARGS__);              \
			printf("\n");                     \
			failed++;                         \
		}                                         \
	} while (0)

static bool all_equal(const pv_u8 *p, size_t n, pv_u8 v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Honest requests: the bytes arrive where asked, nowhere else, and differ. */
static void honest(struct rngfront *f, grant_ref_t gref)
{
	struct rngif_response rsp;
	long rc;

	check("max_request_bytes", f->max_request == RNGIF_MAX_REQUEST_BYTES,
	      "backend offers %u, expected %u", f->max_request,
	      RNGIF_MAX_REQUEST_BYTES);
	memset(page, 0, sizeof(page));
	rc = rngfront_fill(f, gref, 0, 64, &rsp);
	check("fill_64", rc == RNGIF_RSP_OKAY && rsp.len == 64, "status %ld len %u", rc, rsp.len);
	check("fill_64_not_zero", !all_equal(page, 64, 0), "64 zero bytes");
	memcpy(first, page, sizeof(first));
	memset(page, 0, 64);
	rc = rngfront_fill(f, gref, 0, 64, &rsp);
	check("second_fill_differs", rc == RNGIF_RSP_OKAY && memcmp(first, page, 64),
	      "status %ld, same bytes: %d", rc, !memcmp(first, page, 64));

	/* Only [100, 150) may change. */
	memset(page, 0xaa, sizeof(page));
	rc = rngfront_fill(f, gref, 100, 50, &rsp);
	check("fill_in_the_middle", rc == RNGIF_RSP_OKAY && !all_equal(page + 100, 50, 0xaa),
	      "status %ld, untouched %d", rc, all_equal(page + 100, 50, 0xaa));
	check("nothing_else_written", all_equal(page, 100, 0xaa) &&
	      all_equal(page + 150, sizeof(page) - 150, 0xaa), "bytes outside [100, 150) changed");

	memset(page, 0, sizeof(page));
	rc = rngfront_fill(f, gref, 0, 4096, &rsp);
	check("fill_whole_page", rc == RNGIF_RSP_OKAY && rsp.len == 4096 &&
	      !all_equal(page + 4032, 64, 0), "status %ld len %u", rc, rsp.len);
}

/* Many requests at once: more than the backend serves per turn (RNGBACK_BATCH). */
static void batch(struct rngfront *f, grant_ref_t gref)
{
	enum { N = 100 };
	struct rngif_response rsp;
	unsigned int ok = 0, in_order = 0;
	long rc = 0;

	for (unsigned int i = 0; i < N; i++) {
		struct rngif_request req = { .id = 1000 + i, .gref = gref,
					     .offset = (pv_u16)(i * 40), .len = 40 };

		rngfront_push(f, &req);
	}
	rngfront_kick(f);
	for (unsigned int i = 0; i < N && !rc; i++) {
		rc = rngfront_pop(f, &rsp, 10000);
		ok += !rc && rsp.status == RNGIF_RSP_OKAY && rsp.len == 40;
		in_order += !rc && rsp.id == 1000 + i;
	}
	check("batch_of_100", ok == N && in_order == N, "%u answered OKAY, %u in order", ok, in_order);
}

/* Bad requests get error responses, and the device keeps working. */
static void bad_requests(struct rngfront *f, grant_ref_t gref, grant_ref_t ro_gref)
{
	struct rngif_request req = { .id = 77, .gref = gref, .offset = 0, .len = 8, .op = 9 };
	struct rngif_response rsp;
	long rc;

	rc = rngfront_fill(f, gref, 4000, 200, &rsp);
	check("past_the_page_einval", rc == RNGIF_RSP_EINVAL && rsp.len == 0,
	      "status %ld len %u", rc, rsp.len);
	rc = rngfront_fill(f, gref, 0, 0, &rsp);
	check("zero_length_einval", rc == RNGIF_RSP_EINVAL, "status %ld", rc);
	rc = rngfront_fill(f, gref, 4095, 1, &rsp);
	check("last_byte_okay", rc == RNGIF_RSP_OKAY, "status %ld", rc);
	rngfront_push(f, &req);
	rngfront_kick(f);
	rc = rngfront_pop(f, &rsp, 10000);
	check("bad_op_einval", !rc && rsp.id == 77 && rsp.status == RNGIF_RSP_EINVAL,
	      "pop %ld status %d", rc, rsp.status);
	rc = rngfront_fill(f, 400, 0, 16, &rsp);
	check("ungranted_ref_egrant", rc == RNGIF_RSP_EGRANT, "status %ld", rc);
	rc = rngfront_fill(f, 0xfffffff0u, 0, 16, &rsp);
	check("ref_past_the_table_egrant", rc == RNGIF_RSP_EGRANT, "status %ld", rc);
	rc = rngfront_fill(f, ro_gref, 0, 16, &rsp);
	check("read_only_grant_egrant", rc == RNGIF_RSP_EGRANT, "status %ld", rc);
	rc = rngfront_fill(f, gref, 0, 32, &rsp);
	check("works_after_bad_requests", rc == RNGIF_RSP_OKAY, "status %ld", rc);
}

/*
 * A lying frontend: req_prod claims more requests than the ring holds.
 * The backend must close the device (not crash or spin), say why, and
 * serve the same guest again once it reconnects.
 */
static void lying_indices(struct rngfront *f, grant_ref_t gref)
{
	struct rngif_response rsp;
	char path[160];
	long rc, state;

	f->sring->req_prod = f->rsp_cons + RNGIF_RING_SIZE + 5;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pv_evtchn_send(f->port);
	state = rngfront_wait_backend(f, XenbusStateClosing, XenbusStateClosed, 30000);
	check("lying_req_prod_closes_device", state == XenbusStateClosing ||
	      state == XenbusStateClosed, "backend state %ld", state);
	snprintf(path, sizeof(path), "%s/error", f->backend);
	rc = pv_xenbus_read(path, f->error, sizeof(f->error));
	printf("backend error node: %s\n", rc < 0 ? "(none)" : f->error);
	check("error_node_says_why", rc > 0 && strstr(f->error, "req_prod"), "read %ld: %s", rc, rc > 0 ? f->error : "");
	rc = rngfront_disconnect(f);
	check("ring_unmapped_after_close", rc == 0, "disconnect %ld", rc);

	rc = rngfront_connect(f, 0, 1000);
	check("reconnects", rc == 0, "connect %ld", rc);
	if (rc)
		return;
	memset(page, 0, 64);
	rc = rngfront_fill(f, gref, 0, 64, &rsp);
	check("served_after_reconnect", rc == RNGIF_RSP_OKAY && !all_equal(page, 64, 0),
	      "status %ld", rc);
}

int main(void)
{
	static pv_u8 ro_page[4096] __attribute__((aligned(4096)));
	struct rngfront f;
	long rc, gref, ro_gref;

	rc = pv_gnttab_init(1);
	if (!rc)
		rc = pv_xenbus_init();
	if (rc) {
		printf("FAIL setup: grant table or xenbus: %ld\nrngtest: done, 1 failed\n", rc);
		return 1;
	}
	printf("rngtest: waiting for device/rng/0\n");
	rc = rngfront_connect(&f, 0, 120000);
	check("connect", rc == 0, "rngfront_connect: %ld", rc);
	if (rc) {
		printf("backend error: %s\nrngtest: done, %u failed\n", f.error, failed);
		return 1;
	}
	printf("rngtest: connected to %s, ring-ref %u, port %u\n", f.backend, f.ring_ref, f.port);
	gref = pv_gnttab_grant(f.backend_id, pv_virt_to_mfn(page), false);
	ro_gref = pv_gnttab_grant(f.backend_id, pv_virt_to_mfn(ro_page), true);
	check("grants", gref > 0 && ro_gref > 0, "grant %ld, read-only grant %ld", gref, ro_gref);

	honest(&f, (grant_ref_t)gref);
	batch(&f, (grant_ref_t)gref);
	bad_requests(&f, (grant_ref_t)gref, (grant_ref_t)ro_gref);
	check("read_only_page_untouched", all_equal(ro_page, sizeof(ro_page), 0),
	      "the backend wrote a read-only grant");
	lying_indices(&f, (grant_ref_t)gref);

	rc = f.connected ? rngfront_disconnect(&f) : 0;
	check("clean_disconnect", rc == 0, "disconnect %ld", rc);
	rc = pv_gnttab_end((grant_ref_t)gref);
	check("data_grant_released", rc == 0, "gnttab_end %ld", rc);
	pv_gnttab_end((grant_ref_t)ro_gref);
	printf("rngtest: done, %u failed\n", failed);
	return failed ? 1 : 0;
}
