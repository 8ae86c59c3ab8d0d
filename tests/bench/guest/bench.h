/*
 * bench.h: what the benchmarks' guest programs share (included by iobench.c and
 * gntbench.c; tests/bench/image.py builds each program from its one .c file and this).
 */
#ifndef MICA_BENCH_H
#define MICA_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* The monotonic clock in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A decimal number in [1, max], or 0 (anything else: empty, signs, junk, too big). */
static inline unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || !v || v > max)
		return 0;
	return v;
}

#endif
