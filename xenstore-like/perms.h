/*
 * mica-store: node permissions as Xen defines them.
 *
 * A node has one or more entries "<letter><domid>" with letter r (read),
 * w (write), b (both) or n (none). The first names the node's owner, which
 * may always read, write and change the permissions, and gives the access
 * of every domain not listed later; each later entry gives the access of
 * one domain (the first entry naming it wins). dom0 (privileged) may do
 * anything. A domain acting for a target (SET_TARGET) also gets the
 * target's rights.
 *
 * Entries can go stale: when a domain is released its domid may be reused,
 * and the new domain must not inherit rights granted to the old one. Each
 * node records the store generation at which its permissions were set;
 * perms_access() takes a predicate that says whether the domain named in an
 * entry still is the one that was meant (see domain.h). A stale owner
 * counts as dom0; stale later entries are ignored.
 */
#ifndef STORE_PERMS_H
#define STORE_PERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	PERM_NONE = 0,
	PERM_READ = 1,
	PERM_WRITE = 2,
	PERM_BOTH = 3,
	PERM_OWNER = 4,  /* never stored: the result of access checks */
};

struct xs_perm {
	uint16_t domid;
	uint8_t access;  /* PERM_NONE .. PERM_BOTH */
};

/* Whether domid, named in permissions set at generation gen, is still that domain. */
typedef bool perm_live_fn(void *ctx, unsigned domid, uint64_t gen);

/* Who asks: a domain, maybe privileged, maybe acting for a target (-1: none). */
struct perm_subject {
	unsigned domid;
	int target;
	bool privileged;
};

/*
 * Parses one entry ("r5"). Returns true on success; domids above 65535 and
 * letters other than r w b n are rejected.
 */
bool perm_parse(const char *s, struct xs_perm *out);

/* Writes entry p as "<letter><domid>" plus its NUL into buf (at least 8 bytes); returns the length with the NUL. */
size_t perm_format(const struct xs_perm *p, char *buf);

/*
 * The access subject has to a node with these n (>= 1) entries, set at
 * generation gen: a mask of PERM_READ, PERM_WRITE, PERM_OWNER.
 */
unsigned perms_access(const struct xs_perm *p, unsigned n, uint64_t gen,
		      const struct perm_subject *subject, perm_live_fn *live, void *ctx);

/*
 * Copies the n entries of src (set at gen) to dst without the stale ones (a
 * stale owner becomes dom0). Returns the number copied (>= 1).
 */
unsigned perms_sanitize(const struct xs_perm *src, unsigned n, uint64_t gen,
			struct xs_perm *dst, perm_live_fn *live, void *ctx);

#endif
