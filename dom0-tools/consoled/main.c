/*
 * mica-consoled: serves every domU's console ring from dom0.
 *
 * For each guest that has /local/domain/N/console/{ring-ref,port} in the
 * store, it maps the ring page (grant reference 0, GNTTAB_RESERVED_CONSOLE,
 * through gntdev; failing that the frame itself through privcmd), binds
 * the guest's console event channel, and opens a pseudo-terminal whose
 * path it writes to /local/domain/N/console/tty for `mica console`. The
 * guest's output goes to the terminal and to /var/log/mica/console/NAME.log;
 * what is typed on the terminal goes into the guest's input ring.
 *
 * Guests come and go: the daemon watches @introduceDomain and
 * @releaseDomain and rescans the domain list on each event (and every few
 * seconds, in case one was missed). It serves a domain while it exists,
 * is not dying and is introduced to the store. Once it is not (the
 * toolstack releases a domain from the store before destroying it), the
 * daemon takes what is left in the output ring, unmaps the ring, closes
 * the terminal and removes console/tty: the toolstack waits for that, so
 * the domain's memory is no longer mapped in dom0 when it is destroyed.
 * Single-threaded, one poll() loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <pv/grant_table.h>

#include "libmica.h"
#include "ring.h"

#define DEFAULT_LOG_DIR "/var/log/mica/console"
#define LOG_ROTATE_BYTES (8u << 20)  /* then NAME.log becomes NAME.log.old */
#define RESCAN_MS 5000
#define MAX_DOMAINS 1024

struct guest {
	uint32_t domid;
	char name[80];
	struct xencons_interface *ring;
	bool by_grant;              /* mapped through gntdev (else privcmd) */
	int local_port;
	int master, slave;          /* the pseudo-terminal; slave kept open so master never sees EIO */
	int log;
	uint64_t logged;
};

struct daemon {
	struct mica *m;
	struct mica_xs *xs;
	struct mica_evtchn *ev;
	struct mica_gntdev *gnt;    /* NULL: no gntdev, map frames instead */
	const char *log_dir;
	struct guest *g[MAX_DOMAINS];
	unsigned int nr;
};

static volatile sig_atomic_t stop;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mica-consoled: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Creates dir and its parents (mode 0755); existing ones are fine. */
static void make_dirs(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static void open_log(struct daemon *d, struct guest *g)
{
	char file[96], path[400];
	struct stat st;

	cons_log_name(g->name, g->domid, file, sizeof(file));
	snprintf(path, sizeof(path), "%s/%s.log", d->log_dir, file);
	g->log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (g->log < 0) {
		say("cannot open %s: %s; domain %u's output is not logged", path, strerror(errno),
		    g->domid);
		return;
	}
	g->logged = fstat(g->log, &st) ? 0 : (uint64_t)st.st_size;
}

static void write_log(struct daemon *d, struct guest *g, const char *buf, size_t len)
{
	if (g->log < 0)
		return;
	if (g->logged + len > LOG_ROTATE_BYTES) {
		char file[96], path[400], old[420];

		cons_log_name(g->name, g->domid, file, sizeof(file));
		snprintf(path, sizeof(path), "%s/%s.log", d->log_dir, file);
		snprintf(old, sizeof(old), "%s.old", path);
		close(g->log);
		rename(path, old);
		open_log(d, g);
		if (g->log < 0)
			return;
		g->logged = 0;
	}
	if (write(g->log, buf, len) > 0)
		g->logged += len;
}

/* A pseudo-terminal in raw mode; the slave side's path goes to tty. */
static int open_pty(struct guest *g, char *tty, size_t size)
{
	struct termios t;
	const char *name;

	g->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (g->master < 0 || grantpt(g->master) || unlockpt(g->master))
		return -errno;
	name = ptsname(g->master);
	if (!name)
		return -errno;
	snprintf(tty, size, "%s", name);
	g->slave = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (g->slave < 0)
		return -errno;
	if (!tcgetattr(g->slave, &t)) {
		cfmakeraw(&t);
		tcsetattr(g->slave, TCSANOW, &t);
	}
	return 0;
}

static void guest_free(struct daemon *d, struct guest *g)
{
	if (g->local_port >= 0)
		mica_evtchn_unbind(d->ev, (uint32_t)g->local_port);
	if (g->ring) {
		if (g->by_grant)
			mica_gntdev_unmap(d->gnt, g->ring);
		else
			mica_unmap(g->ring, 1);
	}
	if (g->master >= 0)
		close(g->master);
	if (g->slave >= 0)
		close(g->slave);
	if (g->log >= 0)
		close(g->log);
	free(g);
}

static char *read_dom(struct daemon *d, uint32_t domid, const char *rel)
{
	char path[96], *v = NULL;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
	if (mica_xs_read(d->xs, MICA_XS_NO_TX, path, &v, NULL))
		return NULL;
	return v;
}

static bool read_number(struct daemon *d, uint32_t domid, const char *rel, uint64_t max,
			uint64_t *out)
{
	char *v = read_dom(d, domid, rel), *end;
	bool ok;

	if (!v)
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	ok = *v && !*end && !errno && *out <= max;
	free(v);
	return ok;
}

/* Starts serving a guest's console; false if it has none (yet) or it cannot be served. */
static bool attach(struct daemon *d, uint32_t domid)
{
	uint64_t mfn, port;
	char tty[128], path[96], *name;
	struct guest *g;
	int rc;

	if (d->nr >= MAX_DOMAINS)
		return false;
	if (!read_number(d, domid, "console/ring-ref", UINT64_MAX, &mfn) ||
	    !read_number(d, domid, "console/port", 0xfffff, &port))
		return false;
	g = calloc(1, sizeof(*g));
	if (!g)
		return false;
	g->domid = domid;
	g->local_port = g->master = g->slave = g->log = -1;
	name = read_dom(d, domid, "name");
	snprintf(g->name, sizeof(g->name), "%s", name ? name : "");
	free(name);
	if (d->gnt) {
		g->ring = mica_gntdev_map(d->gnt, domid, GNTTAB_RESERVED_CONSOLE, true);
		g->by_grant = g->ring != NULL;
	}
	if (!g->ring)
		g->ring = mica_map_foreign(d->m, domid, PROT_READ | PROT_WRITE, &mfn, 1, NULL);
	if (!g->ring) {
		say("cannot map the console ring of domain %u: %s", domid, strerror(errno));
		goto fail;
	}
	rc = mica_evtchn_bind_interdomain(d->ev, domid, (uint32_t)port);
	if (rc < 0) {
		say("cannot bind the console event channel of domain %u: %s", domid, strerror(-rc));
		goto fail;
	}
	g->local_port = rc;
	rc = open_pty(g, tty, sizeof(tty));
	if (rc) {
		say("cannot make a terminal for domain %u: %s", domid, strerror(-rc));
		goto fail;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/console/tty", domid);
	rc = mica_xs_write(d->xs, MICA_XS_NO_TX, path, tty, strlen(tty));
	if (rc)
		say("cannot publish %s for domain %u: %s", tty, domid, strerror(-rc));
	open_log(d, g);
	d->g[d->nr++] = g;
	say("serving the console of domain %u (%s) on %s", domid, g->name[0] ? g->name : "unnamed",
	    tty);
	/* Output written before we were there. */
	mica_evtchn_notify(d->ev, (uint32_t)g->local_port);
	return true;
fail:
	guest_free(d, g);
	return false;
}

static void service(struct daemon *d, struct guest *g);

/* Stops serving d->g[i], after taking the last of its output; removes its console/tty. */
static void detach(struct daemon *d, unsigned int i)
{
	struct guest *g = d->g[i];
	char path[96];

	service(d, g);
	say("domain %u (%s) is gone or released: no longer serving its console", g->domid,
	    g->name);
	snprintf(path, sizeof(path), "/local/domain/%u/console/tty", g->domid);
	guest_free(d, g);
	d->g[i] = d->g[--d->nr];
	mica_xs_rm(d->xs, MICA_XS_NO_TX, path); /* gone already with a removed domain: fine */
}

/* Moves output from the ring to the log and the terminal, and input the other way. */
static void service(struct daemon *d, struct guest *g)
{
	char buf[XENCONS_OUT_SIZE];
	bool moved = false, corrupt;
	size_t n;

	while ((n = cons_ring_take(g->ring, buf, sizeof(buf), &corrupt)) > 0) {
		write_log(d, g, buf, n);
		if (write(g->master, buf, n) < 0 && errno != EAGAIN)
			say("writing to domain %u's terminal: %s", g->domid, strerror(errno));
		moved = true;
	}
	if (corrupt) {
		say("domain %u's console ring indexes were impossible; dropped its contents",
		    g->domid);
		moved = true;
	}
	n = cons_ring_space(g->ring);
	if (n) {
		ssize_t got = read(g->master, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (got > 0) {
			cons_ring_give(g->ring, buf, (size_t)got);
			moved = true;
		}
	}
	if (moved)
		mica_evtchn_notify(d->ev, (uint32_t)g->local_port);
}

static struct guest *by_port(struct daemon *d, int port)
{
	for (unsigned int i = 0; i < d->nr; i++)
		if (d->g[i]->local_port == port)
			return d->g[i];
	return NULL;
}

/* Introduced to the store; a store that cannot say counts as yes (keep serving). */
static bool introduced(struct daemon *d, uint32_t domid)
{
	return mica_xs_is_introduced(d->xs, domid) != 0;
}

/* Matches the served guests to the domains that exist and the store knows. */
static void rescan(struct daemon *d)
{
	struct xen_domctl_getdomaininfo *list;
	unsigned int n;

	if (mica_domain_list(d->m, &list, &n))
		return;
	for (unsigned int i = 0; i < d->nr;) {
		bool alive = false;

		for (unsigned int k = 0; k < n && !alive; k++)
			alive = list[k].domain == d->g[i]->domid &&
				!(list[k].flags & XEN_DOMINF_dying);
		if (alive && introduced(d, d->g[i]->domid))
			i++;
		else
			detach(d, i);
	}
	for (unsigned int k = 0; k < n; k++) {
		bool known = false;

		if (list[k].domain == 0 || (list[k].flags & XEN_DOMINF_dying))
			continue;
		for (unsigned int i = 0; i < d->nr && !known; i++)
			known = d->g[i]->domid == list[k].domain;
		/* Not yet introduced: @introduceDomain brings us back; released: it is going. */
		if (!known && introduced(d, list[k].domain))
			attach(d, list[k].domain);
	}
	free(list);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void loop(struct daemon *d)
{
	int64_t next_scan = 0;

	while (!stop) {
		struct pollfd p[2 + MAX_DOMAINS];
		unsigned int np = 0;
		int rc, port;

		if (now_ms() >= next_scan) {
			rescan(d);
			next_scan = now_ms() + RESCAN_MS;
		}
		p[np++] = (struct pollfd){ .fd = mica_xs_fd(d->xs), .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = mica_evtchn_fd(d->ev), .events = POLLIN };
		for (unsigned int i = 0; i < d->nr; i++)
			p[np++] = (struct pollfd){ .fd = d->g[i]->master, .events = POLLIN };
		rc = poll(p, np, RESCAN_MS);
		if (rc < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return;
		}
		if (rc <= 0)
			continue;
		if (p[0].revents) {
			char *path, *token;
			bool any = false;

			while (!mica_xs_read_watch(d->xs, &path, &token, 0)) {
				free(path);
				free(token);
				any = true;
			}
			if (any)
				next_scan = 0;
			if (p[0].revents & (POLLHUP | POLLERR)) {
				say("the store closed the connection; stopping");
				return;
			}
		}
		if (p[1].revents) {
			while ((port = mica_evtchn_pending(d->ev)) >= 0) {
				struct guest *g = by_port(d, port);

				if (g)
					service(d, g);
				mica_evtchn_unmask(d->ev, (uint32_t)port);
			}
		}
		/* Typed input: a pass over the terminals that have some. */
		for (unsigned int i = 0; i < d->nr && 2 + i < np; i++)
			if (p[2 + i].revents & POLLIN && d->g[i]->master == p[2 + i].fd)
				service(d, d->g[i]);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: mica-consoled [-d] [--log-dir DIR]\n\n"
		     "Serves every guest's console: a terminal for 'mica console' and a log in\n"
		     "DIR/NAME.log (default %s).\n\n"
		     "  -d, --daemon       run in the background (logs its own messages to\n"
		     "                     DIR/mica-consoled.log)\n"
		     "  -l, --log-dir DIR  where the guests' logs go\n", DEFAULT_LOG_DIR);
}

/* Opens the hypervisor, the event-channel and grant devices and the store; says why not. */
static int open_all(struct daemon *d)
{
	char why[300];
	int rc;

	if (mica_open(&d->m, why, sizeof(why))) {
		say("%s", why);
		return -1;
	}
	rc = mica_evtchn_open(&d->ev);
	if (rc) {
		say("cannot open /dev/xen/evtchn: %s; load the xen-evtchn driver", strerror(-rc));
		return -1;
	}
	if (mica_gntdev_open(&d->gnt))
		d->gnt = NULL; /* rings are then mapped by frame */
	rc = mica_xs_open(&d->xs, NULL);
	if (rc) {
		say("cannot reach the store at %s: %s; start mica-store first",
		    mica_xs_socket_path(NULL), strerror(-rc));
		return -1;
	}
	if (mica_xs_watch(d->xs, "@introduceDomain", "consoled") ||
	    mica_xs_watch(d->xs, "@releaseDomain", "consoled"))
		say("no domain watches on the store; rescanning every %d s", RESCAN_MS / 1000);
	return 0;
}

static void close_all(struct daemon *d)
{
	while (d->nr)
		detach(d, d->nr - 1);
	mica_xs_close(d->xs);
	mica_gntdev_close(d->gnt);
	mica_evtchn_close(d->ev);
	mica_close(d->m);
	d->xs = NULL;
	d->gnt = NULL;
	d->ev = NULL;
	d->m = NULL;
}

/*
 * Goes to the background with its messages in DIR/mica-consoled.log. The
 * handles are opened again afterwards: hypervisor handles do not survive
 * fork() (libmica.h), and each binding belongs to the process that made it.
 */
static int go_background(struct daemon *d)
{
	char path[300];
	int fd;

	close_all(d);
	snprintf(path, sizeof(path), "%s/mica-consoled.log", d->log_dir);
	if (daemon(0, 0)) {
		say("cannot go to the background: %s", strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	return open_all(d);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' }, { "log-dir", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },   { NULL, 0, NULL, 0 },
	};
	struct daemon d = { .log_dir = DEFAULT_LOG_DIR };
	bool background = false;
	int c;

	while ((c = getopt_long(argc, argv, "dl:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': background = true; break;
		case 'l': d.log_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	make_dirs(d.log_dir);
	/* Everything is checked in the foreground, so a person sees what is missing. */
	if (open_all(&d) || (background && go_background(&d))) {
		close_all(&d);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	say("serving guest consoles; logs in %s", d.log_dir);
	loop(&d);
	close_all(&d);
	return 0;
}
