/* mica-store: the live tree (see tree.h). */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "path.h"
#include "util.h"

struct path_key {
	const char *path;
	size_t len;
};

static bool node_eq(const struct hlink *l, const void *key)
{
	const struct node *n = container_of(l, struct node, h);
	const struct path_key *k = key;

	return n->len == k->len && !memcmp(n->path, k->path, k->len);
}

uint64_t tree_hash(const char *path, size_t len)
{
	return hash_bytes(path, len, 0);
}

struct node *tree_lookup(struct store *st, const char *path, size_t len)
{
	struct path_key k = { path, len };
	struct hlink *l = htab_find(&st->nodes, tree_hash(path, len), node_eq, &k);

	return l ? container_of(l, struct node, h) : NULL;
}

static void account(struct store *st, const struct node *n, int delta)
{
	struct domain *d = domain_find(st, domain_owner(st, n->perms, n->perm_gen));

	if (!d)
		return;
	if (delta < 0 && d->nodes > 0)
		d->nodes--;
	else if (delta > 0)
		d->nodes++;
}

static void node_free(struct node *n)
{
	free(n->path);
	free(n->value);
	free(n->perms);
	free(n);
}

static struct node *node_alloc(const char *path, size_t len, const void *val, uint32_t vlen,
			       const struct xs_perm *p, unsigned np)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->path = mem_dup(path, len);
	n->value = mem_dup(val, vlen);
	n->perms = malloc(np * sizeof(*p));
	if (!n->path || !n->value || !n->perms) {
		node_free(n);
		return NULL;
	}
	memcpy(n->perms, p, np * sizeof(*p));
	n->nperms = (uint16_t)np;
	n->len = (uint32_t)len;
	n->vlen = vlen;
	n->h.hash = tree_hash(path, len);
	return n;
}

int tree_init(struct store *st)
{
	static const struct xs_perm root_perms = { 0, PERM_NONE };
	struct node *root;

	if (htab_init(&st->nodes, 1024))
		return -ENOMEM;
	root = node_alloc("/", 1, "", 0, &root_perms, 1);
	if (!root) {
		htab_fini(&st->nodes);
		return -ENOMEM;
	}
	htab_insert(&st->nodes, &root->h);
	st->root = root;
	st->nnodes = 1;
	return 0;
}

static void drain_node(struct hlink *l, void *arg)
{
	(void)arg;
	node_free(container_of(l, struct node, h));
}

void tree_fini(struct store *st)
{
	htab_drain(&st->nodes, drain_node, NULL);
	htab_fini(&st->nodes);
	st->root = NULL;
	st->nnodes = 0;
}

struct node *tree_create(struct store *st, struct node *parent, const char *path, size_t len,
			 const void *val, uint32_t vlen, const struct xs_perm *p, unsigned np)
{
	struct node *n = node_alloc(path, len, val, vlen, p, np);

	if (!n)
		return NULL;
	n->name = (uint32_t)path_name_offset(path, len);
	n->gen = n->cgen = n->perm_gen = ++st->gen;
	n->parent = parent;
	n->prev = parent->last;
	if (parent->last)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	parent->nchildren++;
	parent->child_bytes += (uint32_t)(len - n->name) + 1;
	parent->cgen = st->gen;
	htab_insert(&st->nodes, &n->h);
	st->nnodes++;
	account(st, n, +1);
	return n;
}

int tree_set_value(struct store *st, struct node *n, const void *val, uint32_t vlen)
{
	char *v = mem_dup(val, vlen);

	if (!v)
		return -ENOMEM;
	free(n->value);
	n->value = v;
	n->vlen = vlen;
	n->gen = ++st->gen;
	return 0;
}

int tree_set_perms(struct store *st, struct node *n, const struct xs_perm *p, unsigned np)
{
	struct xs_perm *copy = malloc(np * sizeof(*p));

	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, np * sizeof(*p));
	account(st, n, -1);
	free(n->perms);
	n->perms = copy;
	n->nperms = (uint16_t)np;
	n->gen = n->perm_gen = ++st->gen;
	account(st, n, +1);
	return 0;
}

/* Unlinks n from its parent's child list (the parent's accounts change too). */
static void unlink_child(struct store *st, struct node *n)
{
	struct node *parent = n->parent;

	if (n->prev)
		n->prev->next = n->next;
	else
		parent->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		parent->last = n->prev;
	parent->nchildren--;
	parent->child_bytes -= (n->len - n->name) + 1;
	parent->cgen = st->gen;
	n->prev = n->next = NULL;
}

static void destroy(struct store *st, struct node *n)
{
	htab_remove(&st->nodes, &n->h);
	st->nnodes--;
	account(st, n, -1);
	node_free(n);
}

void tree_delete(struct store *st, struct node *top)
{
	struct node *cur = top;

	if (!top->parent)
		return;
	++st->gen;
	unlink_child(st, top);
	/* Post-order without recursion: always free a leaf, then look again at its parent. */
	while (cur) {
		struct node *parent;

		if (cur->first) {
			cur = cur->first;
			continue;
		}
		if (cur == top) {
			destroy(st, cur);
			break;
		}
		parent = cur->parent;
		parent->first = cur->next;
		if (cur->next)
			cur->next->prev = NULL;
		else
			parent->last = NULL;
		parent->nchildren--;
		destroy(st, cur);
		cur = parent->first ? parent->first : parent;
	}
}
