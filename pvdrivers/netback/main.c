/*
 * mica-netback: the network backend daemon of Mica's dom0 (see netback.h).
 * Options, the handles, and the poll loop: the store's socket (watch
 * events), the event-channel device (a frontend kicked us), and the TAP of
 * every connected interface that has room on its rx ring.
 */
#include "netback.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

void nb_log(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "[%5lld.%03ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mica-netback [-d] [-l LOGFILE] [-b BRIDGE] [-s SOCKET]\n\n"
		"Serve the network interfaces (vifs) of Mica's guests from dom0: each gets a TAP\n"
		"device vifD.N joined to a bridge (created if missing).\n\n"
		"  -d, --daemon         run in the background once the store is reached\n"
		"  -l, --log FILE       append messages to FILE (default: stderr)\n"
		"  -b, --bridge NAME    bridge for vifs that name none (default micabr0)\n"
		"  -s, --socket PATH    the store's socket (default: as libxenstore finds it)\n"
		"  -h, --help           this text\n\n"
		"Exit status: 0 after SIGTERM or SIGINT, 1 if it cannot start.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static struct vif *vif_by_port(struct netback *nb, int port)
{
	for (struct vif *v = nb->vifs; v; v = v->next)
		if (v->connected && v->port == port)
			return v;
	return NULL;
}

static void drain_watches(struct netback *nb)
{
	char *path, *token;
	bool any = false;

	while (!mica_xs_read_watch(nb->xs, &path, &token, 0)) {
		free(path);
		free(token);
		any = true;
	}
	if (any)
		backend_rescan(nb);
}

static void drain_events(struct netback *nb)
{
	int port;

	while ((port = mica_evtchn_pending(nb->evtchn)) >= 0) {
		struct vif *v = vif_by_port(nb, port);

		mica_evtchn_unmask(nb->evtchn, (uint32_t)port);
		if (!v)
			continue;
		v->rx_waiting = false;
		vif_tx(v);
		vif_rx(v);
	}
}

static int run(struct netback *nb)
{
	struct pollfd *fds = NULL;
	struct vif **owner = NULL;
	unsigned int cap = 0;

	backend_rescan(nb);
	while (!stopping) {
		unsigned int n = 2;

		for (struct vif *v = nb->vifs; v; v = v->next)
			n++;
		if (n > cap) {
			struct pollfd *f = realloc(fds, n * sizeof(*fds));
			struct vif **o = f ? realloc(owner, n * sizeof(*owner)) : NULL;

			if (f)
				fds = f;
			if (!o) {
				nb_log("out of memory");
				break;
			}
			owner = o;
			cap = n;
		}
		fds[0] = (struct pollfd){ .fd = mica_xs_fd(nb->xs), .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = mica_evtchn_fd(nb->evtchn), .events = POLLIN };
		n = 2;
		for (struct vif *v = nb->vifs; v; v = v->next) {
			if (!v->connected || v->rx_waiting)
				continue;
			owner[n] = v;
			fds[n++] = (struct pollfd){ .fd = v->tap, .events = POLLIN };
		}
		if (poll(fds, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			nb_log("poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & (POLLHUP | POLLERR)) {
			nb_log("the store closed its socket: stopping");
			break;
		}
		drain_watches(nb);
		drain_events(nb);
		for (unsigned int i = 2; i < n; i++) {
			struct vif *v = owner[i];

			/* A rescan above may have freed it: only ours if still listed. */
			for (struct vif *w = nb->vifs; w; w = w->next)
				if (w == v && v->connected && (fds[i].revents & POLLIN))
					vif_rx(v);
		}
	}
	free(fds);
	free(owner);
	while (nb->vifs) {
		struct vif *v = nb->vifs;

		nb->vifs = v->next;
		vif_disconnect(v);
		free(v->fe_path);
		free(v);
	}
	return stopping ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },     { "log", required_argument, NULL, 'l' },
		{ "bridge", required_argument, NULL, 'b' }, { "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	struct netback nb = { .default_bridge = "micabr0" };
	const char *log = NULL, *sock = NULL;
	bool daemon_mode = false;
	char why[256];
	int c, rc;

	while ((c = getopt_long(argc, argv, "dl:b:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': daemon_mode = true; break;
		case 'l': log = optarg; break;
		case 'b': nb.default_bridge = optarg; break;
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mica-netback: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (strlen(nb.default_bridge) >= IFNAMSIZ) {
		fprintf(stderr, "mica-netback: bridge name '%s' is longer than %d characters\n",
			nb.default_bridge, IFNAMSIZ - 1);
		return 2;
	}
	if (log && !freopen(log, "a", stderr)) {
		fprintf(stdout, "mica-netback: cannot open log file %s: %s\n", log, strerror(errno));
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	rc = mica_xs_open(&nb.xs, sock);
	if (rc) {
		fprintf(stderr, "mica-netback: cannot reach the store at %s: %s; start mica-store "
				"first\n", mica_xs_socket_path(sock), strerror(-rc));
		return 1;
	}
	/* The device handles are opened after fork: libmica's handles do not cross it. */
	if (daemon_mode && daemon(0, log != NULL)) {
		fprintf(stderr, "mica-netback: cannot run in the background: %s\n", strerror(errno));
		return 1;
	}
	rc = mica_evtchn_open(&nb.evtchn);
	if (!rc)
		rc = mica_gntdev_open(&nb.gntdev);
	if (rc) {
		nb_log("cannot open /dev/xen/evtchn or /dev/xen/gntdev: %s; run mica-netback in "
		       "dom0", strerror(-rc));
		return 1;
	}
	if (bridge_ensure(nb.default_bridge, why, sizeof(why)))
		nb_log("%s (vifs will be retried when they connect)", why);
	rc = backend_start(&nb);
	if (rc) {
		nb_log("cannot watch the store's backend/vif: %s", strerror(-rc));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	nb_log("mica-netback serving; default bridge %s", nb.default_bridge);
	rc = run(&nb);
	nb_log("mica-netback stopping");
	mica_gntdev_close(nb.gntdev);
	mica_evtchn_close(nb.evtchn);
	mica_xs_close(nb.xs);
	return rc;
}
