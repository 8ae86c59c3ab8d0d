/* CRC-32 and CRC-64, table-driven eight bytes at a time. */
#include <mica/crc.h>

#define CRC32_POLY 0xedb88320u            /* x^32 + ... reflected */
#define CRC64_POLY 0xc96c5795d7870f42ull  /* ECMA-182, reflected */

static u32 load32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 load64(const u8 *p)
{
	return (u64)load32(p) | (u64)load32(p + 4) << 32;
}

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
		u32 lo = crc ^ load32(s), hi = load32(s + 4);

		crc = t->t[7][lo & 0xff] ^ t->t[6][(lo >> 8) & 0xff] ^
		      t->t[5][(lo >> 16) & 0xff] ^ t->t[4][lo >> 24] ^
		      t->t[3][hi & 0xff] ^ t->t[2][(hi >> 8) & 0xff] ^
		      t->t[1][(hi >> 16) & 0xff] ^ t->t[0][hi >> 24];
	}
	while (n--)
		crc = (crc >> 8) ^ t->t[0][(crc ^ *s++) & 0xff];
	return ~crc;
}

void crc64_init(struct crc64_table *t)
{
	for (unsigned int b = 0; b < 256; b++) {
		u64 r = b;

		for (int i = 0; i < 8; i++)
			r = (r >> 1) ^ (CRC64_POLY & (0ull - (r & 1)));
		t->t[0][b] = r;
	}
	for (unsigned int k = 1; k < 8; k++)
		for (unsigned int b = 0; b < 256; b++) {
			u64 r = t->t[k - 1][b];

			t->t[k][b] = (r >> 8) ^ t->t[0][r & 0xff];
		}
}

u64 crc64_update(const struct crc64_table *t, u64 crc, const void *p, size_t n)
{
	const u8 *s = p;

	crc = ~crc;
	for (; n >= 8; n -= 8, s += 8) {
		u64 v = crc ^ load64(s);

		crc = t->t[7][v & 0xff] ^ t->t[6][(v >> 8) & 0xff] ^
		      t->t[5][(v >> 16) & 0xff] ^ t->t[4][(v >> 24) & 0xff] ^
		      t->t[3][(v >> 32) & 0xff] ^ t->t[2][(v >> 40) & 0xff] ^
		      t->t[1][(v >> 48) & 0xff] ^ t->t[0][v >> 56];
	}
	while (n--)
		crc = (crc >> 8) ^ t->t[0][(crc ^ *s++) & 0xff];
	return ~crc;
}
