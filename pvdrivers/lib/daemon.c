/*
 * pvback: the daemon. Finds devices in the store, moves each through the
 * xenbus state machine (state.c) and runs the one poll() loop that serves
 * them all.
 *
 * Finding devices: one watch on /local/domain/0/backend/TYPE fires for any
 * change below it; the path names the domain and device, which is then
 * looked at again (appeared, changed, or gone). Each known device also has
 * a watch on its frontend directory (token "fe"), and @releaseDomain makes
 * every device of a domain that is dying or gone let go of its grants at
 * once, because the hypervisor cannot finish destroying a domain whose
 * pages dom0 still maps. A periodic rescan covers lost events.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define RESCAN_MS 5000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

const char *pvb_name(const struct pvb *b)
{
	return b->name;
}

static void say(const struct pvb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct pvb *b, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", b->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int open_handles(struct pvb *b)
{
	char why[300];
	int rc;

	rc = mica_open(&b->m, why, sizeof(why));
	if (rc) {
		say(b, "%s", why);
		return rc;
	}
	rc = mica_evtchn_open(&b->ev);
	if (rc) {
		say(b, "cannot open /dev/xen/evtchn: %s; load the xen-evtchn driver", strerror(-rc));
		return rc;
	}
	rc = mica_gntdev_open(&b->gnt);
	if (rc) {
		say(b, "cannot open /dev/xen/gntdev: %s; load the xen-gntdev driver", strerror(-rc));
		return rc;
	}
	rc = mica_xs_open(&b->xs, NULL);
	if (rc) {
		say(b, "cannot reach the store at %s: %s; start mica-store first",
		    mica_xs_socket_path(NULL), strerror(-rc));
		return rc;
	}
	rc = mica_xs_watch(b->xs, b->be_root, "be");
	if (!rc)
		rc = mica_xs_watch(b->xs, "@releaseDomain", "release");
	if (rc)
		say(b, "cannot watch %s in the store: %s", b->be_root, strerror(-rc));
	return rc;
}

static void close_handles(struct pvb *b)
{
	mica_xs_close(b->xs);
	mica_gntdev_close(b->gnt);
	mica_evtchn_close(b->ev);
	mica_close(b->m);
	b->xs = NULL;
	b->gnt = NULL;
	b->ev = NULL;
	b->m = NULL;
}

int pvb_open(struct pvb **out, const struct pvb_ops *ops, const char *name)
{
	struct pvb *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	b->ops = ops;
	b->name = name;
	snprintf(b->be_root, sizeof(b->be_root), "/local/domain/0/backend/%s", ops->type);
	rc = open_handles(b);
	if (rc) {
		close_handles(b);
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int pvb_daemonize(struct pvb *b, const char *log_path)
{
	FILE *log;

	close_handles(b);
	if (daemon(0, 0))
		return -errno;
	log = fopen(log_path, "a");
	if (log) {
		dup2(fileno(log), 2);
		fclose(log);
		setvbuf(stderr, NULL, _IOLBF, 0);
	}
	return open_handles(b);
}

/* Creates the directory holding path's last component (one level: /var/log/mica). */
static void make_parent(const char *path)
{
	char dir[256], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

int pvb_start(struct pvb *b, bool background, const char *log, const char *pidfile)
{
	FILE *f;
	int rc;

	if (background) {
		make_parent(log);
		rc = pvb_daemonize(b, log);
		if (rc) {
			say(b, "cannot go to the background: %s", strerror(-rc));
			return rc;
		}
	}
	if (!pidfile)
		return 0;
	f = fopen(pidfile, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
		rc = -errno;
		say(b, "cannot write %s: %s", pidfile, strerror(errno));
		return rc ? rc : -EIO;
	}
	b->pidfile = pidfile;
	return 0;
}

static void set_state(struct pvb_dev *d, enum xenbus_state s)
{
	int rc;

	d->state = s;
	rc = pvb_write(d, "state", "%d", (int)s);
	if (rc)
		pvb_log(d, "cannot write state %s: %s", pvb_state_name(s), strerror(-rc));
}

/* Releases the rings and ports after telling the backend. */
static void disconnect(struct pvb_dev *d)
{
	if (d->b->ops->disconnect)
		d->b->ops->disconnect(d);
	pvb_release(d);
	d->closing = false;
}

static void forget(struct pvb *b, unsigned int i)
{
	struct pvb_dev *d = b->dev[i];
	char path[200];

	disconnect(d);
	if (d->probed && b->ops->remove)
		b->ops->remove(d);
	snprintf(path, sizeof(path), "%s", d->fe);
	mica_xs_unwatch(b->xs, path, "fe");
	pvb_log(d, "removed");
	free(d->priv);
	free(d);
	b->dev[i] = b->dev[--b->nr];
}

static struct pvb_dev *find(struct pvb *b, uint32_t domid, uint32_t devid, unsigned int *index)
{
	for (unsigned int i = 0; i < b->nr; i++) {
		if (b->dev[i]->domid == domid && b->dev[i]->devid == devid) {
			if (index)
				*index = i;
			return b->dev[i];
		}
	}
	return NULL;
}

/* Creates the device record for a backend directory the toolstack made; NULL if not (yet) usable. */
static struct pvb_dev *add(struct pvb *b, uint32_t domid, uint32_t devid)
{
	struct pvb_dev *d;
	char expect[160], *fe = NULL;
	int rc;

	if (b->nr >= PVB_MAX_DEVICES) {
		say(b, "serving %u devices already; domain %u %s %u is not served", b->nr, domid,
		    b->ops->type, devid);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->b = b;
	d->domid = domid;
	d->devid = devid;
	snprintf(d->be, sizeof(d->be), "%s/%u/%u", b->be_root, domid, devid);
	for (unsigned int i = 0; i < PVB_MAX_PORTS; i++)
		d->ports[i] = -1;
	for (unsigned int i = 0; i < PVB_MAX_FDS; i++)
		d->fds[i].fd = -1;
	d->priv = calloc(1, b->ops->priv_size ? b->ops->priv_size : 1);
	if (!d->priv) {
		free(d);
		return NULL;
	}
	rc = pvb_read(d, false, "frontend", &fe);
	if (rc) {
		/* The toolstack writes it with the directory; not there yet, or half removed. */
		free(d->priv);
		free(d);
		return NULL;
	}
	/* The frontend must be this domain's device of the same type and number. */
	snprintf(expect, sizeof(expect), "/local/domain/%u/device/%s/%u", domid, b->ops->type,
		 devid);
	if (strcmp(fe, expect)) {
		pvb_fail(d, "frontend is %s, expected %s; not served", fe, expect);
		free(fe);
		free(d->priv);
		free(d);
		return NULL;
	}
	snprintf(d->fe, sizeof(d->fe), "%s", fe);
	free(fe);
	d->state = XenbusStateInitialising;
	b->dev[b->nr++] = d;
	if (mica_xs_watch(b->xs, d->fe, "fe"))
		pvb_log(d, "cannot watch the frontend; relying on rescans");
	rc = b->ops->probe ? b->ops->probe(d) : 0;
	if (rc) {
		set_state(d, XenbusStateClosed);
		return d;
	}
	d->probed = true;
	set_state(d, XenbusStateInitWait);
	pvb_log(d, "waiting for the frontend");
	return d;
}

/*
 * Takes one step of the state machine from what the store says now;
 * false when there was nothing to do.
 */
static bool step_once(struct pvb *b, struct pvb_dev *d)
{
	enum xenbus_state fe;
	enum pvb_step next;
	uint64_t online = 1;
	char *v = NULL;
	int rc;

	fe = pvb_read(d, true, "state", &v) ? XenbusStateUnknown : pvb_parse_state(v);
	free(v);
	rc = pvb_read_uint(d, false, "online", 1, &online);
	if (rc)
		online = 1;
	if (d->closing) {
		disconnect(d);
		set_state(d, XenbusStateClosing);
	}
	next = pvb_next_step(d->state, fe, online != 0);
	switch (next) {
	case PVB_STAY:
		break;
	case PVB_CONNECT:
		rc = b->ops->connect ? b->ops->connect(d) : 0;
		if (rc || d->closing) {
			disconnect(d);
			set_state(d, XenbusStateClosing);
			break;
		}
		set_state(d, XenbusStateConnected);
		pvb_log(d, "connected");
		/* Requests the frontend queued before we looked. */
		pvb_again(d);
		break;
	case PVB_CLOSING:
		disconnect(d);
		set_state(d, XenbusStateClosing);
		break;
	case PVB_CLOSED:
		disconnect(d);
		set_state(d, XenbusStateClosed);
		pvb_log(d, "closed");
		break;
	case PVB_REINIT:
		set_state(d, XenbusStateInitWait);
		pvb_log(d, "the frontend starts over: waiting for it");
		break;
	}
	return next != PVB_STAY;
}

/*
 * Moves d along the state machine until it rests where both ends' states
 * say (state.c: at most two steps for any pair; the bound only guards
 * against a frontend that flips its state while we look).
 */
static void step(struct pvb *b, struct pvb_dev *d)
{
	if (!d->probed)
		return;
	for (int i = 0; i < 4 && step_once(b, d); i++)
		;
}

/* Looks at backend/TYPE/domid/devid again: new, changed or gone. */
static void look(struct pvb *b, uint32_t domid, uint32_t devid)
{
	unsigned int i;
	struct pvb_dev *d = find(b, domid, devid, &i);
	char path[160], *v = NULL;

	snprintf(path, sizeof(path), "%s/%u/%u/frontend", b->be_root, domid, devid);
	if (mica_xs_read(b->xs, MICA_XS_NO_TX, path, &v, NULL)) {
		if (d)
			forget(b, i);
		return;
	}
	free(v);
	if (!d)
		d = add(b, domid, devid);
	if (d)
		step(b, d);
}

static bool parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Every device in the store; devices that vanished are forgotten. */
static void rescan(struct pvb *b)
{
	char **doms = NULL, **devs, path[128];
	unsigned int nd = 0, nv;
	uint32_t domid, devid;

	for (unsigned int i = 0; i < b->nr; i++)
		b->dev[i]->mark = false;
	if (mica_xs_directory(b->xs, MICA_XS_NO_TX, b->be_root, &doms, &nd))
		nd = 0;
	for (unsigned int i = 0; i < nd; i++) {
		if (!parse_id(doms[i], &domid))
			continue;
		snprintf(path, sizeof(path), "%s/%u", b->be_root, domid);
		if (mica_xs_directory(b->xs, MICA_XS_NO_TX, path, &devs, &nv))
			continue;
		for (unsigned int k = 0; k < nv; k++) {
			struct pvb_dev *d;

			if (!parse_id(devs[k], &devid))
				continue;
			look(b, domid, devid);
			d = find(b, domid, devid, NULL);
			if (d)
				d->mark = true;
		}
		mica_xs_free_list(devs, nv);
	}
	mica_xs_free_list(doms, nd);
	for (unsigned int i = 0; i < b->nr;)
		if (!b->dev[i]->mark)
			forget(b, i);
		else
			i++;
}

/* Devices of domains that are dying or gone let go of their grants. */
static void reap(struct pvb *b)
{
	for (unsigned int i = 0; i < b->nr; i++) {
		struct pvb_dev *d = b->dev[i];
		struct xen_domctl_getdomaininfo info;
		int rc = mica_domain_info(b->m, d->domid, &info);

		if ((rc == -ESRCH || (!rc && (info.flags & XEN_DOMINF_dying))) &&
		    d->state != XenbusStateClosed) {
			pvb_log(d, "the domain is %s; releasing its grants", rc ? "gone" : "dying");
			disconnect(d);
			set_state(d, XenbusStateClosed);
		}
	}
}

/* A watch event: which device it is about, then look at that one. */
static void on_watch(struct pvb *b, const char *path, const char *token)
{
	uint32_t domid, devid;
	size_t n = strlen(b->be_root);
	char type[32];
	int used = 0;

	if (!strcmp(token, "release")) {
		reap(b);
		return;
	}
	if (!strcmp(token, "be")) {
		if (strncmp(path, b->be_root, n) || path[n] != '/') {
			if (!strcmp(path, b->be_root))
				rescan(b);
			return;
		}
		if (sscanf(path + n, "/%u/%u%n", &domid, &devid, &used) == 2 &&
		    (path[n + used] == '\0' || path[n + used] == '/'))
			look(b, domid, devid);
		else if (sscanf(path + n, "/%u%n", &domid, &used) == 1 && !path[n + used])
			rescan(b); /* a whole domain's directory came or went */
		return;
	}
	if (sscanf(path, "/local/domain/%u/device/%31[^/]/%u", &domid, type, &devid) == 3 &&
	    !strcmp(type, b->ops->type)) {
		struct pvb_dev *d = find(b, domid, devid, NULL);

		if (d)
			step(b, d);
	}
}

static struct pvb_dev *by_port(struct pvb *b, int port)
{
	for (unsigned int i = 0; i < b->nr; i++)
		for (unsigned int k = 0; k < PVB_MAX_PORTS; k++)
			if (b->dev[i]->ports[k] == port)
				return b->dev[i];
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After any callback: a device that broke the protocol is closed now. */
static void settle(struct pvb *b, struct pvb_dev *d)
{
	if (d->closing)
		step(b, d);
}

static void service(struct pvb *b, struct pvb_dev *d, int port)
{
	if (d->state != XenbusStateConnected)
		return;
	b->ops->service(d, port);
	settle(b, d);
}

/* One round of the loop; returns -EPIPE when the store went away. */
static int round_once(struct pvb *b, int64_t *next_scan)
{
	struct pollfd p[2 + PVB_MAX_DEVICES * PVB_MAX_FDS];
	struct pvb_dev *owner[2 + PVB_MAX_DEVICES * PVB_MAX_FDS];
	unsigned int np = 0;
	bool busy = false;
	int rc, port;

	if (now_ms() >= *next_scan) {
		rescan(b);
		reap(b);
		*next_scan = now_ms() + RESCAN_MS;
	}
	for (unsigned int i = 0; i < b->nr; i++)
		busy |= b->dev[i]->again;
	p[np++] = (struct pollfd){ .fd = mica_xs_fd(b->xs), .events = POLLIN };
	p[np++] = (struct pollfd){ .fd = mica_evtchn_fd(b->ev), .events = POLLIN };
	for (unsigned int i = 0; i < b->nr; i++) {
		for (unsigned int k = 0; k < PVB_MAX_FDS; k++) {
			if (b->dev[i]->fds[k].fd < 0)
				continue;
			owner[np] = b->dev[i];
			p[np++] = (struct pollfd){ .fd = b->dev[i]->fds[k].fd,
						   .events = b->dev[i]->fds[k].events };
		}
	}
	rc = poll(p, np, busy ? 0 : RESCAN_MS);
	if (rc < 0 && errno != EINTR)
		say(b, "poll: %s", strerror(errno));
	if (rc > 0 && p[0].revents) {
		char *path, *token;

		while (!mica_xs_read_watch(b->xs, &path, &token, 0)) {
			on_watch(b, path, token);
			free(path);
			free(token);
		}
		if (p[0].revents & (POLLHUP | POLLERR)) {
			say(b, "the store closed the connection; stopping");
			return -EPIPE;
		}
	}
	if (rc > 0 && p[1].revents) {
		while ((port = mica_evtchn_pending(b->ev)) >= 0) {
			struct pvb_dev *d = by_port(b, port);

			mica_evtchn_unmask(b->ev, (uint32_t)port);
			if (d)
				service(b, d, port);
		}
	}
	/* Device descriptors: the owner may have gone in the callbacks above. */
	for (unsigned int i = 2; rc > 0 && i < np; i++) {
		bool alive = false;

		for (unsigned int k = 0; k < b->nr && !alive; k++)
			alive = b->dev[k] == owner[i];
		if (alive && p[i].revents && b->ops->fd_ready) {
			b->ops->fd_ready(owner[i], p[i].fd, p[i].revents);
			settle(b, owner[i]);
		}
	}
	for (unsigned int i = 0; i < b->nr; i++) {
		struct pvb_dev *d = b->dev[i];

		if (d->again) {
			d->again = false;
			service(b, d, -1);
		}
	}
	return 0;
}

int pvb_run(struct pvb *b)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int64_t next_scan = 0;
	int rc = 0;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stop_requested && !rc)
		rc = round_once(b, &next_scan);
	return rc;
}

void pvb_close(struct pvb *b)
{
	if (!b)
		return;
	while (b->nr) {
		struct pvb_dev *d = b->dev[b->nr - 1];

		if (d->state == XenbusStateConnected || d->state == XenbusStateInitWait)
			set_state(d, XenbusStateClosed);
		forget(b, b->nr - 1);
	}
	close_handles(b);
	if (b->pidfile)
		unlink(b->pidfile);
	free(b);
}
