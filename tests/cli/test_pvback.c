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

/* The backend's state after a step, as daemon.c applies it (a connect that works). */
static enum xenbus_state after(enum pvb_step s, enum xenbus_state be)
{
	switch (s) {
	case PVB_CONNECT: return C;
	case PVB_CLOSING: return G;
	case PVB_CLOSED: return X;
	case PVB_REINIT: return W;
	default: return be;
	}
}

/* Steps until the machine rests, as daemon.c does; CHECK fails on a chain past 2 steps. */
static enum xenbus_state settle(enum xenbus_state be, enum xenbus_state fe, bool online)
{
	int n = 0;

	for (enum pvb_step s; (s = pvb_next_step(be, fe, online)) != PVB_STAY; n++) {
		CHECK_MSG(n < 2, "be %d fe %d online %d: step %d is %d", be, fe, online, n, (int)s);
		if (n >= 2)
			break;
		be = after(s, be);
	}
	return be;
}

/*
 * From every pair, stepping rests where the frontend's state says: it does
 * not matter which of the frontend's writes the backend saw before.
 */
static void every_pair_converges(void)
{
	static const enum xenbus_state backend[] = { W, C, G, X };

	for (unsigned int i = 0; i < 4; i++) {
		enum xenbus_state be = backend[i];

		CHECK_MSG(settle(be, I, true) == W, "be %d fe Initialising rests at %d", be,
			  settle(be, I, true));
		CHECK_MSG(settle(be, X, true) == X, "be %d fe Closed: %d", be, settle(be, X, true));
		CHECK_MSG(settle(be, G, true) == G || settle(be, G, true) == X,
			  "be %d fe Closing: %d", be, settle(be, G, true));
		CHECK_MSG(settle(be, U, true) != C, "be %d fe gone: still Connected", be);
		for (int fe = 0; fe <= 8; fe++) {
			enum xenbus_state off = settle(be, fe, false);

			CHECK_MSG(off == G || off == X, "be %d fe %d offline rests at %d", be, fe, off);
		}
	}
}

/*
 * The hostile frontend's reconnect (issue 6): the backend shut the device
 * (Closing) while the frontend was Connected, or the frontend closes a
 * connected device; the frontend writes Closing,
 * Closed, Initialising. A watch may fire once for several writes, so the
 * backend sees any subsequence of them that ends with the last; in every
 * case it must offer the device again (InitWait), and connect when the
 * frontend then says Initialised.
 */
static void reconnect_whatever_was_seen(void)
{
	static const enum xenbus_state writes[] = { G, X, I };

	static const enum xenbus_state start[] = { G, C };

	/* G: the backend shut the device; C: the frontend closes on its own. */
	for (unsigned int i = 0; i < 2; i++) {
		for (unsigned int seen = 0; seen < 4; seen++) {
			enum xenbus_state be = start[i];

			for (unsigned int k = 0; k < 2; k++)
				if (seen & (1u << k))
					be = settle(be, writes[k], true);
			be = settle(be, writes[2], true);
			CHECK_MSG(be == W, "from %s, saw %x of Closing, Closed: rests at %s, not InitWait",
				  pvb_state_name(start[i]), seen, pvb_state_name(be));
			CHECK_EQ(settle(be, D, true), C);
		}
	}
	/* A frontend that restarts without closing (kexec, a crashed driver). */
	CHECK_EQ(settle(C, I, true), W);
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
	RUN(every_pair_converges);
	RUN(reconnect_whatever_was_seen);
	RUN(parse_states);
	RUN(honest_frontend);
	RUN(indices_wrap);
	RUN(lying_frontend);
	return check_done();
}
