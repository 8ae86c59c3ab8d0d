/* The x86 branch converter (xz's BCJ filter) undone in place over a decoded block. */
#include "internal.h"

/*
 * Theory of operation. Before compression the filter rewrote the 32-bit
 * relative operand of each plausible CALL (E8) and JMP (E9) into an
 * absolute address (operand + position of the next instruction), which
 * makes repeated calls to one function byte-identical and so compress
 * better. Decoding subtracts the position again. An operand is plausible
 * when its top byte is 00 or FF (a target within +-16 MiB); after a
 * conversion the top byte is rewritten from bit 24 alone, so the result
 * stays plausible.
 *
 * Because E8/E9 bytes also occur inside other instructions' operands, the
 * filter keeps `mask`, a history of opcode bytes seen in the last few
 * positions that were not converted: bit k (k = 1..3) set means one was
 * k bytes back; bits 5..7 (k = 1..3) mean that byte also had a plausible
 * top byte four bytes on. A history in which an earlier candidate could
 * have swallowed this one (bits 5..7, or the patterns that `allowed`
 * rejects) leaves the byte alone. When an earlier candidate sits inside
 * this operand, the subtraction is repeated with the operand bits below
 * that candidate's byte inverted for as long as that byte of the result is
 * plausible, which undoes the same loop in the encoder. Encoder and
 * decoder take the same decisions because the decisions only look at
 * bytes a conversion leaves plausible either way.
 */

static inline bool plausible(u8 b)
{
	return b == 0x00 || b == 0xff;
}

/* For mask >> 1 (0..7): may a candidate be converted with this history? */
static const bool allowed[8] = { true, true, true, false, true, false, false, false };
/* For mask >> 1 (0..7): which operand byte (counted from the top) an earlier candidate hit. */
static const u8 hit_byte[8] = { 0, 1, 2, 2, 3, 3, 3, 3 };

void bcj_x86_decode(u8 *buf, size_t len, u32 start)
{
	u32 mask = 0;
	size_t prev = 0; /* position of the last E8/E9 considered */
	bool have_prev = false;
	size_t i = 0;

	if (len < 5)
		return;
	while (i <= len - 5) {
		size_t gap;
		u8 top;

		if ((buf[i] & 0xfe) != 0xe8) {
			i++;
			continue;
		}
		gap = have_prev ? i - prev : 6;
		if (gap > 5) {
			mask = 0;
		} else {
			while (gap--)
				mask = (mask & 0x77) << 1;
		}
		prev = i;
		have_prev = true;

		top = buf[i + 4];
		if (plausible(top) && allowed[(mask >> 1) & 7] && (mask >> 1) < 0x10) {
			u32 src = get_le32(buf + i + 1);
			u32 dest;

			for (;;) {
				unsigned int shift;

				dest = src - (start + (u32)i + 5);
				if (!mask)
					break;
				shift = 24 - 8 * hit_byte[mask >> 1];
				if (!plausible((u8)(dest >> shift)))
					break;
				src = dest ^ ((1u << (shift + 8)) - 1);
			}
			dest &= 0x01ffffff;
			if (dest & 0x01000000)
				dest |= 0xff000000;
			buf[i + 1] = (u8)dest;
			buf[i + 2] = (u8)(dest >> 8);
			buf[i + 3] = (u8)(dest >> 16);
			buf[i + 4] = (u8)(dest >> 24);
			i += 5;
			mask = 0;
		} else {
			i++;
			mask |= 1;
			if (plausible(top))
				mask |= 0x10;
		}
	}
}
