/* Unit tests for the hypervisor's printf formatter (hypervisor/common/lib/vsnprintf.c). */
/* unit-sources: hypervisor/common/lib/vsnprintf.c hypervisor/common/lib/string.c */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "host_lib.h"

/* Formats with the hypervisor's snprintf and compares with the expected text and length. */
#define CHECK_FMT(want, ...)                                                   \
	do {                                                                   \
		char got_[256];                                                \
		int n_ = mica_snprintf(got_, sizeof(got_), __VA_ARGS__);       \
		CHECK_MSG(!strcmp(got_, want) && n_ == (int)strlen(want),      \
			  "%s: got \"%s\" (%d), expected \"%s\"", #__VA_ARGS__,    \
			  got_, n_, want);                                     \
	} while (0)

/*
 * Checks formats the compiler would warn about (that is what some cases
 * test) by passing them as a non-literal, through mica_vsnprintf.
 */
static void check_dynamic(const char *want, const char *fmt, ...)
{
	char got[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = mica_vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);

	CHECK_MSG(!strcmp(got, want) && n == (int)strlen(want),
		  "\"%s\": got \"%s\" (%d), expected \"%s\"", fmt, got, n, want);
}

static void basics(void)
{
	CHECK_FMT("", "%s", "");
	CHECK_FMT("plain text", "plain text");
	CHECK_FMT("100%", "100%%");
	CHECK_FMT("a b c", "%c %c %c", 'a', 'b', 'c');
	CHECK_FMT("hello world", "%s %s", "hello", "world");
	check_dynamic("(null)", "%s", (char *)NULL);
	CHECK_FMT("42 -42 0", "%d %d %u", 42, -42, 0u);
	CHECK_FMT("ff", "%x", 255u);
	check_dynamic("%q", "%q", 0);    /* unknown conversions are shown as written */
	check_dynamic("%o %X %p", "%o %X %p", 8, 255, NULL); /* so are those Mica does not use */
	check_dynamic("end", "end%", 0); /* a lone % at the end is dropped */
	check_dynamic("", "%5", 0);      /* so is one cut off after its width */
}

static void integers_at_limits(void)
{
	CHECK_FMT("-2147483648 2147483647", "%d %d", INT_MIN, INT_MAX);
	CHECK_FMT("4294967295", "%u", UINT_MAX);
	CHECK_FMT("-9223372036854775808", "%lld", LLONG_MIN);
	CHECK_FMT("9223372036854775807", "%ld", LONG_MAX);
	CHECK_FMT("18446744073709551615", "%llu", ULLONG_MAX);
	CHECK_FMT("ffffffffffffffff", "%llx", ULLONG_MAX);
	CHECK_FMT("deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
	CHECK_FMT("123456789012", "%zu", (size_t)123456789012ULL);
}

static void widths_and_flags(void)
{
	CHECK_FMT("   42|00042", "%5d|%05d", 42, 42);
	CHECK_FMT("  -42|-0042", "%5d|%05d", -42, -42);
	CHECK_FMT("0x1f", "%#x", 31u);
	CHECK_FMT("0x0000001f", "%#010x", 31u);
	CHECK_FMT("  0x1f", "%#6x", 31u);
	CHECK_FMT("0x0", "%#x", 0u); /* C would print "0" */
	CHECK_FMT("        ab", "%10s", "ab");
	CHECK_FMT("    x", "%5c", 'x');
	CHECK_FMT("ab", "%1s", "ab"); /* width below length */
}

static void precision(void)
{
	CHECK_FMT("00042", "%.5d", 42);
	CHECK_FMT("-00042", "%.5d", -42);
	CHECK_FMT("  00042", "%7.5d", 42);
	check_dynamic("  00042", "%07.5d", 42); /* '0' ignored with a precision */
	CHECK_FMT("", "%.0d", 0);
	CHECK_FMT("     ", "%5.0d", 0);
	CHECK_FMT("abc", "%.3s", "abcdef");
	CHECK_FMT("  abc", "%5.3s", "abcdef");
	CHECK_FMT("ab", "%.*s", 2, "abcdef");
	CHECK_FMT("abcdef", "%.*s", -1, "abcdef"); /* negative precision: none */
	CHECK_FMT("00ff", "%.4x", 255u);
	/* %.Ns reads no further than N bytes: an unterminated buffer is fine. */
	{
		const char raw[3] = { 'x', 'y', 'z' };

		CHECK_FMT("xyz", "%.3s", raw);
	}
}

static void truncation(void)
{
	char buf[16];
	int n;

	memset(buf, '#', sizeof(buf));
	n = mica_snprintf(buf, 6, "%s-%d", "hello", 12345);
	CHECK_EQ(n, 11);
	CHECK_STR(buf, "hello");
	CHECK_EQ(buf[6], '#'); /* nothing written past size */

	memset(buf, '#', sizeof(buf));
	n = mica_snprintf(buf, 1, "abc");
	CHECK_EQ(n, 3);
	CHECK_EQ(buf[0], '\0');
	CHECK_EQ(buf[1], '#');

	n = mica_snprintf(NULL, 0, "%08x and %s", 1u, "more");
	CHECK_EQ(n, 17);

	memset(buf, '#', sizeof(buf));
	n = mica_snprintf(buf, 4, "%5d", 42);
	CHECK_EQ(n, 5);
	CHECK_STR(buf, "   ");

	/* Exactly fitting output keeps every character. */
	n = mica_snprintf(buf, 6, "%s", "12345");
	CHECK_EQ(n, 5);
	CHECK_STR(buf, "12345");
	n = mica_snprintf(buf, 5, "%s", "12345");
	CHECK_EQ(n, 5);
	CHECK_STR(buf, "1234");
}

/*
 * Differential test: every combination of the supported flags, width,
 * precision, length and conversion against the host's C library, where
 * the C standard defines the result. Known, intended differences are
 * skipped: '#' with a zero hex value (Mica prints 0x0) and '#' with
 * decimal conversions.
 */
static int call(int (*fn)(char *, size_t, const char *, ...), char *buf, size_t size,
		const char *fmt, int len, long long v)
{
	if (len == 3)
		return fn(buf, size, fmt, v);
	if (len == 2)
		return fn(buf, size, fmt, (long)v);
	return fn(buf, size, fmt, (int)v);
}

static void against_libc(void)
{
	static const char *const flag_sets[] = { "", "0", "#", "0#" };
	static const char *const widths[] = { "", "1", "6", "22" };
	static const char *const precs[] = { "", ".0", ".1", ".4", ".25" };
	static const char *const lengths[] = { "", "l", "ll" };
	static const char convs[] = "dux";
	static const long long values[] = { 0, 1, -1, 7, 42, -42, 255, 256, 65535, 65536,
					    INT_MAX, INT_MIN, 0x123456789abcLL, LLONG_MIN,
					    LLONG_MAX };
	unsigned long compared = 0, mismatches = 0;

	for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++)
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
	for (size_t p = 0; p < sizeof(precs) / sizeof(precs[0]); p++)
	for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
	for (size_t c = 0; c < sizeof(convs) - 1; c++)
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		char fmt[32], want[64], got[64];
		char conv = convs[c];
		bool is_signed = conv == 'd';
		int len = l == 2 ? 3 : l == 1 ? 2 : 0, nw, ng;
		long long val = values[v];

		if (strchr(flag_sets[f], '#') && (is_signed || conv == 'u'))
			continue; /* undefined in C */
		snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s%c]", flag_sets[f], widths[w], precs[p],
			 lengths[l], conv);
		if (strchr(flag_sets[f], '#') && conv == 'x') {
			unsigned long long u = len == 3 ? (unsigned long long)val :
				len == 2 ? (unsigned long)val : (unsigned int)val;

			if (u == 0)
				continue; /* Mica prints "0x0" */
		}
		nw = call(snprintf, want, sizeof(want), fmt, len, val);
		ng = call(mica_snprintf, got, sizeof(got), fmt, len, val);
		compared++;
		if (nw != ng || strcmp(want, got)) {
			if (mismatches++ < 8)
				check_fail(__FILE__, __LINE__, "%s of %lld: libc \"%s\", mica \"%s\"",
					   fmt, val, want, got);
		}
	}
	CHECK_EQ(mismatches, 0);
	CHECK(compared > 5000);

	/* Strings and characters too. */
	static const char *const sfmts[] = { "%s", "%8s", "%.2s", "%8.2s", "%.0s", "%1s",
					     "%.10s" };
	static const char *const strs[] = { "", "a", "abc", "abcdefghijkl" };

	for (size_t f = 0; f < sizeof(sfmts) / sizeof(sfmts[0]); f++)
		for (size_t s = 0; s < sizeof(strs) / sizeof(strs[0]); s++) {
			char want[64], got[64];
			int nw = snprintf(want, sizeof(want), sfmts[f], strs[s]);
			int ng = mica_snprintf(got, sizeof(got), sfmts[f], strs[s]);

			CHECK_MSG(nw == ng && !strcmp(want, got), "%s of \"%s\": libc \"%s\", mica \"%s\"",
				  sfmts[f], strs[s], want, got);
		}
}

/* vsnprintf itself, through a va_list. */
static int via_va_list(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = mica_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void va_list_entry(void)
{
	char buf[32];

	CHECK_EQ(via_va_list(buf, sizeof(buf), "%s=%llu", "frames", 123456789ULL), 16);
	CHECK_STR(buf, "frames=123456789");
}

int main(void)
{
	RUN(basics);
	RUN(integers_at_limits);
	RUN(widths_and_flags);
	RUN(precision);
	RUN(truncation);
	RUN(against_libc);
	RUN(va_list_entry);
	return check_done();
}
