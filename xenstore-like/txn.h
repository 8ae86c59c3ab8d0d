/*
 * mica-store: transactions, and every read and write of the tree.
 *
 * Theory. All requests go through a transaction: an explicit one the
 * client opened (TRANSACTION_START), or an implicit one made for a single
 * request and committed (or dropped) right after it. A transaction holds
 * one entry per path it touched, in its own hash table:
 *
 *  - the observation it made of the live store the first time (whether
 *    the node existed, its gen, and its cgen if the child list was read);
 *  - once it writes the path, its own version of the node (existence,
 *    value, permissions), which its later requests see instead of the live
 *    node. Children it created, and the change in the size of each child
 *    list, are kept on the parent's entry so DIRECTORY and the node-size
 *    quota see the transaction's view.
 *
 * Reads of untouched paths go to the live store. At commit every
 * observation is checked again: if any node the transaction looked at was
 * changed, created or removed meanwhile (a different gen; a different cgen
 * where it listed the children), the commit fails with EAGAIN and nothing
 * is applied. Otherwise the written entries are applied in path order
 * (parents before children) and their watches fire. Since every fact the
 * transaction used still holds at the instant of commit, transactions are
 * serializable; siblings created by two transactions under one parent do
 * not conflict unless one of them listed the parent's children.
 *
 * Costs: each request is O(its path lengths) plus, for RM, O(subtree) and,
 * for DIRECTORY, O(children); a commit is O(k log k) for k touched paths.
 * Nothing scans the store or the other transactions.
 */
#ifndef STORE_TXN_H
#define STORE_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct txn {
	struct txn *next;           /* c->txns */
	uint32_t id;                /* 0: implicit */
	struct conn *conn;
	struct htab ents;           /* path -> struct txe */
	struct txe *all;            /* every entry, newest first */
	unsigned nents;
	unsigned mods;              /* write requests so far */
	int nodes_delta;            /* nodes added minus removed for the caller's domain */
};

/*
 * Opens a transaction for c: an explicit one gets an id and joins c's list
 * (-ENOSPC past the transactions quota). Returns 0 and sets *out, or -errno.
 */
int txn_begin(struct conn *c, bool explicit_txn, struct txn **out);
/* c's open transaction with this id, or NULL. */
struct txn *txn_lookup(struct conn *c, uint32_t id);
/*
 * Commits (commit true) or drops the transaction, then frees it. Returns 0,
 * -EAGAIN on a conflict, -ENOSPC if the caller's domain would exceed its
 * nodes quota. Dropping always returns 0.
 */
int txn_end(struct txn *t, bool commit);

/* The requests. path is absolute and valid; results stay valid until the next request. */
int txn_read(struct txn *t, const char *path, size_t len, const char **val, uint32_t *vlen);
int txn_write(struct txn *t, const char *path, size_t len, const void *val, uint32_t vlen);
int txn_mkdir(struct txn *t, const char *path, size_t len);
int txn_rm(struct txn *t, const char *path, size_t len);
/* Appends each child name and its NUL to out; *gen identifies this version of the list. */
int txn_directory(struct txn *t, const char *path, size_t len, struct strbuf *out,
		  uint64_t *gen);
/* Appends the permissions as "<letter><domid>\0" strings. */
int txn_get_perms(struct txn *t, const char *path, size_t len, struct strbuf *out);
int txn_set_perms(struct txn *t, const char *path, size_t len, const struct xs_perm *p,
		  unsigned np);

#endif
