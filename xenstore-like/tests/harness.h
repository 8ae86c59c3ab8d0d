/*
 * mica-store host tests: a store with test connections that speak the wire
 * protocol through the real framing (conn_in_want/conn_in_got) and read the
 * real output queue. Header-only: each test_*.c is its own program.
 *
 * Use: h_init() in each case (or h_init_quota), clients from h_client(domid),
 * requests through h_call() or the helpers, h_fini() at the end (it runs
 * store_check() and fails the case if the store is inconsistent).
 */
#ifndef STORE_TEST_HARNESS_H
#define STORE_TEST_HARNESS_H

#include "check.h"

#pragma GCC visibility push(default)
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#pragma GCC visibility pop

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define H_MAX_EVENTS 256

struct hmsg {
	struct xsd_sockmsg h;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

struct hclient {
	struct conn *c;
	struct hmsg reply;                  /* the last reply */
	struct hmsg ev[H_MAX_EVENTS];       /* events not yet taken */
	unsigned nev;
	uint32_t next_req;
};

static struct store h_st;
static struct hclient h_clients[16];
static unsigned h_nclients;
static char h_log[64][256];             /* the last log lines */
static unsigned h_nlog;

static void h_sink(enum log_level level, const char *msg)
{
	(void)level;
	snprintf(h_log[h_nlog % 64], sizeof(h_log[0]), "%s", msg);
	h_nlog++;
}

/* Whether some captured log line contains text. */
static inline bool h_logged(const char *text)
{
	for (unsigned i = 0; i < 64 && i < h_nlog; i++)
		if (strstr(h_log[i], text))
			return true;
	return false;
}

static inline void h_init_quota(const struct quota *q)
{
	hash_set_key(1, 2);
	log_set_sink(h_sink);
	h_nlog = 0;
	memset(h_clients, 0, sizeof(h_clients));
	h_nclients = 0;
	REQUIRE(store_init(&h_st, q) == 0);
}

static inline void h_init(void)
{
	h_init_quota(NULL);
}

static inline void h_check(void)
{
	char msg[256];

	if (store_check(&h_st, msg, sizeof(msg)))
		check_fail(__FILE__, __LINE__, "store_check: %s", msg);
}

static inline void h_fini(void)
{
	h_check();
	store_fini(&h_st);
	log_set_sink(NULL);
}

static const struct conn_ops h_ops = { .kind = "test" };

/* A connection acting for domid (0: a privileged dom0 client). */
static inline struct hclient *h_client(unsigned domid)
{
	struct hclient *t = &h_clients[h_nclients++];
	char name[32];

	snprintf(name, sizeof(name), "test domain %u", domid);
	t->c = conn_new(&h_st, domid, &h_ops, t, name);
	REQUIRE(t->c != NULL);
	t->next_req = 1;
	return t;
}

/* Takes the next queued message off c's output (through the real out queue). */
static inline bool h_pop(struct conn *c, struct hmsg *m)
{
	size_t got = 0, len;
	const void *p;

	if (!conn_out_peek(c, &p, &len))
		return false;
	/* Take it in two pieces, as a transport with little room would. */
	while (conn_out_peek(c, &p, &len)) {
		size_t n = len > 7 ? len / 2 : len;

		memcpy((char *)m + got, p, n);
		got += n;
		conn_out_done(c, n);
		if (got >= sizeof(m->h) && got == sizeof(m->h) + m->h.len)
			break;
	}
	m->body[m->h.len] = '\0';
	return true;
}

/* Moves queued events into t->ev; returns the first non-event message, if any. */
static inline bool h_drain(struct hclient *t, struct hmsg *reply)
{
	struct hmsg m;
	bool got = false;

	while (h_pop(t->c, &m)) {
		if (m.h.type == XS_WATCH_EVENT) {
			if (t->nev < H_MAX_EVENTS)
				t->ev[t->nev++] = m;
		} else if (!got) {
			*reply = m;
			got = true;
		}
	}
	return got;
}

/* Sends a raw request, feeding the framing a few bytes at a time. */
static inline void h_send_raw(struct hclient *t, uint32_t type, uint32_t tx, const void *payload,
			      size_t len)
{
	char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 64];
	struct xsd_sockmsg h = { type, t->next_req++, tx, (uint32_t)len };
	size_t total = sizeof(h) + len, off = 0;

	REQUIRE(total <= sizeof(buf));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	while (off < total) {
		void *dst;
		size_t want = conn_in_want(t->c, &dst), n;

		REQUIRE(want > 0);
		n = want < 5 ? want : want - want / 3;
		if (n > total - off)
			n = total - off;
		memcpy(dst, buf + off, n);
		off += n;
		REQUIRE(conn_in_got(t->c, n) >= 0);
	}
}

static inline int h_errno_of(const char *name)
{
#define X(e) if (!strcmp(name, #e)) return -e;
	XS_ERROR_NAMES(X)
#undef X
	return -9999;
}

/* Sends a request whose payload is the given bytes; 0, or -errno from an ERROR reply. */
static inline int h_call_raw(struct hclient *t, uint32_t type, uint32_t tx, const void *payload,
			     size_t len)
{
	uint32_t id = t->next_req;

	h_send_raw(t, type, tx, payload, len);
	if (!h_drain(t, &t->reply)) {
		check_fail(__FILE__, __LINE__, "no reply to request type %u", type);
		check_abandon();
	}
	CHECK_EQ(t->reply.h.req_id, id);
	CHECK_EQ(t->reply.h.tx_id, tx);
	if (t->reply.h.type == XS_ERROR)
		return h_errno_of(t->reply.body);
	CHECK_EQ(t->reply.h.type, type);
	return 0;
}

/* Sends a request whose payload is the NUL-terminated strings given (NULL ends the list). */
static inline int h_call(struct hclient *t, uint32_t type, uint32_t tx, ...)
{
	char buf[XENSTORE_PAYLOAD_MAX + 64];
	size_t len = 0;
	const char *s;
	va_list ap;

	va_start(ap, tx);
	while ((s = va_arg(ap, const char *))) {
		size_t n = strlen(s) + 1;

		REQUIRE(len + n <= sizeof(buf));
		memcpy(buf + len, s, n);
		len += n;
	}
	va_end(ap);
	return h_call_raw(t, type, tx, buf, len);
}

static inline int h_write(struct hclient *t, const char *path, const char *value)
{
	char buf[XENSTORE_PAYLOAD_MAX + 64];
	size_t pl = strlen(path) + 1, vl = strlen(value);

	REQUIRE(pl + vl <= sizeof(buf));
	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	return h_call_raw(t, XS_WRITE, 0, buf, pl + vl);
}

static inline int h_write_tx(struct hclient *t, uint32_t tx, const char *path, const char *value)
{
	char buf[XENSTORE_PAYLOAD_MAX + 64];
	size_t pl = strlen(path) + 1, vl = strlen(value);

	memcpy(buf, path, pl);
	memcpy(buf + pl, value, vl);
	return h_call_raw(t, XS_WRITE, tx, buf, pl + vl);
}

/* READ: 0 and the value in t->reply.body, or -errno. */
static inline int h_read(struct hclient *t, const char *path)
{
	return h_call(t, XS_READ, 0, path, NULL);
}

/* The value at path, or "<ERRNAME>" (a static buffer). */
static inline const char *h_value(struct hclient *t, uint32_t tx, const char *path)
{
	static char out[XENSTORE_PAYLOAD_MAX + 1];
	int rc = h_call(t, XS_READ, tx, path, NULL);

	if (rc)
		snprintf(out, sizeof(out), "<%s>", store_errname(rc));
	else
		memcpy(out, t->reply.body, t->reply.h.len + 1);
	return out;
}

/* The reply's NUL-separated strings joined with sep (a static buffer). */
static inline const char *h_joined(struct hclient *t, char sep)
{
	static char out[XENSTORE_PAYLOAD_MAX + 1];
	uint32_t len = t->reply.h.len;

	memcpy(out, t->reply.body, len);
	out[len] = '\0';
	if (len && out[len - 1] == '\0')
		len--;
	for (uint32_t i = 0; i < len; i++)
		if (out[i] == '\0')
			out[i] = sep;
	out[len] = '\0';
	return out;
}

/* DIRECTORY as "a,b,c", or "<ERRNAME>". */
static inline const char *h_dir(struct hclient *t, uint32_t tx, const char *path)
{
	static char err[32];
	int rc = h_call(t, XS_DIRECTORY, tx, path, NULL);

	if (rc) {
		snprintf(err, sizeof(err), "<%s>", store_errname(rc));
		return err;
	}
	return h_joined(t, ',');
}

/* GET_PERMS as "n0,r5", or "<ERRNAME>". */
static inline const char *h_perms(struct hclient *t, const char *path)
{
	static char err[32];
	int rc = h_call(t, XS_GET_PERMS, 0, path, NULL);

	if (rc) {
		snprintf(err, sizeof(err), "<%s>", store_errname(rc));
		return err;
	}
	return h_joined(t, ',');
}

static inline uint32_t h_tstart(struct hclient *t)
{
	int rc = h_call(t, XS_TRANSACTION_START, 0, "", NULL);

	if (rc)
		return 0;
	return (uint32_t)strtoul(t->reply.body, NULL, 10);
}

static inline int h_tend(struct hclient *t, uint32_t tx, bool commit)
{
	return h_call(t, XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL);
}

static inline int h_watch(struct hclient *t, const char *path, const char *token)
{
	return h_call(t, XS_WATCH, 0, path, token, NULL);
}

static inline int h_introduce(struct hclient *t, unsigned domid)
{
	char d[16], mfn[24];

	snprintf(d, sizeof(d), "%u", domid);
	snprintf(mfn, sizeof(mfn), "%u", 0x1000 + domid);
	return h_call(t, XS_INTRODUCE, 0, d, mfn, "3", NULL);
}

static inline int h_release(struct hclient *t, unsigned domid)
{
	char d[16];

	snprintf(d, sizeof(d), "%u", domid);
	return h_call(t, XS_RELEASE, 0, d, NULL);
}

/* Takes events already received or queued; true and "path|token" in out if there was one. */
static inline bool h_event(struct hclient *t, char *out, size_t size)
{
	struct hmsg dummy;

	h_drain(t, &dummy);
	if (!t->nev)
		return false;
	snprintf(out, size, "%s|%s", t->ev[0].body, t->ev[0].body + strlen(t->ev[0].body) + 1);
	memmove(&t->ev[0], &t->ev[1], (t->nev - 1) * sizeof(t->ev[0]));
	t->nev--;
	return true;
}

/* All pending events as "p|t;p|t" (a static buffer), taking them. */
static inline const char *h_events(struct hclient *t)
{
	static char out[8192];
	char one[XENSTORE_PAYLOAD_MAX + 2];
	size_t len = 0;

	out[0] = '\0';
	while (h_event(t, one, sizeof(one))) {
		if (len + strlen(one) + 2 >= sizeof(out))
			continue; /* drained, not shown */
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? ";" : "", one);
	}
	return out;
}

#endif
