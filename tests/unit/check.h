/* A minimal host unit-test harness: CHECK macros and one PASS/FAIL line per test case. */
#ifndef UNIT_CHECK_H
#define UNIT_CHECK_H

/*
 * Include this, and any other libc header, before the mica headers: those
 * make later declarations hidden (types.h), which a host libc must not be.
 */
#pragma GCC visibility push(default)
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#pragma GCC visibility pop

/*
 * Usage: write each case as a static void function, call RUN(fn) for each
 * from main, and return check_done(). CHECK* record a failure and carry on;
 * REQUIRE* also abandon the case (use them where going on would crash).
 * A case prints "PASS name" or "FAIL name: first problem"; later problems
 * in the same case are printed as indented lines before it.
 */
struct check_ctx {
	const char *name;   /* the running case */
	int failures;       /* in the running case */
	char why[512];      /* its first failure */
	int cases_failed;
	int cases_passed;
	jmp_buf abandon;
};

static struct check_ctx check_ctx;

static inline __attribute__((format(printf, 3, 4))) void
check_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!check_ctx.failures++)
		snprintf(check_ctx.why, sizeof(check_ctx.why), "%s:%d: %s", file, line, msg);
	else
		printf("  %s:%d: %s\n", file, line, msg);
}

static inline void check_abandon(void)
{
	longjmp(check_ctx.abandon, 1);
}

/* Evaluates to whether cond held, so a case can stop looking further. */
#define CHECK_MSG(cond, ...)                                                   \
	({                                                                     \
		bool check_ok_ = (cond);                                       \
		if (!check_ok_)                                                \
			check_fail(__FILE__, __LINE__, __VA_ARGS__);           \
		check_ok_;                                                     \
	})

#define CHECK(cond) CHECK_MSG(cond, "CHECK(%s) failed", #cond)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		unsigned long long check_a_ = (unsigned long long)(a);         \
		unsigned long long check_b_ = (unsigned long long)(b);         \
		if (check_a_ != check_b_)                                      \
			check_fail(__FILE__, __LINE__,                         \
				   "CHECK_EQ(%s, %s): %lld (%#llx) != %lld (%#llx)", \
				   #a, #b, (long long)check_a_, check_a_,      \
				   (long long)check_b_, check_b_);             \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *check_sa_ = (a), *check_sb_ = (b);                 \
		if (!check_sa_ || !check_sb_ || strcmp(check_sa_, check_sb_))  \
			check_fail(__FILE__, __LINE__,                         \
				   "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a, #b, \
				   check_sa_ ? check_sa_ : "(null)",           \
				   check_sb_ ? check_sb_ : "(null)");          \
	} while (0)

#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!CHECK_MSG(cond, "REQUIRE(%s) failed", #cond))             \
			check_abandon();                                       \
	} while (0)

#define REQUIRE_EQ(a, b)                                                       \
	do {                                                                   \
		int check_before_ = check_ctx.failures;                        \
		CHECK_EQ(a, b);                                                \
		if (check_ctx.failures != check_before_)                       \
			check_abandon();                                       \
	} while (0)

static inline void check_run(const char *name, void (*fn)(void))
{
	check_ctx.name = name;
	check_ctx.failures = 0;
	check_ctx.why[0] = '\0';
	if (!setjmp(check_ctx.abandon))
		fn();
	if (check_ctx.failures) {
		check_ctx.cases_failed++;
		if (check_ctx.failures > 1)
			printf("FAIL %s: %s (and %d more)\n", name, check_ctx.why,
			       check_ctx.failures - 1);
		else
			printf("FAIL %s: %s\n", name, check_ctx.why);
	} else {
		check_ctx.cases_passed++;
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

#define RUN(fn) check_run(#fn, fn)

/* The exit status for main: non-zero if any case failed. */
static inline int check_done(void)
{
	return check_ctx.cases_failed ? 1 : 0;
}

#endif
