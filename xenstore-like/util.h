/* mica-store: small helpers shared by every part of the daemon (keyed hashing, number parsing). */
#ifndef STORE_UTIL_H
#define STORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/*
 * Sets the secret key of hash_bytes(). Guests choose the paths the store
 * hashes, so the key is random in the daemon (a guest cannot aim every path
 * at one bucket); tests set a fixed one to be repeatable.
 */
void hash_set_key(uint64_t k0, uint64_t k1);

/* Keyed hash (SipHash-1-3) of n bytes, mixed with tweak (e.g. a parent id). */
uint64_t hash_bytes(const void *p, size_t n, uint64_t tweak);

/*
 * Parses a whole string as an unsigned decimal number no larger than max
 * (no sign, no spaces, no leading "0x"; leading zeros allowed). Returns true
 * and sets *out on success.
 */
bool parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* strndup that returns NULL when out of memory; the copy is NUL-terminated. */
char *mem_dup(const void *p, size_t n);

#endif
