/* Freestanding string and formatting routines (common/lib), usable on the host too. */
#ifndef MICA_LIB_H
#define MICA_LIB_H

#include <stdarg.h>
#include <mica/types.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/*
 * printf-style formatting into buf (always NUL-terminated when size > 0).
 * Supports what the hypervisor uses: %d %u %x %c %s %% with the flags '0'
 * and '#' (0x), a width, a precision (also .*) and the length modifiers l,
 * ll and z; as C's, but "%#x" of 0 is "0x0". Anything else is printed as
 * written. Returns the length the full output would have had.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/*
 * Parses an unsigned number in base 10, or base 16 with "0x", or base 8
 * with a leading 0. *end (if non-NULL) points past the digits. Saturates
 * at UINT64_MAX and sets *overflow when it does (overflow may be NULL).
 */
u64 parse_u64(const char *s, const char **end, bool *overflow);

#endif
