/*
 * libmica's store client (hypercall/libmica/xs.c, xs_msg.c): the bytes of
 * every request, replies, errors, watch events that arrive before a reply,
 * and a store that misbehaves. The "store" is the other end of a
 * socketpair, with its answers written before the client asks.
 */
/* tool-sources: hypercall/libmica/xs.c hypercall/libmica/xs_msg.c */
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libmica.h"
#include "xs_msg.h"

static int peer;
static struct mica_xs *xs;

static void open_pair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	peer = sv[1];
	if (mica_xs_open_fd(&xs, sv[0]))
		abort();
}

static void close_pair(void)
{
	mica_xs_close(xs);
	close(peer);
}

static void reply(uint32_t type, uint32_t req_id, const char *payload, size_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .len = (uint32_t)len };

	if (write(peer, &h, sizeof(h)) != sizeof(h) || write(peer, payload, len) != (ssize_t)len)
		abort();
}

/* Reads the request the client sent; its payload into body (NUL added). */
static struct xsd_sockmsg request(char *body, size_t size)
{
	struct xsd_sockmsg h;

	if (read(peer, &h, sizeof(h)) != sizeof(h) || h.len >= size ||
	    read(peer, body, h.len) != (ssize_t)h.len)
		abort();
	body[h.len] = '\0';
	return h;
}

#define PAYLOAD_IS(h, body, expect) \
	CHECK_MSG((h).len == sizeof(expect) - 1 && !memcmp(body, expect, sizeof(expect) - 1), \
		  "payload of %u bytes differs", (h).len)

static void read_write_and_errors(void)
{
	struct xsd_sockmsg h;
	char body[5000], *v;
	size_t len;

	open_pair();
	reply(XS_READ, 1, "hello", 5);
	REQUIRE_EQ(mica_xs_read(xs, 0, "/local/domain/3/name", &v, &len), 0);
	CHECK_STR(v, "hello");
	CHECK_EQ(len, 5);
	free(v);
	h = request(body, sizeof(body));
	CHECK_EQ(h.type, XS_READ);
	CHECK_EQ(h.req_id, 1);
	CHECK_EQ(h.tx_id, 0);
	PAYLOAD_IS(h, body, "/local/domain/3/name\0");

	reply(XS_WRITE, 2, "OK", 3);
	CHECK_EQ(mica_xs_write(xs, 9, "/a/b", "value", 5), 0);
	h = request(body, sizeof(body));
	CHECK_EQ(h.type, XS_WRITE);
	CHECK_EQ(h.tx_id, 9);
	PAYLOAD_IS(h, body, "/a/b\0value");

	reply(XS_ERROR, 3, "ENOENT", 7);
	CHECK_EQ(mica_xs_read(xs, 0, "/nope", &v, NULL), -ENOENT);
	request(body, sizeof(body));
	reply(XS_ERROR, 4, "EWHAT", 6);
	CHECK_EQ(mica_xs_rm(xs, 0, "/x"), -EIO);
	h = request(body, sizeof(body));
	CHECK_EQ(h.type, XS_RM);

	/* A reply of another type than the request is a protocol error. */
	reply(XS_READ, 5, "", 0);
	CHECK_EQ(mica_xs_mkdir(xs, 0, "/m"), -EPROTO);
	request(body, sizeof(body));
	close_pair();
}

static void requests_that_never_leave(void)
{
	static char big[5000];
	char *v;

	open_pair();
	memset(big, 'x', sizeof(big) - 1);
	CHECK_EQ(mica_xs_write(xs, 0, "/a", big, sizeof(big) - 1), -E2BIG);
	CHECK_EQ(mica_xs_read(xs, 0, "relative/path", &v, NULL), -EINVAL);
	CHECK_EQ(mica_xs_read(xs, 0, "/a//b", &v, NULL), -EINVAL);
	CHECK_EQ(mica_xs_read(xs, 0, "/a/", &v, NULL), -EINVAL);
	CHECK_EQ(mica_xs_read(xs, 0, "/a b", &v, NULL), -EINVAL);
	CHECK_EQ(mica_xs_watch(xs, "@bad/path", "t"), -EINVAL);
	/* Nothing was sent. */
	{
		struct pollfd p = { .fd = peer, .events = POLLIN };

		CHECK_EQ(poll(&p, 1, 0), 0);
	}
	CHECK(xs_msg_path_ok("/"));
	CHECK(xs_msg_path_ok("@releaseDomain"));
	CHECK(xs_msg_path_ok("/local/domain/0/backend/vbd/1/51712"));
	CHECK(!xs_msg_path_ok(""));
	CHECK(!xs_msg_path_ok("@"));
	close_pair();
}

static void directory_perms_tx_introduce(void)
{
	struct xsd_sockmsg h;
	char body[5000], **names;
	const char *perms[] = { "n0", "r5" };
	unsigned int nr;
	uint32_t tx;

	open_pair();
	reply(XS_DIRECTORY, 1, "a\0bb\0c", 6); /* the last NUL may be missing */
	REQUIRE_EQ(mica_xs_directory(xs, 0, "/d", &names, &nr), 0);
	REQUIRE_EQ(nr, 3);
	CHECK_STR(names[0], "a");
	CHECK_STR(names[1], "bb");
	CHECK_STR(names[2], "c");
	mica_xs_free_list(names, nr);
	request(body, sizeof(body));
	reply(XS_DIRECTORY, 2, "", 0);
	REQUIRE_EQ(mica_xs_directory(xs, 0, "/d", &names, &nr), 0);
	CHECK_EQ(nr, 0);
	mica_xs_free_list(names, nr);
	request(body, sizeof(body));

	reply(XS_SET_PERMS, 3, "OK", 3);
	CHECK_EQ(mica_xs_set_perms(xs, 0, "/local/domain/5", perms, 2), 0);
	h = request(body, sizeof(body));
	PAYLOAD_IS(h, body, "/local/domain/5\0n0\0r5\0");

	reply(XS_TRANSACTION_START, 4, "17", 3);
	CHECK_EQ(mica_xs_tx_start(xs, &tx), 0);
	CHECK_EQ(tx, 17);
	h = request(body, sizeof(body));
	CHECK_EQ(h.type, XS_TRANSACTION_START);
	reply(XS_ERROR, 5, "EAGAIN", 7);
	CHECK_EQ(mica_xs_tx_end(xs, 17, true), -EAGAIN);
	h = request(body, sizeof(body));
	CHECK_EQ(h.tx_id, 17);
	PAYLOAD_IS(h, body, "T\0");
	reply(XS_TRANSACTION_START, 6, "zero", 5);
	CHECK_EQ(mica_xs_tx_start(xs, &tx), -EPROTO);
	request(body, sizeof(body));

	reply(XS_INTRODUCE, 7, "OK", 3);
	CHECK_EQ(mica_xs_introduce(xs, 5, 0x1234, 2), 0);
	h = request(body, sizeof(body));
	CHECK_EQ(h.type, XS_INTRODUCE);
	PAYLOAD_IS(h, body, "5\0004660\0002\0");
	reply(XS_RELEASE, 8, "OK", 3);
	CHECK_EQ(mica_xs_release(xs, 5), 0);
	h = request(body, sizeof(body));
	PAYLOAD_IS(h, body, "5\0");
	close_pair();
}

static void watch_events(void)
{
	char body[200], *path, *token, *v;

	open_pair();
	reply(XS_WATCH, 1, "OK", 3);
	CHECK_EQ(mica_xs_watch(xs, "@releaseDomain", "tok"), 0);
	request(body, sizeof(body));
	/* An event and a stale reply arrive before the answer to the next request. */
	reply(XS_WATCH_EVENT, 0, "@releaseDomain\0tok\0", 19);
	reply(XS_READ, 99, "old", 3);
	reply(XS_READ, 2, "now", 3);
	REQUIRE_EQ(mica_xs_read(xs, 0, "/x", &v, NULL), 0);
	CHECK_STR(v, "now");
	free(v);
	request(body, sizeof(body));
	REQUIRE_EQ(mica_xs_read_watch(xs, &path, &token, 0), 0);
	CHECK_STR(path, "@releaseDomain");
	CHECK_STR(token, "tok");
	free(path);
	free(token);
	CHECK_EQ(mica_xs_read_watch(xs, &path, &token, 20), -ETIMEDOUT);
	/* An event that arrives while waiting for one. */
	reply(XS_WATCH_EVENT, 0, "/local/domain/3/control/shutdown\0t2\0", 36);
	REQUIRE_EQ(mica_xs_read_watch(xs, &path, &token, 1000), 0);
	CHECK_STR(path, "/local/domain/3/control/shutdown");
	CHECK_STR(token, "t2");
	free(path);
	free(token);
	close_pair();
}

static void misbehaving_store(void)
{
	struct xsd_sockmsg h = { .type = XS_READ, .req_id = 1, .len = 5000 };
	char *v;

	open_pair();
	if (write(peer, &h, sizeof(h)) != sizeof(h))
		abort();
	CHECK_EQ(mica_xs_read(xs, 0, "/x", &v, NULL), -EPROTO);
	close_pair();

	open_pair();
	close(peer);
	peer = -1;
	CHECK(mica_xs_read(xs, 0, "/x", &v, NULL) < 0); /* EPIPE or ECONNRESET, never a hang */
	mica_xs_close(xs);
}

static void message_codec(void)
{
	struct xs_part parts[] = { { "/p", 2, 1 }, { "v", 1, 0 } };
	char *msg, **v;
	size_t len;
	unsigned int n;

	REQUIRE_EQ(xs_msg_build(XS_WRITE, 7, 3, parts, 2, &msg, &len), 0);
	CHECK_EQ(len, sizeof(struct xsd_sockmsg) + 4);
	CHECK(!memcmp(msg + sizeof(struct xsd_sockmsg), "/p\0v", 4));
	CHECK_EQ(((struct xsd_sockmsg *)msg)->len, 4);
	CHECK_EQ(((struct xsd_sockmsg *)msg)->tx_id, 3);
	free(msg);
	CHECK_EQ(xs_msg_error("EACCES", 7), -EACCES);
	CHECK_EQ(xs_msg_error("E2BIG", 5), -E2BIG);
	CHECK_EQ(xs_msg_error("EQUOTA", 6), -EIO);
	CHECK_EQ(xs_msg_error("ENOENTX", 7), -EIO);
	REQUIRE_EQ(xs_msg_split("x\0\0y", 4, &v, &n), 0);
	REQUIRE_EQ(n, 3);
	CHECK_STR(v[1], "");
	CHECK_STR(v[2], "y");
	mica_xs_free_list(v, n);
}

static void socket_path(void)
{
	unsetenv("XENSTORED_PATH");
	unsetenv("XENSTORED_RUNDIR");
	CHECK_STR(mica_xs_socket_path(NULL), "/var/run/xenstored/socket");
	CHECK_STR(mica_xs_socket_path("/given"), "/given");
	setenv("XENSTORED_RUNDIR", "/run/xs", 1);
	CHECK_STR(mica_xs_socket_path(NULL), "/run/xs/socket");
	setenv("XENSTORED_PATH", "/tmp/sock", 1);
	CHECK_STR(mica_xs_socket_path(NULL), "/tmp/sock");
	unsetenv("XENSTORED_PATH");
	unsetenv("XENSTORED_RUNDIR");
	{
		struct mica_xs *x;

		CHECK_EQ(mica_xs_open(&x, "/nonexistent/socket"), -ENOENT);
	}
}

int main(void)
{
	RUN(read_write_and_errors);
	RUN(requests_that_never_leave);
	RUN(directory_perms_tx_introduce);
	RUN(watch_events);
	RUN(misbehaving_store);
	RUN(message_codec);
	RUN(socket_path);
	return check_done();
}
