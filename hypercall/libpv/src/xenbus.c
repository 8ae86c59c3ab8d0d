/*
 * A minimal xenstore client: one request at a time over the ring page of
 * start_info (store_mfn, store_evtchn), waiting with pv_block() for the
 * store to make room or answer. Messages are a struct xsd_sockmsg and its
 * payload (pv/io/xs_wire.h); indexes are free-running and masked with the
 * ring size. Watch events that arrive unasked are read and dropped.
 */
#include <string.h>

#include <pv/io/xs_wire.h>

#include "internal.h"

static struct xenstore_domain_interface *ring;
static evtchn_port_t port;
static uint32_t next_req_id = 1;
static uint8_t ring_window[LIBPV_PAGE_SIZE] __attribute__((aligned(4096)));

static void wake(evtchn_port_t p, void *data)
{
	(void)p;
	(void)data; /* pv_block() returns after the upcall: that is all we need */
}

long pv_xenbus_init(void)
{
	long rc;

	if (!pv_start_info->store_mfn || !pv_start_info->store_evtchn)
		return -XEN_ENODEV;
	rc = pv_map_mfn(ring_window, pv_start_info->store_mfn,
			PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D | PV_PTE_NX);
	if (rc)
		return rc;
	ring = (struct xenstore_domain_interface *)ring_window;
	port = pv_start_info->store_evtchn;
	pv_evtchn_set_handler(port, wake, NULL);
	return 0;
}

static void ring_write(const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		uint32_t cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
		uint32_t prod = ring->req_prod;
		uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
		uint32_t off = XENSTORE_RING_IDX(prod);
		size_t n = len;

		if (space == 0) {
			pv_evtchn_send(port);
			pv_block();
			continue;
		}
		if (n > space)
			n = space;
		if (n > XENSTORE_RING_SIZE - off)
			n = XENSTORE_RING_SIZE - off;
		memcpy(&ring->req[off], p, n);
		__atomic_store_n(&ring->req_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
		p += n;
		len -= n;
	}
	pv_evtchn_send(port);
}

/* Reads len bytes of the reply stream; data NULL discards them. */
static void ring_read(void *data, size_t len)
{
	char *p = data;

	while (len) {
		uint32_t prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
		uint32_t cons = ring->rsp_cons;
		uint32_t off = XENSTORE_RING_IDX(cons);
		size_t n = len;

		if (prod == cons) {
			pv_block();
			continue;
		}
		if (n > prod - cons)
			n = prod - cons;
		if (n > XENSTORE_RING_SIZE - off)
			n = XENSTORE_RING_SIZE - off;
		if (p) {
			memcpy(p, &ring->rsp[off], n);
			p += n;
		}
		__atomic_store_n(&ring->rsp_cons, cons + (uint32_t)n, __ATOMIC_RELEASE);
		len -= n;
	}
	pv_evtchn_send(port);
}

/* The errno number of an XS_ERROR payload ("ENOENT"), as -XEN_E*. */
static long error_code(const char *name)
{
	static const struct {
		const char *name;
		long err;
	} table[] = {
		{ "EINVAL", XEN_EINVAL }, { "EACCES", XEN_EACCES }, { "EEXIST", XEN_EEXIST },
		{ "EISDIR", 21 }, { "ENOENT", XEN_ENOENT }, { "ENOMEM", XEN_ENOMEM },
		{ "ENOSPC", XEN_ENOSPC }, { "EIO", XEN_EIO }, { "ENOTEMPTY", 39 },
		{ "ENOSYS", XEN_ENOSYS }, { "EROFS", 30 }, { "EBUSY", XEN_EBUSY },
		{ "EAGAIN", XEN_EAGAIN }, { "EISCONN", XEN_EISCONN }, { "E2BIG", XEN_E2BIG },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(name, table[i].name))
			return -table[i].err;
	return -XEN_EIO;
}

/*
 * Sends type with the payload parts a (alen bytes) and b (blen bytes) and
 * reads the answer into reply[0..len), NUL-terminated (cut if longer).
 * Returns the payload length, or -XEN_E* for an XS_ERROR answer.
 */
static long request(uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
		    char *reply, size_t len)
{
	struct xsd_sockmsg msg = { .type = type, .req_id = next_req_id++, .tx_id = 0,
				   .len = (uint32_t)(alen + blen) };
	char err[32];

	if (!ring)
		return -XEN_ENODEV;
	if (alen + blen > XENSTORE_PAYLOAD_MAX)
		return -XEN_E2BIG;
	ring_write(&msg, sizeof(msg));
	ring_write(a, alen);
	if (blen)
		ring_write(b, blen);
	for (;;) {
		size_t keep;

		ring_read(&msg, sizeof(msg));
		if (msg.type == XS_WATCH_EVENT) {
			ring_read(NULL, msg.len);
			continue;
		}
		if (msg.type == XS_ERROR) {
			keep = msg.len < sizeof(err) - 1 ? msg.len : sizeof(err) - 1;
			ring_read(err, keep);
			ring_read(NULL, msg.len - keep);
			err[keep] = '\0';
			return error_code(err);
		}
		keep = len && msg.len >= len ? len - 1 : msg.len;
		ring_read(reply, keep);
		ring_read(NULL, msg.len - keep);
		if (len)
			reply[keep] = '\0';
		return msg.len;
	}
}

long pv_xenbus_read(const char *path, char *buf, size_t len)
{
	return request(XS_READ, path, strlen(path) + 1, NULL, 0, buf, len);
}

long pv_xenbus_write(const char *path, const char *value)
{
	char ok[4];
	long rc = request(XS_WRITE, path, strlen(path) + 1, value, strlen(value), ok, sizeof(ok));

	return rc < 0 ? rc : 0;
}
