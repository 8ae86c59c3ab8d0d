/*
 * mica console: the terminal relayed to a guest's console. The console
 * daemon (mica-consoled) serves each guest's ring on a pseudo-terminal and
 * writes its path to /local/domain/N/console/tty, as xenconsoled does; this
 * opens it, puts the terminal in raw mode and copies both ways until
 * Ctrl-] (0x1d) or until the guest goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "libmica.h"
#include "mica.h"
#include "store.h"

#define DETACH_KEY 0x1d          /* Ctrl-] */
#define TTY_WAIT_MS 10000        /* for a guest that was just created */

static int write_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The path of the guest's console terminal, waiting a little for the daemon to publish it. */
static char *console_tty(struct mica *m, struct mica_xs *xs, uint32_t domid)
{
	int64_t deadline = now_ms() + TTY_WAIT_MS;

	for (;;) {
		struct xen_domctl_getdomaininfo info;
		struct timespec ts = { 0, 100 * 1000000L };
		char *tty = store_read_dom(xs, domid, "console/tty");

		if (tty && tty[0] == '/')
			return tty;
		free(tty);
		if (now_ms() > deadline || mica_domain_info(m, domid, &info))
			return NULL;
		nanosleep(&ts, NULL);
	}
}

/* Copies until the detach key, the end of the console, or the domain's end. */
static int relay(struct mica *m, uint32_t domid, int tty, const char *label)
{
	struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = tty, .events = POLLIN } };
	char buf[4096];

	for (;;) {
		struct xen_domctl_getdomaininfo info;
		int rc = poll(p, 2, 1000);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0) {
			if (mica_domain_info(m, domid, &info) == -ESRCH) {
				fprintf(stderr, "\r\n[%s is gone]\r\n", label);
				return 0;
			}
			continue;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(tty, buf, sizeof(buf));

			if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) {
				fprintf(stderr, "\r\n[the console of %s closed]\r\n", label);
				return 0;
			}
			if (n > 0 && write_full(1, buf, (size_t)n))
				return 0;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(0, buf, sizeof(buf));
			char *key;

			if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
				return 0; /* our input ended */
			if (n <= 0)
				continue;
			key = memchr(buf, DETACH_KEY, (size_t)n);
			if (key) {
				write_full(tty, buf, (size_t)(key - buf));
				return 0;
			}
			if (write_full(tty, buf, (size_t)n))
				return 0;
		}
	}
}

int console_attach(struct mica *m, uint32_t domid)
{
	struct termios saved, raw;
	struct mica_xs *xs;
	char label[96], *path;
	bool term;
	int tty, rc;

	if (domid == 0) {
		err_msg("dom0's console is the hypervisor's serial console, not a guest console");
		return EXIT_FAIL;
	}
	xs = open_store();
	if (!xs)
		return EXIT_FAIL;
	domain_label(xs, domid, label, sizeof(label));
	path = console_tty(m, xs, domid);
	mica_xs_close(xs);
	if (!path) {
		err_msg("the console of %s is not served: is mica-consoled running? (start it "
			"with: mica-consoled)", label);
		return EXIT_FAIL;
	}
	tty = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0) {
		err_msg("cannot open %s, the console of %s: %s", path, label, strerror(errno));
		free(path);
		return EXIT_FAIL;
	}
	free(path);
	term = isatty(0) && !tcgetattr(0, &saved);
	fprintf(stderr, "Connected to the console of %s; Ctrl-] detaches.\n", label);
	if (term) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	rc = relay(m, domid, tty, label);
	if (term)
		tcsetattr(0, TCSANOW, &saved);
	close(tty);
	if (rc) {
		err_msg("the console of %s failed: %s", label, strerror(-rc));
		return EXIT_FAIL;
	}
	fputc('\n', stderr);
	return EXIT_OK;
}

int cmd_console(int argc, char **argv)
{
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	int status;

	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
		return usage_error("console", "unknown option");
	if (optind != argc - 1)
		return usage_error("console", "name one domain (NAME or ID)");
	m = open_hypervisor();
	if (!m)
		return EXIT_FAIL;
	xs = open_store();
	if (!xs || find_domain(m, xs, argv[optind], &domid)) {
		mica_xs_close(xs);
		mica_close(m);
		return EXIT_FAIL;
	}
	mica_xs_close(xs);
	status = console_attach(m, domid);
	mica_close(m);
	return status;
}
