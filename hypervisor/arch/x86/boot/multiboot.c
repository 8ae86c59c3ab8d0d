/*
 * Multiboot1 and Multiboot2 information parsing. Reads only through the
 * supplied reader, so the host unit tests can feed it fabricated data.
 */
#include <mica/bootinfo.h>
#include <mica/errno.h>
#include <mica/lib.h>

#define MB1_BOOT_MAGIC 0x2badb002
#define MB2_BOOT_MAGIC 0x36d76289

#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER (1u << 9)

struct mb1_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
} __packed;

struct mb1_module {
	u32 start, end, string, reserved;
} __packed;

struct mb1_mmap {
	u32 size; /* of the rest of the entry */
	u64 addr, len;
	u32 type;
} __packed;

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MMAP = 6,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
};

struct mb2_tag {
	u32 type, size;
} __packed;

/* Copies a NUL-terminated string of at most max-1 bytes from physical memory. */
static void copy_string(phys_reader_fn read, paddr_t pa, char *dst, size_t max)
{
	size_t n = 0;

	dst[0] = '\0';
	if (!pa)
		return;
	while (n + 1 < max) {
		const char *c = read(pa + n, 1);

		if (!c || !*c)
			break;
		dst[n++] = *c;
	}
	dst[n] = '\0';
}

/* Copies len bytes of a tag's string into dst[size], cut to fit and NUL-terminated. */
static void copy_field(char *dst, size_t size, const u8 *src, size_t len)
{
	len = MIN(len, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void add_region(struct boot_info *bi, u64 base, u64 len, u32 type)
{
	if (!len || bi->nr_mem >= BOOT_MAX_REGIONS)
		return;
	if (type < MEM_USABLE || type > MEM_BAD)
		type = MEM_RESERVED;
	bi->mem[bi->nr_mem++] = (struct mem_region){ base, len, type };
}

static void add_module(struct boot_info *bi, paddr_t start, paddr_t end, const char *cmdline)
{
	struct boot_module *m;

	if (bi->nr_mods >= BOOT_MAX_MODULES) {
		bi->mods_dropped++;
		return;
	}
	m = &bi->mods[bi->nr_mods++];
	m->start = start;
	m->end = end > start ? end : start;
	strlcpy(m->cmdline, cmdline, sizeof(m->cmdline));
}

static int parse_mb1(paddr_t info, phys_reader_fn read, struct boot_info *bi)
{
	const struct mb1_info *mi = read(info, sizeof(*mi));

	if (!mi)
		return -EINVAL;
	bi->loader = "Multiboot1";
	bi->info_start = info;
	bi->info_end = info + sizeof(*mi);
	if (mi->flags & MB1_INFO_CMDLINE)
		copy_string(read, mi->cmdline, bi->cmdline, sizeof(bi->cmdline));
	if (mi->flags & MB1_INFO_LOADER)
		copy_string(read, mi->boot_loader_name, bi->loader_name, sizeof(bi->loader_name));

	if (mi->flags & MB1_INFO_MMAP) {
		paddr_t p = mi->mmap_addr, end = (paddr_t)mi->mmap_addr + mi->mmap_length;

		while (p + sizeof(struct mb1_mmap) <= end) {
			const struct mb1_mmap *e = read(p, sizeof(*e));

			if (!e || e->size < 20)
				return -EINVAL;
			add_region(bi, e->addr, e->len, e->type);
			p += (paddr_t)e->size + 4; /* in 64 bits: a huge size must not wrap to 0 */
		}
	} else if (mi->flags & MB1_INFO_MEM) {
		add_region(bi, 0, (u64)mi->mem_lower << 10, MEM_USABLE);
		add_region(bi, MiB(1), (u64)mi->mem_upper << 10, MEM_USABLE);
	}

	if (mi->flags & MB1_INFO_MODS) {
		for (u32 i = 0; i < mi->mods_count; i++) {
			const struct mb1_module *m = read(mi->mods_addr + (paddr_t)i * sizeof(*m),
							  sizeof(*m));
			char cmd[256];

			if (bi->nr_mods >= BOOT_MAX_MODULES) {
				/* Count the rest without reading them: the count may be wild. */
				bi->mods_dropped += mi->mods_count - i;
				break;
			}
			if (!m)
				return -EINVAL;
			copy_string(read, m->string, cmd, sizeof(cmd));
			add_module(bi, m->start, m->end, cmd);
		}
	}
	return 0;
}

static int parse_mb2(paddr_t info, phys_reader_fn read, struct boot_info *bi)
{
	const u32 *hdr = read(info, 8); /* total size, reserved */
	paddr_t p, end;

	if (!hdr || hdr[0] < 16)
		return -EINVAL;
	end = info + hdr[0];
	bi->loader = "Multiboot2";
	bi->info_start = info;
	bi->info_end = end;

	for (p = info + 8; p + sizeof(struct mb2_tag) <= end;) {
		const struct mb2_tag *t = read(p, sizeof(*t));
		const u8 *body;
		u32 blen;

		if (!t || t->size < 8 || p + t->size > end)
			return -EINVAL;
		if (t->type == MB2_TAG_END)
			break;
		blen = t->size - 8;
		body = read(p + 8, blen);
		if (!body && blen)
			return -EINVAL;
		switch (t->type) {
		case MB2_TAG_CMDLINE:
			copy_field(bi->cmdline, sizeof(bi->cmdline), body, blen);
			break;
		case MB2_TAG_LOADER:
			copy_field(bi->loader_name, sizeof(bi->loader_name), body, blen);
			break;
		case MB2_TAG_MODULE: {
			char cmd[256];
			u32 start, mend;

			if (blen < 8)
				return -EINVAL;
			memcpy(&start, body, 4);
			memcpy(&mend, body + 4, 4);
			copy_field(cmd, sizeof(cmd), body + 8, blen - 8);
			add_module(bi, start, mend, cmd);
			break;
		}
		case MB2_TAG_MMAP: {
			u32 esize, off;

			if (blen < 8)
				return -EINVAL;
			memcpy(&esize, body, 4);
			if (esize < 24)
				return -EINVAL;
			/* Not off + esize <= blen: that can wrap. */
			for (off = 8; esize <= blen - off; off += esize) {
				u64 base, len;
				u32 type;

				memcpy(&base, body + off, 8);
				memcpy(&len, body + off + 8, 8);
				memcpy(&type, body + off + 16, 4);
				add_region(bi, base, len, type);
			}
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/*
			 * The tag holds a copy of the RSDP (20 bytes for ACPI 1.0,
			 * 36 for 2.0); prefer the ACPI 2.0 one; ignore a short tag.
			 */
			if (blen < (t->type == MB2_TAG_ACPI_NEW ? 36u : 20u))
				break;
			if (!bi->rsdp || t->type == MB2_TAG_ACPI_NEW)
				bi->rsdp = p + 8;
			break;
		default:
			break;
		}
		p += ALIGN_UP((paddr_t)t->size, 8);
	}
	return 0;
}

int multiboot_parse(u32 magic, paddr_t info, phys_reader_fn read, struct boot_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	if (magic == MB1_BOOT_MAGIC)
		return parse_mb1(info, read, bi);
	if (magic == MB2_BOOT_MAGIC)
		return parse_mb2(info, read, bi);
	return -EINVAL;
}
