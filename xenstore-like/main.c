/*
 * mica-store: the daemon. Parses the options, starts the transports (the
 * Unix socket, dom0's local ring and domU rings when /dev/xen is there),
 * becomes a daemon once it is ready to serve, and runs the event loop until
 * SIGTERM or SIGINT. SIGHUP reopens the log file.
 *
 * Exit status: 0 after a signal, 1 if the store cannot start or fails, 2 for
 * a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "ring.h"
#include "ring_xen.h"
#include "sock.h"
#include "store.h"
#include "util.h"

#define EXIT_USAGE 2
#define DEFAULT_RUNDIR "/var/run/xenstored"

enum rings_mode { RINGS_AUTO, RINGS_XEN, RINGS_NONE };

struct opts {
	char *socket;                   /* NULL: the default */
	const char *log;
	const char *pid_file;
	bool verbose, foreground;
	enum rings_mode rings;
	struct quota quota;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mica-store [OPTION]...\n"
		"Mica's xenstore daemon: serves the xenstore protocol to dom0 programs over\n"
		"a Unix socket, and to dom0's kernel and every domU over shared-memory rings.\n"
		"\n"
		"  -s, --socket PATH      listen on PATH (default: $XENSTORED_PATH, else\n"
		"                         $XENSTORED_RUNDIR/socket, else %s/socket)\n"
		"  -r, --rings MODE       auto: use /dev/xen when it exists (the default);\n"
		"                         xen: connect dom0's kernel (xenfs) and domU rings,\n"
		"                         and fail if that cannot be done;\n"
		"                         none: socket only (INTRODUCE then records a domain\n"
		"                         without connecting to its ring)\n"
		"  -l, --log FILE         log to FILE (default: stderr with --foreground,\n"
		"                         else syslog)\n"
		"  -v, --verbose          log every request\n"
		"  -f, --foreground       stay in the foreground (-N, --no-fork: the same)\n"
		"  -p, --pid-file FILE    write the daemon's process id to FILE\n"
		"      --quota-NAME N     change a quota, N >= 1 (below)\n"
		"  -h, --help             show this help\n"
		"\n"
		"Quotas apply to unprivileged domains; dom0 and socket clients are exempt:\n",
		DEFAULT_RUNDIR);
	for (unsigned i = 0; i < quota_count; i++)
		fprintf(f, "  --quota-%-18s %s (default %u)\n", quota_names[i].name,
			quota_names[i].what,
			*(const unsigned *)((const char *)&quota_defaults + quota_names[i].offset));
	fprintf(f,
		"\n"
		"Without --foreground, mica-store returns once it is listening and serves in\n"
		"the background. SIGTERM or SIGINT stops it, SIGHUP reopens the log file.\n"
		"Exit status: 0 after SIGTERM/SIGINT, 1 if the store cannot start or fails,\n"
		"2 for a usage error. See docs/xenstore.md.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mica-store: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mica-store --help' for the options.\n");
	return EXIT_USAGE;
}

/* The socket path libxenstore 4.17 uses: XENSTORED_PATH, else XENSTORED_RUNDIR/socket. */
static char *default_socket(void)
{
	const char *env = getenv("XENSTORED_PATH"), *dir;
	char *p;

	if (env && *env)
		return strdup(env);
	dir = getenv("XENSTORED_RUNDIR");
	if (!dir || !*dir)
		dir = DEFAULT_RUNDIR;
	if (asprintf(&p, "%s/socket", dir) < 0)
		return NULL;
	return p;
}

/* Returns 0 to run, or an exit status. */
static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option base[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "rings", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-fork", no_argument, NULL, 'N' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option longopts[ARRAY_SIZE(base) + 16];
	char names[16][40];
	unsigned n = 0;
	int c;

	memcpy(longopts, base, sizeof(base));
	n = ARRAY_SIZE(base);
	for (unsigned i = 0; i < quota_count && i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "quota-%s", quota_names[i].name);
		longopts[n++] = (struct option){ names[i], required_argument, NULL, 1000 + (int)i };
	}
	longopts[n] = (struct option){ 0 };
	memset(o, 0, sizeof(*o));
	o->quota = quota_defaults;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:r:l:vfNp:h", longopts, NULL)) != -1) {
		unsigned long long v;

		switch (c) {
		case 's':
			free(o->socket);
			o->socket = strdup(optarg);
			if (!o->socket)
				return 1;
			break;
		case 'r':
			if (!strcmp(optarg, "auto"))
				o->rings = RINGS_AUTO;
			else if (!strcmp(optarg, "xen"))
				o->rings = RINGS_XEN;
			else if (!strcmp(optarg, "none"))
				o->rings = RINGS_NONE;
			else
				return usage_error("--rings takes auto, xen or none, not '%s'", optarg);
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'f':
		case 'N':
			o->foreground = true;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			return usage_error("option %s needs a value", argv[optind - 1]);
		case '?':
			return usage_error("unknown option '%s'", argv[optind - 1]);
		default:
			if (c < 1000 || c >= 1000 + (int)quota_count)
				return usage_error("unknown option '%s'", argv[optind - 1]);
			if (!parse_uint(optarg, 0x7fffffff, &v) || !v)
				return usage_error("a quota is a whole number from 1 to 2147483647, "
						   "not '%s'", optarg);
			*(unsigned *)((char *)&o->quota + quota_names[c - 1000].offset) =
				(unsigned)v;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->socket)
		o->socket = default_socket();
	if (!o->socket)
		return 1;
	return 0;
}

/* Refuses to start over a live daemon's pid file. */
static int check_pid_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) == 1 && pid > 0 && kill(pid, 0) == 0 && pid != getpid()) {
		fclose(f);
		fprintf(stderr, "mica-store: already running as process %d (per %s)\n", pid, path);
		return -EEXIST;
	}
	fclose(f);
	return 0;
}

static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "mica-store: cannot write the pid file %s: %s\n", path,
			strerror(errno));
		if (f)
			fclose(f);
		return -errno;
	}
	return 0;
}

/*
 * Forks; the parent waits until the child says it is ready (exit 0) or
 * gives up (exit 1: the child printed why). Returns the pipe's write end in
 * the child.
 */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char ok;

	if (pipe2(p, O_CLOEXEC)) {
		perror("mica-store: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("mica-store: fork");
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &ok, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	(void)!chdir("/");
	return p[1];
}

/* Tells the waiting parent we serve, and lets go of the terminal. */
static void ready(int fd)
{
	int null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(fd, "1", 1) != 1)
		log_warn("could not tell the starting process that the store is ready");
	close(fd);
}

static void backend_event(struct pitem *it, uint32_t events)
{
	(void)events;
	ring_backend_events(container_of(it, struct ring_backend, pi));
}

struct signals {
	struct pitem pi;
	bool stop;
};

static void signal_event(struct pitem *it, uint32_t events)
{
	struct signals *s = container_of(it, struct signals, pi);
	struct signalfd_siginfo si;

	(void)events;
	while (read(it->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			const char *f = log_file();
			char *copy = f ? strdup(f) : NULL;

			if (copy && log_open(copy, false))
				log_error("cannot reopen the log file %s", copy);
			else if (copy)
				log_info("log file reopened");
			free(copy);
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			s->stop = true;
		}
	}
}

static int start_rings(struct opts *o, struct store *st, struct ring_backend *be, int epfd)
{
	char err[256];

	if (o->rings == RINGS_NONE || (o->rings == RINGS_AUTO && !ring_xen_available())) {
		log_info("rings: none (socket clients only; INTRODUCE records domains without "
			 "connecting to them)");
		return 0;
	}
	if (ring_xen_init(be, st, err, sizeof(err))) {
		fprintf(stderr, "mica-store: %s\n", err);
		return -1;
	}
	be->pi.fn = backend_event;
	if (loop_add(epfd, &be->pi, EPOLLIN)) {
		fprintf(stderr, "mica-store: cannot watch %s\n", RING_XEN_EVTCHN);
		return -1;
	}
	st->hooks.introduce = ring_introduce;
	st->hooks.ctx = be;
	if (ring_xen_connect_local(be, err, sizeof(err))) {
		if (o->rings == RINGS_XEN) {
			fprintf(stderr, "mica-store: dom0's local ring: %s\n", err);
			return -1;
		}
		log_warn("dom0's local ring: %s; dom0's kernel will not reach the store", err);
	}
	log_info("rings: %s (dom0's kernel and domU rings)", RING_XEN_EVTCHN);
	return 0;
}

static void run(int epfd, struct store *st, struct ring_backend *be, struct signals *sig)
{
	struct epoll_event evs[64];

	while (!sig->stop) {
		int timeout = be->ops && be->pending ? 0 : -1;
		int n = epoll_wait(epfd, evs, (int)ARRAY_SIZE(evs), timeout);

		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct pitem *it = evs[i].data.ptr;

			it->fn(it, evs[i].events);
		}
		if (be->ops)
			ring_backend_run_pending(be);
		store_flush(st);
		store_reap(st);
	}
}

int main(int argc, char **argv)
{
	struct ring_backend be = { 0 };
	struct signals sig = { { -1, 0, signal_event }, false };
	struct sock_server srv = { .pi.fd = -1 };
	struct store st;
	struct opts o;
	uint64_t key[2];
	sigset_t mask;
	char err[512];
	int rc, epfd, ready_fd = -1, status = 1;
	bool pid_written = false;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.pid_file && check_pid_file(o.pid_file))
		return 1;
	if (o.log && (rc = log_open(o.log, false))) {
		fprintf(stderr, "mica-store: cannot open the log file %s: %s\n", o.log,
			strerror(-rc));
		return 1;
	}
	if (o.verbose)
		log_set_level(SLOG_DEBUG);
	if (!o.foreground)
		ready_fd = daemonize();
	if (getrandom(key, sizeof(key), 0) == (ssize_t)sizeof(key))
		hash_set_key(key[0], key[1]);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sig.pi.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (epfd < 0 || sig.pi.fd < 0 || loop_add(epfd, &sig.pi, EPOLLIN)) {
		fprintf(stderr, "mica-store: cannot set up the event loop: %s\n", strerror(errno));
		return 1;
	}
	if (store_init(&st, &o.quota)) {
		fprintf(stderr, "mica-store: out of memory\n");
		return 1;
	}
	if (sock_listen(&srv, &st, epfd, o.socket, err, sizeof(err))) {
		fprintf(stderr, "mica-store: %s\n", err);
		goto out;
	}
	if (start_rings(&o, &st, &be, epfd))
		goto out;
	if (o.pid_file && write_pid_file(o.pid_file))
		goto out;
	pid_written = o.pid_file != NULL;
	/* In the background without --log, the log goes to syslog from here on. */
	if (!o.foreground && !o.log)
		log_open(NULL, true);
	log_info("listening on %s", o.socket);
	if (ready_fd >= 0)
		ready(ready_fd);
	run(epfd, &st, &be, &sig);
	status = sig.stop ? 0 : 1;
out:
	if (be.ops)
		ring_backend_fini(&be);
	sock_shutdown(&srv);
	store_fini(&st);
	if (pid_written)
		unlink(o.pid_file);
	close(sig.pi.fd);
	close(epfd);
	free(o.socket);
	log_close();
	return status;
}
