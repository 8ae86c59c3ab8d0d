/* mica-store: the store's lifetime, quotas, consistency check, error names and buffers. */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "path.h"
#include "tree.h"
#include "txn.h"
#include "util.h"
#include "watch.h"

/* Xen's xenstored defaults (4.17), so guests see the limits they are used to. */
const struct quota quota_defaults = {
	.nodes = 1000,
	.node_size = 2048,
	.perms = 5,
	.path_len = XENSTORE_REL_PATH_MAX,
	.watches = 128,
	.txns = 10,
	.txn_nodes = 1024,
	.outstanding = 20,
	.events = 256,
};

#define Q(field, name, what) { name, offsetof(struct quota, field), what }
const struct quota_name quota_names[] = {
	Q(nodes, "nodes", "nodes one domain may own"),
	Q(node_size, "node-size", "bytes of value plus child names in one node"),
	Q(perms, "permissions", "entries in one node's permissions"),
	Q(path_len, "path-length", "bytes of a path below /local/domain/<id>/"),
	Q(watches, "watches", "watches one domain may set"),
	Q(txns, "transactions", "transactions one domain may have open"),
	Q(txn_nodes, "transaction-nodes", "nodes one transaction may touch"),
	Q(outstanding, "outstanding", "replies queued before requests wait"),
	Q(events, "events", "watch events queued before more are dropped"),
};
#undef Q
const unsigned quota_count = ARRAY_SIZE(quota_names);

unsigned *quota_field(struct quota *q, const char *name)
{
	for (unsigned i = 0; i < quota_count; i++)
		if (!strcmp(name, quota_names[i].name))
			return (unsigned *)((char *)q + quota_names[i].offset);
	return NULL;
}

static int special_init(struct special *sp, const char *path)
{
	sp->path = path;
	sp->perms = calloc(1, sizeof(*sp->perms)); /* "n0": dom0's, nobody else's */
	sp->nperms = 1;
	sp->perm_gen = 0;
	return sp->perms ? 0 : -ENOMEM;
}

int store_init(struct store *st, const struct quota *q)
{
	memset(st, 0, sizeof(*st));
	st->quota = q ? *q : quota_defaults;
	if (!domain_get(st, 0))
		goto fail;
	if (tree_init(st))
		goto fail;
	if (watch_init(st))
		goto fail;
	if (special_init(&st->special[SPECIAL_INTRODUCE], "@introduceDomain") ||
	    special_init(&st->special[SPECIAL_RELEASE], "@releaseDomain"))
		goto fail;
	return 0;
fail:
	store_fini(st);
	return -ENOMEM;
}

void store_fini(struct store *st)
{
	while (st->conns)
		conn_close(st->conns);
	store_reap(st);
	if (st->root)
		tree_fini(st);
	if (st->wroot || st->wnodes.cur)
		watch_fini(st);
	for (int i = 0; i < SPECIAL_COUNT; i++) {
		free(st->special[i].perms);
		st->special[i].perms = NULL;
	}
	domain_fini(st);
}

const char *store_errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
#define X(e) { e, #e },
		XS_ERROR_NAMES(X)
#undef X
	};

	if (err < 0)
		err = -err;
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	return "EIO";
}

/* ---- consistency check ---- */

struct tcheck {
	struct store *st;
	unsigned *owned[256];   /* nodes per owner domid, recounted (blocks as st->dom) */
	unsigned long nodes;
	char *msg;
	size_t size;
	int err;
};

static void bad(struct tcheck *ck, const char *fmt, const char *path)
{
	if (!ck->err)
		snprintf(ck->msg, ck->size, fmt, path);
	ck->err = -EIO;
}

static void check_node(struct hlink *l, void *arg)
{
	struct node *n = container_of(l, struct node, h);
	struct tcheck *ck = arg;
	uint32_t count = 0, bytes = 0;

	ck->nodes++;
	if (!path_valid(n->path, n->len) || n->len != strlen(n->path))
		bad(ck, "node %s has an invalid path", n->path);
	if (!n->nperms || !n->perms) {
		bad(ck, "node %s has no permissions", n->path);
	} else {
		unsigned owner = domain_owner(ck->st, n->perms, n->perm_gen);
		unsigned **block = &ck->owned[owner >> 8];

		if (!*block)
			*block = calloc(256, sizeof(unsigned));
		if (*block)
			(*block)[owner & 0xff]++;
		else
			bad(ck, "out of memory checking %s", n->path);
	}
	if (n->parent) {
		struct node *p = n->parent;
		size_t plen = path_parent_len(n->path, n->len);

		if (p->len != plen || memcmp(p->path, n->path, plen))
			bad(ck, "node %s is linked under the wrong parent", n->path);
		if (tree_lookup(ck->st, p->path, p->len) != p)
			bad(ck, "the parent of %s is not in the index", n->path);
	} else if (n != ck->st->root) {
		bad(ck, "node %s has no parent", n->path);
	}
	for (struct node *c = n->first; c; c = c->next) {
		if (c->parent != n || (c->next && c->next->prev != c))
			bad(ck, "the child list of %s is broken", n->path);
		count++;
		bytes += c->len - c->name + 1;
	}
	if (count != n->nchildren || bytes != n->child_bytes)
		bad(ck, "node %s miscounts its children", n->path);
}

int store_check(struct store *st, char *msg, size_t size)
{
	struct tcheck ck = { .st = st, .msg = msg, .size = size };

	htab_each(&st->nodes, check_node, &ck);
	if (!ck.err && (ck.nodes != st->nnodes || ck.nodes != st->nodes.count)) {
		snprintf(msg, size, "%lu nodes found, %lu counted", ck.nodes, st->nnodes);
		ck.err = -EIO;
	}
	for (unsigned hi = 0; hi < 256; hi++) {
		for (unsigned lo = 0; st->dom[hi] && lo < 256 && !ck.err; lo++) {
			struct domain *d = st->dom[hi][lo];
			unsigned owned = ck.owned[hi] ? ck.owned[hi][lo] : 0;

			if (d && d->domid && d->nodes != owned) {
				snprintf(msg, size, "domain %u is charged %u nodes, owns %u",
					 d->domid, d->nodes, owned);
				ck.err = -EIO;
			}
		}
		free(ck.owned[hi]);
	}
	if (!ck.err)
		ck.err = watch_check(st, msg, size);
	for (struct conn *c = st->conns; !ck.err && c; c = c->next) {
		unsigned nw = 0, nt = 0;

		for (struct watch *w = c->watches; w; w = w->cnext)
			nw++;
		for (struct txn *t = c->txns; t; t = t->next)
			nt++;
		if (nw != c->nwatches || nt != c->ntxns) {
			snprintf(msg, size, "%s: %u watches and %u transactions, counted %u and %u",
				 c->name, nw, nt, c->nwatches, c->ntxns);
			ck.err = -EIO;
		}
	}
	return ck.err;
}

/* ---- growable buffers ---- */

void sb_add(struct strbuf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sb_addstr0(struct strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s) + 1);
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void sb_free(struct strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}
