/* DEFLATE decoding (RFC 1951) into a caller's buffer, which is also the window. */
#include <mica/errno.h>
#include <mica/lib.h>

#include "../../hypervisor/common/kernel_image/internal.h"
#include "gzip.h"

/*
 * Theory of operation. Input bits are read LSB first from a 64-bit
 * buffer that is topped up to at least 56 bits before each symbol, enough
 * for the longest literal/length code, its extra bits, the distance code
 * and its extra bits (15 + 5 + 15 + 13); near the end of the input every
 * read checks what is really there. Huffman codes arrive MSB first, so a
 * table indexed by the next FAST_BITS input bits holds, for every code of
 * at most FAST_BITS bits, its symbol and length in each slot whose low bits
 * are the bit-reversed code. Longer codes (rare) and code space that no
 * symbol uses fall through to a canonical decoder that walks one bit at a
 * time, comparing against the first code of each length.
 */

#define MAX_BITS 15
#define FAST_BITS 10
#define NR_LITLEN 288 /* 286 usable; 288 take part in the fixed code */
#define NR_DIST 32    /* 30 usable; 32 take part in the fixed code */
#define NR_CLEN 19

struct huffman {
	u16 fast[1 << FAST_BITS]; /* symbol << 4 | length, or 0: take the slow path */
	u16 count[MAX_BITS + 1];  /* codes of each length */
	u16 sorted[NR_LITLEN];    /* symbols in canonical code order */
};

struct inflate_tables {
	struct huffman litlen, dist, clen;
	bool fixed; /* litlen and dist hold the fixed code */
};

_Static_assert(sizeof(struct inflate_tables) <= INFLATE_TABLES_SIZE, "INFLATE_TABLES_SIZE");

struct bitin {
	const u8 *in;
	size_t len, pos;  /* in[pos..len) not yet in buf */
	u64 buf;          /* next bit in bit 0; bits from cnt up may hold a copy of in[pos..] */
	unsigned int cnt; /* valid bits in buf */
};

/* Length symbols 257..285: base length and extra bits (RFC 1951 section 3.2.5). */
static const u16 len_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const u8 len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
/* Distance symbols 0..29. */
static const u16 dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const u8 dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
	6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};
/* The order in which a dynamic block sends the code length code's lengths. */
static const u8 clen_order[NR_CLEN] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

static inline void refill(struct bitin *b)
{
	if (likely(b->len - b->pos >= 8)) {
		const u8 *p = b->in + b->pos;
		u64 v = (u64)get_le32(p) | (u64)get_le32(p + 4) << 32;

		/* Take whole bytes until 56..63 bits are valid; the rest of v is a harmless copy. */
		b->buf |= v << b->cnt;
		b->pos += (63 - b->cnt) >> 3;
		b->cnt |= 56;
		return;
	}
	while (b->cnt <= 56 && b->pos < b->len) {
		b->buf |= (u64)b->in[b->pos++] << b->cnt;
		b->cnt += 8;
	}
}

static inline void consume(struct bitin *b, unsigned int n)
{
	b->buf >>= n;
	b->cnt -= n;
}

/* Reads n <= 32 bits (after a refill); false if the input ran out. */
static inline bool getbits(struct bitin *b, unsigned int n, u32 *v)
{
	if (unlikely(b->cnt < n))
		return false;
	*v = (u32)(b->buf & ((1ull << n) - 1));
	consume(b, n);
	return true;
}

/*
 * Builds h from the code lengths lens[0..n) (0 = unused symbol). Returns
 * 0, or -1 if the lengths over-subscribe the code space or leave part of
 * it unused, except for the one incomplete code RFC 1951 allows: a single
 * code of length 1. No codes at all is accepted (a distance code for a
 * block of literals); decoding with it fails.
 */
static int build(struct huffman *h, const u8 *lens, unsigned int n)
{
	u16 next[MAX_BITS + 1];
	int left = 1;
	unsigned int total = 0, idx = 0;
	u32 code = 0;

	memset(h->count, 0, sizeof(h->count));
	for (unsigned int i = 0; i < n; i++)
		h->count[lens[i]]++;
	h->count[0] = 0;
	for (unsigned int len = 1; len <= MAX_BITS; len++) {
		left = (left << 1) - h->count[len];
		if (left < 0)
			return -1;
		total += h->count[len];
	}
	if (left > 0 && total && !(total == 1 && h->count[1] == 1))
		return -1;

	next[1] = 0;
	for (unsigned int len = 1; len < MAX_BITS; len++)
		next[len + 1] = next[len] + h->count[len];
	for (unsigned int sym = 0; sym < n; sym++)
		if (lens[sym])
			h->sorted[next[lens[sym]]++] = (u16)sym;

	memset(h->fast, 0, sizeof(h->fast));
	for (unsigned int len = 1; len <= FAST_BITS; len++, code <<= 1)
		for (unsigned int k = 0; k < h->count[len]; k++, code++) {
			u32 rev = 0;

			for (unsigned int i = 0; i < len; i++)
				rev |= ((code >> i) & 1) << (len - 1 - i);
			for (u32 j = rev; j < (1u << FAST_BITS); j += 1u << len)
				h->fast[j] = (u16)(h->sorted[idx] << 4 | len);
			idx++;
		}
	return 0;
}

/* Canonical decoding one bit at a time: codes longer than FAST_BITS, or unused code space. */
static int decode_slow(struct bitin *b, const struct huffman *h)
{
	u32 code = 0, first = 0, idx = 0;

	for (unsigned int len = 1; len <= MAX_BITS && len <= b->cnt; len++) {
		u32 count = h->count[len];

		code |= (u32)(b->buf >> (len - 1)) & 1;
		if (code - first < count) {
			consume(b, len);
			return h->sorted[idx + code - first];
		}
		idx += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -1;
}

/* The next symbol of code h, or -1 (unused code or input ran out). Call after a refill. */
static inline int decode(struct bitin *b, const struct huffman *h)
{
	u16 e = h->fast[b->buf & ((1u << FAST_BITS) - 1)];

	if (likely(e) && likely((e & 15) <= b->cnt)) {
		consume(b, e & 15);
		return e >> 4;
	}
	return decode_slow(b, h);
}

static void build_fixed(struct inflate_tables *t)
{
	u8 lens[NR_LITLEN];
	unsigned int i;

	for (i = 0; i < 144; i++)
		lens[i] = 8;
	for (; i < 256; i++)
		lens[i] = 9;
	for (; i < 280; i++)
		lens[i] = 7;
	for (; i < NR_LITLEN; i++)
		lens[i] = 8;
	build(&t->litlen, lens, NR_LITLEN);
	for (i = 0; i < NR_DIST; i++)
		lens[i] = 5;
	build(&t->dist, lens, NR_DIST);
	t->fixed = true;
}

/* Reads a dynamic block's code descriptions (RFC 1951 section 3.2.7) into t. */
static int read_dynamic(struct inflate_tables *t, struct bitin *b, struct kimg_err *err)
{
	u8 lens[NR_LITLEN + NR_DIST];
	u32 hlit, hdist, hclen, v;
	unsigned int i;

	t->fixed = false;
	refill(b);
	if (!getbits(b, 5, &hlit) || !getbits(b, 5, &hdist) || !getbits(b, 4, &hclen))
		return kimg_fail(err, -EINVAL, "deflate: truncated block header");
	hlit += 257;
	hdist += 1;
	hclen += 4;
	if (hlit > 286 || hdist > 30)
		return kimg_fail(err, -EINVAL, "deflate: %u length or %u distance codes (at most 286 and 30)",
				 hlit, hdist);
	memset(lens, 0, NR_CLEN);
	for (i = 0; i < hclen; i++) {
		refill(b);
		if (!getbits(b, 3, &v))
			return kimg_fail(err, -EINVAL, "deflate: truncated block header");
		lens[clen_order[i]] = (u8)v;
	}
	if (build(&t->clen, lens, NR_CLEN))
		return kimg_fail(err, -EINVAL, "deflate: invalid code length code");

	for (i = 0; i < hlit + hdist;) {
		u32 rep;
		u8 val = 0;
		int sym;

		refill(b);
		sym = decode(b, &t->clen);
		if (sym < 0)
			return kimg_fail(err, -EINVAL, "deflate: invalid code length symbol");
		if (sym < 16) {
			lens[i++] = (u8)sym;
			continue;
		}
		if (sym == 16) {
			if (!i)
				return kimg_fail(err, -EINVAL, "deflate: length repeat with no previous length");
			val = lens[i - 1];
			if (!getbits(b, 2, &rep))
				goto truncated;
			rep += 3;
		} else if (sym == 17) {
			if (!getbits(b, 3, &rep))
				goto truncated;
			rep += 3;
		} else {
			if (!getbits(b, 7, &rep))
				goto truncated;
			rep += 11;
		}
		if (rep > hlit + hdist - i)
			return kimg_fail(err, -EINVAL, "deflate: code lengths overrun the table");
		while (rep--)
			lens[i++] = val;
	}
	if (!lens[256])
		return kimg_fail(err, -EINVAL, "deflate: no end-of-block code");
	if (build(&t->litlen, lens, hlit))
		return kimg_fail(err, -EINVAL, "deflate: invalid literal/length code");
	if (build(&t->dist, lens + hlit, hdist))
		return kimg_fail(err, -EINVAL, "deflate: invalid distance code");
	return 0;
truncated:
	return kimg_fail(err, -EINVAL, "deflate: truncated block header");
}

/* Decodes one Huffman-coded block's symbols up to its end-of-block code. */
static int inflate_codes(const struct inflate_tables *t, struct bitin *b, u8 *out,
			 size_t out_size, size_t win_start, size_t *out_pos, struct kimg_err *err)
{
	size_t pos = *out_pos;
	int ret = 0;

	for (;;) {
		u32 len, dist, extra;
		int sym;

		refill(b);
		sym = decode(b, &t->litlen);
		if (sym < 256) {
			if (unlikely(sym < 0)) {
				if (b->pos == b->len && b->cnt < MAX_BITS)
					goto truncated;
				ret = kimg_fail(err, -EINVAL, "deflate: invalid literal/length code");
				break;
			}
			if (unlikely(pos == out_size)) {
				ret = kimg_fail(err, -ENOSPC, "deflate: output larger than %zu bytes",
						out_size);
				break;
			}
			out[pos++] = (u8)sym;
			continue;
		}
		if (sym == 256)
			break;
		sym -= 257;
		if (unlikely(sym >= 29)) {
			ret = kimg_fail(err, -EINVAL, "deflate: invalid length symbol %d", sym + 257);
			break;
		}
		if (unlikely(!getbits(b, len_extra[sym], &extra)))
			goto truncated;
		len = len_base[sym] + extra;
		sym = decode(b, &t->dist);
		if (unlikely(sym < 0 || sym >= 30)) {
			if (sym < 0 && b->pos == b->len && b->cnt < MAX_BITS)
				goto truncated;
			ret = kimg_fail(err, -EINVAL, "deflate: invalid distance code");
			break;
		}
		if (unlikely(!getbits(b, dist_extra[sym], &extra)))
			goto truncated;
		dist = dist_base[sym] + extra;
		if (unlikely(dist > pos - win_start)) {
			ret = kimg_fail(err, -EINVAL, "deflate: distance %u reaches before the start", dist);
			break;
		}
		if (unlikely(len > out_size - pos)) {
			ret = kimg_fail(err, -ENOSPC, "deflate: output larger than %zu bytes", out_size);
			break;
		}
		{
			u8 *d = out + pos;
			const u8 *s = d - dist;

			for (u32 i = 0; i < len; i++)
				d[i] = s[i];
		}
		pos += len;
	}
	*out_pos = pos;
	return ret;
truncated:
	*out_pos = pos;
	return kimg_fail(err, -EINVAL, "deflate: truncated data");
}

/* A stored block: byte-aligned LEN, ~LEN, then LEN raw bytes. */
static int inflate_stored(struct bitin *b, u8 *out, size_t out_size, size_t *out_pos,
			  struct kimg_err *err)
{
	u32 len, nlen;

	consume(b, b->cnt & 7);
	/* Give the whole bytes still in buf back to the input. */
	b->pos -= b->cnt >> 3;
	b->buf = 0;
	b->cnt = 0;
	if (b->len - b->pos < 4)
		return kimg_fail(err, -EINVAL, "deflate: truncated stored block");
	len = get_le16(b->in + b->pos);
	nlen = get_le16(b->in + b->pos + 2);
	b->pos += 4;
	if (len != (~nlen & 0xffff))
		return kimg_fail(err, -EINVAL, "deflate: stored block length check failed");
	if (len > b->len - b->pos)
		return kimg_fail(err, -EINVAL, "deflate: truncated stored block");
	if (len > out_size - *out_pos)
		return kimg_fail(err, -ENOSPC, "deflate: output larger than %zu bytes", out_size);
	memcpy(out + *out_pos, b->in + b->pos, len);
	b->pos += len;
	*out_pos += len;
	return 0;
}

int inflate_stream(struct inflate_tables *t, const u8 *in, size_t in_len, size_t *in_used,
		   u8 *out, size_t out_size, size_t win_start, size_t *out_pos,
		   struct kimg_err *err)
{
	struct bitin b = { .in = in, .len = in_len };
	u32 final, type;
	int ret;

	t->fixed = false;
	do {
		refill(&b);
		if (!getbits(&b, 1, &final) || !getbits(&b, 2, &type))
			return kimg_fail(err, -EINVAL, "deflate: truncated data");
		switch (type) {
		case 0:
			ret = inflate_stored(&b, out, out_size, out_pos, err);
			break;
		case 1:
			if (!t->fixed)
				build_fixed(t);
			ret = inflate_codes(t, &b, out, out_size, win_start, out_pos, err);
			break;
		case 2:
			ret = read_dynamic(t, &b, err);
			if (!ret)
				ret = inflate_codes(t, &b, out, out_size, win_start, out_pos, err);
			break;
		default:
			ret = kimg_fail(err, -EINVAL, "deflate: reserved block type 3");
			break;
		}
		if (ret)
			return ret;
	} while (!final);
	*in_used = b.pos - (b.cnt >> 3);
	return 0;
}

int inflate(const void *in, size_t in_len, void *out, size_t out_size, size_t *out_len,
	    void *work, size_t work_size, struct kimg_err *err)
{
	size_t used;
	int ret;

	*out_len = 0;
	if (!kimg_work_ok(work, work_size, sizeof(struct inflate_tables)))
		return kimg_fail(err, -EFAULT, "deflate: work area too small or misaligned");
	ret = inflate_stream(work, in, in_len, &used, out, out_size, 0, out_len, err);
	if (ret)
		return ret;
	if (used != in_len)
		return kimg_fail(err, -EINVAL, "deflate: %zu bytes of trailing data", in_len - used);
	return 0;
}
