/* mica-store: the watch trie and event delivery (see watch.h for the theory). */
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "path.h"
#include "tree.h"
#include "util.h"

struct wnode {
	struct hlink h;                 /* st->wnodes, keyed by (parent->id, name) */
	uint64_t id;
	struct wnode *parent;
	struct wnode *first, *prev, *next;
	char *name;
	uint32_t nlen;
	struct watch *watches;          /* set exactly on this path */
	unsigned refs;                  /* watches here and below */
};

struct wn_key {
	uint64_t parent;
	const char *name;
	size_t nlen;
};

static bool wn_eq(const struct hlink *l, const void *key)
{
	const struct wnode *w = container_of(l, struct wnode, h);
	const struct wn_key *k = key;

	return w->parent && w->parent->id == k->parent && w->nlen == k->nlen &&
	       !memcmp(w->name, k->name, k->nlen);
}

static struct wnode *wn_child(struct store *st, struct wnode *parent, const char *name,
			      size_t nlen)
{
	struct wn_key k = { parent->id, name, nlen };
	struct hlink *l = htab_find(&st->wnodes, hash_bytes(name, nlen, parent->id), wn_eq, &k);

	return l ? container_of(l, struct wnode, h) : NULL;
}

static struct wnode *wn_alloc(struct store *st, const char *name, size_t nlen)
{
	struct wnode *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->name = mem_dup(name, nlen);
	if (!w->name) {
		free(w);
		return NULL;
	}
	w->nlen = (uint32_t)nlen;
	w->id = ++st->next_wnode_id;
	return w;
}

static struct wnode *wn_make_child(struct store *st, struct wnode *parent, const char *name,
				   size_t nlen)
{
	struct wnode *w = wn_child(st, parent, name, nlen);

	if (w)
		return w;
	w = wn_alloc(st, name, nlen);
	if (!w)
		return NULL;
	w->parent = parent;
	w->next = parent->first;
	if (parent->first)
		parent->first->prev = w;
	parent->first = w;
	w->h.hash = hash_bytes(name, nlen, parent->id);
	htab_insert(&st->wnodes, &w->h);
	return w;
}

static bool wn_is_root(const struct store *st, const struct wnode *w)
{
	return w == st->wroot || w == st->wspecial;
}

/* Frees w and its unused ancestors, bottom up (w must have no watches and no children). */
static void wn_prune(struct store *st, struct wnode *w)
{
	while (w && !wn_is_root(st, w) && !w->refs && !w->first && !w->watches) {
		struct wnode *parent = w->parent;

		if (w->prev)
			w->prev->next = w->next;
		else
			parent->first = w->next;
		if (w->next)
			w->next->prev = w->prev;
		htab_remove(&st->wnodes, &w->h);
		free(w->name);
		free(w);
		w = parent;
	}
}

int watch_init(struct store *st)
{
	if (htab_init(&st->wnodes, 256))
		return -ENOMEM;
	if (htab_init(&st->wkeys, 256)) {
		htab_fini(&st->wnodes);
		return -ENOMEM;
	}
	st->wroot = wn_alloc(st, "/", 1);
	st->wspecial = wn_alloc(st, "@", 1);
	if (!st->wroot || !st->wspecial) {
		watch_fini(st);
		return -ENOMEM;
	}
	return 0;
}

void watch_fini(struct store *st)
{
	/* Connections are closed first, which removes every watch and wnode. */
	if (st->wroot)
		free(st->wroot->name);
	if (st->wspecial)
		free(st->wspecial->name);
	free(st->wroot);
	free(st->wspecial);
	st->wroot = st->wspecial = NULL;
	htab_fini(&st->wnodes);
	htab_fini(&st->wkeys);
}

/* Walks path's components from the trie root; NULL if any is missing (create: make them). */
static struct wnode *wn_walk(struct store *st, const char *path, bool create)
{
	struct wnode *w;
	const char *p, *end;

	if (path_is_special(path)) {
		size_t len = strlen(path);

		return create ? wn_make_child(st, st->wspecial, path, len)
			      : wn_child(st, st->wspecial, path, len);
	}
	w = st->wroot;
	for (p = path + 1; w && *p; p = *end ? end + 1 : end) {
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		w = create ? wn_make_child(st, w, p, (size_t)(end - p))
			   : wn_child(st, w, p, (size_t)(end - p));
	}
	return w;
}

/* After a failed wn_walk(create): frees the unused nodes it made along path. */
static void wn_prune_path(struct store *st, const char *path)
{
	struct wnode *w = st->wroot, *deepest = NULL;
	const char *p, *end;

	if (path_is_special(path)) {
		wn_prune(st, wn_child(st, st->wspecial, path, strlen(path)));
		return;
	}
	for (p = path + 1; w && *p; p = *end ? end + 1 : end) {
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		w = wn_child(st, w, p, (size_t)(end - p));
		if (w)
			deepest = w;
	}
	wn_prune(st, deepest);
}

struct wkey {
	uint64_t conn;
	const char *path;
	const char *token;
};

static uint64_t wkey_hash(uint64_t conn, const char *path, const char *token)
{
	return hash_bytes(path, strlen(path), conn) ^ hash_bytes(token, strlen(token), ~conn);
}

static bool wkey_eq(const struct hlink *l, const void *key)
{
	const struct watch *w = container_of(l, struct watch, key);
	const struct wkey *k = key;

	return w->conn->id == k->conn && !strcmp(w->path, k->path) && !strcmp(w->token, k->token);
}

static struct watch *watch_find(struct conn *c, const char *path, const char *token)
{
	struct wkey k = { c->id, path, token };
	struct hlink *l = htab_find(&c->st->wkeys, wkey_hash(c->id, path, token), wkey_eq, &k);

	return l ? container_of(l, struct watch, key) : NULL;
}

static void watch_free(struct watch *w)
{
	free(w->path);
	free(w->given);
	free(w->token);
	free(w);
}

int watch_add(struct conn *c, const char *path, const char *given, bool relative,
	      const char *token)
{
	struct store *st = c->st;
	struct watch *w;
	struct wnode *wn;

	if (watch_find(c, path, token))
		return -EEXIST;
	if (!c->privileged && c->dom->watches >= st->quota.watches) {
		st->stats.quota_hits++;
		log_warn("%s: watch on %s refused: quota 'watches' (%u) reached", c->name, path,
			 st->quota.watches);
		return -E2BIG;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->given = strdup(given);
	w->token = strdup(token);
	wn = wn_walk(st, path, true);
	if (!w->path || !w->given || !w->token || !wn) {
		watch_free(w);
		wn_prune_path(st, path);
		return -ENOMEM;
	}
	w->conn = c;
	w->wn = wn;
	w->relative = relative;
	w->key.hash = wkey_hash(c->id, path, token);
	htab_insert(&st->wkeys, &w->key);
	w->wnext = wn->watches;
	if (wn->watches)
		wn->watches->wprev = w;
	wn->watches = w;
	for (struct wnode *a = wn; a; a = a->parent)
		a->refs++;
	w->cnext = c->watches;
	if (c->watches)
		c->watches->cprev = w;
	c->watches = w;
	c->nwatches++;
	c->dom->watches++;
	st->nwatches++;
	return 0;
}

static void watch_unlink(struct store *st, struct watch *w)
{
	struct conn *c = w->conn;
	struct wnode *wn = w->wn;

	htab_remove(&st->wkeys, &w->key);
	if (w->wprev)
		w->wprev->wnext = w->wnext;
	else
		wn->watches = w->wnext;
	if (w->wnext)
		w->wnext->wprev = w->wprev;
	if (w->cprev)
		w->cprev->cnext = w->cnext;
	else
		c->watches = w->cnext;
	if (w->cnext)
		w->cnext->cprev = w->cprev;
	for (struct wnode *a = wn; a; a = a->parent)
		a->refs--;
	c->nwatches--;
	if (c->dom->watches)
		c->dom->watches--;
	st->nwatches--;
	watch_free(w);
	/* Prune from the deepest unused node: wn itself, or nothing. */
	wn_prune(st, wn);
}

int watch_remove(struct conn *c, const char *path, const char *token)
{
	struct watch *w = watch_find(c, path, token);

	if (!w)
		return -ENOENT;
	watch_unlink(c->st, w);
	return 0;
}

void watch_remove_all(struct conn *c)
{
	while (c->watches)
		watch_unlink(c->st, c->watches);
}

static bool may_read(struct store *st, struct conn *c, const struct xs_perm *p, unsigned np,
		     uint64_t gen)
{
	struct perm_subject s;

	conn_subject(c, &s);
	return perms_access(p, np, gen, &s, domain_live, st) & PERM_READ;
}

/* Sends the event for absolute path to every watch set exactly at wn. */
static void deliver(struct store *st, struct wnode *wn, const char *path,
		    const struct xs_perm *p, unsigned np, uint64_t gen)
{
	for (struct watch *w = wn->watches, *next; w; w = next) {
		const char *epath = path;

		next = w->wnext;
		if (!may_read(st, w->conn, p, np, gen))
			continue;
		if (w->relative && !path_in_home(path, w->conn->domid, &epath))
			epath = path;
		conn_send_event(w->conn, epath, w->token);
	}
}

/* Fires the watches on path and its prefixes; returns path's own wnode, or NULL. */
static struct wnode *fire_prefixes(struct store *st, const char *path, size_t len,
				   const struct xs_perm *p, unsigned np, uint64_t gen)
{
	struct wnode *w = st->wroot;
	size_t i = 1;

	deliver(st, w, path, p, np, gen);
	while (i < len) {
		size_t j = i;

		while (j < len && path[j] != '/')
			j++;
		w = wn_child(st, w, path + i, j - i);
		if (!w)
			return NULL;
		deliver(st, w, path, p, np, gen);
		i = j + 1;
	}
	return w;
}

void watch_fire(struct store *st, const char *path, size_t len, const struct xs_perm *p,
		unsigned np, uint64_t perm_gen)
{
	fire_prefixes(st, path, len, p, np, perm_gen);
}

/* The closest existing node at or above the absolute path w->path. */
static struct node *closest_node(struct store *st, const char *path)
{
	size_t len = strlen(path);

	for (;;) {
		struct node *n = tree_lookup(st, path, len);

		if (n || len <= 1)
			return n ? n : st->root;
		len = path_parent_len(path, len);
	}
}

void watch_fire_removal(struct store *st, const char *path, size_t len,
			const struct xs_perm *p, unsigned np, uint64_t perm_gen)
{
	struct wnode *top = fire_prefixes(st, path, len, p, np, perm_gen);
	struct wnode *w;

	if (!top || !top->first)
		return;
	/* Pre-order walk of the subtree below top, without recursion. */
	w = top->first;
	while (w && w != top) {
		for (struct watch *x = w->watches, *next; x; x = next) {
			struct node *n = closest_node(st, x->path);

			next = x->wnext;
			if (may_read(st, x->conn, n->perms, n->nperms, n->perm_gen))
				conn_send_event(x->conn, x->given, x->token);
		}
		if (w->first) {
			w = w->first;
			continue;
		}
		while (w != top && !w->next)
			w = w->parent;
		if (w != top)
			w = w->next;
	}
}

void watch_fire_special(struct store *st, int which)
{
	const struct special *sp = &st->special[which];
	struct wnode *w = wn_child(st, st->wspecial, sp->path, strlen(sp->path));

	if (w)
		deliver(st, w, sp->path, sp->perms, sp->nperms, sp->perm_gen);
}

struct wcheck {
	char *msg;
	size_t size;
	int err;
};

static unsigned count_below(struct wnode *w)
{
	unsigned n = 0;

	for (struct watch *x = w->watches; x; x = x->wnext)
		n++;
	for (struct wnode *c = w->first; c; c = c->next)
		n += c->refs;
	return n;
}

static void check_wnode(struct hlink *l, void *arg)
{
	struct wnode *w = container_of(l, struct wnode, h);
	struct wcheck *ck = arg;

	if (ck->err)
		return;
	if (!w->refs || count_below(w) != w->refs) {
		snprintf(ck->msg, ck->size, "watch trie node %.*s counts %u watches, has %u",
			 (int)w->nlen, w->name, w->refs, count_below(w));
		ck->err = -EIO;
	}
}

int watch_check(struct store *st, char *msg, size_t size)
{
	struct wcheck ck = { msg, size, 0 };

	htab_each(&st->wnodes, check_wnode, &ck);
	if (!ck.err && st->wkeys.count != st->nwatches) {
		snprintf(msg, size, "%lu watches counted, %zu indexed", st->nwatches,
			 st->wkeys.count);
		ck.err = -EIO;
	}
	return ck.err;
}
