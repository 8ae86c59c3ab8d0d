/* Memory and string routines for a freestanding hypervisor. */
#include <mica/lib.h>

/*
 * The copies and fills use the string instructions, eight bytes a step
 * and then the last few one at a time: grant copies and guest accesses
 * move whole pages through here. Every entry to the hypervisor clears
 * the direction flag (entry.S), so they run forwards unless told.
 */
void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	u64 pattern = (u8)c * 0x0101010101010101ULL;
	size_t words = n / 8, bytes = n % 8;

	asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
	asm volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(pattern) : "memory");
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n / 8, bytes = n % 8;

	asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(bytes) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	size_t words = n / 8, bytes = n % 8;

	/* Forwards is safe unless dst starts inside [src, src + n). */
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(dst, src, n);
	/* Backwards: the words from the end down, then the first few bytes. */
	if (words) {
		void *dw = d + n - 8;
		const void *sw = s + n - 8;

		asm volatile("std; rep movsq; cld"
			     : "+D"(dw), "+S"(sw), "+c"(words) : : "memory", "cc");
	}
	while (bytes--)
		d[bytes] = s[bytes];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			break;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

u64 parse_u64(const char *s, const char **end, bool *overflow)
{
	unsigned int base = 10;
	u64 v = 0;
	bool ovf = false;

	/* "0x" without a hex digit after it is the number 0 followed by an 'x'. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && is_hex_digit(s[2])) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] >= '0' && s[1] <= '7') {
		base = 8;
		s++;
	}
	for (;; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base) {
			ovf = true;
			v = UINT64_MAX;
		} else if (!ovf) {
			v = v * base + d;
		}
	}
	if (end)
		*end = s;
	if (overflow)
		*overflow = ovf;
	return v;
}
