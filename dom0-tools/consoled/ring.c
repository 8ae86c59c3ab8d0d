/* mica-consoled: console ring arithmetic (pure; see ring.h). */
#include "ring.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t cons_ring_take(struct xencons_interface *r, char *buf, size_t len, bool *corrupt)
{
	uint32_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
	uint32_t prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
	uint32_t avail = prod - cons;
	size_t n = 0;

	*corrupt = false;
	if (avail > XENCONS_OUT_SIZE) {
		*corrupt = true;
		__atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
		return 0;
	}
	while (n < len && cons != prod)
		buf[n++] = r->out[XENCONS_IDX(cons++, XENCONS_OUT_SIZE)];
	/* The bytes are copied before the guest may reuse their space. */
	__atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
	return n;
}

size_t cons_ring_space(const struct xencons_interface *r)
{
	uint32_t cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
	uint32_t prod = __atomic_load_n(&r->in_prod, __ATOMIC_RELAXED);
	uint32_t used = prod - cons;

	return used > XENCONS_IN_SIZE ? 0 : XENCONS_IN_SIZE - used;
}

size_t cons_ring_give(struct xencons_interface *r, const char *buf, size_t len)
{
	uint32_t prod = __atomic_load_n(&r->in_prod, __ATOMIC_RELAXED);
	size_t space = cons_ring_space(r), n = 0;

	while (n < len && n < space)
		r->in[XENCONS_IDX(prod++, XENCONS_IN_SIZE)] = buf[n++];
	/* The guest sees the new producer only after the bytes. */
	__atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
	return n;
}

void cons_log_name(const char *name, unsigned int domid, char *out, size_t size)
{
	size_t n = 0;

	if (!name || !*name) {
		snprintf(out, size, "domain-%u", domid);
		return;
	}
	for (; *name && n + 1 < size && n < 64; name++) {
		char c = *name;

		if (!isalnum((unsigned char)c) && c != '_' && c != '-' && (c != '.' || n == 0))
			c = '_';
		out[n++] = c;
	}
	out[n] = '\0';
}
