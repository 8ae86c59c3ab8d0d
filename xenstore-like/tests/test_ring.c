/* mica-store: the ring transport on an in-memory ring: arithmetic, wrap-around, partial messages, hostile guests, reconnection. */
#include "harness.h"

#include "ring.h"
#include "ring_mem.h"

static struct ring_backend be;
static struct xenstore_domain_interface pages[4];

/* ---- the guest's side ---- */

/* Writes up to len request bytes that fit; returns how many. */
static size_t g_put(struct xenstore_domain_interface *in, const void *p, size_t len)
{
	uint32_t prod = in->req_prod, cons = in->req_cons;
	size_t n = 0;

	while (n < len && prod - cons < XENSTORE_RING_SIZE) {
		in->req[XENSTORE_RING_IDX(prod)] = ((const char *)p)[n++];
		prod++;
	}
	__atomic_store_n(&in->req_prod, prod, __ATOMIC_RELEASE);
	return n;
}

/* Reads up to max reply bytes; returns how many. */
static size_t g_get(struct xenstore_domain_interface *in, void *p, size_t max)
{
	uint32_t cons = in->rsp_cons, prod = in->rsp_prod;
	size_t n = 0;

	while (n < max && cons != prod) {
		((char *)p)[n++] = in->rsp[XENSTORE_RING_IDX(cons)];
		cons++;
	}
	in->rsp_cons = cons;
	return n;
}

static size_t g_msg(char *buf, uint32_t type, uint32_t req_id, const void *payload, size_t len)
{
	struct xsd_sockmsg h = { type, req_id, 0, (uint32_t)len };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

/* The guest sends a whole message, raising events while it waits for room. */
static void g_send(unsigned domid, uint32_t type, uint32_t req_id, const void *payload,
		   size_t len)
{
	static char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xenstore_domain_interface *in = &pages[domid];
	size_t total = g_msg(buf, type, req_id, payload, len), off = 0;
	int spins = 0;

	while (off < total) {
		off += g_put(in, buf + off, total - off);
		ring_port_event(&be, (unsigned)ring_mem_port(&be, domid));
		REQUIRE(++spins < 100);
	}
}

/* Reads one whole message from the guest's rsp ring (false if none is complete). */
static bool g_take(unsigned domid, struct hmsg *m, bool kick)
{
	struct xenstore_domain_interface *in = &pages[domid];
	uint32_t avail = in->rsp_prod - in->rsp_cons;
	struct xsd_sockmsg h;
	char *p = (char *)&h;

	if (avail < sizeof(h))
		return false;
	for (size_t i = 0; i < sizeof(h); i++)
		p[i] = in->rsp[XENSTORE_RING_IDX(in->rsp_cons + i)];
	if (avail < sizeof(h) + h.len)
		return false;
	g_get(in, m, sizeof(h) + h.len);
	m->body[m->h.len] = '\0';
	/* Consuming makes room: tell the store. */
	if (kick)
		ring_port_event(&be, (unsigned)ring_mem_port(&be, domid));
	return true;
}

static bool g_recv(unsigned domid, struct hmsg *m)
{
	return g_take(domid, m, true);
}

static void setup(const struct quota *q)
{
	h_init_quota(q);
	memset(pages, 0, sizeof(pages));
	REQUIRE(ring_mem_init(&be, &h_st) == 0);
	for (unsigned i = 1; i < 4; i++)
		ring_mem_set_page(&be, i, &pages[i]);
	h_st.hooks.introduce = ring_introduce;
	h_st.hooks.ctx = &be;
}

static void teardown(void)
{
	ring_backend_fini(&be);
	h_fini();
}

static struct hclient *dom0_with_guest(unsigned domid)
{
	struct hclient *d0 = h_client(0);
	char home[32], perm[16];

	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	snprintf(perm, sizeof(perm), "n%u", domid);
	REQUIRE(h_call(d0, XS_MKDIR, 0, home, NULL) == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, home, perm, NULL) == 0);
	REQUIRE(h_introduce(d0, domid) == 0);
	return d0;
}

/* ---- cases ---- */

static void arithmetic_and_wrap(void)
{
	struct xenstore_domain_interface in;
	struct ring r = { .intf = &in };
	char out[2048], big[2048];
	int err = 0;

	memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)i;
	/* Indexes near the top of the 32-bit range: they wrap through 0. */
	in.req_prod = in.req_cons = 0xfffffff0u;
	in.rsp_prod = in.rsp_cons = 0xfffffff0u;
	r.req_cons = r.rsp_prod = 0xfffffff0u;
	CHECK_EQ(ring_write(&r, big, 2000, &err), XENSTORE_RING_SIZE); /* full */
	CHECK_EQ(err, 0);
	CHECK_EQ(in.rsp_prod, 0xfffffff0u + XENSTORE_RING_SIZE);
	CHECK_EQ(ring_write(&r, big, 1, &err), 0);
	in.rsp_cons += 100;
	CHECK_EQ(ring_write(&r, big + 1024, 500, &err), 100);
	CHECK(!memcmp(in.rsp + XENSTORE_RING_IDX(0xfffffff0u), big, 16));
	CHECK(!memcmp(in.rsp, big + 16, 1024 - 16));
	/* Reading: what the guest produced, across the end of the ring. */
	memcpy(in.req + XENSTORE_RING_IDX(0xfffffff0u), big, 16);
	memcpy(in.req, big + 16, 84);
	in.req_prod = 0xfffffff0u + 100;
	CHECK_EQ(ring_read(&r, out, 60, &err), 60);
	CHECK_EQ(ring_read(&r, out + 60, 500, &err), 40);
	CHECK_EQ(ring_read(&r, out + 100, 500, &err), 0);
	CHECK(!memcmp(out, big, 100));
	CHECK_EQ(in.req_cons, 0xfffffff0u + 100);
	CHECK_EQ(err, 0);
	/* Impossible indexes. */
	in.req_prod = r.req_cons + XENSTORE_RING_SIZE + 1;
	CHECK_EQ(ring_read(&r, out, 10, &err), 0);
	CHECK_EQ(err, XENSTORE_ERROR_RINGIDX);
	err = 0;
	in.req_prod = r.req_cons - 1; /* "behind" the consumer: 4 GiB outstanding */
	CHECK_EQ(ring_read(&r, out, 10, &err), 0);
	CHECK_EQ(err, XENSTORE_ERROR_RINGIDX);
	err = 0;
	in.rsp_cons = r.rsp_prod + 1;
	CHECK_EQ(ring_write(&r, big, 10, &err), 0);
	CHECK_EQ(err, XENSTORE_ERROR_RINGIDX);
	/* The guest scribbling on the indexes the store owns changes nothing. */
	err = 0;
	in.rsp_cons = r.rsp_prod;
	in.rsp_prod = 12345;
	in.req_cons = 999;
	in.req_prod = r.req_cons;
	CHECK_EQ(ring_write(&r, big, 10, &err), 10);
	CHECK_EQ(ring_read(&r, out, 10, &err), 0);
	CHECK_EQ(err, 0);
}

static void introduce_and_serve(void)
{
	struct hclient *d0;
	struct hmsg m;

	setup(NULL);
	d0 = dom0_with_guest(1);
	CHECK(ring_mem_port(&be, 1) > 0);
	CHECK_EQ(pages[1].server_features,
		 XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
	CHECK(h_st.dom[0][1]->conn != NULL);
	CHECK_EQ(h_call(d0, XS_IS_DOMAIN_INTRODUCED, 0, "1", NULL), 0);
	CHECK_STR(d0->reply.body, "T");
	g_send(1, XS_WRITE, 7, "data/x\0hi", 9);
	REQUIRE(g_recv(1, &m));
	CHECK_EQ(m.h.type, XS_WRITE);
	CHECK_EQ(m.h.req_id, 7);
	CHECK_STR(m.body, "OK");
	CHECK(ring_mem_notifies(&be, 1) > 0);
	CHECK_STR(h_value(d0, 0, "/local/domain/1/data/x"), "hi");
	/* Watch events arrive on the ring. */
	g_send(1, XS_WATCH, 8, "data\0tk\0", 8);
	store_flush(&h_st);
	REQUIRE(g_recv(1, &m));
	CHECK_EQ(m.h.type, XS_WATCH);
	REQUIRE(g_recv(1, &m));
	CHECK_EQ(m.h.type, XS_WATCH_EVENT);
	CHECK(!memcmp(m.body, "data\0tk\0", 8));
	REQUIRE(h_write(d0, "/local/domain/1/data/y", "1") == 0);
	store_flush(&h_st);
	REQUIRE(g_recv(1, &m));
	CHECK(!memcmp(m.body, "data/y\0tk\0", 10));
	/* Release: the connection goes, the port is unbound. */
	CHECK_EQ(h_release(d0, 1), 0);
	CHECK_EQ(ring_mem_port(&be, 1), -1);
	CHECK_EQ(h_call(d0, XS_IS_DOMAIN_INTRODUCED, 0, "1", NULL), 0);
	CHECK_STR(d0->reply.body, "F");
	teardown();
}

static void partial_and_large_messages(void)
{
	static char payload[XENSTORE_PAYLOAD_MAX];
	char buf[64];
	struct hclient *d0;
	struct hmsg m;
	struct quota q = quota_defaults;
	size_t total;

	q.node_size = 8192; /* the 4 KiB value is over the default quota */
	setup(&q);
	d0 = dom0_with_guest(2);
	/* One byte at a time, with an event after each: one reply, at the end. */
	total = g_msg(buf, XS_GET_DOMAIN_PATH, 1, "2", 2);
	for (size_t i = 0; i < total; i++) {
		CHECK(!g_recv(2, &m));
		g_put(&pages[2], buf + i, 1);
		ring_port_event(&be, (unsigned)ring_mem_port(&be, 2));
	}
	REQUIRE(g_recv(2, &m));
	CHECK_STR(m.body, "/local/domain/2");
	/* A 4 KiB request through a 1 KiB ring, and its 4 KiB reply back. */
	memcpy(payload, "big", 4);
	memset(payload + 4, 'z', sizeof(payload) - 4);
	g_send(2, XS_WRITE, 2, payload, sizeof(payload));
	REQUIRE(g_recv(2, &m));
	CHECK_STR(m.body, "OK");
	g_send(2, XS_READ, 3, "big", 4);
	{
		static struct hmsg r;
		size_t got = 0;
		int spins = 0;

		/* The reply is bigger than the ring: take it as it comes. */
		while (got < sizeof(r.h) + sizeof(payload) - 4 && spins++ < 50) {
			got += g_get(&pages[2], (char *)&r + got, sizeof(r) - got);
			ring_port_event(&be, (unsigned)ring_mem_port(&be, 2));
		}
		CHECK_EQ(r.h.type, XS_READ);
		CHECK_EQ(r.h.len, sizeof(payload) - 4);
		CHECK_EQ(r.body[0], 'z');
		CHECK_EQ(r.body[sizeof(payload) - 5], 'z');
	}
	/* Many small requests: the indexes go round the ring many times. */
	for (uint32_t i = 0; i < 500; i++) {
		g_send(2, XS_GET_DOMAIN_PATH, 100 + i, "2", 2);
		REQUIRE(g_recv(2, &m));
		CHECK_EQ(m.h.req_id, 100 + i);
	}
	CHECK(pages[2].req_prod > 10 * XENSTORE_RING_SIZE);
	(void)d0;
	teardown();
}

static void hostile_guest_and_reconnect(void)
{
	struct hclient *d0;
	struct hmsg m;

	setup(NULL);
	d0 = dom0_with_guest(3);
	g_send(3, XS_WATCH, 1, "x\0t\0", 4);
	while (g_recv(3, &m))
		;
	CHECK_EQ(h_st.nwatches, 1);
	/* A producer index more than a ring ahead. */
	pages[3].req_prod = pages[3].req_cons + 5000;
	ring_port_event(&be, (unsigned)ring_mem_port(&be, 3));
	CHECK_EQ(pages[3].error, XENSTORE_ERROR_RINGIDX);
	CHECK(h_logged("impossible ring index"));
	/* Ignored from now on, whatever it writes... */
	pages[3].req_prod = pages[3].req_cons;
	g_send(3, XS_GET_DOMAIN_PATH, 2, "3", 2);
	CHECK(!g_recv(3, &m));
	/* ... until it asks to reconnect: indexes reset, state dropped. */
	pages[3].connection = XENSTORE_RECONNECT;
	ring_port_event(&be, (unsigned)ring_mem_port(&be, 3));
	CHECK_EQ(pages[3].connection, XENSTORE_CONNECTED);
	CHECK_EQ(pages[3].error, XENSTORE_ERROR_NONE);
	CHECK_EQ(pages[3].req_prod, 0);
	CHECK_EQ(pages[3].rsp_prod, 0);
	CHECK_EQ(h_st.nwatches, 0);
	g_send(3, XS_GET_DOMAIN_PATH, 3, "3", 2);
	REQUIRE(g_recv(3, &m));
	CHECK_EQ(m.h.req_id, 3);
	/* A header announcing more than XENSTORE_PAYLOAD_MAX: protocol error. */
	{
		struct xsd_sockmsg h = { XS_READ, 4, 0, XENSTORE_PAYLOAD_MAX + 1 };

		g_put(&pages[3], &h, sizeof(h));
		ring_port_event(&be, (unsigned)ring_mem_port(&be, 3));
		CHECK_EQ(pages[3].error, XENSTORE_ERROR_PROTO);
	}
	/* The store still serves everybody else. */
	CHECK_STR(h_value(d0, 0, "/local/domain/3"), "");
	teardown();
}

/* A guest that does not read its replies stops being read; it recovers when it reads. */
static void slow_reader_backpressure(void)
{
	struct quota q = quota_defaults;
	unsigned served = 0;
	struct hmsg m;
	char buf[64];
	size_t len;

	q.outstanding = 4;
	setup(&q);
	dom0_with_guest(1);
	/* 60 requests written without reading a reply (each 18 bytes: they fit the ring). */
	len = g_msg(buf, XS_GET_DOMAIN_PATH, 0, "1", 2);
	for (int i = 0; i < 56; i++)
		REQUIRE(g_put(&pages[1], buf, len) == len);
	ring_port_event(&be, (unsigned)ring_mem_port(&be, 1));
	ring_backend_run_pending(&be);
	store_flush(&h_st);
	/* The reply ring (1024 bytes, 32 per reply) takes 32; 4 more wait queued. */
	CHECK_EQ(h_st.dom[0][1]->conn->out_replies, 4);
	CHECK(pages[1].req_prod != pages[1].req_cons);
	while (served < 56) {
		if (!g_recv(1, &m)) {
			ring_backend_run_pending(&be);
			store_flush(&h_st);
			if (!g_recv(1, &m))
				break;
		}
		served++;
		ring_backend_run_pending(&be);
		store_flush(&h_st);
	}
	CHECK_EQ(served, 56);
	CHECK_EQ(pages[1].req_prod, pages[1].req_cons);
	teardown();
}

static void budget_and_pending(void)
{
	char buf[64];
	struct hmsg m;
	size_t len;
	unsigned got = 0;

	setup(NULL);
	dom0_with_guest(1);
	len = g_msg(buf, XS_GET_DOMAIN_PATH, 0, "1", 2);
	for (int i = 0; i < 50; i++)
		REQUIRE(g_put(&pages[1], buf, len) == len);
	ring_port_event(&be, (unsigned)ring_mem_port(&be, 1));
	/* One wake-up serves RING_BUDGET requests and leaves the ring pending. */
	CHECK(be.pending != NULL);
	while (g_take(1, &m, false))
		got++;
	CHECK_EQ(got, RING_BUDGET);
	CHECK(!ring_backend_run_pending(&be));
	while (g_take(1, &m, false))
		got++;
	CHECK_EQ(got, 50);
	teardown();
}

static void introduce_errors(void)
{
	struct hclient *d0;

	setup(NULL);
	d0 = h_client(0);
	((struct ring_mem *)be.priv)->fail_map = true;
	CHECK_EQ(h_introduce(d0, 1), -ENOENT);
	CHECK(h_logged("introduction failed"));
	CHECK_EQ(h_call(d0, XS_IS_DOMAIN_INTRODUCED, 0, "1", NULL), 0);
	CHECK_STR(d0->reply.body, "F");
	((struct ring_mem *)be.priv)->fail_map = false;
	((struct ring_mem *)be.priv)->fail_bind = true;
	CHECK_EQ(h_introduce(d0, 1), -EINVAL);
	((struct ring_mem *)be.priv)->fail_bind = false;
	CHECK_EQ(h_introduce(d0, 1), 0);
	CHECK_EQ(h_introduce(d0, 1), 0);                             /* the same again */
	CHECK_EQ(h_call(d0, XS_INTRODUCE, 0, "1", "5", "3", NULL), -EEXIST); /* another page */
	CHECK_EQ(h_call(d0, XS_INTRODUCE, 0, "0", "5", "3", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_INTRODUCE, 0, "32752", "5", "3", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_INTRODUCE, 0, "2", "5", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_RELEASE, 0, "2", NULL), -ENOENT);
	CHECK_EQ(h_call(d0, XS_RELEASE, 0, "0", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_RESUME, 0, "1", NULL), 0);
	CHECK_EQ(h_call(d0, XS_RESUME, 0, "2", NULL), -ENOENT);
	{
		struct hclient *d1 = h_client(1);

		CHECK_EQ(h_call(d1, XS_INTRODUCE, 0, "2", "5", "3", NULL), -EACCES);
		CHECK_EQ(h_call(d1, XS_RELEASE, 0, "1", NULL), -EACCES);
		CHECK_EQ(h_call(d1, XS_RESUME, 0, "1", NULL), -EACCES);
	}
	teardown();
}

static void local_ring(void)
{
	struct xenstore_domain_interface local;
	struct hmsg m;

	setup(NULL);
	memset(&local, 0, sizeof(local));
	/* dom0's kernel may have written a request before the store started. */
	{
		char buf[64];
		size_t len = g_msg(buf, XS_READ, 9, "/\0", 2);

		g_put(&local, buf, len);
	}
	REQUIRE(ring_connect_local(&be, &local, NULL, 77) == 0);
	CHECK(local.rsp_prod > 0);
	g_get(&local, &m, sizeof(m.h));
	CHECK_EQ(m.h.req_id, 9);
	CHECK_EQ(m.h.type, XS_READ);
	CHECK(h_st.conns->privileged);
	teardown();
}

/* dom0's ring releases a domain whose ring waits in the same batch of pending rings. */
static void release_while_pending(void)
{
	struct xenstore_domain_interface local;
	char buf[64];
	size_t len;

	setup(NULL);
	dom0_with_guest(2);
	memset(&local, 0, sizeof(local));
	REQUIRE(ring_connect_local(&be, &local, NULL, 77) == 0);
	len = g_msg(buf, XS_GET_DOMAIN_PATH, 0, "2", 2);
	for (int i = 0; i < 40; i++)
		REQUIRE(g_put(&pages[2], buf, len) == len);
	ring_port_event(&be, (unsigned)ring_mem_port(&be, 2));
	for (int i = 0; i < RING_BUDGET + 1; i++)
		REQUIRE(g_put(&local, buf, len) == len);
	len = g_msg(buf, XS_RELEASE, 0, "2", 2);
	REQUIRE(g_put(&local, buf, len) == len);
	ring_port_event(&be, 77);
	CHECK(be.pending && be.pending->local && be.pending->pending_next);
	ring_backend_run_pending(&be);
	CHECK_EQ(ring_mem_port(&be, 2), -1);
	CHECK(domain_find(&h_st, 2) == NULL);
	CHECK(be.pending == NULL && be.running == NULL);
	teardown();
}

int main(void)
{
	RUN(arithmetic_and_wrap);
	RUN(introduce_and_serve);
	RUN(partial_and_large_messages);
	RUN(hostile_guest_and_reconnect);
	RUN(slow_reader_backpressure);
	RUN(budget_and_pending);
	RUN(introduce_errors);
	RUN(local_ring);
	RUN(release_while_pending);
	return check_done();
}
