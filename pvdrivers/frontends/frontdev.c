/* The store and clock helpers of the libpv reference frontends (see frontdev.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpv.h>
#include <pv/io/xenbus.h>

#include "frontdev.h"

static evtchn_port_t timer_port;

void front_ignore_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
}

void front_sleep_ms(unsigned int ms)
{
	if (!timer_port) {
		pv_evtchn_bind_virq(VIRQ_TIMER, &timer_port);
		pv_evtchn_set_handler(timer_port, front_ignore_event, NULL);
	}
	pv_timer_set(pv_time_ns() + ms * 1000000ull);
	pv_block();
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
