/*
 * mica-store: watches, matched through a trie of path components.
 *
 * Theory. Every watched path has a trie node (struct wnode) for each of
 * its prefixes, found through one hash table keyed by (parent id,
 * component name). A change to path P fires the watches set on P and on
 * each of its prefixes: walking the trie down P's components costs
 * O(length of P), plus one event per matching watch; watches elsewhere are
 * never looked at. A recursive removal of P also fires every watch set
 * below P (with the watch's own path, as the protocol says): those are
 * exactly the trie's subtree under P, visited in O(its size). Each wnode
 * counts the watches at or below it and disappears with the last one, so
 * the trie holds at most (sum of watched path depths) nodes. Watch paths
 * "@..." hang one level below a separate root and match only exactly.
 *
 * A second hash table keyed by (connection, path, token) finds a watch for
 * UNWATCH and duplicate checks in O(1). Events reach only connections that
 * may read the node concerned (its permissions are passed in; for a
 * removal, those it had before).
 */
#ifndef STORE_WATCH_H
#define STORE_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct watch {
	struct hlink key;               /* st->wkeys */
	struct watch *wprev, *wnext;    /* on its wnode */
	struct watch *cprev, *cnext;    /* on its connection */
	struct conn *conn;
	struct wnode *wn;
	char *path;                     /* absolute, or "@..." */
	char *given;                    /* as the client wrote it (relative stays relative) */
	char *token;
	bool relative;
};

int watch_init(struct store *st);
void watch_fini(struct store *st);

/*
 * Adds a watch for c on path (absolute or special; given is the client's
 * spelling). Returns 0, -EEXIST (same path and token already watched),
 * -E2BIG (watch quota) or -ENOMEM. The caller sends the initial event.
 */
int watch_add(struct conn *c, const char *path, const char *given, bool relative,
	      const char *token);
/* Removes c's watch on path with token: 0 or -ENOENT. */
int watch_remove(struct conn *c, const char *path, const char *token);
void watch_remove_all(struct conn *c);

/*
 * Path changed (created, written, permissions changed): fires the watches
 * on it and its prefixes that may read a node with these permissions.
 */
void watch_fire(struct store *st, const char *path, size_t len, const struct xs_perm *p,
		unsigned np, uint64_t perm_gen);
/*
 * Path (which exists, with these permissions) is about to be removed with
 * everything below it: fires as watch_fire, and also every watch set below
 * it, each with its own path, if its connection may read the closest node
 * that exists at or above that path. Call before the removal.
 */
void watch_fire_removal(struct store *st, const char *path, size_t len,
			const struct xs_perm *p, unsigned np, uint64_t perm_gen);
/* Fires the watches on a special path (SPECIAL_INTRODUCE / SPECIAL_RELEASE). */
void watch_fire_special(struct store *st, int which);

/* Checks the trie's counts; 0 or -EIO with a description in msg. */
int watch_check(struct store *st, char *msg, size_t size);

#endif
