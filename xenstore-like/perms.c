/* mica-store: parsing, formatting and checking node permissions. */
#include "perms.h"

#include <stdio.h>

#include "util.h"

bool perm_parse(const char *s, struct xs_perm *out)
{
	unsigned long long id;

	switch (s[0]) {
	case 'r': out->access = PERM_READ; break;
	case 'w': out->access = PERM_WRITE; break;
	case 'b': out->access = PERM_BOTH; break;
	case 'n': out->access = PERM_NONE; break;
	default: return false;
	}
	if (!parse_uint(s + 1, 65535, &id))
		return false;
	out->domid = (uint16_t)id;
	return true;
}

size_t perm_format(const struct xs_perm *p, char *buf)
{
	static const char letters[] = "nrwb";

	return (size_t)sprintf(buf, "%c%u", letters[p->access & 3], p->domid) + 1;
}

static bool entry_live(const struct xs_perm *p, uint64_t gen, perm_live_fn *live, void *ctx)
{
	return p->domid == 0 || live(ctx, p->domid, gen);
}

unsigned perms_access(const struct xs_perm *p, unsigned n, uint64_t gen,
		      const struct perm_subject *subject, perm_live_fn *live, void *ctx)
{
	unsigned owner = entry_live(&p[0], gen, live, ctx) ? p[0].domid : 0;
	const unsigned all = PERM_READ | PERM_WRITE | PERM_OWNER;

	if (subject->privileged || subject->domid == owner)
		return all;
	if (subject->target >= 0 && (unsigned)subject->target == owner)
		return all;
	for (unsigned i = 1; i < n; i++)
		if (p[i].domid == subject->domid && entry_live(&p[i], gen, live, ctx))
			return p[i].access;
	if (subject->target >= 0)
		for (unsigned i = 1; i < n; i++)
			if (p[i].domid == (unsigned)subject->target &&
			    entry_live(&p[i], gen, live, ctx))
				return p[i].access;
	return p[0].access;
}

unsigned perms_sanitize(const struct xs_perm *src, unsigned n, uint64_t gen,
			struct xs_perm *dst, perm_live_fn *live, void *ctx)
{
	unsigned k = 1;

	dst[0] = src[0];
	if (!entry_live(&src[0], gen, live, ctx))
		dst[0].domid = 0;
	for (unsigned i = 1; i < n; i++)
		if (entry_live(&src[i], gen, live, ctx))
			dst[k++] = src[i];
	return k;
}
