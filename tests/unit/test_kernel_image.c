/* Unit tests for Xen ELF notes, the ELF64 load plan and the loader. */
/* unit-sources: hypervisor/common/kernel_image/elf_xen.c hypervisor/common/kernel_image/xen_notes.c */
/* unit-sources: hypervisor/common/kernel_image/report.c */
/* unit-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include "kimg_fab.h"

#include <mica/errno.h>
#include <mica/kernel_image.h>

static struct xen_elf_info info;
static struct kimg_err err;

static unsigned char img[FAB_MAX];

/* The Linux notes with one replaced (or dropped when size is ~0u) or one added. */
static size_t fab_with(uint32_t type, const void *desc, uint32_t size, bool add)
{
	struct nspec n[NR_LINUX_NOTES + 1];
	size_t nr = 0;

	for (size_t i = 0; i < NR_LINUX_NOTES; i++) {
		n[nr] = linux_notes[i];
		if (!add && !strcmp(n[nr].owner, "Xen") && n[nr].type == type) {
			if (size == ~0u)
				continue;
			n[nr].desc = desc;
			n[nr].size = size;
		}
		nr++;
	}
	if (add)
		n[nr++] = (struct nspec){ "Xen", type, desc, size };
	return fab_elf(img, n, nr, 0);
}

static int parse(size_t size)
{
	err.msg[0] = '\0';
	return xen_elf_parse(img, size, &info, &err);
}

/* ---- ELF and notes -------------------------------------------------------- */

static void test_elf_linux_like(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0);

	REQUIRE_OK(parse(size), "linux-like image");
	CHECK_EQ(info.entry, ENTRY);
	CHECK_EQ(info.virt_base, VIRT_BASE);
	CHECK_EQ(info.paddr_offset, 0);
	CHECK_EQ(info.init_p2m, 0x8000000000ull);
	CHECK_EQ(info.suspend_cancel, 1);
	CHECK_EQ(info.mod_start_pfn, 1);
	CHECK_EQ(info.supported_features, 0x8801);
	CHECK_EQ(info.hypercall_page, 0);
	CHECK(!(info.notes & (1ull << XEN_ELFNOTE_HYPERCALL_PAGE)));
	CHECK_EQ(info.notes, (1ull << 19) - 2 - (1ull << XEN_ELFNOTE_HYPERCALL_PAGE) -
				     (1ull << XEN_ELFNOTE_BSD_SYMTAB));
	CHECK_STR(info.xen_version, "xen-3.0");
	CHECK_STR(info.guest_os, "linux");
	CHECK_STR(info.guest_version, "2.6");
	CHECK_STR(info.loader, "generic");
	CHECK_STR(info.features, FEATURES);
	CHECK_EQ(info.features_wanted, (1u << 0) | (1u << 4));
	CHECK_EQ(info.features_required, 1u << 0);

	REQUIRE_EQ(info.nr_segments, 4);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(info.seg[i].paddr, fab_segs[i].paddr);
		CHECK_EQ(info.seg[i].vaddr, VIRT_BASE + fab_segs[i].paddr);
		CHECK_EQ(info.seg[i].offset, fab_segs[i].off);
		CHECK_EQ(info.seg[i].filesz, fab_segs[i].filesz);
		CHECK_EQ(info.seg[i].memsz, fab_segs[i].memsz);
		CHECK_EQ(info.seg[i].flags, fab_segs[i].flags);
	}
	CHECK_EQ(info.virt_kstart, 0xffffffff81000000ull);
	CHECK_EQ(info.virt_kend, 0xffffffff81205000ull);
	CHECK_EQ(info.paddr_start, 0x1000000);
	CHECK_EQ(info.paddr_end, 0x1205000);

	/* Program headers in any order give the same sorted plan. */
	{
		struct xen_elf_info sorted = info;

		size = fab_elf(img, linux_notes, NR_LINUX_NOTES, FAB_REVERSED);
		CHECK_EQ(parse(size), 0);
		CHECK(!memcmp(&sorted, &info, sizeof(info)));
	}
}

struct load_log {
	unsigned char *mem; /* guest pseudo-physical [GUEST_BASE, + GUEST_SIZE) */
	unsigned int calls;
	unsigned int fail_at; /* return -ENOSPC on this call (1-based), 0: never */
	uint64_t vaddr_of_percpu;
};

static int load_cb(void *ctx, u64 paddr, u64 vaddr, const void *src, u64 len)
{
	struct load_log *l = ctx;

	l->calls++;
	if (l->fail_at == l->calls)
		return -ENOSPC;
	CHECK_MSG(paddr >= GUEST_BASE && len <= GUEST_SIZE - (paddr - GUEST_BASE),
		  "write [%#llx, +%#llx) outside the guest", (unsigned long long)paddr,
		  (unsigned long long)len);
	CHECK_EQ(vaddr, VIRT_BASE + paddr);
	if (paddr == 0x1201000)
		l->vaddr_of_percpu = vaddr;
	if (src)
		memcpy(l->mem + (paddr - GUEST_BASE), src, len);
	else
		memset(l->mem + (paddr - GUEST_BASE), 0, len);
	return 0;
}

static void test_elf_load(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, FAB_REVERSED);
	struct load_log log = { .mem = malloc(GUEST_SIZE) };

	REQUIRE(log.mem);
	REQUIRE_EQ(parse(size), 0);
	memset(log.mem, 0xaa, GUEST_SIZE);
	CHECK_EQ(xen_elf_load(img, size, &info, load_cb, &log, &err), 0);
	CHECK_EQ(log.calls, 5); /* four segments, one with a zeroed tail */
	CHECK_EQ(log.vaddr_of_percpu, 0xffffffff81201000ull);
	for (unsigned int s = 0; s < 4; s++) {
		const unsigned char *m = log.mem + (fab_segs[s].paddr - GUEST_BASE);

		for (uint64_t i = 0; i < fab_segs[s].memsz; i++) {
			unsigned char want = i < fab_segs[s].filesz ? img[fab_segs[s].off + i] : 0;

			if (m[i] != want) {
				CHECK_MSG(0, "segment %u byte %#llx is %#x, not %#x", s,
					  (unsigned long long)i, m[i], want);
				break;
			}
		}
	}
	/* The gap between the text and data segments is not touched. */
	CHECK_EQ(log.mem[0x2000], 0xaa);
	CHECK_EQ(log.mem[0x1fffff], 0xaa);

	/* A failing write stops the load and its error comes back. */
	log.calls = 0;
	log.fail_at = 2;
	CHECK_EQ(xen_elf_load(img, size, &info, load_cb, &log, &err), -ENOSPC);
	CHECK_EQ(log.calls, 2);
	CHECK(strstr(err.msg, "segment") != NULL);

	/* A plan that does not fit the image is refused. */
	CHECK_EQ(xen_elf_load(img, 0x5800, &info, load_cb, &log, &err), -EINVAL);
	free(log.mem);
}

static void test_elf_truncated(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0);
	unsigned char *copy = malloc(size);

	for (size_t n = 0; n < size; n++) {
		int ret;

		/* A fresh allocation of exactly n bytes, so ASan sees any read past it. */
		unsigned char *cut = malloc(n ? n : 1);

		memcpy(cut, img, n);
		err.msg[0] = '\0';
		ret = xen_elf_parse(cut, n, &info, &err);
		CHECK_MSG(ret < 0, "truncated to %zu bytes: accepted", n);
		CHECK_MSG(err.msg[0], "truncated to %zu bytes: no reason", n);
		free(cut);
	}
	free(copy);
}

static void test_elf_note_bounds(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0);
	unsigned char *ph_note = img + 64 + 56 * 4;
	uint64_t notes_len = 0;

	memcpy(&notes_len, ph_note + 32, 8);
	/* The last note's descsz runs past the PT_NOTE's end. */
	{
		unsigned char save[FAB_MAX];
		size_t last = FAB_NOTES_OFF;

		memcpy(save, img, size);
		for (size_t i = 0; i + 1 < NR_LINUX_NOTES; i++)
			last += put_note(img + FAB_NOTES_OFF + (last - FAB_NOTES_OFF), &linux_notes[i]);
		put32(img + last + 4, 9); /* 8-byte desc claims 9 */
		CHECK_EQ(parse(size), -EINVAL);
		CHECK(strstr(err.msg, "crosses the end") != NULL);
		put32(img + last + 4, 0xfffffff0u);
		CHECK_EQ(parse(size), -EINVAL);
		put32(img + last + 4, 8);
		put32(img + last, 0xffffffffu); /* namesz */
		CHECK_EQ(parse(size), -EINVAL);
		memcpy(img, save, size);
	}
	/* A PT_NOTE shorter than its notes cuts the last one. */
	put64(ph_note + 32, notes_len - 4);
	CHECK_EQ(parse(size), -EINVAL);
	/* A PT_NOTE past the end of the file. */
	put64(ph_note + 32, notes_len);
	put64(ph_note + 8, size - 8);
	CHECK_EQ(parse(size), -EINVAL);
	put64(ph_note + 8, UINT64_MAX - 4);
	CHECK_EQ(parse(size), -EINVAL);
	/* A final note without its padding is fine. */
	{
		struct nspec n[] = { linux_notes[1], linux_notes[3], linux_notes[4], linux_notes[6],
				     linux_notes[7] };

		size = fab_elf(img, n, 5, 0);
		memcpy(&notes_len, ph_note + 32, 8);
		put64(ph_note + 32, notes_len - 3); /* FEATURES is 41 bytes padded to 44 */
		CHECK_EQ(parse(size), 0);
		CHECK_STR(info.features, FEATURES);
	}
}

static void test_elf_note_repeats(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, FAB_TWO_PT_NOTES);

	/* Two PT_NOTEs over the same notes: every note seen twice, identical. */
	CHECK_EQ(parse(size), 0);
	CHECK_EQ(info.entry, ENTRY);
	/* The same note twice in one area is fine, two different values are not. */
	fab_with(XEN_ELFNOTE_ENTRY, U64(ENTRY), true);
	CHECK_EQ(parse(FAB_SIZE), 0);
	fab_with(XEN_ELFNOTE_ENTRY, U64(ENTRY + 16), true);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	CHECK_STR(err.msg, "two different Xen ENTRY notes (type 1)");
	fab_with(XEN_ELFNOTE_GUEST_OS, STR("linux2"), true);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	/* Unknown Xen note types are ignored. */
	fab_with(40, U32(7), true);
	CHECK_EQ(parse(FAB_SIZE), 0);
	fab_with(1000, U32(7), true);
	CHECK_EQ(parse(FAB_SIZE), 0);
}

static void test_elf_features(void)
{
	/* Without a NUL (as Linux emits it): parsed by descsz. */
	fab_with(XEN_ELFNOTE_FEATURES, FEATURES, sizeof(FEATURES) - 1, false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.features_wanted, 0x11);
	CHECK_EQ(info.features_required, 0x1);
	/* A NUL ends it; what follows is ignored. */
	fab_with(XEN_ELFNOTE_FEATURES, "dom0\0!bogus", 11, false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.features_wanted, 1u << 11);
	CHECK_STR(info.features, "dom0");
	/* Empty items, unknown optional names, descsz cutting a name short. */
	fab_with(XEN_ELFNOTE_FEATURES, "||future_thing|!dom0||writable_page_tablesXYZ", 42, false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.features_wanted, (1u << 11) | 1u);
	CHECK_EQ(info.features_required, 1u << 11);
	/* An unknown required feature is refused with its name. */
	fab_with(XEN_ELFNOTE_FEATURES, "!future_thing|dom0", 18, false);
	CHECK_EQ(parse(FAB_SIZE), -EOPNOTSUPP);
	CHECK_STR(err.msg, "kernel requires the unknown Xen feature \"future_thing\"");
	/* A known feature Mica cannot provide, required: refused by name; optional: fine. */
	fab_with(XEN_ELFNOTE_FEATURES, "dom0|!auto_translated_physmap", 29, false);
	CHECK_EQ(parse(FAB_SIZE), -EOPNOTSUPP);
	CHECK_STR(err.msg, "kernel requires the Xen feature \"auto_translated_physmap\", which "
			   "Mica does not provide to PV guests");
	fab_with(XEN_ELFNOTE_FEATURES, "auto_translated_physmap|!writable_page_tables", 45, false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.features_required, 1u);
	/* A lone '!' names nothing known: refused, and the name shows empty. */
	fab_with(XEN_ELFNOTE_FEATURES, "!", 1, false);
	CHECK_EQ(parse(FAB_SIZE), -EOPNOTSUPP);
	/* Long and unprintable strings are cut and made printable for display. */
	{
		char longf[600];

		memset(longf, '|', sizeof(longf));
		memcpy(longf + 500, "dom0\x01", 5);
		fab_with(XEN_ELFNOTE_FEATURES, longf, sizeof(longf), false);
		CHECK_EQ(parse(FAB_SIZE), 0);
		CHECK_EQ(strlen(info.features), XEN_ELF_FEATURES_LEN - 1);
		CHECK_EQ(info.features_wanted, 0);
		fab_with(XEN_ELFNOTE_GUEST_VERSION, "2.6\x1b[31m", 8, false);
		CHECK_EQ(parse(FAB_SIZE), 0);
		CHECK_STR(info.guest_version, "2.6?[31m");
	}
}

static void test_elf_32bit_refused(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0);

	img[4] = 1; /* ELFCLASS32 */
	CHECK_EQ(parse(size), -EOPNOTSUPP);
	CHECK_STR(err.msg, "32-bit guest kernels are not supported; use a 64-bit kernel");
	/* Even a tiny 32-bit header is recognized as such. */
	CHECK_EQ(parse(6), -EOPNOTSUPP);
	img[4] = 2;
	put16(img + 18, 3); /* EM_386 */
	CHECK_EQ(parse(size), -EOPNOTSUPP);
	CHECK_STR(err.msg, "32-bit guest kernels are not supported; use a 64-bit kernel");
	put16(img + 18, 183); /* EM_AARCH64 */
	CHECK_EQ(parse(size), -EOPNOTSUPP);
	CHECK(strstr(err.msg, "not x86-64") != NULL);
}

static void test_elf_not_xen(void)
{
	struct nspec n[] = { linux_notes[0], linux_notes[16] }; /* GNU and Linux notes only */
	size_t size = fab_elf(img, n, 2, 0);

	CHECK_EQ(parse(size), -EOPNOTSUPP);
	CHECK_STR(err.msg, "not a Xen PV kernel: no Xen ELF notes; build it with CONFIG_XEN_PV");
	size = fab_elf(img, n, 0, 0);
	CHECK_EQ(parse(size), -EOPNOTSUPP);
	CHECK_STR(err.msg, "not a Xen PV kernel: no Xen ELF notes; build it with CONFIG_XEN_PV");
}

static void test_elf_notes_in_sections(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, FAB_NO_PT_NOTE);

	CHECK_EQ(parse(size), 0);
	CHECK_EQ(info.entry, ENTRY);
	CHECK_STR(info.features, FEATURES);
	/* A section table outside the file. */
	put64(img + 40, size - 64);
	CHECK_EQ(parse(size), -EINVAL);
	put64(img + 40, FAB_SIZE);
	put64(img + FAB_SIZE + 64 + 32, 0x100000); /* .notes size */
	CHECK_EQ(parse(size), -EINVAL);
}

static void test_elf_note_checks(void)
{
	fab_with(XEN_ELFNOTE_XEN_VERSION, STR("xen-2.0"), false);
	CHECK_EQ(parse(FAB_SIZE), -EOPNOTSUPP);
	CHECK(strstr(err.msg, "xen-2.0") != NULL);
	fab_with(XEN_ELFNOTE_XEN_VERSION, "xen-3.0-extra", 13, false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	fab_with(XEN_ELFNOTE_XEN_VERSION, NULL, ~0u, false);
	CHECK_EQ(parse(FAB_SIZE), -EOPNOTSUPP);

	/* LOADER "generic" or GUEST_OS "linux" suffices. */
	fab_with(XEN_ELFNOTE_LOADER, STR("other"), false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	fab_with(XEN_ELFNOTE_GUEST_OS, STR("mini-os"), false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	{
		struct nspec n[NR_LINUX_NOTES];

		memcpy(n, linux_notes, sizeof(n));
		for (size_t i = 0; i < NR_LINUX_NOTES; i++) {
			if (n[i].type == XEN_ELFNOTE_GUEST_OS && !strcmp(n[i].owner, "Xen"))
				n[i].desc = "mini-os";
			if (n[i].type == XEN_ELFNOTE_LOADER && !strcmp(n[i].owner, "Xen"))
				n[i].desc = "elf\0\0\0\0";
		}
		fab_elf(img, n, NR_LINUX_NOTES, 0);
		CHECK_EQ(parse(FAB_SIZE), -EOPNOTSUPP);
		CHECK(strstr(err.msg, "LOADER \"elf\"") != NULL);
	}

	fab_with(XEN_ELFNOTE_ENTRY, NULL, ~0u, false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	CHECK(strstr(err.msg, "ENTRY") != NULL);
	fab_with(XEN_ELFNOTE_ENTRY, U64(0xffffffff81100000ull), false); /* in the gap */
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	fab_with(XEN_ELFNOTE_ENTRY, U64(0x1000000), false); /* physical, like e_entry */
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	fab_with(XEN_ELFNOTE_ENTRY, U32(0x81000000u), false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	fab_with(XEN_ELFNOTE_ENTRY, "\1\2\3", 3, false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	CHECK(strstr(err.msg, "not 1, 2, 4 or 8") != NULL);

	fab_with(XEN_ELFNOTE_SUSPEND_CANCEL, U64(1ull << 32), false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	fab_with(XEN_ELFNOTE_SUSPEND_CANCEL, "\1", 1, false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.suspend_cancel, 1);
	/* Notes no 64-bit PV builder uses are only recorded, whatever their size. */
	fab_with(XEN_ELFNOTE_L1_MFN_VALID, U32(1), false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK(info.notes & (1ull << XEN_ELFNOTE_L1_MFN_VALID));
	fab_with(XEN_ELFNOTE_HV_START_LOW, "\1\2\3", 3, false);
	CHECK_EQ(parse(FAB_SIZE), 0);

	/* HYPERCALL_PAGE (kernels up to 6.1.120): a whole page inside a segment. */
	fab_with(XEN_ELFNOTE_HYPERCALL_PAGE, U64(0xffffffff81001000ull), true);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.hypercall_page, 0xffffffff81001000ull);
	CHECK(info.notes & (1ull << XEN_ELFNOTE_HYPERCALL_PAGE));
	fab_with(XEN_ELFNOTE_HYPERCALL_PAGE, U64(0xffffffff81001800ull), true);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	fab_with(XEN_ELFNOTE_HYPERCALL_PAGE, U64(0xffffffff81201000ull), true); /* 2 KiB segment */
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	fab_with(XEN_ELFNOTE_HYPERCALL_PAGE, U64(0), true);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);

	/* PADDR_OFFSET moves every segment down; a p_paddr below it is refused. */
	fab_with(XEN_ELFNOTE_PADDR_OFFSET, U64(0x1000), false);
	CHECK_EQ(parse(FAB_SIZE), 0);
	CHECK_EQ(info.seg[0].paddr, 0xfff000);
	CHECK_EQ(info.seg[2].vaddr, 0xffffffff81200000ull);
	fab_with(XEN_ELFNOTE_PADDR_OFFSET, U64(0x1000001), false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	CHECK(strstr(err.msg, "below PADDR_OFFSET") != NULL);
	/* VIRT_BASE near the top: the virtual range would wrap. */
	fab_with(XEN_ELFNOTE_VIRT_BASE, U64(0xffffffffff000000ull), false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL);
	/* Without VIRT_BASE the virtual addresses are the pseudo-physical ones. */
	fab_with(XEN_ELFNOTE_VIRT_BASE, NULL, ~0u, false);
	CHECK_EQ(parse(FAB_SIZE), -EINVAL); /* ENTRY is then outside */
}

static void test_elf_bad_headers(void)
{
	size_t size;
	unsigned char *ph = img + 64;

#define FRESH() (size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0))
	FRESH();
	img[0] = 0x7e;
	CHECK_EQ(parse(size), -EINVAL);
	CHECK(strstr(err.msg, "not an ELF") != NULL);
	FRESH();
	img[5] = 2; /* big-endian */
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	img[4] = 3;
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	img[6] = 0;
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put16(img + 16, 3); /* ET_DYN */
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put16(img + 54, 64);
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put16(img + 56, 0);
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put16(img + 56, 0xffff);
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put64(img + 32, size - 100);
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put64(img + 32, UINT64_MAX - 8);
	CHECK_EQ(parse(size), -EINVAL);

	FRESH();
	put64(ph + 56 * 1 + 32, 0x1001); /* filesz > memsz */
	CHECK_EQ(parse(size), -EINVAL);
	CHECK(strstr(err.msg, "p_filesz") != NULL);
	FRESH();
	put64(ph + 56 * 3 + 32, 0x1001); /* past the end of the file */
	put64(ph + 56 * 3 + 40, 0x3000);
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put64(ph + 56 * 3 + 8, UINT64_MAX - 0x10); /* offset overflow */
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	put64(ph + 56 * 1 + 24, 0x1001000); /* overlaps the text segment */
	CHECK_EQ(parse(size), -EINVAL);
	CHECK(strstr(err.msg, "overlap") != NULL);
	FRESH();
	put64(ph + 56 * 3 + 24, UINT64_MAX - 0x1000); /* paddr + memsz overflows */
	CHECK_EQ(parse(size), -EINVAL);
	FRESH();
	for (unsigned int i = 0; i < 4; i++)
		put32(ph + 56 * i, 6); /* PT_PHDR: no PT_LOAD left */
	CHECK_EQ(parse(size), -EINVAL);
	CHECK(strstr(err.msg, "no PT_LOAD") != NULL);
	FRESH();
	put64(ph + 56 * 1 + 40, 0); /* an empty PT_LOAD is skipped */
	put64(ph + 56 * 1 + 32, 0);
	CHECK_EQ(parse(size), 0);
	CHECK_EQ(info.nr_segments, 3);

	/* More PT_LOADs than XEN_ELF_MAX_SEGMENTS (after the PT_NOTE, kept first). */
	FRESH();
	{
		uint64_t notes_len;

		memcpy(&notes_len, ph + 56 * 4 + 32, 8);
		put16(img + 56, XEN_ELF_MAX_SEGMENTS + 2);
		put_phdr(img, 0, 4, 4, FAB_NOTES_OFF, 0, 0, notes_len, notes_len, 4);
		for (unsigned int i = 1; i < XEN_ELF_MAX_SEGMENTS + 2; i++)
			put_phdr(img, i, 1, 6, 0x1000 + i * 0x100, 0, 0x1000000 + i * 0x100, 0x100,
				 0x100, 8);
		CHECK_EQ(parse(size), -E2BIG);
		put16(img + 56, XEN_ELF_MAX_SEGMENTS + 1);
		CHECK_EQ(parse(size), -EINVAL); /* 16 are fine; then ENTRY is outside them */
		CHECK(strstr(err.msg, "ENTRY") != NULL);
	}
#undef FRESH
}

/* Random damage to a good image never crashes and always explains a refusal. */
static void test_elf_mutations(void)
{
	static unsigned char good[FAB_MAX];
	size_t size = fab_elf(good, linux_notes, NR_LINUX_NOTES, 0);
	uint64_t s = 2024;

	for (int round = 0; round < 30000; round++) {
		unsigned int n = 1 + rng_next(&s) % 6;
		int ret;

		memcpy(img, good, size);
		for (unsigned int k = 0; k < n; k++) {
			/* Mostly the headers and the notes, where the parser looks. */
			size_t at = rng_next(&s) % 2 ? rng_next(&s) % 0x200
						     : FAB_NOTES_OFF + rng_next(&s) % 0x200;

			img[at] = rng_next(&s) % 4 ? (unsigned char)rng_next(&s) : 0xff;
		}
		ret = parse(size);
		if (ret)
			CHECK_MSG(err.msg[0], "round %d: refused (%d) without a reason", round, ret);
	}
}

int main(void)
{
	RUN(test_elf_linux_like);
	RUN(test_elf_load);
	RUN(test_elf_truncated);
	RUN(test_elf_note_bounds);
	RUN(test_elf_note_repeats);
	RUN(test_elf_features);
	RUN(test_elf_32bit_refused);
	RUN(test_elf_not_xen);
	RUN(test_elf_notes_in_sections);
	RUN(test_elf_note_checks);
	RUN(test_elf_bad_headers);
	RUN(test_elf_mutations);
	return check_done();
}
