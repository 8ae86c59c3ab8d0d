/* CRC-32 (IEEE 802.3), as gzip and xz use it. */
#ifndef MICA_CRC_H
#define MICA_CRC_H

#include <mica/types.h>

/*
 * The reflected (LSB-first) form with all-ones initial value and final
 * inversion, computed eight bytes at a step from eight 256-entry tables. The tables live in caller memory (a decoder's work area), so
 * there is no global state: fill them once with *_init, then chain
 * updates: update(t, update(t, 0, a), b) is the CRC of a followed by b,
 * and update(t, 0, p, n) the CRC of p[0..n).
 */
struct crc32_table {
	u32 t[8][256];
};

void crc32_init(struct crc32_table *t);
u32 crc32_update(const struct crc32_table *t, u32 crc, const void *p, size_t n);

#endif
