/* mica-store: keyed hashing (SipHash-1-3, written from the published algorithm) and parsing. */
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_k0 = 0x0706050403020100ULL;
static uint64_t hash_k1 = 0x0f0e0d0c0b0a0908ULL;

void hash_set_key(uint64_t k0, uint64_t k1)
{
	hash_k0 = k0;
	hash_k1 = k1;
}

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);      \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);      \
	} while (0)

uint64_t hash_bytes(const void *p, size_t n, uint64_t tweak)
{
	const unsigned char *b = p;
	uint64_t v0 = hash_k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = (hash_k1 ^ tweak) ^ 0x646f72616e646f6dULL;
	uint64_t v2 = hash_k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = (hash_k1 ^ tweak) ^ 0x7465646279746573ULL;
	uint64_t m, last = (uint64_t)n << 56;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, b + i, 8); /* x86_64: little-endian, as SipHash wants */
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		last |= (uint64_t)b[i + j] << (8 * j);
	v3 ^= last;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');

		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

char *mem_dup(const void *p, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}
