/* The store and clock helpers of the libpv reference frontends (see frontdev.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpv.h>
#include <pv/io/xenbus.h>

#include "frontdev.h"

static evtchn_port_t timer_port;
static volatile bool timer_fired;

void front_ignore_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
}

static void on_timer(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	timer_fired = true;
}

/*
 * Events stay masked from before the timer is armed until pv_block, which
 * unmasks and sleeps in one step (SCHEDOP_block sleeps only if nothing is
 * pending). Blocking with events unmasked loses the wake-up whenever the
 * timer fires first (a short sleep, the vCPU descheduled a while): the
 * upcall eats the only event and the guest sleeps for ever.
 */
void front_sleep_ms(unsigned int ms)
{
	uint64_t deadline = pv_time_ns() + ms * 1000000ull;
	unsigned int was = pv_irq_save();

	if (!timer_port) {
		pv_evtchn_bind_virq(VIRQ_TIMER, &timer_port);
		pv_evtchn_set_handler(timer_port, on_timer, NULL);
	}
	timer_fired = false;
	pv_timer_set(deadline);
	while (pv_time_ns() < deadline) {
		pv_block();
		pv_irq_disable();
		/* An earlier sleep's late event, or a clock a hair behind the timer's: arm again. */
		if (timer_fired) {
			timer_fired = false;
			pv_timer_set(deadline);
		}
	}
	pv_irq_restore(was);
}

int front_read_str(const char *dir, const char *key, char *buf, size_t size)
{
	char path[192];
	long rc;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	rc = pv_xenbus_read(path, buf, size - 1);
	if (rc < 0 || (size_t)rc >= size)
		return -1;
	buf[rc] = '\0';
	return 0;
}

long long front_read_num(const char *dir, const char *key)
{
	char buf[32], *end;
	long long v;

	if (front_read_str(dir, key, buf, sizeof(buf)))
		return -1;
	v = strtoll(buf, &end, 10);
	return *buf && !*end ? v : -1;
}

long front_write_num(const char *dir, const char *key, unsigned long long v)
{
	char path[192], value[32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	snprintf(value, sizeof(value), "%llu", v);
	return pv_xenbus_write(path, value);
}

int front_find_backend(const char *dir, char *buf, size_t size)
{
	if (front_read_str(dir, "backend", buf, size)) {
		printf("frontend: %s has no backend node: was the device attached?\n", dir);
		return -1;
	}
	return 0;
}

int front_backend_state(const char *backend)
{
	long long s = front_read_num(backend, "state");

	return s < 0 ? 0 : (int)s;
}

bool front_wait_backend(const char *backend, int want, unsigned int ms)
{
	for (unsigned int t = 0; t <= ms; t += 10) {
		int s = front_backend_state(backend);

		if (s == want || (want == XenbusStateClosing && s == XenbusStateClosed))
			return true;
		front_sleep_ms(10);
	}
	return false;
}

bool front_close(const char *dir, const char *backend, const char *who)
{
	static const int steps[] = { XenbusStateClosing, XenbusStateClosed };

	for (unsigned int i = 0; i < 2; i++) {
		front_write_num(dir, "state", (unsigned long long)steps[i]);
		if (!front_wait_backend(backend, steps[i], 20000)) {
			printf("%s: the backend did not reach %s within 20 s (state %d)\n", who,
			       i ? "Closed" : "Closing", front_backend_state(backend));
			return false;
		}
	}
	return true;
}
