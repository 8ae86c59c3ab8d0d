/*
 * mica-store: one record per domain the store knows of.
 *
 * A record is made when a domain is introduced, or first named in a
 * node's permissions (the toolstack sets up /local/domain/<id> before
 * INTRODUCE), and is freed when the domain is released. Each record carries
 * the store generation at which it was made: permission entries set
 * before that generation name an earlier domain with the same domid and
 * are stale (perms.h). Records live in a two-level table indexed by domid,
 * so finding one is O(1) however many domains there are.
 */
#ifndef STORE_DOMAIN_H
#define STORE_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define DOMID_FIRST_RESERVED 0x7ff0u

struct domain {
	uint16_t domid;
	uint64_t gen;           /* store generation when this record was made */
	bool introduced;
	uint64_t mfn;           /* INTRODUCE arguments */
	unsigned port;
	int target;             /* SET_TARGET: the domain this one acts for, or -1 */
	struct conn *conn;      /* its ring connection, or NULL */
	struct conn *conns;     /* every connection acting as this domain (via dnext) */
	void *transport;        /* the ring transport's state for it */
	/* accounting, checked against the quotas */
	unsigned nodes;         /* nodes it owns (permissions entry 0) */
	unsigned watches;
	unsigned txns;
};

/* The record for domid, or NULL. */
struct domain *domain_find(struct store *st, unsigned domid);
/* The record for domid, made if missing; NULL when out of memory. */
struct domain *domain_get(struct store *st, unsigned domid);
/* Frees a record (after its connection is gone). Not dom0's. */
void domain_forget(struct store *st, struct domain *d);
/* Frees every record (store teardown). */
void domain_fini(struct store *st);

/* perm_live_fn over the store: domid still names the domain meant at gen. */
bool domain_live(void *st, unsigned domid, uint64_t gen);

/* The node owner that counts for accounting: entry 0 if live, else dom0. */
unsigned domain_owner(struct store *st, const struct xs_perm *p, uint64_t perm_gen);

#endif
