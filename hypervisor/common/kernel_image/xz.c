/* The .xz container: stream header and footer, block headers, checks and the index. */
#include <mica/crc.h>
#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/lib.h>

#include "internal.h"

/*
 * A stream is: header (magic, flags, CRC32), blocks, index, footer. Each
 * block is a header naming its filter chain, the compressed data, zero
 * padding to a multiple of four, and the check of its uncompressed data.
 * The index lists every block's unpadded size (header + data + check) and
 * uncompressed size; instead of storing per-block records while decoding,
 * both sides are summarized as count, sums and a CRC32 over the records,
 * and the summaries must agree. Streams may be followed by zero padding
 * in multiples of four and further streams.
 */

#define FILTER_X86 0x04
#define FILTER_LZMA2 0x21

#define CHECK_NONE 0
#define CHECK_CRC32 1

static const u8 header_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

struct xz_work {
	u64 lzma2[LZMA2_DEC_SIZE / 8]; /* struct lzma2_dec */
	struct crc32_table crc32;
};

_Static_assert(sizeof(struct xz_work) <= XZ_WORK_SIZE, "XZ_WORK_SIZE");

/* Count, sums and a CRC over (unpadded, uncompressed) records, in order. */
struct index_sum {
	u64 count;
	u64 unpadded;
	u64 uncompressed;
	u32 crc;
};

struct xz_ctx {
	struct xz_work *w;
	const u8 *in;
	size_t in_len;
	size_t pos;
	u8 *out;
	size_t out_size;
	size_t out_pos;
	u8 check_size; /* bytes of the block checks: 4 for CRC32, 0 for none */
	struct kimg_err *err;
};

static void sum_add(const struct crc32_table *t, struct index_sum *s, u64 unpadded,
		    u64 uncompressed)
{
	u8 rec[16];

	for (int i = 0; i < 8; i++) {
		rec[i] = (u8)(unpadded >> (8 * i));
		rec[8 + i] = (u8)(uncompressed >> (8 * i));
	}
	s->count++;
	s->unpadded += unpadded;
	s->uncompressed += uncompressed;
	s->crc = crc32_update(t, s->crc, rec, sizeof(rec));
}

/* Reads a variable-length integer (7 bits a byte, at most 9 bytes, minimal) at in[*pos < end]. */
static bool get_vli(const u8 *in, size_t end, size_t *pos, u64 *val)
{
	u64 v = 0;

	for (unsigned int i = 0; i < 9; i++) {
		u8 b;

		if (*pos >= end)
			return false;
		b = in[(*pos)++];
		v |= (u64)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			if (!b && i)
				return false;
			*val = v;
			return true;
		}
	}
	return false;
}

static int truncated(struct xz_ctx *c, const char *what)
{
	return kimg_fail(c->err, -EINVAL, "xz: truncated %s", what);
}

/* The filter chain of a block header: [x86 BCJ,] LZMA2. */
struct filters {
	bool x86;
	u32 x86_start;
	u32 dict_size;
};

static int read_filters(struct xz_ctx *c, const u8 *h, size_t end, size_t *pos,
			unsigned int nr, struct filters *f)
{
	for (unsigned int i = 0; i < nr; i++) {
		bool last = i == nr - 1;
		u64 id, psize;

		if (!get_vli(h, end, pos, &id) || !get_vli(h, end, pos, &psize) ||
		    psize > end - *pos)
			return kimg_fail(c->err, -EINVAL, "xz: malformed filter flags");
		if (id == FILTER_LZMA2 && last) {
			u8 b;

			if (psize != 1)
				return kimg_fail(c->err, -EINVAL, "xz: LZMA2 properties of %llu bytes",
						 (unsigned long long)psize);
			b = h[*pos];
			if (b > 40)
				return kimg_fail(c->err, -EINVAL, "xz: invalid LZMA2 dictionary size %#x",
						 b);
			f->dict_size = b == 40 ? 0xffffffff : (2u | (b & 1)) << (b / 2 + 11);
		} else if (id == FILTER_X86 && !last && !f->x86) {
			if (psize != 0 && psize != 4)
				return kimg_fail(c->err, -EINVAL, "xz: x86 BCJ properties of %llu bytes",
						 (unsigned long long)psize);
			f->x86 = true;
			f->x86_start = psize ? get_le32(h + *pos) : 0;
		} else {
			/* Another filter (ARM, delta, ...), or these two in another order. */
			return kimg_fail(c->err, -EOPNOTSUPP,
					 "xz: filter %#llx as filter %u of %u is not supported (Mica "
					 "decodes the chain [x86 BCJ (0x4),] LZMA2 (0x21))",
					 (unsigned long long)id, i + 1, nr);
		}
		*pos += psize;
	}
	return 0;
}

static int read_block(struct xz_ctx *c, struct index_sum *sum)
{
	const u8 *h = c->in + c->pos;
	size_t hsize = ((size_t)h[0] + 1) * 4, p = 2, csize, out_start = c->out_pos;
	u64 hdr_csize = 0, hdr_usize = 0;
	struct filters f = { 0 };
	u8 flags;
	int ret;

	if (hsize > c->in_len - c->pos)
		return truncated(c, "block header");
	if (crc32_update(&c->w->crc32, 0, h, hsize - 4) != get_le32(h + hsize - 4))
		return kimg_fail(c->err, -EINVAL, "xz: block header CRC32 mismatch at offset %zu",
				 c->pos);
	flags = h[1];
	if (flags & 0x3c)
		return kimg_fail(c->err, -EINVAL, "xz: reserved block flags %#x", flags);
	if ((flags & 0x40) && (!get_vli(h, hsize - 4, &p, &hdr_csize) || !hdr_csize))
		return kimg_fail(c->err, -EINVAL, "xz: invalid compressed size in block header");
	if ((flags & 0x80) && !get_vli(h, hsize - 4, &p, &hdr_usize))
		return kimg_fail(c->err, -EINVAL, "xz: invalid uncompressed size in block header");
	ret = read_filters(c, h, hsize - 4, &p, (flags & 3) + 1, &f);
	if (ret)
		return ret;
	for (; p < hsize - 4; p++)
		if (h[p])
			return kimg_fail(c->err, -EINVAL, "xz: non-zero block header padding");
	c->pos += hsize;

	ret = lzma2_decode((struct lzma2_dec *)c->w->lzma2, f.dict_size, c->in + c->pos,
			   c->in_len - c->pos, &csize, c->out, c->out_size, &c->out_pos, c->err);
	if (ret)
		return ret;
	if ((flags & 0x40) && hdr_csize != csize)
		return kimg_fail(c->err, -EINVAL, "xz: block is %zu bytes, its header says %llu",
				 csize, (unsigned long long)hdr_csize);
	if ((flags & 0x80) && hdr_usize != c->out_pos - out_start)
		return kimg_fail(c->err, -EINVAL,
				 "xz: block decodes to %zu bytes, its header says %llu",
				 c->out_pos - out_start, (unsigned long long)hdr_usize);
	c->pos += csize;
	for (size_t pad = csize; pad & 3; pad++, c->pos++)
		if (c->pos >= c->in_len || c->in[c->pos])
			return kimg_fail(c->err, -EINVAL, "xz: bad block padding");

	if (f.x86)
		bcj_x86_decode(c->out + out_start, c->out_pos - out_start, f.x86_start);

	if (c->check_size > c->in_len - c->pos)
		return truncated(c, "block check");
	if (c->check_size) {
		u32 crc = crc32_update(&c->w->crc32, 0, c->out + out_start, c->out_pos - out_start);

		if (crc != get_le32(c->in + c->pos))
			return kimg_fail(c->err, -EINVAL, "xz: CRC32 mismatch (data %08x, stored %08x)",
					 crc, get_le32(c->in + c->pos));
	}
	c->pos += c->check_size;
	sum_add(&c->w->crc32, sum, hsize + csize + c->check_size, c->out_pos - out_start);
	return 0;
}

static int read_index(struct xz_ctx *c, const struct index_sum *blocks, size_t *index_size)
{
	size_t start = c->pos, p = c->pos + 1; /* past the 0x00 indicator */
	struct index_sum sum = { 0 };
	u64 count;

	if (!get_vli(c->in, c->in_len, &p, &count))
		return truncated(c, "index");
	if (count != blocks->count)
		return kimg_fail(c->err, -EINVAL, "xz: index lists %llu blocks, the stream has %llu",
				 (unsigned long long)count, (unsigned long long)blocks->count);
	/* Each record takes at least two bytes, so this loop is bounded by the input. */
	while (count--) {
		u64 unpadded, uncompressed;

		if (!get_vli(c->in, c->in_len, &p, &unpadded) ||
		    !get_vli(c->in, c->in_len, &p, &uncompressed))
			return truncated(c, "index");
		sum_add(&c->w->crc32, &sum, unpadded, uncompressed);
	}
	if (sum.unpadded != blocks->unpadded || sum.uncompressed != blocks->uncompressed ||
	    sum.crc != blocks->crc)
		return kimg_fail(c->err, -EINVAL, "xz: index does not match the blocks");
	for (; (p - start) & 3; p++)
		if (p >= c->in_len || c->in[p])
			return kimg_fail(c->err, -EINVAL, "xz: bad index padding");
	if (c->in_len - p < 4)
		return truncated(c, "index");
	if (crc32_update(&c->w->crc32, 0, c->in + start, p - start) != get_le32(c->in + p))
		return kimg_fail(c->err, -EINVAL, "xz: index CRC32 mismatch");
	p += 4;
	*index_size = p - start;
	c->pos = p;
	return 0;
}

static int read_stream(struct xz_ctx *c)
{
	const u8 *h = c->in + c->pos, *f;
	struct index_sum blocks = { 0 };
	size_t index_size;
	int ret;

	if (c->in_len - c->pos < 12)
		return truncated(c, "stream header");
	if (memcmp(h, header_magic, sizeof(header_magic)))
		return kimg_fail(c->err, -EINVAL, "xz: bad stream magic at offset %zu", c->pos);
	if (crc32_update(&c->w->crc32, 0, h + 6, 2) != get_le32(h + 8))
		return kimg_fail(c->err, -EINVAL, "xz: stream header CRC32 mismatch");
	if (h[6] || (h[7] & 0xf0))
		return kimg_fail(c->err, -EOPNOTSUPP, "xz: unsupported stream flags %02x %02x",
				 h[6], h[7]);
	/* Linux's build (scripts/xz_wrap.sh) writes CRC32; CRC64 and SHA-256 are not decoded. */
	if ((h[7] & 0x0f) != CHECK_NONE && (h[7] & 0x0f) != CHECK_CRC32)
		return kimg_fail(c->err, -EOPNOTSUPP,
				 "xz: stream uses check type %u; Mica verifies CRC32 only, as Linux's "
				 "build writes it (compress with xz --check=crc32)", h[7] & 0x0f);
	c->check_size = (h[7] & 0x0f) == CHECK_CRC32 ? 4 : 0;
	c->pos += 12;

	for (;;) {
		if (c->pos >= c->in_len)
			return truncated(c, "stream");
		if (!c->in[c->pos])
			break;
		ret = read_block(c, &blocks);
		if (ret)
			return ret;
	}
	ret = read_index(c, &blocks, &index_size);
	if (ret)
		return ret;

	if (c->in_len - c->pos < 12)
		return truncated(c, "stream footer");
	f = c->in + c->pos;
	if (f[10] != 'Y' || f[11] != 'Z')
		return kimg_fail(c->err, -EINVAL, "xz: bad stream footer magic");
	if (crc32_update(&c->w->crc32, 0, f + 4, 6) != get_le32(f))
		return kimg_fail(c->err, -EINVAL, "xz: stream footer CRC32 mismatch");
	if (((u64)get_le32(f + 4) + 1) * 4 != index_size)
		return kimg_fail(c->err, -EINVAL, "xz: footer's backward size does not match the index");
	if (f[8] != h[6] || f[9] != h[7])
		return kimg_fail(c->err, -EINVAL, "xz: stream header and footer flags differ");
	c->pos += 12;
	return 0;
}

int xz_decode(const void *in, size_t in_len, void *out, size_t out_size, size_t *out_len,
	      void *work, size_t work_size, struct kimg_err *err)
{
	struct xz_ctx c = {
		.w = work, .in = in, .in_len = in_len, .out = out, .out_size = out_size, .err = err,
	};
	int ret = 0;

	*out_len = 0;
	if (!kimg_work_ok(work, work_size, sizeof(struct xz_work)))
		return kimg_fail(err, -EFAULT, "xz: work area too small or misaligned");
	crc32_init(&c.w->crc32);
	do {
		size_t pad = 0;

		ret = read_stream(&c);
		if (ret)
			break;
		while (c.pos < in_len && !c.in[c.pos]) {
			c.pos++;
			pad++;
		}
		if (pad & 3) {
			ret = kimg_fail(err, -EINVAL, "xz: stream padding of %zu bytes", pad);
			break;
		}
	} while (c.pos < in_len);
	*out_len = c.out_pos;
	return ret;
}
