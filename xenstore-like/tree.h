/*
 * mica-store: the live tree of nodes.
 *
 * Every node is in one hash table keyed by its full path, so finding a
 * node costs O(path length) whatever the size of the store, and it links to
 * its parent and its children (in creation order, for DIRECTORY). Each node
 * keeps three generations: gen (value, permissions or existence last
 * changed), cgen (set of children last changed) and perm_gen (when its
 * permissions were set, for stale-domid checks). Transactions compare
 * gen/cgen to detect conflicts.
 *
 * These primitives do not check permissions or quotas and fire no watches:
 * txn.c decides what may change, and calls them at commit.
 */
#ifndef STORE_TREE_H
#define STORE_TREE_H

#include <stdint.h>

#include "store.h"

struct node {
	struct hlink h;                 /* in st->nodes */
	struct node *parent;
	struct node *first, *last;      /* children, oldest first */
	struct node *prev, *next;       /* siblings */
	char *path;                     /* absolute, NUL-terminated */
	uint32_t len;                   /* strlen(path) */
	uint32_t name;                  /* offset of the last component in path */
	char *value;                    /* vlen bytes, NUL-terminated for convenience */
	uint32_t vlen;
	struct xs_perm *perms;          /* nperms >= 1 entries */
	uint16_t nperms;
	uint32_t nchildren;
	uint32_t child_bytes;           /* sum of (child name length + 1) */
	uint64_t gen, cgen, perm_gen;
};

int tree_init(struct store *st);
void tree_fini(struct store *st);

uint64_t tree_hash(const char *path, size_t len);
struct node *tree_lookup(struct store *st, const char *path, size_t len);

/*
 * Makes the node path[0..len) under parent (which must be its parent) with
 * this value and these (already sanitized) permissions, stamped with the
 * current generation. Returns the node, or NULL when out of memory.
 */
struct node *tree_create(struct store *st, struct node *parent, const char *path, size_t len,
			 const void *val, uint32_t vlen, const struct xs_perm *p, unsigned np);
/* Replaces the value. 0 or -ENOMEM (then nothing changed). */
int tree_set_value(struct store *st, struct node *n, const void *val, uint32_t vlen);
/* Replaces the permissions (sanitized), moving the node between owners' accounts. */
int tree_set_perms(struct store *st, struct node *n, const struct xs_perm *p, unsigned np);
/* Deletes n and everything below it (not the root). O(size of the subtree). */
void tree_delete(struct store *st, struct node *n);

/* Length of a node's own size for the node-size quota: value plus child names. */
static inline uint64_t tree_node_size(const struct node *n)
{
	return (uint64_t)n->vlen + n->child_bytes;
}

#endif
