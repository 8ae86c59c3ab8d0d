/*
 * libpvback's pure logic (pvdrivers/lib/state.c, ring.c): the backend's
 * xenbus state machine for every pair of states, and the ring consumer
 * against an honest frontend, across index wrap, and against frontends
 * whose indices lie.
 */
/* tool-sources: pvdrivers/lib/state.c pvdrivers/lib/ring.c */
#include "check.h"

#include <errno.h>
#include <stdlib.h>

#include <pv/io/blkif.h>

#include "pvback.h"

#define I XenbusStateInitialising
#define W XenbusStateInitWait
#define D XenbusStateInitialised
#define C XenbusStateConnected
#define G XenbusStateClosing
#define X XenbusStateClosed
#define U XenbusStateUnknown

static void connect_sequence(void)
{
	/* Backend waits; frontend publishes rings; backend connects and stays. */
	CHECK_EQ(pvb_next_step(W, I, true), PVB_STAY);
	CHECK_EQ(pvb_next_step(W, U, true), PVB_STAY); /* frontend not written yet */
	CHECK_EQ(pvb_next_step(W, D, true), PVB_CONNECT);
	CHECK_EQ(pvb_next_step(W, C, true), PVB_CONNECT); /* backend restarted under a live frontend */
	CHECK_EQ(pvb_next_step(C, D, true), PVB_STAY);
	CHECK_EQ(pvb_next_step(C, C, true), PVB_STAY);
}

static void frontend_closes(void)
{
	CHECK_EQ(pvb_next_step(C, G, true), PVB_CLOSING);
	CHECK_EQ(pvb_next_step(G, G, true), PVB_STAY);
	CHECK_EQ(pvb_next_step(G, X, true), PVB_CLOSED);
	CHECK_EQ(pvb_next_step(X, X, true), PVB_STAY);
	/* The frontend starts over (a guest kernel that reloads its driver). */
	CHECK_EQ(pvb_next_step(X, I, true), PVB_REINIT);
	CHECK_EQ(pvb_next_step(W, I, true), PVB_STAY);
	/* The guest died: its directory went away. */
	CHECK_EQ(pvb_next_step(C, U, true), PVB_CLOSED);
	CHECK_EQ(pvb_next_step(G, U, true), PVB_CLOSED);
	CHECK_EQ(pvb_next_step(W, X, true), PVB_CLOSED);
}

static void toolstack_removes(void)
{
	/* online = 0: close with a connected frontend, then follow it down. */
	CHECK_EQ(pvb_next_step(C, C, false), PVB_CLOSING);
	CHECK_EQ(pvb_next_step(G, C, false), PVB_STAY);
	CHECK_EQ(pvb_next_step(G, G, false), PVB_STAY);
	CHECK_EQ(pvb_next_step(G, X, false), PVB_CLOSED);
	CHECK_EQ(pvb_next_step(X, X, false), PVB_STAY);
	/* A frontend that never connected: closed at once. */
	CHECK_EQ(pvb_next_step(W, I, false), PVB_CLOSED);
	CHECK_EQ(pvb_next_step(W, U, false), PVB_CLOSED);
	/* Never connects again once removal started. */
	CHECK_EQ(pvb_next_step(X, I, false), PVB_STAY);
	CHECK_EQ(pvb_next_step(W, D, false), PVB_CLOSED);
}

static void every_pair_is_defined(void)
{
	/* No combination asks to connect from anything but InitWait, or crashes. */
	for (int be = 0; be <= 8; be++)
		for (int fe = 0; fe <= 8; fe++)
			for (int on = 0; on <= 1; on++) {
				enum pvb_step s = pvb_next_step(be, fe, on);

				CHECK_MSG(s >= PVB_STAY && s <= PVB_REINIT, "be %d fe %d: %d", be, fe,
					  (int)s);
				if (s == PVB_CONNECT)
					CHECK_MSG(be == W && on, "connect from be %d online %d", be, on);
			}
}

static void parse_states(void)
{
	CHECK_EQ(pvb_parse_state("4"), C);
	CHECK_EQ(pvb_parse_state("0"), U);
	CHECK_EQ(pvb_parse_state("9"), U);
	CHECK_EQ(pvb_parse_state("44"), U);
	CHECK_EQ(pvb_parse_state(""), U);
	CHECK_EQ(pvb_parse_state("-1"), U);
	CHECK_EQ(pvb_parse_state(NULL), U);
	CHECK(!strcmp(pvb_state_name(G), "Closing"));
	CHECK(!strcmp(pvb_state_name((enum xenbus_state)42), "Unknown"));
}

static _Alignas(4096) unsigned char page[4 * 4096];

static struct blkif_sring *sring(void)
{
	return (struct blkif_sring *)page;
}

/* The frontend side: puts a request with id at req_prod and publishes it. */
static void produce(uint32_t n, uint32_t size)
{
	for (uint32_t k = 0; k < n; k++) {
		struct blkif_request *rq = &sring()->ring[sring()->req_prod & (size - 1)].req;

		rq->id = sring()->req_prod;
		rq->operation = BLKIF_OP_READ;
		sring()->req_prod++;
	}
}

static void honest_frontend(void)
{
	struct blkif_request rq;
	struct blkif_response rsp = { 0 };
	struct pvb_ring r;

	memset(page, 0, sizeof(page));
	sring()->req_event = sring()->rsp_event = 1;
	REQUIRE_EQ(pvb_ring_attach(&r, page, 4096, sizeof(union blkif_sring_entry)), 0);
	CHECK_EQ(r.size, 32);
	CHECK_EQ(pvb_ring_waiting(&r), 0);
	produce(3, 32);
	CHECK_EQ(pvb_ring_waiting(&r), 3);
	for (int k = 0; k < 3; k++) {
		pvb_ring_take(&r, &rq, sizeof(rq));
		CHECK_EQ(rq.id, (uint64_t)k);
		rsp.id = rq.id;
		pvb_ring_put(&r, &rsp, sizeof(rsp));
	}
	CHECK_EQ(pvb_ring_waiting(&r), 0);
	/* rsp_event 1: the first push crosses it and notifies; the next does not. */
	CHECK(pvb_ring_push(&r));
	CHECK_EQ(sring()->rsp_prod, 3);
	CHECK_EQ(sring()->ring[2].rsp.id, 2);
	CHECK(!pvb_ring_push(&r));
	CHECK(!pvb_ring_final_check(&r));
	CHECK_EQ(sring()->req_event, 4);
	/* A full ring is fine; the multi-page ring has 128 slots. */
	memset(page, 0, sizeof(page));
	REQUIRE_EQ(pvb_ring_attach(&r, page, 4 * 4096, sizeof(union blkif_sring_entry)), 0);
	CHECK_EQ(r.size, 128);
	produce(128, 128);
	CHECK_EQ(pvb_ring_waiting(&r), 128);
}

static void indices_wrap(void)
{
	struct blkif_request rq;
	struct blkif_response rsp = { 0 };
	struct pvb_ring r;

	memset(page, 0, sizeof(page));
	sring()->req_prod = sring()->rsp_prod = 0xfffffff0u;
	REQUIRE_EQ(pvb_ring_attach(&r, page, 4096, sizeof(union blkif_sring_entry)), 0);
	for (int round = 0; round < 3; round++) {
		produce(20, 32);
		CHECK_EQ(pvb_ring_waiting(&r), 20);
		for (int k = 0; k < 20; k++) {
			pvb_ring_take(&r, &rq, sizeof(rq));
			CHECK_EQ((uint32_t)rq.id, r.req_cons - 1);
			pvb_ring_put(&r, &rsp, sizeof(rsp));
		}
		pvb_ring_push(&r);
	}
	CHECK_EQ(sring()->rsp_prod, 0xfffffff0u + 60);
}

static void lying_frontend(void)
{
	struct blkif_request rq;
	struct pvb_ring r;

	/* Already impossible when the backend attaches. */
	memset(page, 0, sizeof(page));
	sring()->req_prod = 33;
	CHECK_EQ(pvb_ring_attach(&r, page, 4096, sizeof(union blkif_sring_entry)), -EPROTO);
	/* More requests than slots. */
	memset(page, 0, sizeof(page));
	REQUIRE_EQ(pvb_ring_attach(&r, page, 4096, sizeof(union blkif_sring_entry)), 0);
	sring()->req_prod = 33;
	CHECK_EQ(pvb_ring_waiting(&r), -EPROTO);
	/* req_prod moved backwards past what was consumed. */
	sring()->req_prod = 5;
	CHECK_EQ(pvb_ring_waiting(&r), 5);
	for (int k = 0; k < 5; k++)
		pvb_ring_take(&r, &rq, sizeof(rq));
	sring()->req_prod = 2;
	CHECK_EQ(pvb_ring_waiting(&r), -EPROTO);
	/* Overwriting slots whose responses are still owed (5 unanswered + 28 > 32). */
	sring()->req_prod = 5 + 28;
	CHECK_EQ(pvb_ring_waiting(&r), -EPROTO);
	sring()->req_prod = 5 + 27;
	CHECK_EQ(pvb_ring_waiting(&r), 27);
	/* An absurd index: wraps to a huge count. */
	sring()->req_prod = 0x80000000u;
	CHECK_EQ(pvb_ring_waiting(&r), -EPROTO);
	CHECK(pvb_ring_final_check(&r)); /* "something there": the caller then sees -EPROTO */
	/* rsp_event far ahead: no notification, no harm. */
	sring()->rsp_event = 0x7fffffff;
	CHECK(!pvb_ring_push(&r));
	/* Rings too small for one slot. */
	CHECK_EQ(pvb_ring_attach(&r, page, 64, 112), -EINVAL);
	CHECK_EQ(pvb_ring_attach(&r, page, 4096, 0), -EINVAL);
}

int main(void)
{
	RUN(connect_sequence);
	RUN(frontend_closes);
	RUN(toolstack_removes);
	RUN(every_pair_is_defined);
	RUN(parse_states);
	RUN(honest_frontend);
	RUN(indices_wrap);
	RUN(lying_frontend);
	return check_done();
}
