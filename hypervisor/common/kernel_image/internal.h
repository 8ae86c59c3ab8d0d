/* Helpers shared by the kernel-image parsers and decoders; not an interface for other code. */
#ifndef KERNEL_IMAGE_INTERNAL_H
#define KERNEL_IMAGE_INTERNAL_H

#include <mica/kernel_image.h>
#include <mica/types.h>

/* Writes a reason into err (if non-NULL) and returns code, a negative errno. */
int kimg_fail(struct kimg_err *err, int code, const char *fmt, ...) __printf(3, 4);

/* Whether work[0..size) can hold an object of `need` bytes aligned to 8. */
static inline bool kimg_work_ok(const void *work, size_t size, size_t need)
{
	return work && size >= need && !((uintptr_t)work & 7);
}

static inline u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static inline u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 get_le64(const u8 *p)
{
	return (u64)get_le32(p) | (u64)get_le32(p + 4) << 32;
}

/*
 * The checks bzimage_decompress makes around its decoder, for a decoder
 * elsewhere (the CLI's gzip): the payload inside image[0..size) and out_size
 * at least the decompressed size (-EINVAL, -ENOSPC); then the decoder's
 * result ret and output length against the size trailer (an overrun
 * becomes -EINVAL). Each returns 0 or a negative errno.
 */
int bzimage_payload_check(const void *image, size_t size, const struct bzimage_info *info,
			  size_t out_size, struct kimg_err *err);
int bzimage_output_check(const struct bzimage_info *info, int ret, size_t produced,
			 struct kimg_err *err);

/* LZMA2 decoder state: probabilities and the coder's registers (lzma2.c). */
struct lzma2_dec;
#define LZMA2_DEC_SIZE 30720

/*
 * Decodes one LZMA2 stream (chunks up to the 0x00 end marker) from
 * in[0..in_len) into out[*out_pos..out_size), with a dictionary of
 * dict_size bytes that starts no earlier than out[*out_pos]. *in_used
 * gets the bytes consumed, *out_pos the end of the output. Returns 0 or
 * -EINVAL / -ENOSPC.
 */
int lzma2_decode(struct lzma2_dec *d, u32 dict_size, const u8 *in, size_t in_len,
		 size_t *in_used, u8 *out, size_t out_size, size_t *out_pos,
		 struct kimg_err *err);

/*
 * Undoes the x86 BCJ filter in place over buf[0..len), a whole filtered
 * block whose first byte had the position start (the filter's start
 * offset property).
 */
void bcj_x86_decode(u8 *buf, size_t len, u32 start);

/* The Xen notes of an image, at most one per type (xen_notes.c). */
struct xen_notes {
	const u8 *desc[XEN_ELFNOTE_MAX + 1]; /* NULL: type not seen */
	u32 size[XEN_ELFNOTE_MAX + 1];
	unsigned int found;               /* Xen notes seen, repeats included */
};

/*
 * Adds the Xen notes of a note area p[0..len) whose records are aligned
 * to align (4 or 8) to *n. A type seen again must have the same contents.
 * Returns 0 or -EINVAL (a record crossing the end of the area, or a
 * conflicting repeat).
 */
int xen_notes_scan(struct xen_notes *n, const u8 *p, size_t len, unsigned int align,
		   struct kimg_err *err);

/*
 * Decodes the notes in *n into info's note fields and checks the ones a
 * loader relies on (XEN_VERSION, LOADER or GUEST_OS, FEATURES). Leaves
 * the layout fields alone. Returns 0, -EINVAL or -EOPNOTSUPP.
 */
int xen_notes_decode(const struct xen_notes *n, struct xen_elf_info *info, struct kimg_err *err);

#endif
