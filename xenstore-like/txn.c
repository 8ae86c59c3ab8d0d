/* mica-store: transactions and the tree operations done through them (see txn.h). */
#include "txn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "path.h"
#include "tree.h"
#include "util.h"
#include "watch.h"

/* One path the transaction touched. */
struct txe {
	struct hlink h;                 /* t->ents */
	struct txe *next_all;
	char *path;
	uint32_t len;
	uint32_t name;                  /* offset of the last component */

	/* what the live store held when first touched */
	bool base_exists;
	uint64_t base_gen, base_cgen;
	bool cread;                     /* the child list was read: check base_cgen too */

	/* the transaction's own version, once written */
	bool written;
	bool exists;
	bool value_dirty, perms_dirty;
	bool quiet;                     /* made only as a missing parent: fires no watch itself */
	char *value;
	uint32_t vlen;
	struct xs_perm *perms;
	uint16_t nperms;
	uint64_t perm_gen;              /* generation the perms were checked at */

	/* the transaction's view of the children */
	int64_t child_bytes_delta;      /* names added minus removed, bytes with NULs */
	struct txe *cfirst;             /* created here: exist in the view, not in the base */
	struct txe *cnext, *cprev, *cparent;
};

/* A node as the transaction sees it. */
struct nview {
	bool exists;
	const char *value;
	uint32_t vlen;
	const struct xs_perm *perms;
	unsigned nperms;
	uint64_t perm_gen;
	uint64_t child_bytes;
};

struct path_key {
	const char *path;
	size_t len;
};

static bool txe_eq(const struct hlink *l, const void *key)
{
	const struct txe *e = container_of(l, struct txe, h);
	const struct path_key *k = key;

	return e->len == k->len && !memcmp(e->path, k->path, k->len);
}

static struct txe *find(struct txn *t, const char *path, size_t len)
{
	struct path_key k = { path, len };
	struct hlink *l = htab_find(&t->ents, tree_hash(path, len), txe_eq, &k);

	return l ? container_of(l, struct txe, h) : NULL;
}

static struct store *st_of(struct txn *t)
{
	return t->conn->st;
}

static bool unprivileged(struct txn *t)
{
	return !t->conn->privileged;
}

static int quota_refused(struct txn *t, const char *quota, unsigned limit, const char *path)
{
	st_of(t)->stats.quota_hits++;
	log_warn("%s: request on %s refused: quota '%s' (%u) reached", t->conn->name, path, quota,
		 limit);
	return -ENOSPC;
}

/* The entry for path, made (with an observation of the live store) on first touch. */
static int touch(struct txn *t, const char *path, size_t len, struct txe **out)
{
	struct store *st = st_of(t);
	struct txe *e = find(t, path, len);
	struct node *n;

	if (e) {
		*out = e;
		return 0;
	}
	if (t->id && unprivileged(t) && t->nents >= st->quota.txn_nodes)
		return quota_refused(t, "transaction-nodes", st->quota.txn_nodes, path);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->path = mem_dup(path, len);
	if (!e->path) {
		free(e);
		return -ENOMEM;
	}
	e->len = (uint32_t)len;
	e->name = (uint32_t)path_name_offset(path, len);
	n = tree_lookup(st, path, len);
	e->base_exists = n != NULL;
	e->base_gen = n ? n->gen : 0;
	e->base_cgen = n ? n->cgen : 0;
	e->h.hash = tree_hash(path, len);
	htab_insert(&t->ents, &e->h);
	e->next_all = t->all;
	t->all = e;
	t->nents++;
	*out = e;
	return 0;
}

static void view(struct txn *t, const struct txe *e, struct nview *v)
{
	struct node *n = NULL;
	int64_t cb;

	if (e->base_exists)
		n = tree_lookup(st_of(t), e->path, e->len);
	cb = (n ? (int64_t)n->child_bytes : 0) + e->child_bytes_delta;
	v->child_bytes = cb > 0 ? (uint64_t)cb : 0;
	if (e->written) {
		v->exists = e->exists;
		v->value = e->value;
		v->vlen = e->vlen;
		v->perms = e->perms;
		v->nperms = e->nperms;
		v->perm_gen = e->perm_gen;
		return;
	}
	v->exists = n != NULL;
	v->value = n ? n->value : NULL;
	v->vlen = n ? n->vlen : 0;
	v->perms = n ? n->perms : NULL;
	v->nperms = n ? n->nperms : 0;
	v->perm_gen = n ? n->perm_gen : 0;
}

static unsigned access_of(struct txn *t, const struct nview *v)
{
	struct perm_subject s;

	conn_subject(t->conn, &s);
	return perms_access(v->perms, v->nperms, v->perm_gen, &s, domain_live, st_of(t));
}

/* Copies perms into e (sanitized as of gen, stamped now). */
static int set_perms_copy(struct txn *t, struct txe *e, const struct xs_perm *p, unsigned np,
			  uint64_t gen)
{
	struct xs_perm *copy = malloc(np * sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	np = perms_sanitize(p, np, gen, copy, domain_live, st_of(t));
	free(e->perms);
	e->perms = copy;
	e->nperms = (uint16_t)np;
	e->perm_gen = st_of(t)->gen;
	return 0;
}

/* Gives e its own copy of the node's current state, before the first write. */
static int materialize(struct txn *t, struct txe *e)
{
	struct nview v;

	if (e->written)
		return 0;
	view(t, e, &v);
	if (v.exists) {
		e->value = mem_dup(v.value, v.vlen);
		if (!e->value)
			return -ENOMEM;
		e->vlen = v.vlen;
		if (set_perms_copy(t, e, v.perms, v.nperms, v.perm_gen)) {
			free(e->value);
			e->value = NULL;
			return -ENOMEM;
		}
	}
	e->exists = v.exists;
	e->written = true;
	return 0;
}

/* The owner that counts for quotas, of a node with these (view) permissions. */
static unsigned owner_of(struct txn *t, const struct xs_perm *p, uint64_t gen)
{
	return domain_owner(st_of(t), p, gen);
}

/* Makes e exist or not in the view (e written; parent is e's parent entry). */
static void set_exists(struct txn *t, struct txe *e, struct txe *parent, bool exists)
{
	int64_t bytes = (int64_t)(e->len - e->name) + 1;

	if (e->exists == exists)
		return;
	e->exists = exists;
	parent->child_bytes_delta += exists ? bytes : -bytes;
	if (exists && !e->base_exists) {
		e->cparent = parent;
		e->cprev = NULL;
		e->cnext = parent->cfirst;
		if (parent->cfirst)
			parent->cfirst->cprev = e;
		parent->cfirst = e;
	} else if (!exists && e->cparent) {
		if (e->cprev)
			e->cprev->cnext = e->cnext;
		else
			e->cparent->cfirst = e->cnext;
		if (e->cnext)
			e->cnext->cprev = e->cprev;
		e->cparent = e->cprev = e->cnext = NULL;
	}
	if (e->perms && owner_of(t, e->perms, e->perm_gen) == t->conn->domid)
		t->nodes_delta += exists ? 1 : -1;
}

/*
 * The error for a missing node: EACCES rather than ENOENT when the caller
 * may not read the closest existing ancestor, so absence does not leak.
 */
static int missing(struct txn *t, const char *path, size_t len)
{
	while (len > 1) {
		struct txe *e;
		struct nview v;

		len = path_parent_len(path, len);
		if (touch(t, path, len, &e))
			return -ENOENT;
		view(t, e, &v);
		if (v.exists)
			return access_of(t, &v) & PERM_READ ? -ENOENT : -EACCES;
	}
	return -ENOENT;
}

/* Touches path and returns its view, which must exist and allow want. */
static int get_node(struct txn *t, const char *path, size_t len, unsigned want,
		    struct txe **e, struct nview *v)
{
	int rc = touch(t, path, len, e);

	if (rc)
		return rc;
	view(t, *e, v);
	if (!v->exists)
		return missing(t, path, len);
	if ((access_of(t, v) & want) != want)
		return -EACCES;
	return 0;
}

int txn_read(struct txn *t, const char *path, size_t len, const char **val, uint32_t *vlen)
{
	struct txe *e;
	struct nview v;
	int rc = get_node(t, path, len, PERM_READ, &e, &v);

	if (rc)
		return rc;
	*val = v.value;
	*vlen = v.vlen;
	return 0;
}

/*
 * Calls fn for each child of e in the view, with the child's path. The live
 * children come first, then those the transaction created.
 */
static int each_child(struct txn *t, struct txe *e,
		      int (*fn)(struct txn *t, const char *path, size_t len, void *arg), void *arg)
{
	struct node *n = e->base_exists ? tree_lookup(st_of(t), e->path, e->len) : NULL;
	int rc;

	for (struct node *c = n ? n->first : NULL; c; c = c->next) {
		struct txe *ce = find(t, c->path, c->len);

		/* Children the transaction saw absent are listed from cfirst if they exist. */
		if (ce && (!ce->base_exists || (ce->written && !ce->exists)))
			continue;
		rc = fn(t, c->path, c->len, arg);
		if (rc)
			return rc;
	}
	for (struct txe *ce = e->cfirst; ce; ce = ce->cnext) {
		rc = fn(t, ce->path, ce->len, arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_name(struct txn *t, const char *path, size_t len, void *arg)
{
	size_t name = path_name_offset(path, len);

	(void)t;
	sb_add(arg, path + name, len - name);
	sb_add(arg, "", 1);
	return ((struct strbuf *)arg)->oom ? -ENOMEM : 0;
}

int txn_directory(struct txn *t, const char *path, size_t len, struct strbuf *out,
		  uint64_t *gen)
{
	struct txe *e;
	struct nview v;
	int rc = get_node(t, path, len, PERM_READ, &e, &v);

	if (rc)
		return rc;
	e->cread = true;
	*gen = e->base_cgen + t->mods;
	return each_child(t, e, add_name, out);
}

int txn_get_perms(struct txn *t, const char *path, size_t len, struct strbuf *out)
{
	struct xs_perm *clean;
	struct txe *e;
	struct nview v;
	unsigned np;
	int rc = get_node(t, path, len, PERM_READ, &e, &v);

	if (rc)
		return rc;
	clean = malloc(v.nperms * sizeof(*clean));
	if (!clean)
		return -ENOMEM;
	np = perms_sanitize(v.perms, v.nperms, v.perm_gen, clean, domain_live, st_of(t));
	for (unsigned i = 0; i < np; i++) {
		char buf[8];

		sb_add(out, buf, perm_format(&clean[i], buf));
	}
	free(clean);
	return out->oom ? -ENOMEM : 0;
}

/*
 * Creates path and its missing ancestors in the view, the leaf with this
 * value. Needs write access to the closest existing ancestor; new nodes take
 * its permissions, owned by the caller if unprivileged.
 */
static int create_path(struct txn *t, struct txe *leaf, const void *val, uint32_t vlen)
{
	struct store *st = st_of(t);
	struct txe **chain = NULL, *anc = leaf;
	struct xs_perm *perms = NULL;
	unsigned depth = 0, np;
	struct nview av;
	int rc;

	/* Walk up to the closest ancestor that exists in the view. */
	for (;;) {
		struct txe **bigger = realloc(chain, (depth + 1) * sizeof(*chain));
		size_t plen;

		if (!bigger) {
			rc = -ENOMEM;
			goto out;
		}
		chain = bigger;
		chain[depth++] = anc;
		plen = path_parent_len(anc->path, anc->len);
		rc = touch(t, anc->path, plen, &anc);
		if (rc)
			goto out;
		view(t, anc, &av);
		if (av.exists)
			break;
		if (anc->len <= 1) {
			rc = -EIO; /* the root always exists */
			goto out;
		}
	}
	rc = -EACCES;
	if (!(access_of(t, &av) & PERM_WRITE))
		goto out;
	if (unprivileged(t)) {
		struct txe *top = chain[depth - 1];

		rc = -ENOSPC;
		if ((int64_t)t->conn->dom->nodes + t->nodes_delta + depth > st->quota.nodes) {
			quota_refused(t, "nodes", st->quota.nodes, leaf->path);
			goto out;
		}
		if (av.vlen + av.child_bytes + (top->len - top->name) + 1 > st->quota.node_size ||
		    vlen > st->quota.node_size) {
			quota_refused(t, "node-size", st->quota.node_size, leaf->path);
			goto out;
		}
	}
	rc = -ENOMEM;
	perms = malloc(av.nperms * sizeof(*perms));
	if (!perms)
		goto out;
	np = perms_sanitize(av.perms, av.nperms, av.perm_gen, perms, domain_live, st);
	if (unprivileged(t))
		perms[0].domid = (uint16_t)t->conn->domid;
	/* Top down, so each parent exists before its child. */
	for (unsigned i = depth; i-- > 0;) {
		struct txe *e = chain[i];
		struct txe *parent = i + 1 < depth ? chain[i + 1] : anc;
		char *v = mem_dup(i == 0 ? val : "", i == 0 ? vlen : 0);

		if (!v || materialize(t, e) || set_perms_copy(t, e, perms, np, st->gen)) {
			free(v);
			goto out;
		}
		free(e->value);
		e->value = v;
		e->vlen = i == 0 ? vlen : 0;
		e->value_dirty = e->perms_dirty = true;
		/* As in Xen, parents made on the way fire no event of their own. */
		e->quiet = i > 0 && !e->base_exists;
		set_exists(t, e, parent, true);
	}
	rc = 0;
out:
	free(chain);
	free(perms);
	return rc;
}

int txn_write(struct txn *t, const char *path, size_t len, const void *val, uint32_t vlen)
{
	struct store *st = st_of(t);
	struct txe *e;
	struct nview v;
	char *copy;
	int rc = touch(t, path, len, &e);

	if (rc)
		return rc;
	t->mods++;
	view(t, e, &v);
	if (!v.exists)
		return create_path(t, e, val, vlen);
	if (!(access_of(t, &v) & PERM_WRITE))
		return -EACCES;
	if (unprivileged(t) && vlen + v.child_bytes > st->quota.node_size)
		return quota_refused(t, "node-size", st->quota.node_size, path);
	copy = mem_dup(val, vlen);
	if (!copy)
		return -ENOMEM;
	rc = materialize(t, e);
	if (rc) {
		free(copy);
		return rc;
	}
	free(e->value);
	e->value = copy;
	e->vlen = vlen;
	e->value_dirty = true;
	e->quiet = false;
	return 0;
}

int txn_mkdir(struct txn *t, const char *path, size_t len)
{
	struct txe *e;
	struct nview v;
	int rc = touch(t, path, len, &e);

	if (rc)
		return rc;
	view(t, e, &v);
	if (v.exists)
		return access_of(t, &v) & PERM_WRITE ? 0 : -EACCES;
	t->mods++;
	return create_path(t, e, "", 0);
}

struct rm_walk {
	struct txe **stack;
	size_t n, cap;
};

static int push_child(struct txn *t, const char *path, size_t len, void *arg)
{
	struct rm_walk *w = arg;
	struct txe *e;
	int rc = touch(t, path, len, &e);

	if (rc)
		return rc;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct txe **s = realloc(w->stack, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		w->stack = s;
		w->cap = cap;
	}
	w->stack[w->n++] = e;
	return 0;
}

/* Marks e (existing in the view) and everything below it removed. */
static int remove_subtree(struct txn *t, struct txe *top, struct txe *top_parent)
{
	struct rm_walk w = { NULL, 0, 0 };
	int rc = push_child(t, top->path, top->len, &w);

	while (!rc && w.n) {
		struct txe *e = w.stack[--w.n], *parent = top_parent;
		struct nview v;

		view(t, e, &v);
		if (!v.exists)
			continue;
		e->cread = true;
		rc = each_child(t, e, push_child, &w);
		if (!rc && e != top)
			rc = touch(t, e->path, path_parent_len(e->path, e->len), &parent);
		if (!rc)
			rc = materialize(t, e);
		if (rc)
			break;
		set_exists(t, e, parent, false);
		free(e->value);
		e->value = NULL;
		e->vlen = 0;
		e->value_dirty = e->perms_dirty = false;
	}
	free(w.stack);
	return rc;
}

int txn_rm(struct txn *t, const char *path, size_t len)
{
	struct txe *e, *parent;
	struct nview v, pv;
	int rc;

	if (len == 1)
		return -EINVAL; /* the root stays */
	rc = touch(t, path, len, &e);
	if (rc)
		return rc;
	t->mods++;
	view(t, e, &v);
	rc = touch(t, path, path_parent_len(path, len), &parent);
	if (rc)
		return rc;
	if (!v.exists) {
		/* Not an error, unless the parent is missing too. */
		view(t, parent, &pv);
		if (pv.exists)
			return access_of(t, &pv) & PERM_READ ? 0 : -EACCES;
		return missing(t, path, len);
	}
	if (!(access_of(t, &v) & PERM_WRITE))
		return -EACCES;
	return remove_subtree(t, e, parent);
}

int txn_set_perms(struct txn *t, const char *path, size_t len, const struct xs_perm *p,
		  unsigned np)
{
	struct store *st = st_of(t);
	struct txe *e;
	struct nview v;
	int rc;

	if (unprivileged(t) && np > st->quota.perms)
		return quota_refused(t, "permissions", st->quota.perms, path);
	rc = get_node(t, path, len, PERM_WRITE | PERM_OWNER, &e, &v);
	if (rc)
		return rc;
	/* An unprivileged owner may not give the node away (it would escape its quota). */
	if (unprivileged(t) && p[0].domid != owner_of(t, v.perms, v.perm_gen))
		return -EACCES;
	/* Records for the domains named, so the entries are live from now on. */
	for (unsigned i = 0; i < np; i++)
		if (!domain_get(st, p[i].domid))
			return -ENOMEM;
	t->mods++;
	rc = materialize(t, e);
	if (rc)
		return rc;
	if (e->perms && owner_of(t, e->perms, e->perm_gen) == t->conn->domid)
		t->nodes_delta--;
	rc = set_perms_copy(t, e, p, np, st->gen);
	if (e->perms && owner_of(t, e->perms, e->perm_gen) == t->conn->domid)
		t->nodes_delta++;
	if (rc)
		return rc;
	e->perms_dirty = true;
	e->quiet = false;
	return 0;
}

/* ---- beginning and ending ---- */

int txn_begin(struct conn *c, bool explicit_txn, struct txn **out)
{
	struct store *st = c->st;
	struct txn *t;

	if (explicit_txn && !c->privileged && c->dom->txns >= st->quota.txns) {
		st->stats.quota_hits++;
		log_warn("%s: transaction refused: quota 'transactions' (%u) reached", c->name,
			 st->quota.txns);
		return -ENOSPC;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (htab_init(&t->ents, 8)) {
		free(t);
		return -ENOMEM;
	}
	t->conn = c;
	if (explicit_txn) {
		/* Ids are per connection; skip 0 and any still open after a wrap. */
		do {
			t->id = c->next_txid++;
		} while (!t->id || txn_lookup(c, t->id));
		t->next = c->txns;
		c->txns = t;
		c->ntxns++;
		c->dom->txns++;
		st->ntxns++;
	}
	*out = t;
	return 0;
}

struct txn *txn_lookup(struct conn *c, uint32_t id)
{
	for (struct txn *t = c->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static int by_path(const void *a, const void *b)
{
	const struct txe *x = *(const struct txe *const *)a, *y = *(const struct txe *const *)b;

	return strcmp(x->path, y->path);
}

/* Whether the live store still matches every observation. */
static bool still_valid(struct txn *t)
{
	for (struct txe *e = t->all; e; e = e->next_all) {
		struct node *n = tree_lookup(st_of(t), e->path, e->len);

		if ((n != NULL) != e->base_exists)
			return false;
		if (n && (n->gen != e->base_gen || (e->cread && n->cgen != e->base_cgen)))
			return false;
	}
	return true;
}

/* Applies one written entry to the live tree and fires its watches. */
static void apply(struct txn *t, struct txe *e)
{
	struct store *st = st_of(t);
	struct node *n = tree_lookup(st, e->path, e->len);
	struct xs_perm *clean;
	unsigned np;

	if (!e->exists) {
		if (n) {
			watch_fire_removal(st, n->path, n->len, n->perms, n->nperms, n->perm_gen);
			tree_delete(st, n);
		}
		return;
	}
	if (n && !e->value_dirty && !e->perms_dirty)
		return;
	clean = malloc(e->nperms * sizeof(*clean));
	if (!clean)
		goto oom;
	/* Entries whose domain went away since the request are dropped now. */
	np = perms_sanitize(e->perms, e->nperms, e->perm_gen, clean, domain_live, st);
	if (!n) {
		size_t plen = path_parent_len(e->path, e->len);
		struct node *parent = tree_lookup(st, e->path, plen);

		if (!parent) {
			log_error("%s: commit: parent of %s missing (internal error)",
				  t->conn->name, e->path);
			free(clean);
			return;
		}
		n = tree_create(st, parent, e->path, e->len, e->value, e->vlen, clean, np);
		if (!n)
			goto oom;
	} else {
		if (e->value_dirty && tree_set_value(st, n, e->value, e->vlen))
			goto oom;
		if (e->perms_dirty && tree_set_perms(st, n, clean, np))
			goto oom;
	}
	free(clean);
	if (!e->quiet)
		watch_fire(st, n->path, n->len, n->perms, n->nperms, n->perm_gen);
	return;
oom:
	free(clean);
	log_error("%s: commit: out of memory applying %s; the commit is incomplete",
		  t->conn->name, e->path);
}

static int commit(struct txn *t)
{
	struct store *st = st_of(t);
	struct txe **w;
	size_t nw = 0;

	if (!still_valid(t)) {
		st->stats.conflicts++;
		return -EAGAIN;
	}
	if (unprivileged(t) && t->nodes_delta > 0 &&
	    (int64_t)t->conn->dom->nodes + t->nodes_delta > st->quota.nodes)
		return quota_refused(t, "nodes", st->quota.nodes, "commit");
	w = malloc((t->nents ? t->nents : 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (struct txe *e = t->all; e; e = e->next_all)
		if (e->written)
			w[nw++] = e;
	qsort(w, nw, sizeof(*w), by_path);
	for (size_t i = 0; i < nw; i++)
		apply(t, w[i]);
	free(w);
	return 0;
}

static void drain_txe(struct hlink *l, void *arg)
{
	struct txe *e = container_of(l, struct txe, h);

	(void)arg;
	free(e->path);
	free(e->value);
	free(e->perms);
	free(e);
}

int txn_end(struct txn *t, bool do_commit)
{
	struct conn *c = t->conn;
	int rc = do_commit ? commit(t) : 0;

	if (t->id) {
		struct txn **pp = &c->txns;

		while (*pp != t)
			pp = &(*pp)->next;
		*pp = t->next;
		c->ntxns--;
		if (c->dom->txns)
			c->dom->txns--;
		c->st->ntxns--;
	}
	htab_drain(&t->ents, drain_txe, NULL);
	htab_fini(&t->ents);
	free(t);
	return rc;
}
