/*
 * mica-store: an intrusive chained hash table that grows without pauses.
 *
 * Entries embed a struct hlink whose hash the caller sets before insertion.
 * When the table passes one entry per bucket it allocates one twice as
 * large and, from then on, every insert, lookup and removal moves two
 * buckets of the old table across. The old table is empty before the new
 * one can fill up again, so no single operation ever rehashes the whole
 * table: the cost of each stays O(1) expected, however many entries there
 * are (the property mica-store's "flat per-domain cost" rests on).
 * The table never shrinks. Not thread-safe: the daemon is single-threaded.
 */
#ifndef STORE_HTAB_H
#define STORE_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hlink {
	struct hlink *next;
	uint64_t hash;
};

struct htab {
	struct hlink **cur;    /* the table being filled */
	size_t ncur;           /* its buckets, a power of two */
	struct hlink **old;    /* being emptied into cur, or NULL */
	size_t nold;
	size_t moved;          /* old buckets [0, moved) are already empty */
	size_t count;
	unsigned long probes;  /* entries examined by lookups (for tests) */
};

/* Returns 0, or -ENOMEM. initial is rounded up to a power of two. */
int htab_init(struct htab *t, size_t initial);
/* Frees the bucket arrays (not the entries). */
void htab_fini(struct htab *t);

/*
 * Inserts l (l->hash set). Never fails: when the larger table cannot be
 * allocated the chains just get longer.
 */
void htab_insert(struct htab *t, struct hlink *l);
void htab_remove(struct htab *t, struct hlink *l);

/*
 * The first entry with this hash for which eq(entry, key) holds, or NULL.
 */
struct hlink *htab_find(struct htab *t, uint64_t hash,
			bool (*eq)(const struct hlink *l, const void *key), const void *key);

/*
 * Calls fn on every entry; fn may not insert or remove. For consistency
 * checks and teardown only: O(entries + buckets).
 */
void htab_each(struct htab *t, void (*fn)(struct hlink *l, void *arg), void *arg);

/* Removes every entry, calling fn on each after it is unlinked (fn may free it). */
void htab_drain(struct htab *t, void (*fn)(struct hlink *l, void *arg), void *arg);

#endif
