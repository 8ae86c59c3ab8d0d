/* Unit tests for command-line parsing (hypervisor/common/cmdline.c). */
/* unit-sources: hypervisor/common/cmdline.c hypervisor/common/lib/string.c */
/* unit-sources: hypervisor/common/lib/vsnprintf.c */
#include <stdlib.h>

#include "check.h"

#include <mica/cmdline.h>
#include <mica/errno.h>

/* ---- the warning hook: collects messages ---- */

static char warnings[16][600];
static int nr_warnings;

static void warn(const char *msg)
{
	if (nr_warnings < 16)
		snprintf(warnings[nr_warnings], sizeof(warnings[0]), "%s", msg);
	nr_warnings++;
}

/* True if some collected warning contains every one of the given fragments. */
static bool warned(const char *a, const char *b)
{
	for (int i = 0; i < nr_warnings && i < 16; i++)
		if (strstr(warnings[i], a) && (!b || strstr(warnings[i], b)))
			return true;
	return false;
}

/* ---- the options under test ---- */

static bool opt_flag;
static u8 opt_u8;
static u16 opt_u16;
static u32 opt_u32;
static u64 opt_u64;
static u64 opt_mem;
static u32 opt_mem32;
static char opt_name[8];
static char opt_big[300];
static const struct param params[] = {
	{ "flag", PARAM_BOOL, &opt_flag, sizeof(opt_flag) },
	{ "u8", PARAM_UINT, &opt_u8, sizeof(opt_u8) },
	{ "u16", PARAM_UINT, &opt_u16, sizeof(opt_u16) },
	{ "u32", PARAM_UINT, &opt_u32, sizeof(opt_u32) },
	{ "u64", PARAM_UINT, &opt_u64, sizeof(opt_u64) },
	{ "mem", PARAM_SIZE, &opt_mem, sizeof(opt_mem) },
	{ "mem32", PARAM_SIZE, &opt_mem32, sizeof(opt_mem32) },
	{ "name", PARAM_STRING, opt_name, sizeof(opt_name) },
	{ "big", PARAM_STRING, opt_big, sizeof(opt_big) },
};
#define NP (sizeof(params) / sizeof(params[0]))

static int parse(const char *line)
{
	nr_warnings = 0;
	return cmdline_parse(line, params, NP, warn);
}

static void reset_options(void)
{
	opt_flag = false;
	opt_u8 = 0;
	opt_u16 = 0;
	opt_u32 = 0;
	opt_u64 = 0;
	opt_mem = 0;
	opt_mem32 = 0;
	memset(opt_name, 0, sizeof(opt_name));
	memset(opt_big, 0, sizeof(opt_big));
}

/* ---- cases ---- */

static void bools(void)
{
	static const struct { const char *line; bool want; } ok[] = {
		{ "flag", true }, { "flag=1", true }, { "flag=yes", true }, { "flag=on", true },
		{ "flag=true", true }, { "flag=0", false }, { "flag=no", false },
		{ "flag=off", false }, { "flag=false", false },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		opt_flag = !ok[i].want;
		CHECK_MSG(parse(ok[i].line) == 0 && opt_flag == ok[i].want && nr_warnings == 0,
			  "'%s' gave %d", ok[i].line, opt_flag);
	}
	opt_flag = true;
	CHECK_EQ(parse("flag=maybe"), 1);
	CHECK(opt_flag);
	CHECK(warned("'flag'", "'maybe' is not a boolean"));
	CHECK_EQ(parse("flag="), 1);
	CHECK(opt_flag);
	CHECK_EQ(parse("flag=YES"), 1); /* case matters */
	CHECK_EQ(parse("flag=1=2"), 1);
}

static void uints(void)
{
	reset_options();
	CHECK_EQ(parse("u8=255 u16=0xffff u32=4294967295 u64=18446744073709551615"), 0);
	CHECK_EQ(opt_u8, 255);
	CHECK_EQ(opt_u16, 0xffff);
	CHECK_EQ(opt_u32, 0xffffffffu);
	CHECK_EQ(opt_u64, ~0ULL);
	CHECK_EQ(parse("u32=010 u16=0X1F u8=0"), 0); /* octal, upper-case hex */
	CHECK_EQ(opt_u32, 8);
	CHECK_EQ(opt_u16, 31);
	CHECK_EQ(opt_u8, 0);

	reset_options();
	CHECK_EQ(parse("u8=256"), 1); /* does not fit the variable */
	CHECK_EQ(opt_u8, 0);
	CHECK(warned("'u8'", "'256' is not a number in range"));
	CHECK_EQ(parse("u16=65536 u32=4294967296"), 2);
	CHECK_EQ(parse("u64=18446744073709551616"), 1); /* overflows u64 */
	CHECK_EQ(opt_u64, 0);
	CHECK_EQ(parse("u32 u32= u32=12abc u32=-1 u32=0x u32=abc u32=08"), 6);
	CHECK(warned("'u32' needs a number", NULL));
	CHECK_EQ(opt_u32, 8); /* "08" is decimal 8, not bad octal */
	CHECK_EQ(parse("u32=0x10g"), 1);
	CHECK_EQ(opt_u32, 8);
}

static void sizes(void)
{
	static const struct { const char *text; u64 want; } ok[] = {
		{ "0", 0 }, { "100", 100 }, { "64k", 64 << 10 }, { "64K", 64 << 10 },
		{ "512M", 512ULL << 20 }, { "512m", 512ULL << 20 }, { "4G", 4ULL << 30 },
		{ "2T", 2ULL << 40 }, { "4096B", 4096 }, { "0x10M", 16ULL << 20 },
		{ "16777215T", 16777215ULL << 40 },
	};
	static const char *const bad[] = {
		"", "M", "G4", "4GB", "4 G", "16E", "-1M", "0x", "16777216T", "17179869184G",
		"18446744073709551616", "1.5G", "4g4",
	};
	u64 v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		CHECK_MSG(parse_size(ok[i].text, &v) && v == ok[i].want, "parse_size(\"%s\") gave %llu",
			  ok[i].text, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		CHECK_MSG(!parse_size(bad[i], &v) && v == 12345, "parse_size(\"%s\") accepted", bad[i]);
	}

	reset_options();
	CHECK_EQ(parse("mem=2G mem32=3G"), 0);
	CHECK_EQ(opt_mem, 2ULL << 30);
	CHECK_EQ(opt_mem32, 3ULL << 30);
	CHECK_EQ(parse("mem32=4G"), 1); /* too big for a u32 */
	CHECK_EQ(opt_mem32, 3ULL << 30);
	CHECK(warned("'mem32'", "'4G' is not a size"));
	CHECK_EQ(parse("mem mem= mem=lots"), 3);
	CHECK_EQ(opt_mem, 2ULL << 30);
}

static void strings(void)
{
	char long_line[400];

	reset_options();
	CHECK_EQ(parse("name=com1"), 0);
	CHECK_STR(opt_name, "com1");
	CHECK_EQ(parse("name=1234567"), 0); /* exactly fills 8 bytes with the NUL */
	CHECK_STR(opt_name, "1234567");
	CHECK_EQ(parse("name=12345678"), 1); /* one too many: rejected, not truncated */
	CHECK_STR(opt_name, "1234567");
	CHECK(warned("'name'", "too long"));
	CHECK_EQ(parse("name"), 1);
	CHECK(warned("'name' needs a value", NULL));
	CHECK_EQ(parse("name="), 0);
	CHECK_STR(opt_name, "");
	CHECK_EQ(parse("name=a=b"), 0); /* only the first '=' separates */
	CHECK_STR(opt_name, "a=b");

	/* A value as long as a word may be (255 characters) reaches a big variable. */
	strcpy(long_line, "big=");
	memset(long_line + 4, 'v', 251);
	long_line[255] = '\0';
	CHECK_EQ(parse(long_line), 0);
	CHECK_EQ(strlen(opt_big), 251);
}

static void unknown_and_mixed(void)
{
	reset_options();
	CHECK_EQ(parse("  flag\tbogus=1  u8=7 \t nosuch mem=1M  "), 2);
	CHECK(opt_flag);
	CHECK_EQ(opt_u8, 7);
	CHECK_EQ(opt_mem, 1ULL << 20);
	CHECK_EQ(nr_warnings, 2);
	CHECK(warned("unknown option 'bogus'", NULL));
	CHECK(warned("unknown option 'nosuch'", NULL));
	CHECK_EQ(parse("=5"), 1);        /* an empty name */
	CHECK_EQ(parse("FLAG"), 1);      /* names are case-sensitive */
	CHECK_EQ(parse("fla"), 1);       /* no prefix matching */
	CHECK_EQ(parse("flagx"), 1);
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(parse("   \t "), 0);
	CHECK_EQ(cmdline_parse(NULL, params, NP, warn), 0);
	/* Without a warning hook problems are still counted. */
	CHECK_EQ(cmdline_parse("bogus u8=1000", params, NP, NULL), 2);
	/* No declared options at all. */
	nr_warnings = 0;
	CHECK_EQ(cmdline_parse("flag", params, 0, warn), 1);
}

static void later_option_wins(void)
{
	reset_options();
	CHECK_EQ(parse("u32=1 name=first flag u32=2 name=second flag=0 u32=3"), 0);
	CHECK_EQ(opt_u32, 3);
	CHECK_STR(opt_name, "second");
	CHECK(!opt_flag);
	/* A rejected later value leaves the earlier one. */
	CHECK_EQ(parse("u32=4 u32=oops"), 1);
	CHECK_EQ(opt_u32, 4);
}

static void overlong_words(void)
{
	char line[1200];

	reset_options();
	/* 300 characters of one word, then real options. */
	memset(line, 'a', 300);
	strcpy(line + 300, " u8=9 flag");
	CHECK_EQ(parse(line), 1);
	CHECK_EQ(opt_u8, 9);
	CHECK(opt_flag);
	CHECK(warned("too long", NULL));
	CHECK(warned("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...", NULL));
	CHECK(!warned("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL)); /* cut at 32 */

	/* 255 is the longest word: an unknown name is reported whole. 256 is too long. */
	memset(line, 'b', 255);
	line[255] = '\0';
	CHECK_EQ(parse(line), 1);
	CHECK(warned("unknown option", NULL));
	memset(line, 'b', 256);
	line[256] = '\0';
	CHECK_EQ(parse(line), 1);
	CHECK(warned("too long", NULL));

	/* A value that would overflow the word buffer. */
	strcpy(line, "name=");
	memset(line + 5, 'x', 1000);
	line[1005] = '\0';
	CHECK_EQ(parse(line), 1);
	CHECK_EQ(strlen(opt_name), 0);
}

static void skip_image_name(void)
{
	const char *l;

	l = "/boot/mica.elf console=com1";
	CHECK(cmdline_skip_image_name(l, params, NP) == l + strlen("/boot/mica.elf"));
	l = "mica.gz";
	CHECK(cmdline_skip_image_name(l, params, NP) == l + strlen(l));
	l = "  /mica  flag";
	CHECK(cmdline_skip_image_name(l, params, NP) == l + strlen("  /mica"));
	l = "\t/mica flag"; /* tabs separate words everywhere */
	CHECK(cmdline_skip_image_name(l, params, NP) == l + strlen("\t/mica"));
	/* No image name: the first word is an option. */
	l = "u8=3 flag";
	CHECK(cmdline_skip_image_name(l, params, NP) == l);
	l = "flag u8=3";
	CHECK(cmdline_skip_image_name(l, params, NP) == l);
	l = "bogus=1 flag"; /* an unknown option still looks like one */
	CHECK(cmdline_skip_image_name(l, params, NP) == l);
	l = "";
	CHECK(cmdline_skip_image_name(l, params, NP) == l);
	l = "fla flag"; /* a prefix of a known name is not that name */
	CHECK(cmdline_skip_image_name(l, params, NP) == l + 3);

	/* Together, as setup.c uses them. */
	reset_options();
	nr_warnings = 0;
	l = "/boot/mica.elf u16=77 flag";
	CHECK_EQ(cmdline_parse(cmdline_skip_image_name(l, params, NP), params, NP, warn), 0);
	CHECK_EQ(opt_u16, 77);
	CHECK(opt_flag);
}

/* The PARAM_* macros fill in the table entry; the hypervisor collects them by section. */
static bool macro_bool;
static u32 macro_uint;
static char macro_str[12];
PARAM_BOOL("macro_bool", macro_bool);
PARAM_UINT("macro_uint", macro_uint);
PARAM_STRING("macro_str", macro_str);

static void param_macros(void)
{
	const struct param table[] = { __param_macro_bool, __param_macro_uint,
				       __param_macro_str };

	CHECK_STR(__param_macro_bool.name, "macro_bool");
	CHECK_EQ(__param_macro_bool.type, PARAM_BOOL);
	CHECK(__param_macro_bool.var == &macro_bool);
	CHECK_EQ(__param_macro_uint.var_size, 4);
	CHECK_EQ(__param_macro_str.var_size, 12);
	nr_warnings = 0;
	CHECK_EQ(cmdline_parse("macro_bool macro_uint=0x20 macro_str=hello", table, 3, warn), 0);
	CHECK(macro_bool);
	CHECK_EQ(macro_uint, 32);
	CHECK_STR(macro_str, "hello");
}

int main(void)
{
	RUN(bools);
	RUN(uints);
	RUN(sizes);
	RUN(strings);
	RUN(unknown_and_mixed);
	RUN(later_option_wins);
	RUN(overlong_words);
	RUN(skip_image_name);
	RUN(param_macros);
	return check_done();
}
