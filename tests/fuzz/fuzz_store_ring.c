/*
 * libFuzzer target: mica-store's ring transport against a hostile guest.
 * Domain 1 is introduced on an in-memory ring page; the input is a script
 * of what the guest does to the page: write request bytes (valid or not),
 * set any index to any value, take replies, ask to reconnect; between steps
 * it raises its event channel and dom0 changes nodes the guest may watch.
 * The store must never touch memory outside the page, loop or break its
 * invariants, and must keep serving dom0 throughout.
 *
 * Step: u8 op, then op-specific bytes (see the switch).
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
#include "ring.h"
#include "ring_mem.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct conn_ops fuzz_ops = { .kind = "fuzz" };

static void quiet(enum log_level level, const char *msg)
{
	(void)level;
	(void)msg;
}

static void dom0_request(struct store *st, struct conn *d0, uint32_t type, const char *payload,
			 size_t len)
{
	struct xsd_sockmsg h = { type, 1, 0, (uint32_t)len };
	static char buf[256];
	const void *p;
	size_t n;

	memcpy(buf, payload, len);
	buf[len] = '\0';
	store_request(st, d0, &h, buf);
	while (conn_out_peek(d0, &p, &n))
		conn_out_done(d0, n);
}

static uint32_t u32_at(const uint8_t *d)
{
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xenstore_domain_interface *page = calloc(1, sizeof(*page));
	struct quota q = quota_defaults;
	struct ring_backend be;
	struct store st;
	struct conn *d0;
	char why[256];
	size_t off = 0;
	unsigned steps = 0;
	int port;

	if (!page)
		return 0;
	log_set_sink(quiet);
	hash_set_key(5, 6);
	q.outstanding = 4;
	q.events = 6;
	if (store_init(&st, &q) || ring_mem_init(&be, &st))
		abort();
	ring_mem_set_page(&be, 1, page);
	st.hooks.introduce = ring_introduce;
	st.hooks.ctx = &be;
	d0 = conn_new(&st, 0, &fuzz_ops, NULL, "fuzz dom0");
	if (!d0)
		abort();
	dom0_request(&st, d0, XS_MKDIR, "/local/domain/1", 16);
	dom0_request(&st, d0, XS_SET_PERMS, "/local/domain/1\0n1", 19);
	dom0_request(&st, d0, XS_INTRODUCE, "1\0" "4096\0" "5", 9);
	port = ring_mem_port(&be, 1);
	if (port < 0)
		abort();
	while (off < size && steps++ < 2000) {
		uint8_t op = data[off++];
		size_t n;

		switch (op % 8) {
		case 0: /* guest writes request bytes and moves req_prod past them */
		case 1:
			n = off < size ? data[off++] : 0;
			if (n > size - off)
				n = size - off;
			for (size_t i = 0; i < n; i++)
				page->req[XENSTORE_RING_IDX(page->req_prod + i)] = (char)data[off + i];
			page->req_prod += (uint32_t)n;
			off += n;
			break;
		case 2: /* any index to any value */
			if (size - off < 5) {
				off = size;
				break;
			}
			switch (data[off] % 4) {
			case 0: page->req_prod = u32_at(data + off + 1); break;
			case 1: page->req_cons = u32_at(data + off + 1); break;
			case 2: page->rsp_prod = u32_at(data + off + 1); break;
			default: page->rsp_cons = u32_at(data + off + 1); break;
			}
			off += 5;
			break;
		case 3: /* guest takes all its replies */
			page->rsp_cons = page->rsp_prod;
			break;
		case 4: /* guest asks to reconnect */
			page->connection = XENSTORE_RECONNECT;
			break;
		case 5: /* dom0 changes the guest's nodes (watch events) */
			dom0_request(&st, d0, XS_WRITE, "/local/domain/1/w/x\0v", 21);
			dom0_request(&st, d0, XS_RM, "/local/domain/1/w", 18);
			break;
		case 6: /* a well-formed watch request, to have events flowing */
		{
			static const char msg[] = "w\0tok";
			struct xsd_sockmsg h = { XS_WATCH, 9, 0, sizeof(msg) };
			char bytes[sizeof(h) + sizeof(msg)];

			memcpy(bytes, &h, sizeof(h));
			memcpy(bytes + sizeof(h), msg, sizeof(msg));
			for (size_t i = 0; i < sizeof(bytes); i++)
				page->req[XENSTORE_RING_IDX(page->req_prod + i)] = bytes[i];
			page->req_prod += sizeof(bytes);
			break;
		}
		default: /* garbage in the server-owned fields */
			page->server_features = ~0u;
			page->error = (uint32_t)op;
			break;
		}
		ring_port_event(&be, (unsigned)port);
		ring_backend_run_pending(&be);
		store_flush(&st);
		store_reap(&st);
		if (store_check(&st, why, sizeof(why))) {
			fprintf(stderr, "store_check: %s\n", why);
			abort();
		}
	}
	/* dom0 is still served. */
	dom0_request(&st, d0, XS_WRITE, "/alive\0yes", 10);
	ring_backend_fini(&be);
	store_fini(&st);
	free(page);
	log_set_sink(NULL);
	return 0;
}
