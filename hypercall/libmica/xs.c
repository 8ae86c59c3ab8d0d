/*
 * libmica: a store client over the store's Unix socket. One request at a
 * time: each is written whole, then messages are read until its reply;
 * watch events that arrive meanwhile are queued for mica_xs_read_watch.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "libmica.h"
#include "xs_msg.h"

#define DEFAULT_SOCKET "/var/run/xenstored/socket"

struct watch_event {
	char *path, *token;
	struct watch_event *next;
};

struct mica_xs {
	int fd;
	uint32_t next_req;
	struct watch_event *head, **tail;   /* queued watch events, oldest first */
};

const char *mica_xs_socket_path(const char *path)
{
	static char buf[256];
	const char *env;

	if (path && *path)
		return path;
	env = getenv("XENSTORED_PATH");
	if (env && *env)
		return env;
	env = getenv("XENSTORED_RUNDIR");
	if (env && *env && snprintf(buf, sizeof(buf), "%s/socket", env) < (int)sizeof(buf))
		return buf;
	return DEFAULT_SOCKET;
}

int mica_xs_open_fd(struct mica_xs **out, int fd)
{
	struct mica_xs *xs = calloc(1, sizeof(*xs));

	if (!xs)
		return -ENOMEM;
	xs->fd = fd;
	xs->next_req = 1;
	xs->tail = &xs->head;
	*out = xs;
	return 0;
}

int mica_xs_open(struct mica_xs **out, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *where = mica_xs_socket_path(path);
	int fd, rc;

	if (strlen(where) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, where);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = mica_xs_open_fd(out, fd);
	if (rc)
		close(fd);
	return rc;
}

static void free_event(struct watch_event *ev)
{
	free(ev->path);
	free(ev->token);
	free(ev);
}

void mica_xs_close(struct mica_xs *xs)
{
	if (!xs)
		return;
	while (xs->head) {
		struct watch_event *ev = xs->head;

		xs->head = ev->next;
		free_event(ev);
	}
	close(xs->fd);
	free(xs);
}

int mica_xs_fd(const struct mica_xs *xs)
{
	return xs->fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET; /* the store went away */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one message; *body is malloc'd with a NUL after its len bytes. */
static int read_msg(struct mica_xs *xs, struct xsd_sockmsg *h, char **body)
{
	int rc = read_all(xs->fd, h, sizeof(*h));

	if (rc)
		return rc;
	if (h->len > XENSTORE_PAYLOAD_MAX)
		return -EPROTO;
	*body = malloc(h->len + 1);
	if (!*body)
		return -ENOMEM;
	rc = read_all(xs->fd, *body, h->len);
	if (rc) {
		free(*body);
		return rc;
	}
	(*body)[h->len] = '\0';
	return 0;
}

/* Queues a watch event's "path\0token\0" payload. */
static int queue_event(struct mica_xs *xs, const char *body, size_t len)
{
	struct watch_event *ev = calloc(1, sizeof(*ev));
	size_t plen = strnlen(body, len);

	if (!ev)
		return -ENOMEM;
	ev->path = strndup(body, plen);
	ev->token = plen < len ? strndup(body + plen + 1, len - plen - 1) : strdup("");
	if (!ev->path || !ev->token) {
		free_event(ev);
		return -ENOMEM;
	}
	*xs->tail = ev;
	xs->tail = &ev->next;
	return 0;
}

/*
 * Sends a request and waits for its reply; the reply's payload (malloc'd,
 * NUL-terminated) goes to *reply unless reply is NULL. Returns 0 or -errno
 * (the store's XS_ERROR as its errno).
 */
static int request(struct mica_xs *xs, uint32_t type, uint32_t tx, const struct xs_part *parts,
		   unsigned int nr, char **reply, size_t *reply_len)
{
	uint32_t id = xs->next_req++;
	struct xsd_sockmsg h;
	size_t len;
	char *msg, *body;
	int rc;

	rc = xs_msg_build(type, id, tx, parts, nr, &msg, &len);
	if (rc)
		return rc;
	rc = write_all(xs->fd, msg, len);
	free(msg);
	if (rc)
		return rc;
	for (;;) {
		rc = read_msg(xs, &h, &body);
		if (rc)
			return rc;
		if (h.type == XS_WATCH_EVENT) {
			rc = queue_event(xs, body, h.len);
			free(body);
			if (rc)
				return rc;
			continue;
		}
		if (h.req_id != id) {
			free(body); /* a stale reply to a request given up on */
			continue;
		}
		break;
	}
	if (h.type == XS_ERROR) {
		rc = xs_msg_error(body, h.len);
		free(body);
		return rc;
	}
	if (h.type != type) {
		free(body);
		return -EPROTO;
	}
	if (reply) {
		*reply = body;
		if (reply_len)
			*reply_len = h.len;
	} else {
		free(body);
	}
	return 0;
}

#define STR(s) { (s), strlen(s), 1 }

static int path_request(struct mica_xs *xs, uint32_t type, uint32_t tx, const char *path)
{
	struct xs_part p[] = { STR(path) };

	if (!xs_msg_path_ok(path))
		return -EINVAL;
	return request(xs, type, tx, p, 1, NULL, NULL);
}

int mica_xs_read(struct mica_xs *xs, uint32_t tx, const char *path, char **value, size_t *len)
{
	struct xs_part p[] = { STR(path) };

	if (!xs_msg_path_ok(path))
		return -EINVAL;
	return request(xs, XS_READ, tx, p, 1, value, len);
}

int mica_xs_write(struct mica_xs *xs, uint32_t tx, const char *path, const char *value,
		  size_t len)
{
	struct xs_part p[] = { STR(path), { value, len, 0 } };

	if (!xs_msg_path_ok(path))
		return -EINVAL;
	return request(xs, XS_WRITE, tx, p, 2, NULL, NULL);
}

int mica_xs_mkdir(struct mica_xs *xs, uint32_t tx, const char *path)
{
	return path_request(xs, XS_MKDIR, tx, path);
}

int mica_xs_rm(struct mica_xs *xs, uint32_t tx, const char *path)
{
	return path_request(xs, XS_RM, tx, path);
}

int mica_xs_directory(struct mica_xs *xs, uint32_t tx, const char *path, char ***names,
		      unsigned int *nr)
{
	struct xs_part p[] = { STR(path) };
	size_t len;
	char *body;
	int rc;

	if (!xs_msg_path_ok(path))
		return -EINVAL;
	rc = request(xs, XS_DIRECTORY, tx, p, 1, &body, &len);
	if (rc)
		return rc;
	rc = xs_msg_split(body, len, names, nr);
	free(body);
	return rc;
}

int mica_xs_set_perms(struct mica_xs *xs, uint32_t tx, const char *path, const char *const *perms,
		      unsigned int nr)
{
	struct xs_part p[1 + 16];

	if (!xs_msg_path_ok(path) || !nr || nr > 16)
		return -EINVAL;
	p[0] = (struct xs_part)STR(path);
	for (unsigned int i = 0; i < nr; i++)
		p[1 + i] = (struct xs_part)STR(perms[i]);
	return request(xs, XS_SET_PERMS, tx, p, 1 + nr, NULL, NULL);
}

int mica_xs_tx_start(struct mica_xs *xs, uint32_t *tx)
{
	struct xs_part p[] = { { "", 0, 1 } };
	char *body, *end;
	unsigned long v;
	int rc;

	rc = request(xs, XS_TRANSACTION_START, 0, p, 1, &body, NULL);
	if (rc)
		return rc;
	errno = 0;
	v = strtoul(body, &end, 10);
	rc = (errno || end == body || *end || !v || v > UINT32_MAX) ? -EPROTO : 0;
	free(body);
	if (!rc)
		*tx = (uint32_t)v;
	return rc;
}

int mica_xs_tx_end(struct mica_xs *xs, uint32_t tx, bool commit)
{
	struct xs_part p[] = { STR(commit ? "T" : "F") };

	return request(xs, XS_TRANSACTION_END, tx, p, 1, NULL, NULL);
}

int mica_xs_introduce(struct mica_xs *xs, uint32_t domid, uint64_t store_mfn, uint32_t store_port)
{
	char d[16], mfn[24], port[16];

	snprintf(d, sizeof(d), "%u", domid);
	snprintf(mfn, sizeof(mfn), "%llu", (unsigned long long)store_mfn);
	snprintf(port, sizeof(port), "%u", store_port);
	struct xs_part p[] = { STR(d), STR(mfn), STR(port) };

	return request(xs, XS_INTRODUCE, 0, p, 3, NULL, NULL);
}

int mica_xs_release(struct mica_xs *xs, uint32_t domid)
{
	char d[16];

	snprintf(d, sizeof(d), "%u", domid);
	struct xs_part p[] = { STR(d) };

	return request(xs, XS_RELEASE, 0, p, 1, NULL, NULL);
}

int mica_xs_is_introduced(struct mica_xs *xs, uint32_t domid)
{
	char d[16], *reply = NULL;
	int rc;

	snprintf(d, sizeof(d), "%u", domid);
	struct xs_part p[] = { STR(d) };

	rc = request(xs, XS_IS_DOMAIN_INTRODUCED, 0, p, 1, &reply, NULL);
	if (rc)
		return rc;
	rc = reply && reply[0] == 'T';
	free(reply);
	return rc;
}

int mica_xs_watch(struct mica_xs *xs, const char *path, const char *token)
{
	struct xs_part p[] = { STR(path), STR(token) };

	if (!xs_msg_path_ok(path))
		return -EINVAL;
	return request(xs, XS_WATCH, 0, p, 2, NULL, NULL);
}

int mica_xs_unwatch(struct mica_xs *xs, const char *path, const char *token)
{
	struct xs_part p[] = { STR(path), STR(token) };

	if (!xs_msg_path_ok(path))
		return -EINVAL;
	return request(xs, XS_UNWATCH, 0, p, 2, NULL, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mica_xs_read_watch(struct mica_xs *xs, char **path, char **token, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = xs->fd, .events = POLLIN };
		struct xsd_sockmsg h;
		char *body;
		int wait, rc;

		if (xs->head) {
			struct watch_event *ev = xs->head;

			xs->head = ev->next;
			if (!xs->head)
				xs->tail = &xs->head;
			*path = ev->path;
			*token = ev->token;
			free(ev);
			return 0;
		}
		wait = deadline < 0 ? -1 : (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0);
		rc = poll(&pfd, 1, wait);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		rc = read_msg(xs, &h, &body);
		if (rc)
			return rc;
		if (h.type == XS_WATCH_EVENT)
			rc = queue_event(xs, body, h.len);
		free(body);
		if (rc)
			return rc;
	}
}
