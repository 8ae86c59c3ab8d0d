/*
 * A domU's console: the ring page of start_info (console.domU.mfn and
 * .evtchn) that dom0's console daemon serves, as Linux's hvc_xen uses it.
 *
 * Output goes into the "out" ring and input comes from the "in" ring
 * (pv/io/console.h): data first, then the producer index with release
 * order, then a notification of the port. Every '\n' goes out as "\r\n",
 * as a terminal's line discipline would send it, so `mica console` shows
 * lines as Linux guests' lines are shown.
 *
 * When the out ring is full the writer notifies the daemon and waits
 * for it on the port with SCHEDOP_poll (events may be masked, or the
 * writer may be a trap handler) and a short timeout, since the upcall
 * may take the pending bit first. A daemon that frees nothing for
 * STALL_NS stalls the ring: what does not fit then goes to the
 * hypervisor console instead, at once, until the daemon makes room
 * again, so that a guest without a console daemon neither hangs nor
 * loses its last words.
 *
 * Writers on several vCPUs take turns through a lock that remembers its
 * holder; a writer that interrupts the holder on the holder's own vCPU
 * (a trap handler printing) cannot wait for it, and writes to the
 * hypervisor console.
 */
#include <string.h>

#include <pv/io/console.h>

#include "internal.h"

#define POLL_NS 10000000ULL        /* one wait for the daemon, at most */
#define STALL_NS 5000000000ULL     /* no room for this long: the daemon is not reading */
#define STALL_YIELDS 100000        /* the same without time (no shared_info): yields */
#define NO_HOLDER 0xffffffffu

static struct xencons_interface *ring;
static evtchn_port_t port;
static bool stalled;               /* guarded by holder */
static unsigned int holder = NO_HOLDER;
static uint8_t ring_window[LIBPV_PAGE_SIZE] __attribute__((aligned(4096)));

static void wake(evtchn_port_t p, void *data)
{
	(void)p;
	(void)data; /* the writer looks at the ring again after any event */
}

void pv_console_ring_init(void)
{
	const struct start_info *si = pv_start_info;
	long rc;

	if ((si->flags & SIF_INITDOMAIN) || !si->console.domU.mfn || !si->console.domU.evtchn)
		return;
	rc = pv_map_mfn(ring_window, si->console.domU.mfn,
			PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D | PV_PTE_NX);
	if (rc) {
		pv_printk("libpv: cannot map the console ring (update_va_mapping: %ld): "
			  "output stays on the hypervisor console\n", rc);
		return;
	}
	port = si->console.domU.evtchn;
	pv_evtchn_set_handler(port, wake, NULL);
	__atomic_store_n(&ring, (struct xencons_interface *)ring_window, __ATOMIC_RELEASE);
}

bool pv_console_has_ring(void)
{
	return __atomic_load_n(&ring, __ATOMIC_ACQUIRE) != NULL;
}

/* Clears the port's pending bit, so that a poll sleeps until the daemon's next event. */
static void clear_pending(void)
{
	if (pv_shared_info)
		__atomic_fetch_and(&pv_shared_info->evtchn_pending[port / 64], ~(1ULL << (port % 64)),
				   __ATOMIC_SEQ_CST);
}

static void wait_for_daemon(void)
{
	struct sched_poll p = { .ports = (pv_gva_t)(uintptr_t)&port, .nr_ports = 1 };
	uint64_t now = pv_time_ns();

	if (!now) { /* no shared_info, no time: let dom0 run instead */
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		return;
	}
	p.timeout = now + POLL_NS;
	HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

/*
 * Room in the out ring once it has at least need bytes, waiting for the
 * daemon until then; 0 once the ring is stalled (or its indexes are
 * impossible).
 */
static uint32_t out_room(uint32_t need)
{
	uint64_t since = 0, waits = 0;

	for (;;) {
		uint32_t cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
		uint32_t used = ring->out_prod - cons;
		uint64_t now;

		if (used > XENCONS_OUT_SIZE)
			return 0; /* the daemon wrote nonsense: nothing we can trust */
		if (XENCONS_OUT_SIZE - used >= need) {
			stalled = false;
			return XENCONS_OUT_SIZE - used;
		}
		if (stalled)
			return 0;
		now = pv_time_ns();
		if (!since)
			since = now ? now : 1;
		if (now ? now - since > STALL_NS : ++waits > STALL_YIELDS) {
			stalled = true;
			return 0;
		}
		clear_pending();
		/* Freed meanwhile? Then the event that said so is not needed. */
		if (__atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE) != cons)
			continue;
		pv_evtchn_send(port);
		wait_for_daemon();
	}
}

/* One byte into the out ring at prod; returns the new prod. */
static uint32_t put(uint32_t prod, char c)
{
	ring->out[XENCONS_IDX(prod, XENCONS_OUT_SIZE)] = c;
	return prod + 1;
}

/* Bytes that c takes in the ring. */
static uint32_t cost(char c)
{
	return c == '\n' ? 2 : 1;
}

/*
 * Copies s[0..n) into the out ring ('\n' as "\r\n"); returns how many
 * bytes of s went in, fewer than n only once the ring is stalled.
 */
static size_t ring_write(const char *s, size_t n)
{
	size_t done = 0;

	while (done < n) {
		uint32_t room = out_room(cost(s[done])), prod = ring->out_prod;

		if (!room)
			break;
		while (done < n && room >= cost(s[done])) {
			char c = s[done++];

			if (c == '\n')
				prod = put(prod, '\r');
			prod = put(prod, c);
			room -= cost(c);
		}
		__atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
		pv_evtchn_send(port);
	}
	return done;
}

static bool lock(void)
{
	unsigned int self = pv_vcpu_id(), none = NO_HOLDER;

	if (__atomic_load_n(&holder, __ATOMIC_ACQUIRE) == self)
		return false; /* we interrupted ourselves */
	while (!__atomic_compare_exchange_n(&holder, &none, self, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		none = NO_HOLDER;
		__builtin_ia32_pause();
	}
	return true;
}

static void unlock(void)
{
	__atomic_store_n(&holder, NO_HOLDER, __ATOMIC_RELEASE);
}

long pv_console_print(const char *s, size_t n)
{
	size_t done = 0;

	if (!pv_console_has_ring())
		return pv_console_write(s, n);
	if (lock()) {
		done = ring_write(s, n);
		unlock();
	}
	if (done < n) {
		long rc = pv_console_write(s + done, n - done);

		if (rc < 0 && !done)
			return rc;
	}
	return (long)n;
}

long pv_console_read(char *buf, size_t n)
{
	uint32_t cons, prod, avail;
	size_t got = 0;

	if (!pv_console_has_ring())
		return HYPERVISOR_console_io(CONSOLEIO_read, (pv_u32)n, buf);
	if (!lock())
		return 0;
	cons = ring->in_cons;
	prod = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE);
	avail = prod - cons;
	if (avail > XENCONS_IN_SIZE) {
		/* Impossible indexes from the daemon: drop what it claims to have sent. */
		__atomic_store_n(&ring->in_cons, prod, __ATOMIC_RELEASE);
		unlock();
		return 0;
	}
	while (got < n && got < avail)
		buf[got++] = ring->in[XENCONS_IDX(cons++, XENCONS_IN_SIZE)];
	__atomic_store_n(&ring->in_cons, cons, __ATOMIC_RELEASE);
	unlock();
	if (got)
		pv_evtchn_send(port);
	return (long)got;
}
