/* Guest kernel images: Xen ELF notes, the ELF64 load plan, and the bzImage wrapper. */
#ifndef MICA_KERNEL_IMAGE_H
#define MICA_KERNEL_IMAGE_H

#include <mica/types.h>
#include <pv/elfnote.h>

/*
 * Theory of operation. A PV kernel reaches a builder (the hypervisor for
 * dom0, the toolstack in dom0 for every other domain) as an ELF vmlinux or
 * as a bzImage wrapping a compressed one. The builder:
 *
 *   1. if bzimage_detect(): bzimage_parse(), allocate info.decompressed_size
 *      bytes and KIMG_WORK_SIZE bytes of work memory (mica/decompress.h),
 *      bzimage_decompress(); the result is the ELF image;
 *   2. xen_elf_parse() the ELF: header, program headers and Xen notes,
 *      checked against each other, into a struct xen_elf_info;
 *   3. lays out the domain from info (virt_kstart..virt_kend, entry, ...)
 *      and calls xen_elf_load() to copy the segments into it.
 *
 * Every input is untrusted: each function checks every length and offset
 * against the buffer it was given, reads and writes nothing outside the
 * buffers, does work bounded by the sizes of its buffers, and on refusal
 * returns a negative errno and, when err is non-NULL, a sentence saying
 * what is wrong. Nothing here allocates, keeps global state or locks;
 * all of it is pure logic, also built into user-space tools and tests.
 */

/* Why an image was refused: one sentence for a person, always NUL-terminated. */
struct kimg_err {
	char msg[160];
};

/* Xen ELF note types above this are ignored (pv/elfnote.h lists 1-18). */
#define XEN_ELFNOTE_MAX 63

#define XEN_ELF_MAX_SEGMENTS 16 /* PT_LOAD headers with a non-zero p_memsz */
#define XEN_ELF_STR_LEN 32      /* string notes, NUL included */
#define XEN_ELF_FEATURES_LEN 256 /* the FEATURES string, NUL included */

/* One PT_LOAD segment, placed by p_paddr. */
struct xen_elf_segment {
	u64 offset; /* of its bytes in the image */
	u64 filesz; /* bytes copied from the image */
	u64 memsz;  /* bytes of guest memory; memsz - filesz are zeroed */
	u64 paddr;  /* guest pseudo-physical address: p_paddr - PADDR_OFFSET */
	u64 vaddr;  /* its virtual address: VIRT_BASE + paddr */
	u32 flags;  /* p_flags: PF_X 1, PF_W 2, PF_R 4 */
};

/*
 * What xen_elf_parse found. Notes that were absent read as 0 (strings as
 * ""), and their bit in `notes` is clear: bit n is set when a Xen note of
 * type n was present. String notes are copied up to their first NUL or
 * their descsz, with bytes outside printable ASCII replaced by '?', so
 * they are safe to print. The notes of 32-bit and PVH guests (PAE_MODE,
 * BSD_SYMTAB, HV_START_LOW, PHYS32_ENTRY) and L1_MFN_VALID have only
 * their bit: no 64-bit PV builder uses them.
 */
struct xen_elf_info {
	u64 notes;
	u64 entry;          /* ENTRY: the start RIP (e_entry is ignored) */
	u64 hypercall_page; /* HYPERCALL_PAGE, if present (kernels <= 6.1.120) */
	u64 virt_base;      /* VIRT_BASE: maps pseudo-physical 0 */
	u64 paddr_offset;   /* PADDR_OFFSET */
	u64 init_p2m;       /* INIT_P2M: where the builder may map the p2m */
	u32 suspend_cancel;     /* SUSPEND_CANCEL */
	u32 mod_start_pfn;      /* MOD_START_PFN */
	u32 supported_features; /* SUPPORTED_FEATURES (a XENFEAT bitmap) */
	u32 features_wanted;    /* XENFEAT bits named in FEATURES */
	u32 features_required;  /* those named with a leading '!' */
	char xen_version[XEN_ELF_STR_LEN];
	char guest_os[XEN_ELF_STR_LEN];
	char guest_version[XEN_ELF_STR_LEN];
	char loader[XEN_ELF_STR_LEN];
	char features[XEN_ELF_FEATURES_LEN];

	/* The layout, from the PT_LOAD headers, sorted by paddr. */
	u64 virt_kstart, virt_kend; /* [lowest vaddr, highest vaddr + memsz) */
	u64 paddr_start, paddr_end; /* the same range as pseudo-physical addresses */
	unsigned int nr_segments;
	struct xen_elf_segment seg[XEN_ELF_MAX_SEGMENTS];
};

/*
 * Validates an ELF64 x86-64 PV kernel image[0..size) and fills *info.
 *
 * Checks: the ELF header (64-bit little-endian x86-64 ET_EXEC; 32-bit
 * images are refused with a message saying so); every program header
 * within the image; every PT_LOAD's file bytes within the image,
 * p_filesz <= p_memsz, no address overflow, no two PT_LOADs overlapping
 * in pseudo-physical space, at most XEN_ELF_MAX_SEGMENTS of them. Xen
 * notes come from the PT_NOTE segments, or, if none carries a Xen note,
 * the SHT_NOTE sections; every note record must lie inside its segment.
 * A note type seen twice must have the same contents both times. Then:
 * ENTRY must be present and inside a loaded segment; HYPERCALL_PAGE, if
 * present, a page-aligned whole page inside one; XEN_VERSION must start
 * with "xen-3.0"; LOADER must be "generic" or GUEST_OS "linux"; the
 * numeric notes decoded must have a descsz of 1, 2, 4 or 8; FEATURES
 * names must be known when required. String
 * notes longer than their field are cut. VIRT_BASE and PADDR_OFFSET
 * default to 0 when absent, and every p_paddr must be >= PADDR_OFFSET.
 *
 * Returns 0, -EINVAL (malformed), -EOPNOTSUPP (32-bit, not a Xen PV
 * kernel, not the xen-3.0 ABI, or requires an unknown feature) or -E2BIG
 * (too many segments). On failure *info is unspecified. Work is
 * O(e_phnum + e_shnum + note bytes); image is only read.
 */
int xen_elf_parse(const void *image, size_t size, struct xen_elf_info *info,
		  struct kimg_err *err);

/*
 * Called by xen_elf_load for each piece of guest memory to fill: len bytes
 * at guest pseudo-physical address paddr (virtual address vaddr), copied
 * from src, or zeroed when src is NULL. Returns 0 or a negative errno,
 * which stops the load and is passed back.
 */
typedef int (*xen_elf_write_fn)(void *ctx, u64 paddr, u64 vaddr, const void *src, u64 len);

/*
 * Loads the PT_LOAD segments that xen_elf_parse recorded in *info (which
 * must come from the same image and size) by calling write for each
 * segment's file bytes and then for its zero-filled tail, in paddr order.
 * Segments with a p_vaddr of 0 (Linux's percpu) land by p_paddr like the
 * others. Returns 0, or the first error of write, or -EINVAL if info does
 * not fit the image.
 */
int xen_elf_load(const void *image, size_t size, const struct xen_elf_info *info,
		 xen_elf_write_fn write, void *ctx, struct kimg_err *err);

/* Compressors a bzImage payload may use, identified by magic. */
enum kimg_comp {
	KIMG_COMP_UNKNOWN,
	KIMG_COMP_GZIP,
	KIMG_COMP_XZ,
	KIMG_COMP_LZ4,
	KIMG_COMP_BZIP2,
	KIMG_COMP_LZMA,
	KIMG_COMP_LZO,
	KIMG_COMP_ZSTD,
};

/* The payload of a bzImage (Linux's boot protocol, version 2.08 and later). */
struct bzimage_info {
	u16 version;            /* boot protocol version, e.g. 0x020f */
	u8 setup_sects;         /* 512-byte setup sectors (0 read as 4) */
	u64 payload_offset;     /* of the compressed payload in the file */
	u64 payload_length;
	enum kimg_comp comp;
	const char *comp_name;  /* "gzip", "xz", ... */
	u32 decompressed_size;  /* from the payload's last 4 bytes */
};

/* Whether image[0..size) has a bzImage setup header (0xAA55 at 0x1FE, "HdrS" at 0x202). */
bool bzimage_detect(const void *image, size_t size);

/*
 * Reads a bzImage's setup header and locates and identifies its payload.
 * Returns 0, -EINVAL (not a bzImage, protocol older than 2.08, payload
 * outside the file or too short), or -EOPNOTSUPP (a compressor other
 * than xz and lz4, gzip included; info is still filled then).
 */
int bzimage_parse(const void *image, size_t size, struct bzimage_info *info,
		  struct kimg_err *err);

/*
 * Decompresses the payload described by info (from bzimage_parse on the
 * same image) into out[0..out_size), which must be at least
 * info->decompressed_size bytes. work is KIMG_WORK_SIZE bytes of scratch
 * memory aligned to 8 (mica/decompress.h). Checks the stream's own
 * integrity checks and that it decompresses to exactly
 * decompressed_size bytes. Returns 0 or a negative errno; on failure the
 * contents of out are unspecified. Time is linear in the payload and
 * output sizes.
 */
int bzimage_decompress(const void *image, size_t size, const struct bzimage_info *info,
		       void *out, size_t out_size, void *work, size_t work_size,
		       struct kimg_err *err);

#endif
