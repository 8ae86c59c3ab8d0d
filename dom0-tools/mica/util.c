/* What the mica commands share: messages, opening the hypervisor and the store, names. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "libmica.h"
#include "mica.h"
#include "store.h"

bool quiet;

/* How long destroy_and_forget waits for dom0's programs to drop a dying domain's frames. */
#define DESTROY_WAIT_MS 10000
/* How long it waits for mica-consoled to let go of a released domain's console. */
#define CONSOLE_LET_GO_MS 5000

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "mica: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void info_msg(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

struct mica *open_hypervisor(void)
{
	struct mica *m;
	char why[300];

	if (mica_open(&m, why, sizeof(why))) {
		err_msg("%s", why);
		return NULL;
	}
	return m;
}

struct mica_xs *open_store(void)
{
	struct mica_xs *xs;
	int rc = mica_xs_open(&xs, NULL);

	if (rc) {
		err_msg("cannot reach the store at %s: %s; is mica-store running? (start it with "
			"mica-store, or set XENSTORED_PATH to its socket)",
			mica_xs_socket_path(NULL), strerror(-rc));
		return NULL;
	}
	return xs;
}

bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

int find_domain(struct mica *m, struct mica_xs *xs, const char *arg, uint32_t *domid)
{
	struct xen_domctl_getdomaininfo *list = NULL, info;
	unsigned int nr = 0;
	uint64_t id;
	int rc;

	if (parse_uint(arg, DOMID_FIRST_RESERVED - 1, &id)) {
		rc = mica_domain_info(m, (uint32_t)id, &info);
		if (rc == -ESRCH) {
			err_msg("there is no domain %s; 'mica list' shows the domains", arg);
			return -ENOENT;
		}
		if (rc) {
			err_msg("cannot look up domain %s: %s", arg, strerror(-rc));
			return rc;
		}
		*domid = (uint32_t)id;
		return 0;
	}
	if (!strcmp(arg, "Domain-0")) {
		*domid = 0;
		return 0;
	}
	if (!xs) {
		err_msg("cannot find domain '%s' by name without the store; give its id", arg);
		return -ENOENT;
	}
	/* The name index answers in one read; the walk is for domains it does not list. */
	if (!store_find_name(xs, arg, domid) && !mica_domain_info(m, *domid, &info))
		return 0;
	rc = mica_domain_list(m, &list, &nr);
	if (rc) {
		err_msg("cannot list the domains: %s", strerror(-rc));
		return rc;
	}
	for (unsigned int i = 0; i < nr; i++) {
		char *name = store_domain_name(xs, list[i].domain);
		bool same = name && !strcmp(name, arg);

		free(name);
		if (same) {
			*domid = list[i].domain;
			free(list);
			return 0;
		}
	}
	free(list);
	err_msg("there is no domain named '%s'; 'mica list' shows the domains", arg);
	return -ENOENT;
}

const char *domain_label(struct mica_xs *xs, uint32_t domid, char *buf, size_t size)
{
	char *name = store_domain_name(xs, domid);

	if (name)
		snprintf(buf, size, "%s (%u)", name, domid);
	else
		snprintf(buf, size, "domain %u", domid);
	free(name);
	return buf;
}

int make_uuid(uint8_t b[16], char text[37])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(b + got, 16 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4: random */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
	snprintf(text, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *shutdown_reason_name(uint32_t reason)
{
	static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog",
					     "soft_reset" };

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

/*
 * Before the destroy hypercall, the store and the console daemon let go of
 * the domain's ring pages, so that destruction completes at once: the
 * store unmaps its ring when it releases the domain (and fires
 * @releaseDomain); mica-consoled, seeing it released, takes the last of
 * its output, unmaps the console ring and removes console/tty, which is
 * waited for here (a daemon that does not answer in CONSOLE_LET_GO_MS
 * leaves it to the retries of destroy_and_forget).
 */
static void rings_let_go(struct mica_xs *xs, uint32_t domid)
{
	int64_t deadline = now_ms() + CONSOLE_LET_GO_MS;
	char *tty = store_read_dom(xs, domid, "console/tty");

	mica_xs_release(xs, domid); /* -ENOENT if it was released already */
	while (tty) {
		struct timespec ts = { 0, 20 * 1000000L };

		free(tty);
		if (now_ms() > deadline)
			break;
		nanosleep(&ts, NULL);
		tty = store_read_dom(xs, domid, "console/tty");
	}
}

int destroy_and_forget(struct mica *m, struct mica_xs *xs, uint32_t domid)
{
	struct xen_domctl_getdomaininfo info;
	int64_t deadline;
	int rc;

	if (xs)
		rings_let_go(xs, domid);
	rc = mica_domain_destroy(m, domid);
	if (rc && rc != -ESRCH)
		return rc;
	if (xs)
		store_remove_domain(xs, domid);
	/*
	 * A frame of the domain that something in dom0 still maps (a backend
	 * that has not unmapped a ring or a data page yet: it lets go once
	 * its device directories are gone; the hypervisor's log names the
	 * grant) keeps it as a zombie: dying, listed, its id taken.
	 * Destroying it again once they have let go finishes it.
	 */
	deadline = now_ms() + DESTROY_WAIT_MS;
	while (!mica_domain_info(m, domid, &info)) {
		struct timespec ts = { 0, 100 * 1000000L };

		if (now_ms() > deadline)
			return -EBUSY;
		nanosleep(&ts, NULL);
		rc = mica_domain_destroy(m, domid);
		if (rc && rc != -ESRCH)
			return rc;
	}
	return 0;
}
