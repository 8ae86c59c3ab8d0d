/* Unit tests for Multiboot1/2 information parsing (hypervisor/arch/x86/boot/multiboot.c). */
/* unit-sources: hypervisor/arch/x86/boot/multiboot.c hypervisor/common/lib/string.c */
#include <stdlib.h>

#include "check.h"

#include <mica/bootinfo.h>
#include <mica/errno.h>

#define MB1_MAGIC 0x2badb002
#define MB2_MAGIC 0x36d76289

/*
 * Fake physical memory: a window at BASE. The reader hands out a fresh
 * heap copy of exactly the bytes asked for, so AddressSanitizer catches a
 * parser that reads past what it requested.
 */
#define BASE 0x100000ULL
#define SIZE 0x20000

static u8 mem[SIZE];
static void *copies[1 << 16];
static unsigned int nr_copies;
static unsigned long reads;

static void release_copies(void)
{
	while (nr_copies)
		free(copies[--nr_copies]);
}

static const void *fake_read(paddr_t pa, size_t len)
{
	void *c;

	reads++;
	if (pa < BASE || pa - BASE > SIZE || len > SIZE - (pa - BASE))
		return NULL;
	if (nr_copies == sizeof(copies) / sizeof(copies[0]))
		release_copies(); /* keeps memory bounded for parsers that loop */
	c = malloc(len ? len : 1);
	if (!c)
		abort();
	memcpy(c, mem + (pa - BASE), len);
	copies[nr_copies++] = c;
	return c;
}

static struct boot_info bi;

static int parse(u32 magic, paddr_t info)
{
	int rc;

	reads = 0;
	rc = multiboot_parse(magic, info, fake_read, &bi);
	release_copies();
	return rc;
}

static void put32(u64 off, u32 v) { memcpy(&mem[off], &v, 4); }
static void put64(u64 off, u64 v) { memcpy(&mem[off], &v, 8); }

/* Writes a string at offset off of the window; returns its physical address. */
static u32 put_str(u64 off, const char *s)
{
	memcpy(&mem[off], s, strlen(s) + 1);
	return (u32)(BASE + off);
}

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
}

/* ---- Multiboot1 ---- */

/* Offsets in the Multiboot1 information structure, from the specification. */
enum {
	MB1_FLAGS = 0, MB1_MEM_LOWER = 4, MB1_MEM_UPPER = 8, MB1_CMDLINE = 16,
	MB1_MODS_COUNT = 20, MB1_MODS_ADDR = 24, MB1_MMAP_LENGTH = 44, MB1_MMAP_ADDR = 48,
	MB1_LOADER_NAME = 64, MB1_SIZE = 116,
};
#define F_MEM (1u << 0)
#define F_CMDLINE (1u << 2)
#define F_MODS (1u << 3)
#define F_MMAP (1u << 6)
#define F_LOADER (1u << 9)

#define INFO 0x0        /* offsets in the window */
#define MMAP 0x1000
#define MODS 0x2000
#define STRS 0x3000

static void mb1_mmap_entry(u64 off, u32 size, u64 addr, u64 len, u32 type)
{
	put32(off, size);
	put64(off + 4, addr);
	put64(off + 12, len);
	put32(off + 20, type);
}

static void mb1_module(unsigned int i, u32 start, u32 end, u32 string)
{
	put32(MODS + i * 16, start);
	put32(MODS + i * 16 + 4, end);
	put32(MODS + i * 16 + 8, string);
	put32(MODS + i * 16 + 12, 0);
}

static void mb1_full(void)
{
	static const struct { u64 base, len; u32 type; } e820[] = {
		{ 0x0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0x1fee0000, 1 }, { 0x1ffe0000, 0x20000, 2 },
		{ 0xfeffc000, 0x4000, 2 }, { 0xfffc0000, 0x40000, 2 },
	};

	reset();
	put32(INFO + MB1_FLAGS, F_MEM | F_CMDLINE | F_MODS | F_MMAP | F_LOADER);
	put32(INFO + MB1_MEM_LOWER, 639);
	put32(INFO + MB1_MEM_UPPER, 523136);
	put32(INFO + MB1_CMDLINE, put_str(STRS, "/boot/mica.elf console=com1 loglvl=3"));
	put32(INFO + MB1_LOADER_NAME, put_str(STRS + 0x100, "GRUB 2.06-13"));
	for (unsigned int i = 0; i < 7; i++)
		mb1_mmap_entry(MMAP + i * 24, 20, e820[i].base, e820[i].len, e820[i].type);
	put32(INFO + MB1_MMAP_ADDR, (u32)(BASE + MMAP));
	put32(INFO + MB1_MMAP_LENGTH, 7 * 24);
	mb1_module(0, 0x2000000, 0x2a00000, put_str(STRS + 0x200, "/vmlinuz root=/dev/sda1 ro"));
	mb1_module(1, 0x2a00000, 0x3000123, put_str(STRS + 0x300, "/initrd.img"));
	put32(INFO + MB1_MODS_ADDR, (u32)(BASE + MODS));
	put32(INFO + MB1_MODS_COUNT, 2);
}

static void mb1_everything(void)
{
	mb1_full();
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_STR(bi.loader, "Multiboot1");
	CHECK_STR(bi.loader_name, "GRUB 2.06-13");
	CHECK_STR(bi.cmdline, "/boot/mica.elf console=com1 loglvl=3");
	CHECK_EQ(bi.nr_mem, 7);
	CHECK_EQ(bi.mem[0].base, 0);
	CHECK_EQ(bi.mem[0].size, 0x9fc00);
	CHECK_EQ(bi.mem[0].type, MEM_USABLE);
	CHECK_EQ(bi.mem[3].base, 0x100000);
	CHECK_EQ(bi.mem[3].size, 0x1fee0000);
	CHECK_EQ(bi.mem[6].base, 0xfffc0000);
	CHECK_EQ(bi.mem[6].type, MEM_RESERVED);
	CHECK_EQ(bi.nr_mods, 2);
	CHECK_EQ(bi.mods[0].start, 0x2000000);
	CHECK_EQ(bi.mods[0].end, 0x2a00000);
	CHECK_STR(bi.mods[0].cmdline, "/vmlinuz root=/dev/sda1 ro");
	CHECK_EQ(bi.mods[1].end, 0x3000123);
	CHECK_STR(bi.mods[1].cmdline, "/initrd.img");
	CHECK_EQ(bi.mods_dropped, 0);
	CHECK_EQ(bi.rsdp, 0);
	CHECK_EQ(bi.info_start, BASE + INFO);
	CHECK(bi.info_end > bi.info_start && bi.info_end <= BASE + INFO + MB1_SIZE);
}

static void mb1_minimal(void)
{
	reset();
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_STR(bi.loader, "Multiboot1");
	CHECK_STR(bi.cmdline, "");
	CHECK_STR(bi.loader_name, "");
	CHECK_EQ(bi.nr_mem, 0);
	CHECK_EQ(bi.nr_mods, 0);

	/* Only mem_lower/mem_upper: two usable regions. */
	put32(INFO + MB1_FLAGS, F_MEM);
	put32(INFO + MB1_MEM_LOWER, 639);
	put32(INFO + MB1_MEM_UPPER, 130048);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	REQUIRE_EQ(bi.nr_mem, 2);
	CHECK_EQ(bi.mem[0].base, 0);
	CHECK_EQ(bi.mem[0].size, 639 * 1024);
	CHECK_EQ(bi.mem[1].base, 0x100000);
	CHECK_EQ(bi.mem[1].size, 130048ULL * 1024);
	CHECK_EQ(bi.mem[1].type, MEM_USABLE);

	/* The mmap wins over mem_lower/mem_upper when both are given. */
	mb1_full();
	put32(INFO + MB1_FLAGS, F_MEM | F_MMAP);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(bi.nr_mem, 7);
	CHECK_EQ(bi.nr_mods, 0); /* the module fields are ignored without their flag */
	CHECK_STR(bi.cmdline, "");
}

static void mb1_mmap_variants(void)
{
	reset();
	put32(INFO + MB1_FLAGS, F_MMAP);
	put32(INFO + MB1_MMAP_ADDR, (u32)(BASE + MMAP));
	/* Entries with a larger size field (extended attributes) are strided by it. */
	mb1_mmap_entry(MMAP, 28, 0x0, 0x1000, 1);
	mb1_mmap_entry(MMAP + 32, 28, 0x1000, 0x0, 1);     /* empty: dropped */
	mb1_mmap_entry(MMAP + 64, 28, 0x2000, 0x1000, 12); /* unknown type */
	mb1_mmap_entry(MMAP + 96, 20, 0x3000, 0x1000, 3);
	mb1_mmap_entry(MMAP + 120, 20, 0x4000, 0x1000, 5);
	put32(INFO + MB1_MMAP_LENGTH, 144);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	REQUIRE_EQ(bi.nr_mem, 4);
	CHECK_EQ(bi.mem[0].type, MEM_USABLE);
	CHECK_EQ(bi.mem[1].base, 0x2000);
	CHECK_EQ(bi.mem[1].type, MEM_RESERVED);
	CHECK_EQ(bi.mem[2].type, MEM_ACPI_RECLAIM);
	CHECK_EQ(bi.mem[3].type, MEM_BAD);

	/* A length that ends mid-entry: the partial entry is ignored. */
	put32(INFO + MB1_MMAP_LENGTH, 144 - 4);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(bi.nr_mem, 3);

	/* More entries than bootinfo holds: the first BOOT_MAX_REGIONS are kept. */
	for (unsigned int i = 0; i < 200; i++)
		mb1_mmap_entry(MMAP + i * 24, 20, (u64)i << 12, 0x1000, 1);
	put32(INFO + MB1_MMAP_LENGTH, 200 * 24);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(bi.nr_mem, BOOT_MAX_REGIONS);
	CHECK_EQ(bi.mem[BOOT_MAX_REGIONS - 1].base, (u64)(BOOT_MAX_REGIONS - 1) << 12);
}

static void mb1_malformed_mmap(void)
{
	reset();
	put32(INFO + MB1_FLAGS, F_MMAP);
	put32(INFO + MB1_MMAP_ADDR, (u32)(BASE + MMAP));
	put32(INFO + MB1_MMAP_LENGTH, 48);
	mb1_mmap_entry(MMAP, 20, 0, 0x1000, 1);
	mb1_mmap_entry(MMAP + 24, 16, 0x1000, 0x1000, 1); /* size field too small */
	CHECK_EQ(parse(MB1_MAGIC, BASE + INFO), -EINVAL);

	/* A size field so large that size + 4 wraps a u32 must not loop forever. */
	mb1_mmap_entry(MMAP + 24, 0xfffffffc, 0x1000, 0x1000, 1);
	CHECK_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(bi.nr_mem, 2);
	CHECK(reads < 100);

	/* The map itself unreadable. */
	put32(INFO + MB1_MMAP_ADDR, 0xfff00000);
	CHECK_EQ(parse(MB1_MAGIC, BASE + INFO), -EINVAL);

	/* A map length reaching past 4 GiB must not wrap. */
	put32(INFO + MB1_MMAP_ADDR, (u32)(BASE + MMAP));
	put32(INFO + MB1_MMAP_LENGTH, 0xffffffff);
	mb1_mmap_entry(MMAP + 24, 20, 0x1000, 0x1000, 1);
	CHECK_EQ(parse(MB1_MAGIC, BASE + INFO), -EINVAL); /* runs into zeroed entries */
	CHECK(bi.nr_mem >= 2);
}

static void mb1_modules(void)
{
	char longcmd[400];

	mb1_full();
	memset(longcmd, 'm', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = '\0';
	for (unsigned int i = 0; i < 10; i++)
		mb1_module(i, 0x1000000 * (i + 1), 0x1000000 * (i + 1) + 0x1000,
			   put_str(STRS + 0x400 + i * 0x200, i == 2 ? longcmd : "mod"));
	mb1_module(1, 0x5000, 0x4000, 0); /* end before start, no string */
	put32(INFO + MB1_MODS_COUNT, 10);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(bi.nr_mods, BOOT_MAX_MODULES);
	CHECK_EQ(bi.mods_dropped, 10 - BOOT_MAX_MODULES);
	CHECK_STR(bi.mods[0].cmdline, "mod");
	CHECK_EQ(bi.mods[1].start, 0x5000);
	CHECK_EQ(bi.mods[1].end, 0x5000);
	CHECK_STR(bi.mods[1].cmdline, "");
	CHECK_EQ(strlen(bi.mods[2].cmdline), sizeof(bi.mods[2].cmdline) - 1);
	CHECK_EQ(bi.mods[7].start, 0x8000000);

	/* A wild module count must not make the parser walk 4 billion entries. */
	put32(INFO + MB1_MODS_COUNT, 0xffffffff);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(bi.nr_mods, BOOT_MAX_MODULES);
	CHECK_EQ(bi.mods_dropped, 0xffffffffu - BOOT_MAX_MODULES);
	CHECK(reads < 10000);

	/* A module list that cannot be read. */
	put32(INFO + MB1_MODS_COUNT, 2);
	put32(INFO + MB1_MODS_ADDR, 0xffff0000);
	CHECK_EQ(parse(MB1_MAGIC, BASE + INFO), -EINVAL);
}

static void mb1_strings(void)
{
	char big[3000];

	mb1_full();
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put32(INFO + MB1_CMDLINE, put_str(0x8000, big));
	put32(INFO + MB1_LOADER_NAME, put_str(0x9000, big));
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_EQ(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	CHECK_EQ(strlen(bi.loader_name), sizeof(bi.loader_name) - 1);

	/* A string running into unreadable memory ends there. */
	memset(&mem[SIZE - 5], 'y', 5);
	put32(INFO + MB1_CMDLINE, (u32)(BASE + SIZE - 5));
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_STR(bi.cmdline, "yyyyy");
	/* Pointers to nothing: empty strings. */
	put32(INFO + MB1_CMDLINE, 0);
	put32(INFO + MB1_LOADER_NAME, 0x10);
	REQUIRE_EQ(parse(MB1_MAGIC, BASE + INFO), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_STR(bi.loader_name, "");
}

static void bad_magic_and_unreadable_info(void)
{
	mb1_full();
	memset(&bi, 0x5a, sizeof(bi));
	CHECK_EQ(parse(0x1badb002, BASE + INFO), -EINVAL); /* the header magic, not the boot one */
	CHECK_EQ(bi.nr_mem, 0);
	CHECK_EQ(bi.nr_mods, 0);
	CHECK(bi.loader == NULL);
	CHECK_EQ(parse(0, BASE + INFO), -EINVAL);
	CHECK_EQ(parse(MB1_MAGIC, 0x1000), -EINVAL);
	CHECK_EQ(parse(MB2_MAGIC, 0x1000), -EINVAL);
	CHECK_EQ(parse(MB1_MAGIC, BASE + SIZE - 16), -EINVAL); /* straddles the end */
}

/* ---- Multiboot2 ---- */

/* Builds a Multiboot2 information block at offset 0 of the window, tag by tag. */
static u64 mb2_at;

static void mb2_begin(void)
{
	reset();
	mb2_at = 8;
}

/* Starts a tag of the given type and body size; returns the body's offset. */
static u64 mb2_tag(u32 type, u32 body_len)
{
	u64 tag = mb2_at;

	put32(tag, type);
	put32(tag + 4, 8 + body_len);
	mb2_at = ALIGN_UP(tag + 8 + body_len, 8);
	return tag + 8;
}

static void mb2_string_tag(u32 type, const char *s)
{
	u64 body = mb2_tag(type, (u32)strlen(s) + 1);

	memcpy(&mem[body], s, strlen(s) + 1);
}

static void mb2_module(u32 start, u32 end, const char *cmd)
{
	u64 body = mb2_tag(3, 8 + (u32)strlen(cmd) + 1);

	put32(body, start);
	put32(body + 4, end);
	memcpy(&mem[body + 8], cmd, strlen(cmd) + 1);
}

static u64 mb2_mmap(u32 entry_size, unsigned int n)
{
	u64 body = mb2_tag(6, 8 + entry_size * n);

	put32(body, entry_size);
	put32(body + 4, 0);
	return body + 8;
}

static void mb2_mmap_entry(u64 entries, u32 entry_size, unsigned int i, u64 addr, u64 len,
			   u32 type)
{
	put64(entries + i * entry_size, addr);
	put64(entries + i * entry_size + 8, len);
	put32(entries + i * entry_size + 16, type);
	put32(entries + i * entry_size + 20, 0);
}

static void mb2_end(void)
{
	mb2_tag(0, 0);
	put32(0, (u32)mb2_at);
	put32(4, 0);
}

static void mb2_everything(void)
{
	u64 e, rsdp_new, rsdp_old;

	mb2_begin();
	mb2_string_tag(1, "console=com2 loglvl=4");
	mb2_string_tag(2, "GRUB 2.06");
	mb2_module(0x4000000, 0x4800000, "vmlinux");
	mb2_module(0x4800000, 0x5000000, "initrd.img extra=1");
	mb2_tag(4, 8);                     /* basic meminfo: ignored */
	mb2_tag(5, 12);                    /* boot device: ignored */
	e = mb2_mmap(24, 3);
	mb2_mmap_entry(e, 24, 0, 0x0, 0x9fc00, 1);
	mb2_mmap_entry(e, 24, 1, 0x100000, 0x7ff00000, 1);
	mb2_mmap_entry(e, 24, 2, 0x7ff00000, 0x100000, 4);
	rsdp_new = mb2_tag(15, 36);
	memcpy(&mem[rsdp_new], "RSD PTR ", 8);
	rsdp_old = mb2_tag(14, 20);        /* an older copy after the new one */
	memcpy(&mem[rsdp_old], "RSD PTR ", 8);
	mb2_tag(21, 4);                    /* load base address: ignored */
	mb2_end();
	mb2_string_tag(1, "after the end tag");

	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_STR(bi.loader, "Multiboot2");
	CHECK_STR(bi.loader_name, "GRUB 2.06");
	CHECK_STR(bi.cmdline, "console=com2 loglvl=4");
	CHECK_EQ(bi.nr_mods, 2);
	CHECK_EQ(bi.mods[0].start, 0x4000000);
	CHECK_EQ(bi.mods[0].end, 0x4800000);
	CHECK_STR(bi.mods[0].cmdline, "vmlinux");
	CHECK_STR(bi.mods[1].cmdline, "initrd.img extra=1");
	REQUIRE_EQ(bi.nr_mem, 3);
	CHECK_EQ(bi.mem[1].base, 0x100000);
	CHECK_EQ(bi.mem[1].size, 0x7ff00000);
	CHECK_EQ(bi.mem[2].type, MEM_ACPI_NVS);
	CHECK_EQ(bi.rsdp, BASE + rsdp_new);
	CHECK_EQ(bi.info_start, BASE);
	CHECK_EQ(bi.info_end, BASE + mb2_at - 32); /* total_size covers up to the end tag */
}

static void mb2_acpi_choice(void)
{
	u64 old;

	mb2_begin();
	old = mb2_tag(14, 20);
	mb2_end();
	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_EQ(bi.rsdp, BASE + old);

	/* A tag too short to hold an RSDP is no RSDP. */
	mb2_begin();
	mb2_tag(14, 8);
	mb2_tag(15, 20);
	mb2_end();
	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_EQ(bi.rsdp, 0);
}

static void mb2_mmap_variants(void)
{
	u64 e;

	/* Bigger entries (a newer loader): strided by entry_size. */
	mb2_begin();
	e = mb2_mmap(40, 2);
	mb2_mmap_entry(e, 40, 0, 0x0, 0x1000, 1);
	mb2_mmap_entry(e, 40, 1, 0x1000, 0x1000, 7);
	mb2_end();
	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	REQUIRE_EQ(bi.nr_mem, 2);
	CHECK_EQ(bi.mem[1].base, 0x1000);
	CHECK_EQ(bi.mem[1].type, MEM_RESERVED);

	/* Entries smaller than the specification's are malformed. */
	mb2_begin();
	mb2_mmap(16, 2);
	mb2_end();
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);

	/* A tag too short for its own header. */
	mb2_begin();
	mb2_tag(6, 4);
	mb2_end();
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);

	/* An absurd entry size must not make the parser read past the tag. */
	mb2_begin();
	e = mb2_mmap(24, 0);
	put32(e - 8, 0xfffffffc);
	mb2_end();
	CHECK_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_EQ(bi.nr_mem, 0);

	/* A partial trailing entry is ignored. */
	mb2_begin();
	e = mb2_mmap(24, 2);
	mb2_mmap_entry(e, 24, 0, 0x0, 0x1000, 1);
	put32(e - 16 + 4, 8 + 8 + 24 + 20); /* the tag's size now cuts the second entry */
	mb2_end();
	CHECK_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_EQ(bi.nr_mem, 1);
}

static void mb2_strings_and_modules(void)
{
	char big[2000];
	u64 body;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mb2_begin();
	mb2_string_tag(1, big);
	mb2_string_tag(2, big);
	mb2_module(1, 2, big);
	body = mb2_tag(1, 3); /* no terminating NUL: ends with the tag */
	memcpy(&mem[body], "abc", 3);
	mb2_end();
	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_STR(bi.cmdline, "abc"); /* a later tag wins */
	CHECK_EQ(strlen(bi.loader_name), sizeof(bi.loader_name) - 1);
	CHECK_EQ(strlen(bi.mods[0].cmdline), sizeof(bi.mods[0].cmdline) - 1);

	/* Modules: an unterminated command line, and more than fit. */
	mb2_begin();
	body = mb2_tag(3, 8 + 4);
	put32(body, 0x1000);
	put32(body + 4, 0x2000);
	memcpy(&mem[body + 8], "abcd", 4);
	for (unsigned int i = 0; i < BOOT_MAX_MODULES + 3; i++)
		mb2_module(0x10000 * i, 0x10000 * i + 1, "m");
	mb2_end();
	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_STR(bi.mods[0].cmdline, "abcd");
	CHECK_EQ(bi.nr_mods, BOOT_MAX_MODULES);
	CHECK_EQ(bi.mods_dropped, 4);

	/* A module tag too short for its addresses. */
	mb2_begin();
	mb2_tag(3, 4);
	mb2_end();
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);
}

static void mb2_malformed(void)
{
	/* total_size smaller than a header and an end tag. */
	mb2_begin();
	mb2_end();
	put32(0, 8);
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);

	/* A tag that runs past total_size. */
	mb2_begin();
	mb2_string_tag(1, "hello");
	mb2_end();
	put32(0, 16);
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);

	/* No end tag: parsing stops at total_size. */
	mb2_begin();
	mb2_string_tag(1, "no end");
	put32(0, (u32)mb2_at);
	REQUIRE_EQ(parse(MB2_MAGIC, BASE), 0);
	CHECK_STR(bi.cmdline, "no end");

	/* A tag header with a zero size would loop forever if accepted. */
	mb2_begin();
	put32(8, 1);
	put32(12, 0);
	put32(0, 64);
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);

	/* total_size larger than readable memory: the first unreadable tag fails. */
	mb2_begin();
	mb2_string_tag(1, "x");
	mb2_end();
	put32(0, 0xfffffff0);
	for (u64 off = mb2_at - 8; off + 8 <= SIZE; off += 8) {
		put32(off, 77); /* unknown tags up to the end of readable memory */
		put32(off + 4, 8);
	}
	CHECK_EQ(parse(MB2_MAGIC, BASE), -EINVAL);
	CHECK(reads < 100000);

	/* The header itself unreadable. */
	CHECK_EQ(parse(MB2_MAGIC, BASE + SIZE - 4), -EINVAL);
}

int main(void)
{
	RUN(mb1_everything);
	RUN(mb1_minimal);
	RUN(mb1_mmap_variants);
	RUN(mb1_malformed_mmap);
	RUN(mb1_modules);
	RUN(mb1_strings);
	RUN(bad_magic_and_unreadable_info);
	RUN(mb2_everything);
	RUN(mb2_acpi_choice);
	RUN(mb2_mmap_variants);
	RUN(mb2_strings_and_modules);
	RUN(mb2_malformed);
	return check_done();
}
