/*
 * mica-consoled: the two byte rings of a domU's console page (pure;
 * host-tested). The guest is not trusted: its indexes are read once per
 * call, and a producer that claims more than a ring holds is a corrupt
 * ring, which the daemon resynchronises (drops what is there) rather than
 * reading past the ring.
 */
#ifndef CONSOLED_RING_H
#define CONSOLED_RING_H

#include <stdbool.h>
#include <stddef.h>

#include <pv/io/console.h>

/*
 * Takes up to len bytes the guest wrote (the out ring) into buf and
 * frees their space. Returns the bytes taken; *corrupt is set (and the
 * ring emptied) when its indexes were impossible.
 */
size_t cons_ring_take(struct xencons_interface *r, char *buf, size_t len, bool *corrupt);

/* Bytes free in the in ring (keyboard input to the guest); 0 if its indexes are corrupt. */
size_t cons_ring_space(const struct xencons_interface *r);

/* Puts up to len bytes of input into the in ring; returns how many fitted. */
size_t cons_ring_give(struct xencons_interface *r, const char *buf, size_t len);

/*
 * A log file name for a guest: its name with anything but [A-Za-z0-9_.-]
 * replaced by '_' and no leading '.', or "domain-ID" without a name.
 */
void cons_log_name(const char *name, unsigned int domid, char *out, size_t size);

#endif
