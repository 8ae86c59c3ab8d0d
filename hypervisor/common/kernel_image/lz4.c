/* LZ4 legacy frames (lz4 -l, as Linux's CONFIG_KERNEL_LZ4 builds them), output as window. */
#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/lib.h>

#include "internal.h"

/*
 * A legacy frame is the magic 0x184C2102 and then blocks, each a 32-bit
 * little-endian compressed size and that many bytes of LZ4 block data
 * that decode to at most 8 MiB, independently of other blocks. The frame
 * ends with the input; the magic may appear again where a block size
 * would, starting another frame.
 *
 * A block is a series of sequences: a token byte (high nibble: literal
 * count, low nibble: match length - 4; 15 in either means "add the
 * following bytes up to and including the first that is not 255"), the
 * literals, then a 16-bit little-endian match offset (1 .. bytes decoded
 * in this block) and the match. The last sequence stops after its
 * literals, at the end of the block.
 */

#define LEGACY_MAGIC 0x184c2102u
#define LEGACY_BLOCK_MAX MiB(8)

/* Adds the 255-continued extension bytes of a count at in[*ip < end] to *n. */
static bool get_count(const u8 *in, size_t end, size_t *ip, size_t *n)
{
	u8 b;

	do {
		if (*ip >= end)
			return false;
		b = in[(*ip)++];
		*n += b;
	} while (b == 255);
	return true;
}

static int too_big(bool buffer_full, struct kimg_err *err)
{
	if (buffer_full)
		return kimg_fail(err, -ENOSPC, "lz4: output larger than the buffer");
	return kimg_fail(err, -EINVAL, "lz4: block decodes to more than 8 MiB");
}

/* Decodes one block in[0..len) to out[*out_pos..], at most 8 MiB, and advances *out_pos. */
static int block(const u8 *in, size_t len, u8 *out, size_t out_size, size_t *out_pos,
		 struct kimg_err *err)
{
	size_t ip = 0, op = *out_pos, start = op;
	size_t end = out_size - op > LEGACY_BLOCK_MAX ? op + LEGACY_BLOCK_MAX : out_size;

	for (;;) {
		size_t lit, mlen, off;
		u8 token;

		if (ip >= len)
			return kimg_fail(err, -EINVAL, "lz4: truncated block");
		token = in[ip++];
		lit = token >> 4;
		if (lit == 15 && !get_count(in, len, &ip, &lit))
			return kimg_fail(err, -EINVAL, "lz4: truncated literal count");
		if (lit > len - ip)
			return kimg_fail(err, -EINVAL, "lz4: literals run past the block");
		if (lit > end - op)
			return too_big(end == out_size, err);
		memcpy(out + op, in + ip, lit);
		ip += lit;
		op += lit;
		if (ip == len)
			break;

		if (len - ip < 2)
			return kimg_fail(err, -EINVAL, "lz4: truncated match offset");
		off = get_le16(in + ip);
		ip += 2;
		if (!off || off > op - start)
			return kimg_fail(err, -EINVAL, "lz4: match offset %zu outside the block", off);
		mlen = token & 15;
		if (mlen == 15 && !get_count(in, len, &ip, &mlen))
			return kimg_fail(err, -EINVAL, "lz4: truncated match length");
		mlen += 4;
		if (mlen > end - op)
			return too_big(end == out_size, err);
		{
			u8 *d = out + op;
			const u8 *s = d - off;

			for (size_t i = 0; i < mlen; i++)
				d[i] = s[i];
		}
		op += mlen;
	}
	*out_pos = op;
	return 0;
}

int lz4_legacy_decode(const void *in_, size_t in_len, void *out, size_t out_size,
		      size_t *out_len, struct kimg_err *err)
{
	const u8 *in = in_;
	size_t pos = 4;
	int ret;

	*out_len = 0;
	if (in_len < 4 || get_le32(in) != LEGACY_MAGIC)
		return kimg_fail(err, -EINVAL, "lz4: not a legacy frame (bad magic)");
	while (pos < in_len) {
		u32 size;

		if (in_len - pos < 4)
			return kimg_fail(err, -EINVAL, "lz4: truncated block size");
		size = get_le32(in + pos);
		pos += 4;
		if (size == LEGACY_MAGIC)
			continue;
		if (!size || size > in_len - pos)
			return kimg_fail(err, -EINVAL, "lz4: block of %u bytes at offset %zu %s", size,
					 pos - 4, size ? "runs past the input" : "is empty");
		ret = block(in + pos, size, out, out_size, out_len, err);
		if (ret)
			return ret;
		pos += size;
	}
	return 0;
}
