/* mica-store: the Unix-socket transport (see sock.h). */
#define _GNU_SOURCE
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "util.h"

/* Messages read from one client per wake-up before the others get a turn. */
#define SOCK_BUDGET 64

struct sock_conn {
	struct pitem pi;
	struct conn *conn;
	struct sock_server *srv;
};

int loop_add(int epfd, struct pitem *it, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = it };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, it->fd, &ev))
		return -errno;
	it->events = events;
	return 0;
}

int loop_mod(int epfd, struct pitem *it, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = it };

	if (it->events == events)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, it->fd, &ev))
		return -errno;
	it->events = events;
	return 0;
}

void loop_del(int epfd, struct pitem *it)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, it->fd, NULL);
}

/* Asks for input while the core wants it, and for output while some is queued. */
static void update_interest(struct sock_conn *sc)
{
	const void *p;
	size_t len;
	void *dst;
	uint32_t ev = 0;

	if (conn_in_want(sc->conn, &dst))
		ev |= EPOLLIN;
	if (conn_out_peek(sc->conn, &p, &len))
		ev |= EPOLLOUT;
	loop_mod(sc->srv->epfd, &sc->pi, ev);
}

/* Returns false if the connection was closed. */
static bool write_some(struct sock_conn *sc)
{
	const void *p;
	size_t len;

	while (conn_out_peek(sc->conn, &p, &len)) {
		ssize_t n = send(sc->pi.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			log_debug("%s: write failed (%s); closing", sc->conn->name,
				  n < 0 ? strerror(errno) : "no progress");
			conn_close(sc->conn);
			return false;
		}
		conn_out_done(sc->conn, (size_t)n);
	}
	return true;
}

/* Returns false if the connection was closed. */
static bool read_some(struct sock_conn *sc)
{
	struct conn *c = sc->conn;
	unsigned budget = SOCK_BUDGET;
	size_t want;
	void *dst;

	while (budget && (want = conn_in_want(c, &dst)) > 0) {
		ssize_t n = recv(sc->pi.fd, dst, want, MSG_DONTWAIT);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			log_debug("%s: %s; closing", c->name,
				  n ? strerror(errno) : "client disconnected");
			conn_close(c);
			return false;
		}
		rc = conn_in_got(c, (size_t)n);
		if (rc < 0) {
			/* Xen's rule: a client over the size limit is disconnected. */
			conn_close(c);
			return false;
		}
		if (c->dead)
			return false;
		if (rc > 0)
			budget--;
	}
	return true;
}

static void sock_conn_event(struct pitem *it, uint32_t events)
{
	struct sock_conn *sc = container_of(it, struct sock_conn, pi);

	if (events & EPOLLERR) {
		conn_close(sc->conn);
		return;
	}
	if ((events & EPOLLIN) && !read_some(sc))
		return;
	if ((events & EPOLLHUP) && !(events & EPOLLIN)) {
		conn_close(sc->conn);
		return;
	}
	if ((events & EPOLLOUT) && !write_some(sc))
		return;
	update_interest(sc);
}

static void sock_flush(struct conn *c)
{
	struct sock_conn *sc = c->tp;

	if (write_some(sc))
		update_interest(sc);
}

static void sock_close(struct conn *c)
{
	struct sock_conn *sc = c->tp;

	loop_del(sc->srv->epfd, &sc->pi);
	close(sc->pi.fd);
	free(sc);
	c->tp = NULL;
}

static const struct conn_ops sock_conn_ops = {
	.kind = "socket",
	.flush = sock_flush,
	.close = sock_close,
};

static void accept_one(struct sock_server *s, int fd)
{
	struct sock_conn *sc = calloc(1, sizeof(*sc));
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char name[64] = "socket client";

	if (!sc) {
		log_error("out of memory: refusing a socket client");
		close(fd);
		return;
	}
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		snprintf(name, sizeof(name), "socket client (pid %d, uid %u)", (int)cred.pid,
			 (unsigned)cred.uid);
	sc->pi.fd = fd;
	sc->pi.fn = sock_conn_event;
	sc->srv = s;
	sc->conn = conn_new(s->st, 0, &sock_conn_ops, sc, name);
	if (!sc->conn || loop_add(s->epfd, &sc->pi, EPOLLIN)) {
		log_error("cannot take %s: out of memory or epoll failure", name);
		if (sc->conn) {
			sc->conn->ops = NULL; /* nothing of ours to undo yet */
			conn_close(sc->conn);
		}
		close(fd);
		free(sc);
		return;
	}
	log_debug("%s connected", name);
}

static void sock_accept(struct pitem *it, uint32_t events)
{
	struct sock_server *s = container_of(it, struct sock_server, pi);
	unsigned limit = 64;

	(void)events;
	while (limit--) {
		int fd = accept4(s->pi.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("accept on %s: %s", s->path, strerror(errno));
			return;
		}
		accept_one(s, fd);
	}
}

/* mkdir for one level; an existing directory is fine, anything else is not. */
static int make_dir(const char *dir)
{
	struct stat sb;

	if (!mkdir(dir, 0755))
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &sb))
		return -errno;
	return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

/* mkdir -p for the directory part of path. */
static int make_parent(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; *p && !rc; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			rc = make_dir(dir);
			*p = '/';
		}
		if (!rc)
			rc = make_dir(dir);
	}
	free(dir);
	return rc;
}

int sock_listen(struct sock_server *s, struct store *st, int epfd, const char *path,
		char *err, size_t errsz)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	s->pi.fd = -1;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errsz, "socket path %s is too long (at most %zu bytes)", path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	rc = make_parent(path);
	if (rc) {
		snprintf(err, errsz, "cannot create the directory of %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errsz, "cannot create a Unix socket: %s", strerror(errno));
		return -errno;
	}
	if (!lstat(path, &sb)) {
		if (!S_ISSOCK(sb.st_mode)) {
			snprintf(err, errsz, "%s exists and is not a socket; remove it or choose "
				 "another path with --socket", path);
			close(fd);
			return -EEXIST;
		}
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)) || errno == EAGAIN) {
			snprintf(err, errsz, "another store is already listening on %s", path);
			close(fd);
			return -EADDRINUSE;
		}
		close(fd);
		unlink(path); /* stale: left by a store that died */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, errsz, "cannot create a Unix socket: %s", strerror(errno));
			return -errno;
		}
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || chmod(path, 0600) ||
	    listen(fd, 64)) {
		rc = -errno;
		snprintf(err, errsz, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	s->path = strdup(path);
	s->st = st;
	s->epfd = epfd;
	s->pi.fd = fd;
	s->pi.fn = sock_accept;
	if (!s->path || (rc = loop_add(epfd, &s->pi, EPOLLIN))) {
		snprintf(err, errsz, "cannot watch %s: %s", path, strerror(rc ? -rc : ENOMEM));
		sock_shutdown(s);
		return rc ? rc : -ENOMEM;
	}
	return 0;
}

void sock_shutdown(struct sock_server *s)
{
	if (s->pi.fd >= 0) {
		loop_del(s->epfd, &s->pi);
		close(s->pi.fd);
		s->pi.fd = -1;
		if (s->path)
			unlink(s->path);
	}
	free(s->path);
	s->path = NULL;
}
