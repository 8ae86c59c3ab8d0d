/*
 * Decoding and executing the few instructions a guest kernel uses to
 * write page-table entries directly (section 3.9): plain MOV stores, and
 * the locked read-modify-writes of Linux's native PTE helpers (xchg for
 * ptep_get_and_clear, cmpxchg, lock bts/btr for the young/dirty bits,
 * lock or/and for set_bit/clear_bit). Pure logic: ptwr.c feeds it the
 * guest's bytes and registers and applies the result atomically to the
 * entry, through the same checks as mmu_update.
 */
#include <asm/x86.h>

#include "mm_priv.h"

#define RFLAGS_CF (1UL << 0)
#define RFLAGS_PF (1UL << 2)
#define RFLAGS_AF (1UL << 4)
#define RFLAGS_ZF (1UL << 6)
#define RFLAGS_SF (1UL << 7)
#define RFLAGS_OF (1UL << 11)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

#define REX_B 1
#define REX_X 2
#define REX_R 4
#define REX_W 8


/* How an opcode uses its operands. */
enum form {
	FORM_NONE,
	FORM_REG,   /* r/m, reg */
	FORM_IMM,   /* r/m, imm (8, 16 or 32 bits by size) */
	FORM_IMM8,  /* r/m, imm8, sign-extended (83) or a bit number (0F BA) */
};

struct cursor {
	const u8 *code;
	unsigned int n, i;
	bool ok;
};

static u64 fetch(struct cursor *c, unsigned int bytes)
{
	u64 v = 0;

	if (c->i + bytes > c->n || c->i + bytes > X86_MAX_INSN_LEN) {
		c->ok = false;
		return 0;
	}
	for (unsigned int k = 0; k < bytes; k++)
		v |= (u64)c->code[c->i + k] << (8 * k);
	c->i += bytes;
	return v;
}

static s64 sign_extend(u64 v, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (s64)(v << shift) >> shift;
}

static u64 size_mask(unsigned int size)
{
	return size == 8 ? ~0UL : (1UL << (8 * size)) - 1;
}

/*
 * The operation, the form, and whether the operand is a byte, of opcode op
 * (two-byte opcodes as 0x0fXX) with ModRM reg field reg_field.
 */
static bool decode_op(unsigned int op, u8 reg_field, enum ptwr_op *what, enum form *form,
		      bool *byte)
{
	*byte = !(op & 1);
	*form = FORM_REG;
	switch (op) {
	case 0x88: case 0x89: *what = PTWR_MOV; return true;
	case 0x86: case 0x87: *what = PTWR_XCHG; return true;
	case 0x08: case 0x09: *what = PTWR_OR; return true;
	case 0x20: case 0x21: *what = PTWR_AND; return true;
	case 0x30: case 0x31: *what = PTWR_XOR; return true;
	case 0xc6: case 0xc7:
		*what = PTWR_MOV;
		*form = FORM_IMM;
		return reg_field == 0;
	case 0x80: case 0x81: case 0x83:
		*byte = op == 0x80;
		*form = op == 0x83 ? FORM_IMM8 : FORM_IMM;
		*what = reg_field == 1 ? PTWR_OR : reg_field == 4 ? PTWR_AND : PTWR_XOR;
		return reg_field == 1 || reg_field == 4 || reg_field == 6;
	case 0x0fb0: case 0x0fb1: *what = PTWR_CMPXCHG; return true;
	case 0x0fab: *what = PTWR_BTS; return true;
	case 0x0fb3: *what = PTWR_BTR; return true;
	case 0x0fbb: *what = PTWR_BTC; return true;
	case 0x0fba:
		*byte = false;
		*form = FORM_IMM8;
		*what = reg_field == 5 ? PTWR_BTS : reg_field == 6 ? PTWR_BTR : PTWR_BTC;
		return reg_field >= 5;
	default:
		return false;
	}
}

/* The memory operand of a ModRM byte (64-bit addressing). Sets *riprel for RIP-relative. */
static u64 decode_ea(struct cursor *c, u8 modrm, u8 rex, const u64 gpr[PTWR_NR_GPRS],
		     bool *riprel)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	u64 ea = 0;

	*riprel = false;
	if (rm == 4) {
		u8 sib = (u8)fetch(c, 1);
		unsigned int scale = sib >> 6;
		unsigned int index = ((sib >> 3) & 7) | ((rex & REX_X) ? 8 : 0);
		unsigned int base = (sib & 7) | ((rex & REX_B) ? 8 : 0);

		if (index != 4)
			ea += gpr[index] << scale;
		if ((sib & 7) == 5 && mod == 0)
			ea += (u64)sign_extend(fetch(c, 4), 4);
		else
			ea += gpr[base];
	} else if (rm == 5 && mod == 0) {
		*riprel = true;
		ea = (u64)sign_extend(fetch(c, 4), 4);
	} else {
		ea = gpr[rm | ((rex & REX_B) ? 8 : 0)];
	}
	if (mod == 1)
		ea += (u64)sign_extend(fetch(c, 1), 1);
	else if (mod == 2)
		ea += (u64)sign_extend(fetch(c, 4), 4);
	return ea;
}

int ptwr_decode(const u8 *code, unsigned int n, u64 rip, const u64 gpr[PTWR_NR_GPRS],
		struct ptwr_insn *in)
{
	struct cursor c = { code, n, 0, true };
	bool lock = false, opsize = false, byte, riprel;
	u8 rex = 0, op, modrm;
	enum form form;
	unsigned int opcode, reg_field, bits;
	u64 reg_value, imm = 0;

	for (;;) {
		op = (u8)fetch(&c, 1);
		if (!c.ok)
			return -EINVAL;
		if (op == 0xf0)
			lock = true;
		else if (op == 0x66)
			opsize = true;
		else if (op != 0x2e && op != 0x3e && op != 0x26 && op != 0x36)
			break; /* FS/GS, address-size and REP prefixes are not ours */
	}
	if ((op & 0xf0) == 0x40) {
		rex = op;
		op = (u8)fetch(&c, 1);
	}
	opcode = op == 0x0f ? 0x0f00 | (u8)fetch(&c, 1) : op;
	modrm = (u8)fetch(&c, 1);
	if (!c.ok || !decode_op(opcode, (modrm >> 3) & 7, &in->op, &form, &byte))
		return -EINVAL;
	if ((modrm >> 6) == 3)
		return -EINVAL; /* a register destination never faults on memory */
	if (lock && in->op == PTWR_MOV)
		return -EINVAL; /* #UD on hardware */
	in->size = byte ? 1 : (rex & REX_W) ? 8 : opsize ? 2 : 4;
	in->ea = decode_ea(&c, modrm, rex, gpr, &riprel);

	reg_field = ((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0);
	in->high_byte = byte && !rex && reg_field >= 4;
	in->reg = (u8)(in->high_byte ? reg_field - 4 : reg_field);
	if (form == FORM_IMM)
		imm = (u64)sign_extend(fetch(&c, in->size == 8 ? 4 : in->size),
				       in->size == 8 ? 4 : in->size);
	else if (form == FORM_IMM8)
		imm = (u64)sign_extend(fetch(&c, 1), 1);
	if (!c.ok)
		return -EINVAL;
	in->len = (u8)c.i;
	if (riprel)
		in->ea += rip + in->len;

	bits = 8 * in->size;
	reg_value = gpr[in->reg] >> (in->high_byte ? 8 : 0);
	if (in->op >= PTWR_BTS) {
		if (form == FORM_REG) {
			/* A register bit offset reaches outside the operand: signed, in units of size. */
			s64 off = sign_extend(reg_value & size_mask(in->size), in->size);

			in->ea += (u64)((off >> (bits == 64 ? 6 : bits == 32 ? 5 : 4)) * in->size);
			in->src = (u64)off & (bits - 1);
		} else {
			in->src = imm & (bits - 1);
		}
	} else {
		in->src = (form == FORM_REG ? reg_value : imm) & size_mask(in->size);
	}
	return 0;
}

/* ZF, SF and PF of a result of size bytes. */
static u64 result_flags(u64 res, unsigned int size)
{
	u64 f = (__builtin_popcountll(res & 0xff) & 1) ? 0 : RFLAGS_PF; /* of the low byte */

	res &= size_mask(size);
	if (!res)
		f |= RFLAGS_ZF;
	if (res >> (8 * size - 1))
		f |= RFLAGS_SF;
	return f;
}

/* The flags of CMP a, b (a - b). */
static u64 compare_flags(u64 a, u64 b, unsigned int size)
{
	u64 m = size_mask(size), r = (a - b) & m, top = 1UL << (8 * size - 1);
	u64 f = result_flags(r, size);

	if ((a & m) < (b & m))
		f |= RFLAGS_CF;
	if ((a ^ b) & (a ^ r) & top)
		f |= RFLAGS_OF;
	if ((a ^ b ^ r) & 0x10)
		f |= RFLAGS_AF;
	return f;
}

void ptwr_execute(const struct ptwr_insn *in, u64 old, unsigned int off,
		  const u64 gpr[PTWR_NR_GPRS], u64 rflags, struct ptwr_result *r)
{
	u64 m = size_mask(in->size), dst = (old >> (8 * off)) & m, res = dst, bit;

	*r = (struct ptwr_result){ .write = true, .rflags = rflags, .reg = in->reg,
				   .high_byte = in->high_byte };
	switch (in->op) {
	case PTWR_MOV:
		res = in->src;
		break;
	case PTWR_XCHG:
		res = in->src;
		r->set_reg = true;
		r->reg_val = dst;
		break;
	case PTWR_CMPXCHG:
		r->rflags = (rflags & ~RFLAGS_ARITH) | compare_flags(gpr[0], dst, in->size);
		if ((gpr[0] & m) == dst) {
			res = in->src;
		} else {
			r->write = false;
			r->set_reg = true;
			r->reg = 0; /* the accumulator */
			r->high_byte = false;
			r->reg_val = dst;
		}
		break;
	case PTWR_OR:
	case PTWR_AND:
	case PTWR_XOR:
		res = in->op == PTWR_OR ? dst | in->src : in->op == PTWR_AND ? dst & in->src :
		      dst ^ in->src;
		/* CF and OF cleared, ZF SF PF from the result; AF is left (undefined). */
		r->rflags = (rflags & ~(RFLAGS_CF | RFLAGS_OF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_PF)) |
			    result_flags(res, in->size);
		break;
	case PTWR_BTS:
	case PTWR_BTR:
	case PTWR_BTC:
		bit = 1UL << in->src;
		r->rflags = (rflags & ~RFLAGS_CF) | ((dst & bit) ? RFLAGS_CF : 0);
		res = in->op == PTWR_BTS ? dst | bit : in->op == PTWR_BTR ? dst & ~bit : dst ^ bit;
		break;
	}
	r->entry = (old & ~(m << (8 * off))) | ((res & m) << (8 * off));
}

void ptwr_write_reg(u64 gpr[PTWR_NR_GPRS], unsigned int reg, bool high_byte, unsigned int size,
		    u64 val)
{
	unsigned int shift = high_byte ? 8 : 0;
	u64 m = size_mask(size) << shift;

	/* 32-bit writes zero-extend; 8- and 16-bit ones keep the rest of the register. */
	if (size == 4)
		gpr[reg] = (u32)val;
	else
		gpr[reg] = (gpr[reg] & ~m) | ((val << shift) & m);
}
