/*
 * libFuzzer target: mica-store's message parsing and protocol core. The
 * input is a sequence of requests from four clients (dom0 and domains 1-3,
 * which are introduced and own their homes), with small quotas so every
 * limit is reached. Each request goes through the real framing in random
 * pieces; every reply must be well formed; the store's invariants
 * (store_check) must hold after each request; teardown must free it all.
 *
 * Record: u8 client (bits 0-1; bit 7 closes and reopens that client first),
 * u8 type, u8 tx (0: none, 1-254: one of the client's recent transaction
 * ids, 255: a random id), u16 length, then the payload.
 */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct conn_ops fuzz_ops = { .kind = "fuzz" };

struct client {
	struct conn *c;
	uint32_t txids[4];
	unsigned ntx;
	uint32_t next_req;
};

static void quiet(enum log_level level, const char *msg)
{
	(void)level;
	(void)msg;
}

static void open_client(struct store *st, struct client *cl, unsigned domid)
{
	char name[32];

	snprintf(name, sizeof(name), "fuzz client %u", domid);
	cl->c = conn_new(st, domid, &fuzz_ops, NULL, name);
	if (!cl->c)
		abort();
	cl->ntx = 0;
}

/* Drains c's output, checking each message; remembers transaction ids handed out. */
static void drain(struct client *cl)
{
	static char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
	struct xsd_sockmsg h;
	size_t got = 0, len;
	const void *p;

	while (conn_out_peek(cl->c, &p, &len)) {
		if (got + len > sizeof(msg) - 1)
			abort(); /* a message over the payload limit */
		memcpy(msg + got, p, len);
		got += len;
		conn_out_done(cl->c, len);
		if (got < sizeof(h))
			continue;
		memcpy(&h, msg, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX)
			abort();
		if (got < sizeof(h) + h.len)
			continue;
		if (got != sizeof(h) + h.len)
			abort(); /* messages are queued one by one */
		msg[got] = '\0';
		if (h.type == XS_ERROR && (h.len < 2 || msg[got - 1] != '\0'))
			abort();
		if (h.type == XS_TRANSACTION_START) {
			unsigned long id = strtoul(msg + sizeof(h), NULL, 10);

			cl->txids[cl->ntx++ % 4] = (uint32_t)id;
		}
		got = 0;
	}
	if (got)
		abort(); /* a partial message left at the head */
}

static void setup(struct store *st, struct client *cl)
{
	struct quota q = quota_defaults;
	static const char *const boot[] = {
		"/local/domain/1", "n1", "/local/domain/2", "n2", "/local/domain/3", "n3",
	};

	q.nodes = 40;
	q.node_size = 256;
	q.perms = 4;
	q.path_len = 64;
	q.watches = 8;
	q.txns = 3;
	q.txn_nodes = 32;
	q.outstanding = 6;
	q.events = 8;
	if (store_init(st, &q))
		abort();
	for (unsigned i = 0; i < 4; i++)
		open_client(st, &cl[i], i);
	/* dom0 makes the homes and introduces the domains (no ring transport here). */
	for (unsigned i = 0; i < 3; i++) {
		char buf[64], id[4];
		struct xsd_sockmsg h;
		size_t n;

		snprintf(id, sizeof(id), "%u", i + 1);
		n = (size_t)snprintf(buf, sizeof(buf), "%s", boot[2 * i]) + 1;
		h = (struct xsd_sockmsg){ XS_MKDIR, 1, 0, (uint32_t)n };
		store_request(st, cl[0].c, &h, buf);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", boot[2 * i + 1]) + 1;
		h = (struct xsd_sockmsg){ XS_SET_PERMS, 2, 0, (uint32_t)n };
		store_request(st, cl[0].c, &h, buf);
		n = (size_t)snprintf(buf, sizeof(buf), "%s%c4096%c7", id, 0, 0) + 1;
		h = (struct xsd_sockmsg){ XS_INTRODUCE, 3, 0, (uint32_t)n };
		store_request(st, cl[0].c, &h, buf);
	}
	drain(&cl[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[sizeof(struct xsd_sockmsg) + 65536];
	struct client cl[4];
	struct store st;
	char why[256];
	size_t off = 0;

	log_set_sink(quiet);
	hash_set_key(3, 4);
	memset(cl, 0, sizeof(cl));
	setup(&st, cl);
	while (off + 5 <= size) {
		unsigned who = data[off] & 3;
		bool reopen = data[off] & 0x80;
		uint32_t type = data[off + 1], txsel = data[off + 2];
		size_t len = (size_t)data[off + 3] | (size_t)data[off + 4] << 8, total, fed = 0;
		struct client *c = &cl[who];
		struct xsd_sockmsg h;

		off += 5;
		if (len > size - off)
			len = size - off;
		if (reopen) {
			conn_close(c->c);
			open_client(&st, c, who);
		}
		h.type = type;
		h.req_id = ++c->next_req;
		h.tx_id = txsel == 0 ? 0 : txsel == 255 ? 0x12345678u : c->txids[txsel % 4];
		h.len = (uint32_t)len;
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), data + off, len);
		off += len;
		total = sizeof(h) + len;
		/* Feed it in pieces whose sizes come from the payload itself. */
		while (fed < total) {
			void *dst;
			size_t want = conn_in_want(c->c, &dst), n;
			int rc;

			if (!want) {
				drain(c); /* paused: the client reads its replies */
				want = conn_in_want(c->c, &dst);
				if (!want)
					abort();
			}
			n = 1 + (buf[fed] & 63);
			if (n > want)
				n = want;
			if (n > total - fed)
				n = total - fed;
			memcpy(dst, buf + fed, n);
			fed += n;
			rc = conn_in_got(c->c, n);
			if (rc < 0) {
				/* Over the size limit: the transport drops the client. */
				conn_close(c->c);
				break;
			}
			if (c->c->dead)
				break; /* released along with its domain */
		}
		/* Clients closed (by RELEASE, or above) come back as new connections. */
		for (unsigned i = 0; i < 4; i++) {
			if (cl[i].c->dead)
				open_client(&st, &cl[i], i);
			drain(&cl[i]);
		}
		store_reap(&st);
		if (store_check(&st, why, sizeof(why))) {
			fprintf(stderr, "store_check: %s\n", why);
			abort();
		}
	}
	store_fini(&st);
	log_set_sink(NULL);
	return 0;
}
