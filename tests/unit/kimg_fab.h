/* Fabricated Xen PV ELF images for the kernel-image tests: Linux's layout and notes, scaled down. */
#ifndef UNIT_KIMG_FAB_H
#define UNIT_KIMG_FAB_H

#include "kimg_util.h"

#include <mica/kernel_image.h>

static inline void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

struct nspec {
	const char *owner;
	uint32_t type;
	const void *desc;
	uint32_t size;
};

#define U64(v) (const void *)&(const uint64_t){ v }, 8
#define U32(v) (const void *)&(const uint32_t){ v }, 4
#define STR(s) s, sizeof(s) /* with its NUL, as Linux's .asciz */

#define VIRT_BASE 0xffffffff80000000ull
#define ENTRY 0xffffffff812021c0ull
#define FEATURES "!writable_page_tables|pae_pgdir_above_4gb"

/* The notes of section 5.4 of the PV ABI notes, as Linux 6.1 emits them (little-endian host). */
static const struct nspec linux_notes[] = {
	{ "GNU", 3, "0123456789abcdef0123", 20 },
	{ "Xen", XEN_ELFNOTE_GUEST_OS, STR("linux") },
	{ "Xen", XEN_ELFNOTE_GUEST_VERSION, STR("2.6") },
	{ "Xen", XEN_ELFNOTE_XEN_VERSION, STR("xen-3.0") },
	{ "Xen", XEN_ELFNOTE_VIRT_BASE, U64(VIRT_BASE) },
	{ "Xen", XEN_ELFNOTE_INIT_P2M, U64(0x8000000000ull) },
	{ "Xen", XEN_ELFNOTE_ENTRY, U64(ENTRY) },
	{ "Xen", XEN_ELFNOTE_FEATURES, FEATURES, sizeof(FEATURES) - 1 },
	{ "Xen", XEN_ELFNOTE_SUPPORTED_FEATURES, U32(0x8801) },
	{ "Xen", XEN_ELFNOTE_PAE_MODE, STR("yes") },
	{ "Xen", XEN_ELFNOTE_L1_MFN_VALID, (const uint64_t[]){ 1, 1 }, 16 },
	{ "Xen", XEN_ELFNOTE_SUSPEND_CANCEL, U32(1) },
	{ "Xen", XEN_ELFNOTE_MOD_START_PFN, U32(1) },
	{ "Xen", XEN_ELFNOTE_HV_START_LOW, U64(0xffff800000000000ull) },
	{ "Xen", XEN_ELFNOTE_PADDR_OFFSET, U64(0) },
	{ "Xen", XEN_ELFNOTE_LOADER, STR("generic") },
	{ "Linux", 6, "\x01\0\0\0", 4 },
	{ "Xen", XEN_ELFNOTE_PHYS32_ENTRY, U64(0x1000850) },
};
#define NR_LINUX_NOTES (sizeof(linux_notes) / sizeof(linux_notes[0]))

enum {
	FAB_NO_PT_NOTE = 1,   /* notes only in an SHT_NOTE section */
	FAB_TWO_PT_NOTES = 2, /* a second PT_NOTE over the same notes */
	FAB_REVERSED = 4,     /* PT_LOAD headers in reverse paddr order */
};

/* A Linux-like layout, scaled down: four PT_LOADs, the third with p_vaddr 0. */
static const struct {
	uint64_t off, vaddr, paddr, filesz, memsz;
	uint32_t flags;
} fab_segs[4] = {
	{ 0x1000, 0xffffffff81000000ull, 0x1000000, 0x2000, 0x2000, 5 },
	{ 0x3000, 0xffffffff81200000ull, 0x1200000, 0x1000, 0x1000, 6 },
	{ 0x4000, 0, 0x1201000, 0x800, 0x800, 6 },
	{ 0x5000, 0xffffffff81202000ull, 0x1202000, 0x1000, 0x3000, 7 },
};
#define FAB_NOTES_OFF 0x1800 /* inside the text segment, as Linux's .notes */
#define FAB_SIZE 0x6000
#define FAB_MAX (FAB_SIZE + 0x200)
#define GUEST_BASE 0x1000000ull
#define GUEST_SIZE 0x206000ull

static inline unsigned char fab_byte(uint64_t off)
{
	return (unsigned char)(off * 7 + (off >> 8));
}

static inline void put_phdr(unsigned char *img, unsigned int i, uint32_t type, uint32_t flags,
		     uint64_t off, uint64_t vaddr, uint64_t paddr, uint64_t filesz, uint64_t memsz,
		     uint64_t align)
{
	unsigned char *h = img + 64 + 56 * i;

	put32(h, type);
	put32(h + 4, flags);
	put64(h + 8, off);
	put64(h + 16, vaddr);
	put64(h + 24, paddr);
	put64(h + 32, filesz);
	put64(h + 40, memsz);
	put64(h + 48, align);
}

/* Writes one note record (4-byte aligned) at p; returns its size. */
static inline size_t put_note(unsigned char *p, const struct nspec *n)
{
	uint32_t namesz = (uint32_t)strlen(n->owner) + 1;
	size_t d = 12 + ((namesz + 3) & ~3u);

	put32(p, namesz);
	put32(p + 4, n->size);
	put32(p + 8, n->type);
	memset(p + 12, 0, d - 12);
	memcpy(p + 12, n->owner, namesz);
	memset(p + d, 0, (n->size + 3) & ~3u);
	memcpy(p + d, n->desc, n->size);
	return d + ((n->size + 3) & ~3u);
}

/* Builds an image from notes[0..nr) and flags into img; returns its size. */
static inline size_t fab_elf(unsigned char *img, const struct nspec *notes, size_t nr, unsigned int flags)
{
	size_t notes_len = 0, size = FAB_SIZE;
	unsigned int ph = 0;

	memset(img, 0, FAB_MAX);
	for (size_t off = 0x1000; off < FAB_SIZE; off++)
		img[off] = fab_byte(off);
	memcpy(img, "\177ELF\2\1\1", 7);
	put16(img + 16, 2);  /* ET_EXEC */
	put16(img + 18, 62); /* EM_X86_64 */
	put32(img + 20, 1);
	put64(img + 24, 0x1000000); /* e_entry: physical, must be ignored */
	put64(img + 32, 64);
	put16(img + 52, 64);
	put16(img + 54, 56);
	for (size_t i = 0; i < nr; i++)
		notes_len += put_note(img + FAB_NOTES_OFF + notes_len, &notes[i]);
	for (unsigned int k = 0; k < 4; k++) {
		unsigned int s = flags & FAB_REVERSED ? 3 - k : k;

		put_phdr(img, ph++, 1, fab_segs[s].flags, fab_segs[s].off, fab_segs[s].vaddr,
			 fab_segs[s].paddr, fab_segs[s].filesz, fab_segs[s].memsz, 0x200000);
	}
	if (!(flags & FAB_NO_PT_NOTE))
		put_phdr(img, ph++, 4, 4, FAB_NOTES_OFF, fab_segs[0].vaddr + 0x800,
			 fab_segs[0].paddr + 0x800, notes_len, notes_len, 4);
	if (flags & FAB_TWO_PT_NOTES)
		put_phdr(img, ph++, 4, 4, FAB_NOTES_OFF, 0, 0, notes_len, notes_len, 4);
	if (flags & FAB_NO_PT_NOTE) {
		/* Section table: a null section and .notes. */
		unsigned char *sh = img + FAB_SIZE + 64;

		put64(img + 40, FAB_SIZE);
		put16(img + 58, 64);
		put16(img + 60, 2);
		put32(sh + 4, 7); /* SHT_NOTE */
		put64(sh + 24, FAB_NOTES_OFF);
		put64(sh + 32, notes_len);
		put64(sh + 48, 4);
		size = FAB_SIZE + 128;
	}
	put16(img + 56, (uint16_t)ph);
	return size;
}

#endif
