/*
 * A minimal xenstore client: one request at a time over the ring page of
 * start_info (store_mfn, store_evtchn). Messages are a struct xsd_sockmsg
 * and its payload (pv/io/xs_wire.h); indexes are free-running and masked
 * with the ring size. Watch events that arrive unasked are read and dropped.
 *
 * Waiting for the store to make room or answer: events are masked for the
 * whole request, and each wait clears the store port's pending bit, looks
 * at the ring again, and only then sleeps in SCHEDOP_poll on that port.
 * The store raises the port after it moves an index, so a raise is never
 * lost between the look and the sleep (blocking with events unmasked
 * would let the upcall eat it and sleep for ever). The poll has a
 * deadline: a store that does not answer within XS_TIMEOUT_NS makes the
 * request fail with -XEN_ETIME, and the ring is then out of step (half a
 * message sent or unread), so every later request fails the same way.
 */
#include <string.h>

#include <pv/io/xs_wire.h>

#include "internal.h"

#define XS_TIMEOUT_NS (30ull * 1000000000ull)

static struct xenstore_domain_interface *ring;
static evtchn_port_t port;
static bool timed_out;
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

/* Forgets an earlier raise of the store's port; the caller then looks at the ring. */
static void clear_raise(void)
{
	if (pv_shared_info)
		__atomic_fetch_and(&pv_shared_info->evtchn_pending[port / 64],
				   ~(1ULL << (port % 64)), __ATOMIC_SEQ_CST);
}

/*
 * Sleeps (events masked) until the store raises its port again or guest
 * time passes deadline; 0, or -XEN_ETIME once the deadline has passed.
 */
static long wait_store(uint64_t deadline)
{
	struct sched_poll p = { .ports = PV_GVA(&port), .nr_ports = 1, .timeout = deadline };

	if (pv_time_ns() >= deadline) {
		timed_out = true;
		return -XEN_ETIME;
	}
	HYPERVISOR_sched_op(SCHEDOP_poll, &p);
	return 0;
}

static long ring_write(const void *data, size_t len, uint64_t deadline)
{
	const char *p = data;

	while (len) {
		uint32_t cons, prod, space, off;
		size_t n = len;

		clear_raise();
		cons = __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE);
		prod = ring->req_prod;
		space = XENSTORE_RING_SIZE - (prod - cons);
		off = XENSTORE_RING_IDX(prod);
		if (space == 0) {
			long rc;

			pv_evtchn_send(port);
			if ((rc = wait_store(deadline)))
				return rc;
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
	return 0;
}

/* Reads len bytes of the reply stream; data NULL discards them. 0 or -XEN_ETIME. */
static long ring_read(void *data, size_t len, uint64_t deadline)
{
	char *p = data;

	while (len) {
		uint32_t prod, cons, off;
		size_t n = len;

		clear_raise();
		prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
		cons = ring->rsp_cons;
		off = XENSTORE_RING_IDX(cons);
		if (prod == cons) {
			long rc = wait_store(deadline);

			if (rc)
				return rc;
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
	return 0;
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

/* The conversation of request(), with events masked around it; see request(). */
static long exchange(struct xsd_sockmsg *msg, const void *a, size_t alen, const void *b,
		     size_t blen, char *reply, size_t len, uint64_t deadline)
{
	char err[32];
	long rc;

	rc = ring_write(msg, sizeof(*msg), deadline);
	rc = rc ?: ring_write(a, alen, deadline);
	rc = rc ?: ring_write(b, blen, deadline);
	while (!rc) {
		size_t keep;

		if ((rc = ring_read(msg, sizeof(*msg), deadline)))
			break;
		if (msg->type == XS_WATCH_EVENT) {
			rc = ring_read(NULL, msg->len, deadline);
			continue;
		}
		if (msg->type == XS_ERROR) {
			keep = msg->len < sizeof(err) - 1 ? msg->len : sizeof(err) - 1;
			rc = ring_read(err, keep, deadline);
			rc = rc ?: ring_read(NULL, msg->len - keep, deadline);
			err[keep] = '\0';
			return rc ?: error_code(err);
		}
		keep = len && msg->len >= len ? len - 1 : msg->len;
		rc = ring_read(reply, keep, deadline);
		rc = rc ?: ring_read(NULL, msg->len - keep, deadline);
		if (len)
			reply[keep] = '\0';
		return rc ?: (long)msg->len;
	}
	return rc;
}

/*
 * Sends type with the payload parts a (alen bytes) and b (blen bytes) and
 * reads the answer into reply[0..len), NUL-terminated (cut if longer).
 * Returns the payload length, -XEN_E* for an XS_ERROR answer, or
 * -XEN_ETIME if the store did not answer within XS_TIMEOUT_NS (then and
 * after: see the top of the file).
 */
static long request(uint32_t type, const void *a, size_t alen, const void *b, size_t blen,
		    char *reply, size_t len)
{
	struct xsd_sockmsg msg = { .type = type, .req_id = next_req_id++, .tx_id = 0,
				   .len = (uint32_t)(alen + blen) };
	unsigned int was;
	long rc;

	if (!ring)
		return -XEN_ENODEV;
	if (timed_out)
		return -XEN_ETIME;
	if (alen + blen > XENSTORE_PAYLOAD_MAX)
		return -XEN_E2BIG;
	was = pv_irq_save();
	rc = exchange(&msg, a, alen, b, blen, reply, len, pv_time_ns() + XS_TIMEOUT_NS);
	pv_irq_restore(was);
	return rc;
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
