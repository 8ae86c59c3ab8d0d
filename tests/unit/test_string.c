/* Unit tests for the freestanding string routines and parse_u64 (hypervisor/common/lib/string.c). */
/* unit-sources: hypervisor/common/lib/string.c */
#include <stdint.h>

#include "check.h"
#include "host_lib.h"

static void memory_routines(void)
{
	char buf[32];

	CHECK(mica_memset(buf, 'a', sizeof(buf)) == buf);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(buf[31], 'a');
	mica_memset(buf, 0x1ff, 4); /* only the low byte counts */
	CHECK_EQ((unsigned char)buf[3], 0xff);
	CHECK(mica_memcpy(buf, "0123456789", 11) == buf);
	CHECK_STR(buf, "0123456789");

	/* memmove with overlap in both directions, and to itself. */
	CHECK(mica_memmove(buf + 2, buf, 8) == buf + 2);
	CHECK_STR(buf, "0101234567");
	mica_memcpy(buf, "0123456789", 11);
	mica_memmove(buf, buf + 3, 8);
	CHECK_STR(buf, "3456789");
	mica_memcpy(buf, "0123456789", 11);
	mica_memmove(buf, buf, 10);
	mica_memmove(buf + 1, buf, 0);
	CHECK_STR(buf, "0123456789");

	CHECK_EQ(mica_memcmp("abc", "abc", 3), 0);
	CHECK(mica_memcmp("abc", "abd", 3) < 0);
	CHECK(mica_memcmp("abd", "abc", 3) > 0);
	CHECK(mica_memcmp("\x80", "\x7f", 1) > 0); /* bytes compare unsigned */
	CHECK_EQ(mica_memcmp("abc", "xyz", 0), 0);
}

/*
 * Every length up to five words at every alignment and overlap distance,
 * against byte-at-a-time results; the bytes around the destination must
 * stay untouched.
 */
static void memory_routines_all_sizes(void)
{
	static unsigned char buf[160], want[160];
	unsigned int fails = 0;

	for (size_t n = 0; n <= 40; n++)
		for (size_t src = 0; src < 48; src++)
			for (size_t dst = 0; dst < 48; dst++) {
				for (size_t i = 0; i < sizeof(buf); i++)
					buf[i] = want[i] = (unsigned char)(i * 7 + 1);
				{ /* the reference goes through a copy: overlap cannot matter */
					unsigned char tmp[40];

					for (size_t i = 0; i < n; i++)
						tmp[i] = want[src + i];
					for (size_t i = 0; i < n; i++)
						want[dst + i] = tmp[i];
				}
				if (mica_memmove(buf + dst, buf + src, n) != buf + dst ||
				    mica_memcmp(buf, want, sizeof(buf)))
					fails++;
				if (dst + n <= src || src + n <= dst) {
					for (size_t i = 0; i < sizeof(buf); i++)
						buf[i] = (unsigned char)(i * 7 + 1);
					if (mica_memcpy(buf + dst, buf + src, n) != buf + dst ||
					    mica_memcmp(buf, want, sizeof(buf)))
						fails++;
				}
				for (size_t i = 0; i < sizeof(buf); i++)
					want[i] = buf[i] = 0x5a;
				for (size_t i = 0; i < n; i++)
					want[dst + i] = 0xc3;
				if (mica_memset(buf + dst, 0x1c3, n) != buf + dst ||
				    mica_memcmp(buf, want, sizeof(buf)))
					fails++;
			}
	CHECK_EQ(fails, 0);
}

static void string_routines(void)
{
	char buf[8];

	CHECK_EQ(mica_strlen(""), 0);
	CHECK_EQ(mica_strlen("hello"), 5);
	CHECK_EQ(mica_strnlen("hello", 3), 3);
	CHECK_EQ(mica_strnlen("hi", 10), 2);
	CHECK_EQ(mica_strnlen("hi", 0), 0);

	CHECK_EQ(mica_strcmp("a", "a"), 0);
	CHECK(mica_strcmp("a", "b") < 0);
	CHECK(mica_strcmp("ab", "a") > 0);
	CHECK(mica_strcmp("", "a") < 0);
	CHECK(mica_strcmp("\xe9", "e") > 0); /* unsigned, as in libc */
	CHECK_EQ(mica_strncmp("abcdef", "abcxyz", 3), 0);
	CHECK(mica_strncmp("abcdef", "abcxyz", 4) < 0);
	CHECK_EQ(mica_strncmp("ab", "ab", 10), 0); /* stops at the NUL */
	CHECK_EQ(mica_strncmp("x", "y", 0), 0);

	{
		const char *s = "key=value";

		CHECK(mica_strchr(s, '=') == s + 3);
		CHECK(mica_strchr(s, 'k') == s);
		CHECK(mica_strchr(s, '#') == NULL);
		CHECK(mica_strchr(s, '\0') == s + 9);
	}

	mica_memset(buf, '#', sizeof(buf));
	CHECK_EQ(mica_strlcpy(buf, "abc", sizeof(buf)), 3);
	CHECK_STR(buf, "abc");
	CHECK_EQ(mica_strlcpy(buf, "abcdefghijk", sizeof(buf)), 11); /* truncates */
	CHECK_STR(buf, "abcdefg");
	mica_memset(buf, '#', sizeof(buf));
	CHECK_EQ(mica_strlcpy(buf, "abc", 0), 3); /* writes nothing */
	CHECK_EQ(buf[0], '#');
	CHECK_EQ(mica_strlcpy(buf, "abc", 1), 3);
	CHECK_EQ(buf[0], '\0');
	CHECK_EQ(buf[1], '#');
}

static void numbers(void)
{
	static const struct { const char *s; uint64_t v; size_t used; bool ovf; } cases[] = {
		{ "0", 0, 1, false },
		{ "42", 42, 2, false },
		{ "42abc", 42, 2, false },
		{ "0x1F", 31, 4, false },
		{ "0XfF", 255, 4, false },
		{ "0x1g", 1, 3, false },
		{ "0x", 0, 1, false },        /* a 0, then an 'x' */
		{ "0xg", 0, 1, false },
		{ "017", 15, 3, false },      /* octal */
		{ "018", 1, 2, false },       /* octal 1, then an '8' */
		{ "08", 8, 2, false },        /* not octal: decimal */
		{ "", 0, 0, false },
		{ "abc", 0, 0, false },
		{ "-1", 0, 0, false },
		{ " 1", 0, 0, false },
		{ "18446744073709551615", UINT64_MAX, 20, false },
		{ "18446744073709551616", UINT64_MAX, 20, true },
		{ "99999999999999999999999", UINT64_MAX, 23, true },
		{ "0xffffffffffffffff", UINT64_MAX, 18, false },
		{ "0x10000000000000000", UINT64_MAX, 19, true },
		{ "01777777777777777777777", UINT64_MAX, 23, false },
		{ "02000000000000000000000", UINT64_MAX, 23, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *end = NULL;
		bool ovf = !cases[i].ovf;
		uint64_t v = parse_u64(cases[i].s, &end, &ovf);

		CHECK_MSG(v == cases[i].v && end == cases[i].s + cases[i].used && ovf == cases[i].ovf,
			  "parse_u64(\"%s\") = %llu, used %zu, overflow %d", cases[i].s,
			  (unsigned long long)v, (size_t)(end - cases[i].s), ovf);
	}
	CHECK_EQ(parse_u64("123", NULL, NULL), 123); /* both outputs optional */
}

int main(void)
{
	RUN(memory_routines);
	RUN(memory_routines_all_sizes);
	RUN(string_routines);
	RUN(numbers);
	return check_done();
}
