/* mica-store: the incrementally resized hash table (see htab.h for the theory). */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>

#define MOVE_PER_OP 2

int htab_init(struct htab *t, size_t initial)
{
	size_t n = 8;

	while (n < initial)
		n <<= 1;
	t->cur = calloc(n, sizeof(*t->cur));
	if (!t->cur)
		return -ENOMEM;
	t->ncur = n;
	t->old = NULL;
	t->nold = 0;
	t->moved = 0;
	t->count = 0;
	t->probes = 0;
	return 0;
}

void htab_fini(struct htab *t)
{
	free(t->cur);
	free(t->old);
	t->cur = t->old = NULL;
	t->ncur = t->nold = t->count = 0;
}

/* Moves up to n buckets of the old table into the current one. */
static void migrate(struct htab *t, size_t n)
{
	while (t->old && n--) {
		struct hlink *l = t->old[t->moved];

		while (l) {
			struct hlink *next = l->next;
			size_t b = l->hash & (t->ncur - 1);

			l->next = t->cur[b];
			t->cur[b] = l;
			l = next;
		}
		t->old[t->moved++] = NULL;
		if (t->moved == t->nold) {
			free(t->old);
			t->old = NULL;
			t->nold = t->moved = 0;
		}
	}
}

/* The bucket that holds (or would hold) an entry with this hash. */
static struct hlink **bucket(struct htab *t, uint64_t hash)
{
	if (t->old) {
		size_t ob = hash & (t->nold - 1);

		if (ob >= t->moved)
			return &t->old[ob];
	}
	return &t->cur[hash & (t->ncur - 1)];
}

static void maybe_grow(struct htab *t)
{
	struct hlink **bigger;

	if (t->old || t->count <= t->ncur)
		return;
	bigger = calloc(t->ncur * 2, sizeof(*bigger));
	if (!bigger)
		return;
	t->old = t->cur;
	t->nold = t->ncur;
	t->moved = 0;
	t->cur = bigger;
	t->ncur *= 2;
}

void htab_insert(struct htab *t, struct hlink *l)
{
	struct hlink **b;

	migrate(t, MOVE_PER_OP);
	t->count++;
	maybe_grow(t);
	b = bucket(t, l->hash);
	l->next = *b;
	*b = l;
}

void htab_remove(struct htab *t, struct hlink *l)
{
	struct hlink **pp;

	migrate(t, MOVE_PER_OP);
	for (pp = bucket(t, l->hash); *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			l->next = NULL;
			t->count--;
			return;
		}
	}
}

struct hlink *htab_find(struct htab *t, uint64_t hash,
			bool (*eq)(const struct hlink *l, const void *key), const void *key)
{
	struct hlink *l;

	migrate(t, MOVE_PER_OP);
	for (l = *bucket(t, hash); l; l = l->next) {
		t->probes++;
		if (l->hash == hash && eq(l, key))
			return l;
	}
	return NULL;
}

static void each_in(struct hlink **b, size_t n, size_t from,
		    void (*fn)(struct hlink *l, void *arg), void *arg)
{
	for (size_t i = from; i < n; i++)
		for (struct hlink *l = b[i]; l; l = l->next)
			fn(l, arg);
}

void htab_each(struct htab *t, void (*fn)(struct hlink *l, void *arg), void *arg)
{
	if (t->old)
		each_in(t->old, t->nold, t->moved, fn, arg);
	each_in(t->cur, t->ncur, 0, fn, arg);
}

static void drain_in(struct hlink **b, size_t n, void (*fn)(struct hlink *l, void *arg),
		     void *arg)
{
	for (size_t i = 0; b && i < n; i++) {
		struct hlink *l = b[i];

		b[i] = NULL;
		while (l) {
			struct hlink *next = l->next;

			l->next = NULL;
			fn(l, arg);
			l = next;
		}
	}
}

void htab_drain(struct htab *t, void (*fn)(struct hlink *l, void *arg), void *arg)
{
	drain_in(t->old, t->nold, fn, arg);
	drain_in(t->cur, t->ncur, fn, arg);
	free(t->old);
	t->old = NULL;
	t->nold = t->moved = 0;
	t->count = 0;
}
