/* LZMA2 decoding: the chunk layer and the LZMA range decoder beneath it, output as window. */
#include <mica/errno.h>
#include <mica/lib.h>

#include "internal.h"

/*
 * Theory of operation. LZMA codes each decision (literal or match, which
 * repeated distance, each bit of a literal, a length or a distance) as one
 * binary symbol with an adaptive 11-bit probability, through a range
 * coder: `range` is the width of the current interval and `code` the
 * input's offset inside it. A bit with probability p of being 0 splits
 * range at bound = (range >> 11) * p; the probability then moves 1/32 of
 * the way toward the bit seen. Whenever range drops below 2^24 it is
 * scaled by 256 and one input byte is shifted into code; done after every
 * bit, exactly as the encoder does, this consumes exactly the bytes the
 * encoder wrote, so a chunk must end with all its input used and code 0.
 *
 * The coder state between symbols is one of 12 states summarizing the
 * last few packet kinds, and the four most recent match distances
 * (rep0..rep3, each stored as distance - 1). Literals are coded with
 * context from the previous byte's top lc bits and the position's low lp
 * bits; after a match, a literal is coded against the byte at rep0 until
 * the first bit that differs ("matched literal").
 *
 * LZMA2 wraps LZMA in chunks of at most 2 MiB of output: uncompressed
 * chunks, and LZMA chunks that may reset the state, change lc/lp/pb and
 * reset the dictionary. Each LZMA chunk restarts the range coder and must
 * produce exactly its stated size; matches never cross chunk ends. Here
 * the dictionary is the output buffer itself, from the last dictionary
 * reset to the current position, so a distance is valid when it reaches
 * no further back than that reset and than the declared dictionary size.
 */

#define STATES 12
#define POS_STATES_MAX 16 /* 1 << pb, pb <= 4 */
#define LITERAL_CODER_SIZE 0x300
#define LC_LP_MAX 4 /* LZMA2 requires lc + lp <= 4 */
#define LEN_TO_DIST_STATES 4
#define DIST_SLOTS 64
#define DIST_MODEL_START 4
#define DIST_MODEL_END 14
#define FULL_DISTANCES 128
#define ALIGN_BITS 4
#define MATCH_LEN_MIN 2

#define PROB_BITS 11
#define PROB_INIT (1u << (PROB_BITS - 1))
#define MOVE_BITS 5
#define RC_TOP (1u << 24)

/*
 * The hot path: everything that takes the range coder is inlined into
 * lzma_chunk, so its registers never go through memory.
 */
#define ALWAYS_INLINE inline __attribute__((always_inline))

struct len_probs {
	u16 choice;
	u16 choice2;
	u16 low[POS_STATES_MAX][8];
	u16 mid[POS_STATES_MAX][8];
	u16 high[256];
};

/* Every adaptive probability; all are u16 so the struct can be reset as one array. */
struct lzma_probs {
	u16 is_match[STATES][POS_STATES_MAX];
	u16 is_rep[STATES];
	u16 is_rep0[STATES];
	u16 is_rep1[STATES];
	u16 is_rep2[STATES];
	u16 is_rep0_long[STATES][POS_STATES_MAX];
	u16 dist_slot[LEN_TO_DIST_STATES][DIST_SLOTS];
	/* Reverse bit trees for slots 4..13; index 0 unused (trees count from 1). */
	u16 dist_special[FULL_DISTANCES - DIST_MODEL_END + 1];
	u16 dist_align[1 << ALIGN_BITS];
	struct len_probs match_len;
	struct len_probs rep_len;
	u16 literal[LITERAL_CODER_SIZE << LC_LP_MAX];
};

struct lzma2_dec {
	struct lzma_probs p;
	u32 state;
	u32 rep0, rep1, rep2, rep3;
	unsigned int lc, lp, pb;
};

_Static_assert(sizeof(struct lzma2_dec) <= LZMA2_DEC_SIZE, "LZMA2_DEC_SIZE");

struct rc {
	u32 range;
	u32 code;
	const u8 *in;
	size_t len, pos; /* pos may pass len: the missing bytes read as 0 and fail the chunk */
};

static ALWAYS_INLINE void rc_normalize(struct rc *rc)
{
	if (rc->range < RC_TOP) {
		rc->range <<= 8;
		rc->code <<= 8;
		if (likely(rc->pos < rc->len))
			rc->code |= rc->in[rc->pos];
		rc->pos++;
	}
}

static ALWAYS_INLINE unsigned int rc_bit(struct rc *rc, u16 *prob)
{
	u32 p = *prob;
	u32 bound = (rc->range >> PROB_BITS) * p;
	unsigned int bit;

	if (rc->code < bound) {
		rc->range = bound;
		*prob = (u16)(p + (((1u << PROB_BITS) - p) >> MOVE_BITS));
		bit = 0;
	} else {
		rc->range -= bound;
		rc->code -= bound;
		*prob = (u16)(p - (p >> MOVE_BITS));
		bit = 1;
	}
	rc_normalize(rc);
	return bit;
}

/* A bit tree of nbits levels, most significant bit first: probs[1 .. 1 << nbits). */
static ALWAYS_INLINE u32 rc_tree(struct rc *rc, u16 *probs, unsigned int nbits)
{
	u32 m = 1;

	for (unsigned int i = 0; i < nbits; i++)
		m = (m << 1) | rc_bit(rc, &probs[m]);
	return m - (1u << nbits);
}

/* The same tree read least significant bit first. */
static ALWAYS_INLINE u32 rc_tree_reverse(struct rc *rc, u16 *probs, unsigned int nbits)
{
	u32 m = 1, sym = 0;

	for (unsigned int i = 0; i < nbits; i++) {
		unsigned int bit = rc_bit(rc, &probs[m]);

		m = (m << 1) | bit;
		sym |= bit << i;
	}
	return sym;
}

/* nbits bits with probability one half each, most significant first. */
static ALWAYS_INLINE u32 rc_direct(struct rc *rc, unsigned int nbits)
{
	u32 v = 0;

	while (nbits--) {
		rc->range >>= 1;
		if (rc->code >= rc->range) {
			rc->code -= rc->range;
			v = (v << 1) | 1;
		} else {
			v <<= 1;
		}
		rc_normalize(rc);
	}
	return v;
}

/* A match length minus MATCH_LEN_MIN: 0..271. */
static ALWAYS_INLINE u32 decode_len(struct rc *rc, struct len_probs *l, u32 pos_state)
{
	if (!rc_bit(rc, &l->choice))
		return rc_tree(rc, l->low[pos_state], 3);
	if (!rc_bit(rc, &l->choice2))
		return 8 + rc_tree(rc, l->mid[pos_state], 3);
	return 16 + rc_tree(rc, l->high, 8);
}

/* A match distance minus one, for a length (minus MATCH_LEN_MIN) of len. */
static ALWAYS_INLINE u32 decode_dist(struct rc *rc, struct lzma_probs *p, u32 len)
{
	u32 slot = rc_tree(rc, p->dist_slot[len < LEN_TO_DIST_STATES ? len : LEN_TO_DIST_STATES - 1],
			   6);
	unsigned int nbits;
	u32 dist;

	if (slot < DIST_MODEL_START)
		return slot;
	nbits = (slot >> 1) - 1;
	dist = (2 | (slot & 1)) << nbits;
	if (slot < DIST_MODEL_END)
		return dist + rc_tree_reverse(rc, p->dist_special + dist - slot, nbits);
	dist += rc_direct(rc, nbits - ALIGN_BITS) << ALIGN_BITS;
	return dist + rc_tree_reverse(rc, p->dist_align, ALIGN_BITS);
}

static void reset_state(struct lzma2_dec *d)
{
	u16 *p = (u16 *)&d->p;
	size_t n = offsetof(struct lzma_probs, literal) / sizeof(u16) +
		   ((size_t)LITERAL_CODER_SIZE << (d->lc + d->lp));

	for (size_t i = 0; i < n; i++)
		p[i] = PROB_INIT;
	d->state = 0;
	d->rep0 = d->rep1 = d->rep2 = d->rep3 = 0;
}

/*
 * Decodes one LZMA chunk: in[0..in_len) (range coder init included) into
 * out[pos..end), the dictionary starting at out[dict_start].
 */
static int lzma_chunk(struct lzma2_dec *d, u32 dict_size, const u8 *in, size_t in_len, u8 *out,
		      size_t pos, size_t end, size_t dict_start, struct kimg_err *err)
{
	struct lzma_probs *p = &d->p;
	struct rc rc = { .range = 0xffffffff, .in = in, .len = in_len, .pos = 5 };
	u32 state = d->state, rep0 = d->rep0, rep1 = d->rep1, rep2 = d->rep2, rep3 = d->rep3;
	const u32 pb_mask = (1u << d->pb) - 1, lp_mask = (1u << d->lp) - 1;
	const unsigned int lc = d->lc;

	if (in_len < 5 || in[0] != 0)
		return kimg_fail(err, -EINVAL, "lzma: bad range coder start");
	rc.code = (u32)in[1] << 24 | (u32)in[2] << 16 | (u32)in[3] << 8 | in[4];
	if (rc.code == 0xffffffff)
		return kimg_fail(err, -EINVAL, "lzma: bad range coder start");

	while (pos < end) {
		size_t have = pos - dict_start; /* bytes of dictionary behind pos */
		u32 pos_state = (u32)have & pb_mask;
		u32 len = 0;

		if (!rc_bit(&rc, &p->is_match[state][pos_state])) {
			u32 prev = have ? out[pos - 1] : 0;
			u16 *lit = p->literal + LITERAL_CODER_SIZE *
				   ((((u32)have & lp_mask) << lc) + (prev >> (8 - lc)));
			u32 sym = 1;

			if (state >= 7) {
				u32 match;

				if (unlikely(rep0 >= have))
					return kimg_fail(err, -EINVAL,
							 "lzma: distance beyond the dictionary");
				match = out[pos - rep0 - 1];
				do {
					u32 mbit = (match >> 7) & 1;
					u32 bit;

					match <<= 1;
					bit = rc_bit(&rc, &lit[((1 + mbit) << 8) + sym]);
					sym = (sym << 1) | bit;
					if (bit != mbit)
						break;
				} while (sym < 0x100);
			}
			while (sym < 0x100)
				sym = (sym << 1) | rc_bit(&rc, &lit[sym]);
			out[pos++] = (u8)sym;
			/* The state after a literal: 0-3 -> 0, 4-9 -> state - 3, 10-11 -> state - 6. */
			state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
			continue;
		}

		if (!rc_bit(&rc, &p->is_rep[state])) {
			len = decode_len(&rc, &p->match_len, pos_state);
			state = state < 7 ? 7 : 10;
			rep3 = rep2;
			rep2 = rep1;
			rep1 = rep0;
			rep0 = decode_dist(&rc, p, len);
			len += MATCH_LEN_MIN;
		} else {
			if (!rc_bit(&rc, &p->is_rep0[state])) {
				if (!rc_bit(&rc, &p->is_rep0_long[state][pos_state]))
					len = 1; /* a one-byte match at rep0 */
			} else {
				u32 dist;

				if (!rc_bit(&rc, &p->is_rep1[state])) {
					dist = rep1;
				} else {
					if (!rc_bit(&rc, &p->is_rep2[state])) {
						dist = rep2;
					} else {
						dist = rep3;
						rep3 = rep2;
					}
					rep2 = rep1;
				}
				rep1 = rep0;
				rep0 = dist;
			}
			if (len) {
				state = state < 7 ? 9 : 11;
			} else {
				len = decode_len(&rc, &p->rep_len, pos_state) + MATCH_LEN_MIN;
				state = state < 7 ? 8 : 11;
			}
		}

		if (unlikely(rep0 >= have || rep0 >= dict_size))
			return kimg_fail(err, -EINVAL,
					 "lzma: distance %u beyond the dictionary (%zu bytes)", rep0 + 1,
					 have < dict_size ? have : (size_t)dict_size);
		if (unlikely(len > end - pos))
			return kimg_fail(err, -EINVAL, "lzma: match runs past the end of its chunk");
		{
			u8 *dst = out + pos;
			const u8 *src = dst - rep0 - 1;

			for (u32 i = 0; i < len; i++)
				dst[i] = src[i];
		}
		pos += len;
	}
	if (rc.pos != rc.len || rc.code != 0)
		return kimg_fail(err, -EINVAL, "lzma: chunk of %zu bytes %s", in_len,
				 rc.pos > rc.len ? "is truncated" : "does not end where its data ends");
	d->state = state;
	d->rep0 = rep0;
	d->rep1 = rep1;
	d->rep2 = rep2;
	d->rep3 = rep3;
	return 0;
}

int lzma2_decode(struct lzma2_dec *d, u32 dict_size, const u8 *in, size_t in_len,
		 size_t *in_used, u8 *out, size_t out_size, size_t *out_pos,
		 struct kimg_err *err)
{
	size_t ip = 0, op = *out_pos, dict_start = op;
	bool need_dict_reset = true, need_props = true;
	int ret;

	for (;;) {
		u32 usize, csize;
		u8 ctl;

		if (ip >= in_len)
			return kimg_fail(err, -EINVAL, "lzma2: truncated (no end marker)");
		ctl = in[ip++];
		/* Where decoding stands: the end after the 0x00 marker, else for diagnosis. */
		*in_used = ip;
		*out_pos = op;
		if (!ctl)
			return 0;
		if (ctl >= 0xe0 || ctl == 1) {
			need_props = true;
			need_dict_reset = false;
			dict_start = op;
		} else if (need_dict_reset) {
			return kimg_fail(err, -EINVAL,
					 "lzma2: first chunk does not reset the dictionary");
		}

		if (ctl < 0x80) {
			if (ctl > 2)
				return kimg_fail(err, -EINVAL, "lzma2: invalid chunk type %#x", ctl);
			if (in_len - ip < 2)
				return kimg_fail(err, -EINVAL, "lzma2: truncated chunk header");
			usize = ((u32)in[ip] << 8 | in[ip + 1]) + 1;
			ip += 2;
			if (usize > in_len - ip)
				return kimg_fail(err, -EINVAL, "lzma2: truncated uncompressed chunk");
			if (usize > out_size - op)
				return kimg_fail(err, -ENOSPC, "lzma2: output larger than %zu bytes",
						 out_size);
			memcpy(out + op, in + ip, usize);
			ip += usize;
			op += usize;
			continue;
		}

		if (in_len - ip < 4)
			return kimg_fail(err, -EINVAL, "lzma2: truncated chunk header");
		usize = ((u32)(ctl & 0x1f) << 16 | (u32)in[ip] << 8 | in[ip + 1]) + 1;
		csize = ((u32)in[ip + 2] << 8 | in[ip + 3]) + 1;
		ip += 4;
		if (ctl >= 0xc0) {
			u32 props, lc, lp, pb;

			if (ip >= in_len)
				return kimg_fail(err, -EINVAL, "lzma2: truncated chunk header");
			props = in[ip++];
			if (props >= 9 * 5 * 5)
				return kimg_fail(err, -EINVAL, "lzma2: invalid properties byte %#x",
						 props);
			lc = props % 9;
			lp = (props / 9) % 5;
			pb = props / 45;
			if (lc + lp > LC_LP_MAX)
				return kimg_fail(err, -EINVAL, "lzma2: lc %u + lp %u exceeds 4", lc, lp);
			d->lc = lc;
			d->lp = lp;
			d->pb = pb;
			need_props = false;
		} else if (need_props) {
			return kimg_fail(err, -EINVAL, "lzma2: chunk without the properties it needs");
		}
		if (ctl >= 0xa0)
			reset_state(d);
		if (csize > in_len - ip)
			return kimg_fail(err, -EINVAL, "lzma2: truncated chunk");
		if (usize > out_size - op)
			return kimg_fail(err, -ENOSPC, "lzma2: output larger than %zu bytes", out_size);
		ret = lzma_chunk(d, dict_size, in + ip, csize, out, op, op + usize, dict_start, err);
		if (ret)
			return ret;
		ip += csize;
		op += usize;
	}
}
