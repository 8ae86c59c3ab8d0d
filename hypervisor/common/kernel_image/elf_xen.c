/* ELF64 PV kernels: header and program-header checks, the load plan by p_paddr, the loader. */
#include <mica/errno.h>
#include <mica/lib.h>

#include "internal.h"

/* ELF64 layout (System V gABI); every field is read by offset, little-endian. */
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62

#define EHDR_SIZE 64
#define E_TYPE 16
#define E_MACHINE 18
#define E_PHOFF 32
#define E_SHOFF 40
#define E_PHENTSIZE 54
#define E_PHNUM 56
#define E_SHENTSIZE 58
#define E_SHNUM 60

#define PHDR_SIZE 56
#define P_TYPE 0
#define P_FLAGS 4
#define P_OFFSET 8
#define P_PADDR 24
#define P_FILESZ 32
#define P_MEMSZ 40
#define P_ALIGN 48
#define PT_LOAD 1
#define PT_NOTE 4

#define SHDR_SIZE 64
#define SH_TYPE 4
#define SH_OFFSET 24
#define SH_SIZE 32
#define SH_ADDRALIGN 48
#define SHT_NOTE 7

#define XEN_PAGE_SIZE 4096

static const char refuse_32bit[] =
	"32-bit guest kernels are not supported; use a 64-bit kernel";

/* Whether [off, off + len) lies inside an image of size bytes. */
static bool in_image(u64 off, u64 len, size_t size)
{
	return off <= size && len <= size - off;
}

static int check_header(const u8 *p, size_t size, struct kimg_err *err)
{
	u16 machine;

	if (size < EI_DATA + 1 || memcmp(p, "\177ELF", 4))
		return kimg_fail(err, -EINVAL, "not an ELF image (no \\177ELF magic)");
	if (p[EI_CLASS] == ELFCLASS32)
		return kimg_fail(err, -EOPNOTSUPP, "%s", refuse_32bit);
	if (p[EI_CLASS] != ELFCLASS64)
		return kimg_fail(err, -EINVAL, "ELF class %u is neither 32- nor 64-bit", p[EI_CLASS]);
	if (p[EI_DATA] != ELFDATA2LSB)
		return kimg_fail(err, -EINVAL, "ELF image is not little-endian");
	if (size < EHDR_SIZE)
		return kimg_fail(err, -EINVAL, "ELF image truncated inside its header");
	if (p[EI_VERSION] != 1)
		return kimg_fail(err, -EINVAL, "ELF version %u, not 1", p[EI_VERSION]);
	machine = get_le16(p + E_MACHINE);
	if (machine == EM_386)
		return kimg_fail(err, -EOPNOTSUPP, "%s", refuse_32bit);
	if (machine != EM_X86_64)
		return kimg_fail(err, -EOPNOTSUPP, "ELF image is for machine %u, not x86-64", machine);
	if (get_le16(p + E_TYPE) != ET_EXEC)
		return kimg_fail(err, -EINVAL, "ELF type %u is not an executable (ET_EXEC)",
				 get_le16(p + E_TYPE));
	return 0;
}

/* Record alignment of a note area: 8 when the header says so, else 4. */
static unsigned int note_align(u64 a)
{
	return a == 8 ? 8 : 4;
}

/* Collects Xen notes from PT_NOTE segments, or else from SHT_NOTE sections. */
static int find_notes(const u8 *p, size_t size, const u8 *ph, unsigned int phnum,
		      struct xen_notes *n, struct kimg_err *err)
{
	u64 shoff;
	unsigned int shnum;
	int ret;

	for (unsigned int i = 0; i < phnum; i++) {
		const u8 *h = ph + (size_t)i * PHDR_SIZE;
		u64 off = get_le64(h + P_OFFSET), len = get_le64(h + P_FILESZ);

		if (get_le32(h + P_TYPE) != PT_NOTE)
			continue;
		if (!in_image(off, len, size))
			return kimg_fail(err, -EINVAL, "PT_NOTE %u [%#llx, +%#llx) lies outside the image",
					 i, (unsigned long long)off, (unsigned long long)len);
		ret = xen_notes_scan(n, p + off, len, note_align(get_le64(h + P_ALIGN)), err);
		if (ret)
			return ret;
	}
	if (n->found)
		return 0;

	shoff = get_le64(p + E_SHOFF);
	shnum = get_le16(p + E_SHNUM);
	if (!shoff || !shnum)
		return 0;
	if (get_le16(p + E_SHENTSIZE) != SHDR_SIZE || !in_image(shoff, (u64)shnum * SHDR_SIZE, size))
		return kimg_fail(err, -EINVAL, "ELF section header table lies outside the image");
	for (unsigned int i = 0; i < shnum; i++) {
		const u8 *h = p + shoff + (size_t)i * SHDR_SIZE;
		u64 off = get_le64(h + SH_OFFSET), len = get_le64(h + SH_SIZE);

		if (get_le32(h + SH_TYPE) != SHT_NOTE)
			continue;
		if (!in_image(off, len, size))
			return kimg_fail(err, -EINVAL, "note section %u lies outside the image", i);
		ret = xen_notes_scan(n, p + off, len, note_align(get_le64(h + SH_ADDRALIGN)), err);
		if (ret)
			return ret;
	}
	return 0;
}

/* Validates the PT_LOAD headers and records them, placed by p_paddr, sorted. */
static int plan_segments(const u8 *ph, unsigned int phnum, size_t size,
			 struct xen_elf_info *info, struct kimg_err *err)
{
	for (unsigned int i = 0; i < phnum; i++) {
		const u8 *h = ph + (size_t)i * PHDR_SIZE;
		struct xen_elf_segment s;
		u64 p_paddr;
		unsigned int j;

		if (get_le32(h + P_TYPE) != PT_LOAD)
			continue;
		memset(&s, 0, sizeof(s)); /* padding too: info can be compared bytewise */
		s.offset = get_le64(h + P_OFFSET);
		s.filesz = get_le64(h + P_FILESZ);
		s.memsz = get_le64(h + P_MEMSZ);
		s.flags = get_le32(h + P_FLAGS);
		p_paddr = get_le64(h + P_PADDR);
		if (!s.memsz)
			continue;
		if (s.filesz > s.memsz)
			return kimg_fail(err, -EINVAL, "PT_LOAD %u has p_filesz %#llx > p_memsz %#llx", i,
					 (unsigned long long)s.filesz, (unsigned long long)s.memsz);
		if (!in_image(s.offset, s.filesz, size))
			return kimg_fail(err, -EINVAL,
					 "PT_LOAD %u [%#llx, +%#llx) extends past the end of the image",
					 i, (unsigned long long)s.offset, (unsigned long long)s.filesz);
		if (p_paddr < info->paddr_offset)
			return kimg_fail(err, -EINVAL, "PT_LOAD %u p_paddr %#llx is below PADDR_OFFSET %#llx",
					 i, (unsigned long long)p_paddr,
					 (unsigned long long)info->paddr_offset);
		s.paddr = p_paddr - info->paddr_offset;
		s.vaddr = info->virt_base + s.paddr;
		if (s.memsz > UINT64_MAX - s.paddr || s.vaddr < s.paddr ||
		    s.memsz > UINT64_MAX - s.vaddr)
			return kimg_fail(err, -EINVAL, "PT_LOAD %u address range overflows", i);
		if (info->nr_segments == XEN_ELF_MAX_SEGMENTS)
			return kimg_fail(err, -E2BIG, "more than %u PT_LOAD segments",
					 XEN_ELF_MAX_SEGMENTS);
		/* Insertion by paddr; at most XEN_ELF_MAX_SEGMENTS entries. */
		for (j = info->nr_segments; j > 0 && info->seg[j - 1].paddr > s.paddr; j--)
			info->seg[j] = info->seg[j - 1];
		info->seg[j] = s;
		info->nr_segments++;
	}
	if (!info->nr_segments)
		return kimg_fail(err, -EINVAL, "ELF image has no PT_LOAD segment");
	for (unsigned int i = 1; i < info->nr_segments; i++) {
		const struct xen_elf_segment *a = &info->seg[i - 1], *b = &info->seg[i];

		if (a->paddr + a->memsz > b->paddr)
			return kimg_fail(err, -EINVAL,
					 "PT_LOAD segments at paddr %#llx and %#llx overlap",
					 (unsigned long long)a->paddr, (unsigned long long)b->paddr);
	}
	info->paddr_start = info->seg[0].paddr;
	info->paddr_end = info->seg[info->nr_segments - 1].paddr +
			  info->seg[info->nr_segments - 1].memsz;
	info->virt_kstart = info->seg[0].vaddr;
	info->virt_kend = info->virt_base + info->paddr_end;
	return 0;
}

/* Whether [va, va + len) lies inside one segment. */
static bool in_segment(const struct xen_elf_info *info, u64 va, u64 len)
{
	for (unsigned int i = 0; i < info->nr_segments; i++) {
		const struct xen_elf_segment *s = &info->seg[i];

		if (va >= s->vaddr && va - s->vaddr < s->memsz && len <= s->memsz - (va - s->vaddr))
			return true;
	}
	return false;
}

int xen_elf_parse(const void *image, size_t size, struct xen_elf_info *info,
		  struct kimg_err *err)
{
	const u8 *p = image, *ph;
	struct xen_notes notes;
	unsigned int phnum;
	u64 phoff;
	int ret;

	memset(info, 0, sizeof(*info));
	memset(&notes, 0, sizeof(notes));
	ret = check_header(p, size, err);
	if (ret)
		return ret;
	phoff = get_le64(p + E_PHOFF);
	phnum = get_le16(p + E_PHNUM);
	if (!phnum || phnum == 0xffff)
		return kimg_fail(err, -EINVAL, "ELF image has %s program headers",
				 phnum ? "extended-numbered" : "no");
	if (get_le16(p + E_PHENTSIZE) != PHDR_SIZE)
		return kimg_fail(err, -EINVAL, "ELF program header size %u, not %u",
				 get_le16(p + E_PHENTSIZE), PHDR_SIZE);
	if (!in_image(phoff, (u64)phnum * PHDR_SIZE, size))
		return kimg_fail(err, -EINVAL, "ELF program headers lie outside the image");
	ph = p + phoff;

	ret = find_notes(p, size, ph, phnum, &notes, err);
	if (ret)
		return ret;
	ret = xen_notes_decode(&notes, info, err);
	if (ret)
		return ret;
	ret = plan_segments(ph, phnum, size, info, err);
	if (ret)
		return ret;

	if (!in_segment(info, info->entry, 1))
		return kimg_fail(err, -EINVAL, "Xen ENTRY %#llx is outside the loaded segments",
				 (unsigned long long)info->entry);
	if ((info->notes & (1ull << XEN_ELFNOTE_HYPERCALL_PAGE)) &&
	    ((info->hypercall_page & (XEN_PAGE_SIZE - 1)) ||
	     !in_segment(info, info->hypercall_page, XEN_PAGE_SIZE)))
		return kimg_fail(err, -EINVAL,
				 "Xen HYPERCALL_PAGE %#llx is not a whole page inside a loaded segment",
				 (unsigned long long)info->hypercall_page);
	return 0;
}

int xen_elf_load(const void *image, size_t size, const struct xen_elf_info *info,
		 xen_elf_write_fn write, void *ctx, struct kimg_err *err)
{
	const u8 *p = image;
	int ret;

	if (info->nr_segments > XEN_ELF_MAX_SEGMENTS)
		return kimg_fail(err, -EINVAL, "ELF load plan has %u segments", info->nr_segments);
	for (unsigned int i = 0; i < info->nr_segments; i++) {
		const struct xen_elf_segment *s = &info->seg[i];

		if (!in_image(s->offset, s->filesz, size) || s->filesz > s->memsz)
			return kimg_fail(err, -EINVAL, "ELF load plan does not fit the image");
		if (s->filesz) {
			ret = write(ctx, s->paddr, s->vaddr, p + s->offset, s->filesz);
			if (ret)
				return kimg_fail(err, ret, "loading segment %u (paddr %#llx) failed", i,
						 (unsigned long long)s->paddr);
		}
		if (s->memsz > s->filesz) {
			ret = write(ctx, s->paddr + s->filesz, s->vaddr + s->filesz, NULL,
				    s->memsz - s->filesz);
			if (ret)
				return kimg_fail(err, ret, "zeroing segment %u (paddr %#llx) failed", i,
						 (unsigned long long)s->paddr);
		}
	}
	return 0;
}
