/*
 * The Mica library routines as the unit tests see them. run.py compiles
 * every real source with the names that clash with libc renamed (memset
 * becomes mica_memset, snprintf mica_snprintf, ...), so the hypervisor's
 * own string and formatting code is what the tested sources call.
 */
#ifndef UNIT_HOST_LIB_H
#define UNIT_HOST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *mica_memset(void *dst, int c, size_t n);
void *mica_memcpy(void *dst, const void *src, size_t n);
void *mica_memmove(void *dst, const void *src, size_t n);
int mica_memcmp(const void *a, const void *b, size_t n);
size_t mica_strlen(const char *s);
size_t mica_strnlen(const char *s, size_t max);
int mica_strcmp(const char *a, const char *b);
int mica_strncmp(const char *a, const char *b, size_t n);
char *mica_strchr(const char *s, int c);
size_t mica_strlcpy(char *dst, const char *src, size_t size);
int mica_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int mica_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t parse_u64(const char *s, const char **end, bool *overflow);

#endif
