/*
 * evtchn: event-channel ping-pong between two domains, through /dev/xen/evtchn.
 *
 * usage: evtchn pong ROUNDS                 in the domU
 *        evtchn ping DOMID PORT ROUNDS      in dom0
 * pong allocates a port that domain 0 may bind, prints `evtchn: port N` and
 * then answers each event with one of its own, until it has answered
 * ROUNDS + 1 or none came for a second after the first. ping binds to
 * DOMID's PORT (Linux's evtchn device notifies the other end once when it
 * binds: ping lets pong's answer to that come and go first), then sends
 * ROUNDS events, each time waiting for the answer, and prints
 * `bench evtchn_pingpong <ns per round trip>` (an event each way: hypercall,
 * upcall into the other kernel, wake-up of the reader, and back).
 * Waits give up after 10 s, so a lost event ends the program with a message
 * instead of hanging the benchmark.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Linux's evtchn device ABI (include/uapi/xen/evtchn.h); the host's copy of that header
 * needs Xen's own types, so the three ioctls used are here. */
struct ioctl_evtchn_bind_interdomain {
	unsigned int remote_domain, remote_port;
};
struct ioctl_evtchn_bind_unbound_port {
	unsigned int remote_domain;
};
struct ioctl_evtchn_notify {
	unsigned int port;
};
#define IOCTL_EVTCHN_BIND_INTERDOMAIN \
	_IOC(_IOC_NONE, 'E', 1, sizeof(struct ioctl_evtchn_bind_interdomain))
#define IOCTL_EVTCHN_BIND_UNBOUND_PORT \
	_IOC(_IOC_NONE, 'E', 2, sizeof(struct ioctl_evtchn_bind_unbound_port))
#define IOCTL_EVTCHN_NOTIFY _IOC(_IOC_NONE, 'E', 4, sizeof(struct ioctl_evtchn_notify))

#define WAIT_MS 10000
#define IDLE_MS 1000   /* pong: no ping for this long after the first: ping is done */
#define SETTLE_MS 300  /* ping: quiet time after the bind before timing starts */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what)
{
	printf("evtchn: failed: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Waits up to ms for an event on port and unmasks it again; 0 or -1 (errno set). */
static int wait_event_ms(int fd, unsigned int port, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned int got;

	for (;;) {
		int n = poll(&p, 1, ms);

		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n < 0)
			return -1;
		if (read(fd, &got, sizeof(got)) != sizeof(got))
			return -1;
		if (write(fd, &got, sizeof(got)) != sizeof(got)) /* unmask */
			return -1;
		if (got == port)
			return 0;
	}
}

static int wait_event(int fd, unsigned int port)
{
	return wait_event_ms(fd, port, WAIT_MS);
}

static int notify(int fd, unsigned int port)
{
	struct ioctl_evtchn_notify n = { .port = port };

	return ioctl(fd, IOCTL_EVTCHN_NOTIFY, &n) < 0 ? -1 : 0;
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return *s && !*end && v <= max ? v : ~0UL;
}

static int pong(int fd, unsigned long rounds)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	int port = ioctl(fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind);

	if (port < 0)
		return fail("allocating a port for domain 0");
	printf("evtchn: port %d\n", port);
	fflush(stdout);
	unsigned long answered = 0;

	while (answered <= rounds) {
		if (wait_event_ms(fd, (unsigned int)port, answered ? IDLE_MS : WAIT_MS)) {
			if (answered && errno == ETIMEDOUT)
				break;
			return fail(answered ? "waiting for a ping" : "waiting for the first ping");
		}
		if (notify(fd, (unsigned int)port))
			return fail("answering a ping");
		answered++;
	}
	printf("evtchn: pong done, %lu answers\n", answered);
	return answered >= rounds ? 0 : 1;
}

static int ping(int fd, unsigned long domid, unsigned long remote, unsigned long rounds)
{
	struct ioctl_evtchn_bind_interdomain bind = { .remote_domain = (unsigned int)domid,
						      .remote_port = (unsigned int)remote };
	int port = ioctl(fd, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);
	uint64_t t0;

	if (port < 0)
		return fail("binding to the domU's port");
	while (!wait_event_ms(fd, (unsigned int)port, SETTLE_MS))
		; /* pong's answer to the notification of the bind, if it came */
	t0 = now_ns();
	for (unsigned long i = 0; i < rounds; i++) {
		if (notify(fd, (unsigned int)port) || wait_event(fd, (unsigned int)port))
			return fail("a round trip");
	}
	printf("bench evtchn_pingpong %" PRIu64 "\n", (now_ns() - t0) / rounds);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long a = ~0UL, b = 0, rounds = ~0UL;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "pong")) {
		rounds = number(argv[2], 10000000);
	} else if (argc == 5 && !strcmp(argv[1], "ping")) {
		a = number(argv[2], 0x7fef);
		b = number(argv[3], 0xffffff);
		rounds = number(argv[4], 10000000);
	} else {
		argc = 0;
	}
	if (!argc || rounds == ~0UL || !rounds || (argc == 5 && (a == ~0UL || b == ~0UL))) {
		fprintf(stderr, "usage: evtchn pong ROUNDS | evtchn ping DOMID PORT ROUNDS\n");
		return 2;
	}
	fd = open("/dev/xen/evtchn", O_RDWR);
	if (fd < 0)
		return fail("opening /dev/xen/evtchn");
	return argc == 3 ? pong(fd, rounds) : ping(fd, a, b, rounds);
}
