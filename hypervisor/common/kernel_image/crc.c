/* CRC-32, table-driven eight bytes at a time. */
#include <mica/crc.h>

#include "internal.h"

#define CRC32_POLY 0xedb88320u            /* x^32 + ... reflected */

/*
 * t[0][b] is the CRC register after shifting in byte b; t[k][b] is that
 * value shifted on through k more zero bytes, so the eight bytes of a step
 * can be looked up independently and combined with XOR.
 */
void crc32_init(struct crc32_table *t)
{
	for (unsigned int b = 0; b < 256; b++) {
		u32 r = b;

		for (int i = 0; i < 8; i++)
			r = (r >> 1) ^ (CRC32_POLY & (0u - (r & 1)));
		t->t[0][b] = r;
	}
	for (unsigned int k = 1; k < 8; k++)
		for (unsigned int b = 0; b < 256; b++) {
			u32 r = t->t[k - 1][b];

			t->t[k][b] = (r >> 8) ^ t->t[0][r & 0xff];
		}
}

u32 crc32_update(const struct crc32_table *t, u32 crc, const void *p, size_t n)
{
	const u8 *s = p;

	crc = ~crc;
	for (; n >= 8; n -= 8, s += 8) {
		u32 lo = crc ^ get_le32(s), hi = get_le32(s + 4);

		crc = t->t[7][lo & 0xff] ^ t->t[6][(lo >> 8) & 0xff] ^
		      t->t[5][(lo >> 16) & 0xff] ^ t->t[4][lo >> 24] ^
		      t->t[3][hi & 0xff] ^ t->t[2][(hi >> 8) & 0xff] ^
		      t->t[1][(hi >> 16) & 0xff] ^ t->t[0][hi >> 24];
	}
	while (n--)
		crc = (crc >> 8) ^ t->t[0][(crc ^ *s++) & 0xff];
	return ~crc;
}
