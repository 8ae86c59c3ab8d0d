/* The bzImage wrapper: the setup header, the payload's place and compressor, its extraction. */
#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/lib.h>

#include "internal.h"

/*
 * Setup-header fields (Linux's boot protocol, Documentation/x86/boot.rst).
 * A PV loader uses none of the real-mode or 32/64-bit entry machinery: it
 * only takes the compressed vmlinux out. The payload's last four bytes
 * are the decompressed size, little-endian; for gzip they are the stream's
 * own ISIZE, for every other compressor the kernel build appends them.
 * Only xz and lz4 are decoded here; the mica CLI in dom0 adds gzip
 * (dom0-tools/kernel_image/gunzip.c).
 */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe   /* 0xAA55 */
#define HDR_MAGIC 0x202       /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_PAYLOAD_OFFSET 0x248 /* from the protected-mode code, 2.08+ */
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_END 0x250

#define MIN_PAYLOAD 8

struct comp_magic {
	enum kimg_comp comp;
	const char *name;
	u8 len;
	u8 magic[6];
};

static const struct comp_magic magics[] = {
	{ KIMG_COMP_GZIP, "gzip", 2, { 0x1f, 0x8b } },
	{ KIMG_COMP_XZ, "xz", 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
	{ KIMG_COMP_LZ4, "lz4", 4, { 0x02, 0x21, 0x4c, 0x18 } },
	{ KIMG_COMP_BZIP2, "bzip2", 3, { 'B', 'Z', 'h' } },
	{ KIMG_COMP_LZMA, "lzma", 3, { 0x5d, 0x00, 0x00 } },
	{ KIMG_COMP_LZO, "lzo", 4, { 0x89, 'L', 'Z', 'O' } },
	{ KIMG_COMP_ZSTD, "zstd", 4, { 0x28, 0xb5, 0x2f, 0xfd } },
};

/* Refuses a payload the hypervisor does not decode, saying which ones it does. */
static int unsupported(const struct bzimage_info *info, struct kimg_err *err)
{
	return kimg_fail(err, -EOPNOTSUPP,
			 "bzImage compressed with %s; the hypervisor decodes xz and lz4 (as Debian's "
			 "kernels use): give an xz or lz4 bzImage, or the ELF vmlinux",
			 info->comp_name);
}

bool bzimage_detect(const void *image, size_t size)
{
	const u8 *p = image;

	return size >= HDR_VERSION + 2 && get_le16(p + HDR_BOOT_FLAG) == 0xaa55 &&
	       !memcmp(p + HDR_MAGIC, "HdrS", 4);
}

int bzimage_parse(const void *image, size_t size, struct bzimage_info *info,
		  struct kimg_err *err)
{
	const u8 *p = image, *payload;
	u64 start, off, len;

	memset(info, 0, sizeof(*info));
	info->comp_name = "unknown";
	if (!bzimage_detect(image, size))
		return kimg_fail(err, -EINVAL, "not a bzImage (no 0xAA55 and \"HdrS\" setup header)");
	info->version = get_le16(p + HDR_VERSION);
	if (info->version < 0x0208)
		return kimg_fail(err, -EINVAL,
				 "bzImage boot protocol %u.%02u is older than 2.08 (no payload fields)",
				 info->version >> 8, info->version & 0xff);
	if (size < HDR_END)
		return kimg_fail(err, -EINVAL, "bzImage truncated inside its setup header");
	info->setup_sects = p[HDR_SETUP_SECTS] ? p[HDR_SETUP_SECTS] : 4;
	start = ((u64)info->setup_sects + 1) * 512;
	off = get_le32(p + HDR_PAYLOAD_OFFSET);
	len = get_le32(p + HDR_PAYLOAD_LENGTH);
	if (start > size || off > size - start || len > size - start - off)
		return kimg_fail(err, -EINVAL,
				 "bzImage payload [%#lx, +%#lx) lies outside the %zu-byte file",
				 start + off, len, size);
	if (len < MIN_PAYLOAD)
		return kimg_fail(err, -EINVAL, "bzImage payload of %lu bytes is too short", len);
	info->payload_offset = start + off;
	info->payload_length = len;
	payload = p + info->payload_offset;
	info->decompressed_size = get_le32(payload + len - 4);

	for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
		if (!memcmp(payload, magics[i].magic, magics[i].len)) {
			info->comp = magics[i].comp;
			info->comp_name = magics[i].name;
			break;
		}
	switch (info->comp) {
	case KIMG_COMP_XZ:
	case KIMG_COMP_LZ4:
		return 0;
	case KIMG_COMP_UNKNOWN:
		return kimg_fail(err, -EINVAL,
				 "bzImage payload has an unknown format (starts %02x %02x %02x %02x)",
				 payload[0], payload[1], payload[2], payload[3]);
	default:
		return unsupported(info, err);
	}
}

int bzimage_payload_check(const void *image, size_t size, const struct bzimage_info *info,
			  size_t out_size, struct kimg_err *err)
{
	if (info->payload_offset > size || info->payload_length > size - info->payload_offset ||
	    info->payload_length < MIN_PAYLOAD)
		return kimg_fail(err, -EINVAL, "bzImage payload outside the image");
	if (out_size < info->decompressed_size)
		return kimg_fail(err, -ENOSPC, "bzImage: output buffer of %zu bytes, %u needed",
				 out_size, info->decompressed_size);
	return 0;
}

int bzimage_output_check(const struct bzimage_info *info, int ret, size_t produced,
			 struct kimg_err *err)
{
	if (ret == -ENOSPC)
		return kimg_fail(err, -EINVAL,
				 "bzImage payload decompresses to more than the %u bytes its trailer says",
				 info->decompressed_size);
	if (ret)
		return ret;
	if (produced != info->decompressed_size)
		return kimg_fail(err, -EINVAL,
				 "bzImage payload decompresses to %zu bytes, its trailer says %u",
				 produced, info->decompressed_size);
	return 0;
}

int bzimage_decompress(const void *image, size_t size, const struct bzimage_info *info,
		       void *out, size_t out_size, void *work, size_t work_size,
		       struct kimg_err *err)
{
	const u8 *payload = (const u8 *)image + info->payload_offset;
	size_t len, produced = 0;
	int ret;

	if (info->comp != KIMG_COMP_XZ && info->comp != KIMG_COMP_LZ4)
		return unsupported(info, err);
	ret = bzimage_payload_check(image, size, info, out_size, err);
	if (ret)
		return ret;
	len = info->payload_length - 4; /* without the size trailer the build appended */
	if (info->comp == KIMG_COMP_XZ)
		ret = xz_decode(payload, len, out, info->decompressed_size, &produced, work,
				work_size, err);
	else
		ret = lz4_legacy_decode(payload, len, out, info->decompressed_size, &produced, err);
	return bzimage_output_check(info, ret, produced, err);
}
