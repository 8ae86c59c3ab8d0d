/*
 * mica-store: request dispatch, and the handlers for the tree, watches and
 * transactions. Each handler checks its arguments, runs the operation in
 * the request's transaction (or an implicit one) and queues the reply.
 */
#include "ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "path.h"
#include "txn.h"
#include "util.h"
#include "watch.h"

static const char *const type_names[XS_TYPE_COUNT] = {
	[XS_CONTROL] = "CONTROL", [XS_DIRECTORY] = "DIRECTORY", [XS_READ] = "READ",
	[XS_GET_PERMS] = "GET_PERMS", [XS_WATCH] = "WATCH", [XS_UNWATCH] = "UNWATCH",
	[XS_TRANSACTION_START] = "TRANSACTION_START",
	[XS_TRANSACTION_END] = "TRANSACTION_END", [XS_INTRODUCE] = "INTRODUCE",
	[XS_RELEASE] = "RELEASE", [XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	[XS_WRITE] = "WRITE", [XS_MKDIR] = "MKDIR", [XS_RM] = "RM",
	[XS_SET_PERMS] = "SET_PERMS", [XS_WATCH_EVENT] = "WATCH_EVENT", [XS_ERROR] = "ERROR",
	[XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED", [XS_RESUME] = "RESUME",
	[XS_SET_TARGET] = "SET_TARGET", [XS_RESET_WATCHES] = "RESET_WATCHES",
	[XS_DIRECTORY_PART] = "DIRECTORY_PART",
};

void ops_split(const char *payload, size_t len, struct args *a)
{
	size_t off = 0;

	a->n = 0;
	while (off < len && a->n < OPS_MAX_ARGS) {
		const char *nul = memchr(payload + off, '\0', len - off);

		if (!nul)
			break;
		a->v[a->n] = payload + off;
		a->len[a->n] = (size_t)(nul - (payload + off));
		a->n++;
		off = (size_t)(nul - payload) + 1;
	}
}

void ops_reply_error(struct conn *c, const struct xsd_sockmsg *h, int err)
{
	const char *name = store_errname(err);

	conn_send(c, XS_ERROR, h->req_id, h->tx_id, name, strlen(name) + 1, NULL, 0);
}

void ops_reply(struct conn *c, const struct xsd_sockmsg *h, const void *p, size_t n)
{
	int rc = conn_send(c, h->type, h->req_id, h->tx_id, p, n, NULL, 0);

	if (rc)
		ops_reply_error(c, h, rc);
}

void ops_reply_str(struct conn *c, const struct xsd_sockmsg *h, const char *s)
{
	ops_reply(c, h, s, strlen(s) + 1);
}

void ops_reply_ok(struct conn *c, const struct xsd_sockmsg *h)
{
	ops_reply_str(c, h, "OK");
}

bool ops_domid(const char *s, unsigned *domid)
{
	unsigned long long v;

	if (!parse_uint(s, 65535, &v))
		return false;
	*domid = (unsigned)v;
	return true;
}

/* ---- requests on nodes ---- */

struct req {
	struct conn *c;
	const struct xsd_sockmsg *h;
	struct args a;
	struct txn *t;
	bool implicit;
	char path[PATH_BUF];
	size_t plen;
};

/* Resolves argument i as a node path (creating: also check the path-length quota). */
static int req_path(struct req *r, unsigned i, bool creating)
{
	struct store *st = r->c->st;
	bool relative;
	int n;

	if (r->a.n <= i)
		return -EINVAL;
	n = path_resolve(r->a.v[i], r->c->domid, r->path, &relative);
	if (n < 0)
		return n;
	r->plen = (size_t)n;
	if (creating && !r->c->privileged && path_quota_len(r->path) > st->quota.path_len) {
		st->stats.quota_hits++;
		log_warn("%s: %s refused: quota 'path-length' (%u) reached", r->c->name, r->path,
			 st->quota.path_len);
		return -EINVAL;
	}
	return 0;
}

/* The request's transaction, or a new implicit one. */
static int req_txn(struct req *r)
{
	if (r->h->tx_id) {
		r->t = txn_lookup(r->c, r->h->tx_id);
		r->implicit = false;
		return r->t ? 0 : -ENOENT;
	}
	r->implicit = true;
	return txn_begin(r->c, false, &r->t);
}

/* Ends an implicit transaction: commits a successful write, drops anything else. */
static int req_done(struct req *r, int rc, bool write)
{
	if (r->implicit && r->t) {
		int crc = txn_end(r->t, write && rc == 0);

		if (!rc)
			rc = crc;
	}
	r->t = NULL;
	return rc;
}

/* Ends a write request: commits an implicit transaction, then answers OK if all went well. */
static int reply_done(struct req *r, int rc)
{
	rc = req_done(r, rc, true);
	if (!rc)
		ops_reply_ok(r->c, r->h);
	return rc;
}

static int do_read(struct req *r)
{
	const char *val;
	uint32_t vlen;
	int rc = req_path(r, 0, false);

	if (!rc)
		rc = req_txn(r);
	if (!rc)
		rc = txn_read(r->t, r->path, r->plen, &val, &vlen);
	if (!rc)
		ops_reply(r->c, r->h, val, vlen);
	return req_done(r, rc, false);
}

static int do_write(struct req *r, const char *payload)
{
	const char *val;
	size_t vlen;
	int rc = req_path(r, 0, true);

	if (!rc)
		rc = req_txn(r);
	if (!rc) {
		val = r->a.v[0] + r->a.len[0] + 1;
		vlen = r->h->len - (size_t)(val - payload);
		rc = txn_write(r->t, r->path, r->plen, val, (uint32_t)vlen);
	}
	return reply_done(r, rc);
}

static int do_mkdir_rm(struct req *r)
{
	bool mk = r->h->type == XS_MKDIR;
	int rc = req_path(r, 0, mk);

	if (!rc)
		rc = req_txn(r);
	if (!rc)
		rc = mk ? txn_mkdir(r->t, r->path, r->plen) : txn_rm(r->t, r->path, r->plen);
	return reply_done(r, rc);
}

/* DIRECTORY_PART reply: "<gen>\0" then whole names from offset, "\0" more at the end. */
static int reply_part(struct req *r, const struct strbuf *list, uint64_t gen)
{
	char head[24];
	size_t hl = (size_t)snprintf(head, sizeof(head), "%llu", (unsigned long long)gen) + 1;
	size_t avail = XENSTORE_PAYLOAD_MAX - hl, off, end;
	unsigned long long o;
	struct strbuf out = { 0 };

	if (r->a.n < 2 || !parse_uint(r->a.v[1], list->len, &o))
		return -EINVAL;
	off = (size_t)o;
	if (off && list->p[off - 1] != '\0')
		return -EINVAL;
	for (end = off; end < list->len;) {
		size_t nl = strlen(list->p + end) + 1;

		if (end - off + nl > avail)
			break;
		end += nl;
	}
	sb_add(&out, head, hl);
	sb_add(&out, list->p + off, end - off);
	if (end == list->len && end - off + 1 <= avail)
		sb_add(&out, "", 1);
	if (out.oom) {
		sb_free(&out);
		return -ENOMEM;
	}
	ops_reply(r->c, r->h, out.p, out.len);
	sb_free(&out);
	return 0;
}

static int do_directory(struct req *r)
{
	struct strbuf list = { 0 };
	uint64_t gen = 0;
	int rc = req_path(r, 0, false);

	if (!rc)
		rc = req_txn(r);
	if (!rc)
		rc = txn_directory(r->t, r->path, r->plen, &list, &gen);
	if (!rc && r->h->type == XS_DIRECTORY_PART)
		rc = reply_part(r, &list, gen);
	else if (!rc && list.len > XENSTORE_PAYLOAD_MAX)
		rc = -E2BIG;
	else if (!rc)
		ops_reply(r->c, r->h, list.p ? list.p : "", list.len);
	sb_free(&list);
	return req_done(r, rc, false);
}

/*
 * Parses the permission strings that follow the path in a SET_PERMS
 * payload (from byte off). Returns 0 with a malloc'd array, or -EINVAL.
 */
static int parse_perm_list(const char *payload, size_t len, size_t off, struct xs_perm **out,
			   unsigned *np)
{
	struct xs_perm *p;
	unsigned n = 0;

	for (size_t i = off; i < len; i++)
		if (payload[i] == '\0')
			n++;
	if (!n)
		return -EINVAL;
	p = calloc(n, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (unsigned k = 0; k < n; k++) {
		const char *s = payload + off;

		if (!perm_parse(s, &p[k])) {
			free(p);
			return -EINVAL;
		}
		off += strlen(s) + 1;
	}
	*out = p;
	*np = n;
	return 0;
}

static int special_index(struct store *st, const char *path)
{
	for (int i = 0; i < SPECIAL_COUNT; i++)
		if (!strcmp(st->special[i].path, path))
			return i;
	return -1;
}

static int special_get_perms(struct req *r)
{
	struct store *st = r->c->st;
	int i = special_index(st, r->a.v[0]);
	struct strbuf out = { 0 };
	struct perm_subject s;
	struct special *sp;

	if (i < 0)
		return -ENOENT;
	sp = &st->special[i];
	conn_subject(r->c, &s);
	if (!(perms_access(sp->perms, sp->nperms, sp->perm_gen, &s, domain_live, st) & PERM_READ))
		return -EACCES;
	for (unsigned k = 0; k < sp->nperms; k++) {
		char buf[8];

		sb_add(&out, buf, perm_format(&sp->perms[k], buf));
	}
	if (!out.oom)
		ops_reply(r->c, r->h, out.p, out.len);
	sb_free(&out);
	return out.oom ? -ENOMEM : 0;
}

/* Special paths are dom0's: only it may change who gets their events. */
static int special_set_perms(struct req *r, const struct xs_perm *p, unsigned np)
{
	struct store *st = r->c->st;
	int i = special_index(st, r->a.v[0]);
	struct xs_perm *copy;
	struct special *sp;

	if (i < 0)
		return -ENOENT;
	if (!r->c->privileged)
		return -EACCES;
	copy = malloc(np * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	for (unsigned k = 0; k < np; k++) {
		if (!domain_get(st, p[k].domid)) {
			free(copy);
			return -ENOMEM;
		}
		copy[k] = p[k];
	}
	sp = &st->special[i];
	free(sp->perms);
	sp->perms = copy;
	sp->nperms = np;
	sp->perm_gen = st->gen;
	ops_reply_ok(r->c, r->h);
	return 0;
}

static int do_get_perms(struct req *r)
{
	struct strbuf out = { 0 };
	int rc;

	if (r->a.n >= 1 && path_is_special(r->a.v[0]))
		return special_get_perms(r);
	rc = req_path(r, 0, false);
	if (!rc)
		rc = req_txn(r);
	if (!rc)
		rc = txn_get_perms(r->t, r->path, r->plen, &out);
	if (!rc)
		ops_reply(r->c, r->h, out.p, out.len);
	sb_free(&out);
	return req_done(r, rc, false);
}

static int do_set_perms(struct req *r, const char *payload)
{
	struct xs_perm *p = NULL;
	unsigned np = 0;
	int rc;

	if (r->a.n < 2)
		return -EINVAL;
	rc = parse_perm_list(payload, r->h->len, r->a.len[0] + 1, &p, &np);
	if (!rc && path_is_special(r->a.v[0]))
		rc = special_set_perms(r, p, np);
	else if (!rc) {
		rc = req_path(r, 0, false);
		if (!rc)
			rc = req_txn(r);
		if (!rc)
			rc = txn_set_perms(r->t, r->path, r->plen, p, np);
		rc = reply_done(r, rc);
	}
	free(p);
	return rc;
}

/* ---- watches ---- */

static int do_watch(struct req *r)
{
	const char *given = r->a.v[0], *token = r->a.v[1];
	bool relative = false;
	int rc;

	if (r->a.n < 2)
		return -EINVAL;
	if (path_is_special(given)) {
		if (!path_special_valid(given))
			return -EINVAL;
		snprintf(r->path, sizeof(r->path), "%s", given);
	} else if (path_resolve(given, r->c->domid, r->path, &relative) < 0) {
		return -EINVAL;
	}
	if (r->h->type == XS_UNWATCH)
		rc = watch_remove(r->c, r->path, token);
	else
		rc = watch_add(r->c, r->path, given, relative, token);
	if (rc)
		return rc;
	ops_reply_ok(r->c, r->h);
	/* A new watch fires once at once, with the path as the client wrote it. */
	if (r->h->type == XS_WATCH)
		conn_send_event(r->c, given, token);
	return 0;
}

static int do_reset_watches(struct req *r)
{
	while (r->c->txns)
		txn_end(r->c->txns, false);
	watch_remove_all(r->c);
	ops_reply_ok(r->c, r->h);
	return 0;
}

/* ---- transactions ---- */

static int do_transaction_start(struct req *r)
{
	struct txn *t;
	char id[16];
	int rc;

	if (r->h->tx_id)
		return -EBUSY; /* no nesting */
	rc = txn_begin(r->c, true, &t);
	if (rc)
		return rc;
	snprintf(id, sizeof(id), "%u", t->id);
	ops_reply_str(r->c, r->h, id);
	return 0;
}

static int do_transaction_end(struct req *r)
{
	struct txn *t = txn_lookup(r->c, r->h->tx_id);
	bool commit;
	int rc;

	if (!t)
		return -ENOENT;
	if (r->a.n < 1 || r->a.len[0] != 1 || (r->a.v[0][0] != 'T' && r->a.v[0][0] != 'F'))
		return -EINVAL;
	commit = r->a.v[0][0] == 'T';
	rc = txn_end(t, commit);
	if (rc)
		return rc;
	ops_reply_ok(r->c, r->h);
	return 0;
}

/* ---- dispatch ---- */

static int dispatch(struct req *r, const char *payload)
{
	switch (r->h->type) {
	case XS_READ:
		return do_read(r);
	case XS_WRITE:
		return do_write(r, payload);
	case XS_MKDIR:
	case XS_RM:
		return do_mkdir_rm(r);
	case XS_DIRECTORY:
	case XS_DIRECTORY_PART:
		return do_directory(r);
	case XS_GET_PERMS:
		return do_get_perms(r);
	case XS_SET_PERMS:
		return do_set_perms(r, payload);
	case XS_WATCH:
	case XS_UNWATCH:
		return do_watch(r);
	case XS_RESET_WATCHES:
		return do_reset_watches(r);
	case XS_TRANSACTION_START:
		return do_transaction_start(r);
	case XS_TRANSACTION_END:
		return do_transaction_end(r);
	case XS_INTRODUCE:
		return op_introduce(r->c, r->h, &r->a);
	case XS_RELEASE:
		return op_release(r->c, r->h, &r->a);
	case XS_RESUME:
		return op_resume(r->c, r->h, &r->a);
	case XS_SET_TARGET:
		return op_set_target(r->c, r->h, &r->a);
	case XS_GET_DOMAIN_PATH:
		return op_get_domain_path(r->c, r->h, &r->a);
	case XS_IS_DOMAIN_INTRODUCED:
		return op_is_introduced(r->c, r->h, &r->a);
	case XS_CONTROL:
		return op_control(r->c, r->h, payload);
	default:
		return -EINVAL; /* WATCH_EVENT, ERROR, retired and unknown types */
	}
}

void store_request(struct store *st, struct conn *c, const struct xsd_sockmsg *hdr,
		   const char *payload)
{
	struct req r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.h = hdr;
	ops_split(payload, hdr->len, &r.a);
	st->stats.requests++;
	rc = dispatch(&r, payload);
	if (rc)
		ops_reply_error(c, hdr, rc);
	if (st->log_requests || log_get_level() >= SLOG_DEBUG) {
		const char *type = hdr->type < XS_TYPE_COUNT && type_names[hdr->type]
					   ? type_names[hdr->type]
					   : "unknown";

		slog(st->log_requests ? SLOG_INFO : SLOG_DEBUG, "%s: %s %.*s (tx %u) -> %s",
		     c->name, type, r.a.n ? (int)(r.a.len[0] > 200 ? 200 : r.a.len[0]) : 0,
		     r.a.n ? r.a.v[0] : "", hdr->tx_id, rc ? store_errname(rc) : "OK");
	}
}
