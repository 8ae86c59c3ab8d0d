/* mica-store: domain records and their lookup table. */
#include "domain.h"

#include <stdlib.h>

struct domain *domain_find(struct store *st, unsigned domid)
{
	struct domain **l2;

	if (domid > 0xffff)
		return NULL;
	l2 = st->dom[domid >> 8];
	return l2 ? l2[domid & 0xff] : NULL;
}

struct domain *domain_get(struct store *st, unsigned domid)
{
	struct domain **l2, *d;

	if (domid > 0xffff)
		return NULL;
	d = domain_find(st, domid);
	if (d)
		return d;
	l2 = st->dom[domid >> 8];
	if (!l2) {
		l2 = calloc(256, sizeof(*l2));
		if (!l2)
			return NULL;
		st->dom[domid >> 8] = l2;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = (uint16_t)domid;
	d->gen = ++st->gen;
	d->target = -1;
	l2[domid & 0xff] = d;
	st->ndomains++;
	return d;
}

void domain_forget(struct store *st, struct domain *d)
{
	if (!d || d->domid == 0)
		return;
	st->dom[d->domid >> 8][d->domid & 0xff] = NULL;
	st->ndomains--;
	free(d);
}

void domain_fini(struct store *st)
{
	for (unsigned i = 0; i < 256; i++) {
		if (!st->dom[i])
			continue;
		for (unsigned j = 0; j < 256; j++)
			free(st->dom[i][j]);
		free(st->dom[i]);
		st->dom[i] = NULL;
	}
	st->ndomains = 0;
}

bool domain_live(void *ctx, unsigned domid, uint64_t gen)
{
	struct domain *d = domain_find(ctx, domid);

	return domid == 0 || (d && d->gen <= gen);
}

unsigned domain_owner(struct store *st, const struct xs_perm *p, uint64_t perm_gen)
{
	return domain_live(st, p[0].domid, perm_gen) ? p[0].domid : 0;
}
