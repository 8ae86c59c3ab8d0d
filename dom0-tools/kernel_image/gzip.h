/*
 * gzip and DEFLATE for the domU builder in dom0. The hypervisor decodes
 * only the compressions Debian's kernels use (xz and lz4) for dom0; the
 * mica CLI also accepts gzip bzImages, which these decoders unwrap. They
 * are the same kind of pure code as hypervisor/common/kernel_image/ (no
 * allocation, no global state, the hypervisor's string routines, errors
 * as in mica/decompress.h) and share its helpers (internal.h there).
 */
#ifndef MICA_DOM0_GZIP_H
#define MICA_DOM0_GZIP_H

#include <mica/kernel_image.h>
#include <mica/types.h>

#define GUNZIP_WORK_SIZE KiB(24)

/* Decodes a gzip file (RFC 1952), one or more members, each with CRC32 and ISIZE checked. */
int gunzip(const void *in, size_t in_len, void *out, size_t out_size, size_t *out_len,
	   void *work, size_t work_size, struct kimg_err *err);

/* Decodes a raw DEFLATE stream (RFC 1951) that must end exactly at in_len. Work as for gunzip. */
int inflate(const void *in, size_t in_len, void *out, size_t out_size, size_t *out_len,
	    void *work, size_t work_size, struct kimg_err *err);

/*
 * bzimage_decompress (mica/kernel_image.h) for a payload that
 * bzimage_parse identified as gzip (and refused with -EOPNOTSUPP, since the
 * hypervisor does not decode it): same arguments, checks and results.
 */
int bzimage_gunzip(const void *image, size_t size, const struct bzimage_info *info, void *out,
		   size_t out_size, void *work, size_t work_size, struct kimg_err *err);

/* The Huffman tables of a DEFLATE decoder (inflate.c); gunzip embeds them in its work area. */
struct inflate_tables;
#define INFLATE_TABLES_SIZE 8192

/*
 * Decodes one raw DEFLATE stream from in[0..in_len) into out, starting at
 * out[*out_pos] and never writing at or past out[out_size]. Matches may
 * reach back to out[win_start] but not before it. On return *out_pos is
 * the end of the output and *in_used the bytes the stream took (rounded
 * up to a whole byte). Returns 0 or -EINVAL / -ENOSPC.
 */
int inflate_stream(struct inflate_tables *t, const u8 *in, size_t in_len, size_t *in_used,
		   u8 *out, size_t out_size, size_t win_start, size_t *out_pos,
		   struct kimg_err *err);

#endif
