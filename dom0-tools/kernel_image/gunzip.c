/* The gzip container (RFC 1952): member headers, and the CRC32 and ISIZE trailer checks. */
#include <mica/crc.h>
#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/lib.h>

#include "../../hypervisor/common/kernel_image/internal.h"
#include "gzip.h"

#define FTEXT 0x01
#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10
#define FRESERVED 0xe0

struct gunzip_work {
	u64 tables[INFLATE_TABLES_SIZE / 8]; /* struct inflate_tables */
	struct crc32_table crc;
};

_Static_assert(sizeof(struct gunzip_work) <= GUNZIP_WORK_SIZE, "GUNZIP_WORK_SIZE");
_Static_assert(GUNZIP_WORK_SIZE <= KIMG_WORK_SIZE, "callers give KIMG_WORK_SIZE for every payload");

/* Skips a NUL-terminated field at in[*pos]; false if the input ends first. */
static bool skip_string(const u8 *in, size_t len, size_t *pos)
{
	while (*pos < len)
		if (!in[(*pos)++])
			return true;
	return false;
}

/* Parses a member header at in[*pos] and moves *pos past it. */
static int read_header(const struct crc32_table *crc, const u8 *in, size_t len, size_t *pos,
		       struct kimg_err *err)
{
	size_t start = *pos, p = start;
	u8 flags;

	if (len - p < 10)
		return kimg_fail(err, -EINVAL, "gzip: truncated header");
	if (in[p] != 0x1f || in[p + 1] != 0x8b)
		return kimg_fail(err, -EINVAL, "gzip: bad magic %02x %02x at offset %zu",
				 in[p], in[p + 1], p);
	if (in[p + 2] != 8)
		return kimg_fail(err, -EOPNOTSUPP, "gzip: compression method %u (only 8, deflate, exists)",
				 in[p + 2]);
	flags = in[p + 3];
	if (flags & FRESERVED)
		return kimg_fail(err, -EINVAL, "gzip: reserved header flags %#x set", flags);
	p += 10;
	if (flags & FEXTRA) {
		u16 xlen;

		if (len - p < 2)
			return kimg_fail(err, -EINVAL, "gzip: truncated header");
		xlen = get_le16(in + p);
		p += 2;
		if (len - p < xlen)
			return kimg_fail(err, -EINVAL, "gzip: truncated header");
		p += xlen;
	}
	if ((flags & FNAME) && !skip_string(in, len, &p))
		return kimg_fail(err, -EINVAL, "gzip: truncated file name");
	if ((flags & FCOMMENT) && !skip_string(in, len, &p))
		return kimg_fail(err, -EINVAL, "gzip: truncated comment");
	if (flags & FHCRC) {
		if (len - p < 2)
			return kimg_fail(err, -EINVAL, "gzip: truncated header");
		if (get_le16(in + p) != (crc32_update(crc, 0, in + start, p - start) & 0xffff))
			return kimg_fail(err, -EINVAL, "gzip: header CRC mismatch");
		p += 2;
	}
	*pos = p;
	return 0;
}

int gunzip(const void *in_, size_t in_len, void *out_, size_t out_size, size_t *out_len,
	   void *work, size_t work_size, struct kimg_err *err)
{
	const u8 *in = in_;
	u8 *out = out_;
	struct gunzip_work *w = work;
	size_t pos = 0;
	int ret;

	*out_len = 0;
	if (!kimg_work_ok(work, work_size, sizeof(*w)))
		return kimg_fail(err, -EFAULT, "gzip: work area too small or misaligned");
	crc32_init(&w->crc);
	do {
		size_t start = *out_len, used;
		u32 crc;

		ret = read_header(&w->crc, in, in_len, &pos, err);
		if (ret)
			return ret;
		ret = inflate_stream((struct inflate_tables *)w->tables, in + pos, in_len - pos, &used,
				     out, out_size, start, out_len, err);
		if (ret)
			return ret;
		pos += used;
		if (in_len - pos < 8)
			return kimg_fail(err, -EINVAL, "gzip: truncated trailer");
		crc = crc32_update(&w->crc, 0, out + start, *out_len - start);
		if (crc != get_le32(in + pos))
			return kimg_fail(err, -EINVAL, "gzip: CRC32 mismatch (data %08x, trailer %08x)",
					 crc, get_le32(in + pos));
		if ((u32)(*out_len - start) != get_le32(in + pos + 4))
			return kimg_fail(err, -EINVAL, "gzip: ISIZE mismatch (data %zu bytes, trailer %u)",
					 *out_len - start, get_le32(in + pos + 4));
		pos += 8;
	} while (pos < in_len);
	return 0;
}
