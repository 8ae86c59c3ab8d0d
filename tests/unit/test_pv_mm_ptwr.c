/*
 * Unit tests of the emulation of guest stores to read-only L1 tables
 * (hypervisor/arch/x86/pv/mm/ptwr_emul.c): decoding of the instructions
 * Linux uses on PTEs, their results and flags, and their application to
 * a real L1 through pt_modify_entry, as ptwr.c does it.
 */
/* unit-sources: hypervisor/arch/x86/pv/mm/ptwr_emul.c hypervisor/arch/x86/pv/mm/page_type.c */
/* unit-sources: hypervisor/arch/x86/pv/mm/validate.c hypervisor/common/frame_alloc.c */
#include "test_pv_mm_fixture.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

#define RIP 0xffffffff81000000UL
#define CF (1UL << 0)
#define PF (1UL << 2)
#define ZF (1UL << 6)
#define SF (1UL << 7)
#define OF (1UL << 11)

static u64 regs[PTWR_NR_GPRS];

static void reset_regs(void)
{
	for (unsigned int i = 0; i < PTWR_NR_GPRS; i++)
		regs[i] = 0x1000UL * (i + 1);
	regs[RDI] = 0xffff888000123000UL;
}

#define DECODE(in, ...)                                                                       \
	({                                                                                    \
		const u8 code_[] = { __VA_ARGS__ };                                           \
		ptwr_decode(code_, sizeof(code_), RIP, regs, (in));                           \
	})

static void test_decode_mov(void)
{
	struct ptwr_insn in;

	reset_regs();
	/* mov %rax,(%rdi): Linux's native set_pte. */
	REQUIRE_EQ(DECODE(&in, 0x48, 0x89, 0x07), 0);
	CHECK_EQ(in.op, PTWR_MOV);
	CHECK_EQ(in.size, 8);
	CHECK_EQ(in.len, 3);
	CHECK_EQ(in.ea, regs[RDI]);
	CHECK_EQ(in.src, regs[RAX]);
	/* movq $0,(%rdi): pte_clear. */
	REQUIRE_EQ(DECODE(&in, 0x48, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x00), 0);
	CHECK_EQ(in.size, 8);
	CHECK_EQ(in.len, 7);
	CHECK_EQ(in.src, 0);
	/* movq $-1,(%rdi): the immediate is sign-extended. */
	REQUIRE_EQ(DECODE(&in, 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff), 0);
	CHECK_EQ(in.src, ~0UL);
	/* mov %ecx,0x4(%rdi): a 4-byte half. */
	REQUIRE_EQ(DECODE(&in, 0x89, 0x4f, 0x04), 0);
	CHECK_EQ(in.size, 4);
	CHECK_EQ(in.ea, regs[RDI] + 4);
	CHECK_EQ(in.src, (u32)regs[RCX]);
	/* mov %r9,-0x8(%rsp) and mov %rax,(%rdi,%r8,8). */
	REQUIRE_EQ(DECODE(&in, 0x4c, 0x89, 0x4c, 0x24, 0xf8), 0);
	CHECK_EQ(in.ea, regs[RSP] - 8);
	CHECK_EQ(in.src, regs[R9]);
	REQUIRE_EQ(DECODE(&in, 0x4a, 0x89, 0x04, 0xc7), 0);
	CHECK_EQ(in.ea, regs[RDI] + regs[R8] * 8);
	/* A 32-bit displacement, and no base (SIB base 5 with mod 0). */
	REQUIRE_EQ(DECODE(&in, 0x48, 0x89, 0x87, 0x00, 0x01, 0x00, 0x00), 0);
	CHECK_EQ(in.ea, regs[RDI] + 0x100);
	CHECK_EQ(in.len, 7);
	REQUIRE_EQ(DECODE(&in, 0x48, 0x89, 0x04, 0xcd, 0x00, 0x10, 0x00, 0x00), 0);
	CHECK_EQ(in.ea, regs[RCX] * 8 + 0x1000);
	/* RIP-relative: from the end of the instruction. */
	REQUIRE_EQ(DECODE(&in, 0x48, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00), 0);
	CHECK_EQ(in.ea, RIP + 7 + 0x10);
	/* r13 as base needs a displacement; r12 as base needs a SIB. */
	REQUIRE_EQ(DECODE(&in, 0x49, 0x89, 0x45, 0x00), 0);
	CHECK_EQ(in.ea, regs[R13]);
	REQUIRE_EQ(DECODE(&in, 0x49, 0x89, 0x04, 0x24), 0);
	CHECK_EQ(in.ea, regs[R12]);
	/* Byte stores, including AH (no REX) and SIL (REX). */
	REQUIRE_EQ(DECODE(&in, 0x88, 0x27), 0);
	CHECK(in.high_byte);
	CHECK_EQ(in.src, (regs[RAX] >> 8) & 0xff);
	REQUIRE_EQ(DECODE(&in, 0x40, 0x88, 0x37), 0);
	CHECK(!in.high_byte);
	CHECK_EQ(in.src, regs[RSI] & 0xff);
	REQUIRE_EQ(DECODE(&in, 0xc6, 0x07, 0x42), 0);
	CHECK_EQ(in.size, 1);
	CHECK_EQ(in.src, 0x42);
	/* 16-bit store with the operand-size prefix, and a harmless DS override. */
	REQUIRE_EQ(DECODE(&in, 0x3e, 0x66, 0xc7, 0x07, 0x34, 0x12), 0);
	CHECK_EQ(in.size, 2);
	CHECK_EQ(in.src, 0x1234);
	CHECK_EQ(in.len, 6);
}

static void test_decode_locked_forms(void)
{
	struct ptwr_insn in;

	reset_regs();
	/* xchg %rax,(%rdi): native_ptep_get_and_clear. */
	REQUIRE_EQ(DECODE(&in, 0x48, 0x87, 0x07), 0);
	CHECK_EQ(in.op, PTWR_XCHG);
	CHECK_EQ(in.reg, RAX);
	/* lock cmpxchg %rdx,(%rdi). */
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x0f, 0xb1, 0x17), 0);
	CHECK_EQ(in.op, PTWR_CMPXCHG);
	CHECK_EQ(in.reg, RDX);
	CHECK_EQ(in.len, 5);
	/* lock btrq $5,(%rdi): test_and_clear_bit(_PAGE_BIT_ACCESSED). */
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05), 0);
	CHECK_EQ(in.op, PTWR_BTR);
	CHECK_EQ(in.src, 5);
	CHECK_EQ(in.size, 8);
	/* lock andb $0xfd,(%rdi): clear_bit(_PAGE_BIT_RW). */
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x80, 0x27, 0xfd), 0);
	CHECK_EQ(in.op, PTWR_AND);
	CHECK_EQ(in.size, 1);
	CHECK_EQ(in.src, 0xfd);
	/* lock orb $0x2,(%rdi), lock orq %rcx,(%rdi), lock andq $-3,(%rdi). */
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x80, 0x0f, 0x02), 0);
	CHECK_EQ(in.op, PTWR_OR);
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x09, 0x0f), 0);
	CHECK_EQ(in.op, PTWR_OR);
	CHECK_EQ(in.src, regs[RCX]);
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x83, 0x27, 0xfd), 0);
	CHECK_EQ(in.op, PTWR_AND);
	CHECK_EQ(in.src, ~2UL);
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x81, 0x37, 0x00, 0x00, 0x00, 0x80), 0);
	CHECK_EQ(in.op, PTWR_XOR);
	CHECK_EQ(in.src, 0xffffffff80000000UL);
	/* lock bts %rax,(%rdi) with a bit offset past the operand: the address moves. */
	regs[RAX] = 70;
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x0f, 0xab, 0x07), 0);
	CHECK_EQ(in.op, PTWR_BTS);
	CHECK_EQ(in.ea, regs[RDI] + 8);
	CHECK_EQ(in.src, 6);
	regs[RAX] = (u64)-1;
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x48, 0x0f, 0xb3, 0x07), 0);
	CHECK_EQ(in.op, PTWR_BTR);
	CHECK_EQ(in.ea, regs[RDI] - 8);
	CHECK_EQ(in.src, 63);
	REQUIRE_EQ(DECODE(&in, 0xf0, 0x0f, 0xbb, 0x07), 0);
	CHECK_EQ(in.op, PTWR_BTC);
	CHECK_EQ(in.size, 4);
	CHECK_EQ(in.ea, regs[RDI] - 4);
	CHECK_EQ(in.src, 31);
}

static void test_decode_refusals(void)
{
	struct ptwr_insn in;

	reset_regs();
	CHECK_EQ(DECODE(&in, 0x65, 0x48, 0x89, 0x07), -EINVAL);       /* GS override */
	CHECK_EQ(DECODE(&in, 0x64, 0x48, 0x89, 0x07), -EINVAL);       /* FS override */
	CHECK_EQ(DECODE(&in, 0x67, 0x48, 0x89, 0x07), -EINVAL);       /* 32-bit addressing */
	CHECK_EQ(DECODE(&in, 0xf3, 0x48, 0xab), -EINVAL);             /* rep stosq */
	CHECK_EQ(DECODE(&in, 0x48, 0x89, 0xc7), -EINVAL);             /* register destination */
	CHECK_EQ(DECODE(&in, 0xf0, 0x48, 0x89, 0x07), -EINVAL);       /* lock mov: #UD */
	CHECK_EQ(DECODE(&in, 0x48, 0x01, 0x07), -EINVAL);             /* add: not a PTE op */
	CHECK_EQ(DECODE(&in, 0x48, 0x83, 0x07, 0x01), -EINVAL);       /* add imm8 */
	CHECK_EQ(DECODE(&in, 0x48, 0xc7, 0x47, 0x08), -EINVAL);       /* truncated */
	CHECK_EQ(DECODE(&in, 0x48), -EINVAL);
	CHECK_EQ(DECODE(&in, 0x0f, 0xba, 0x27, 0x01), -EINVAL);       /* bt: reads only */
	CHECK_EQ(DECODE(&in, 0x0f, 0x0b), -EINVAL);                   /* ud2 */
	{
		/* Sixteen redundant prefixes exceed the 15-byte limit. */
		u8 code[20];

		for (unsigned int i = 0; i < 16; i++)
			code[i] = 0x3e;
		code[16] = 0x89;
		code[17] = 0x07;
		CHECK_EQ(ptwr_decode(code, 18, RIP, regs, &in), -EINVAL);
	}
}

static struct ptwr_result run(const u8 *code, unsigned int n, u64 old, unsigned int off,
			      u64 rflags)
{
	struct ptwr_insn in;
	struct ptwr_result r = { 0 };

	REQUIRE_EQ(ptwr_decode(code, n, RIP, regs, &in), 0);
	ptwr_execute(&in, old, off, regs, rflags, &r);
	return r;
}

#define RUN_INSN(old, off, flags, ...)                                                        \
	({                                                                                    \
		const u8 code_[] = { __VA_ARGS__ };                                           \
		run(code_, sizeof(code_), (old), (off), (flags));                             \
	})

static void test_execute(void)
{
	struct ptwr_result r;
	const u64 e = 0x8000000012345067UL;

	reset_regs();
	regs[RAX] = 0x0000000055555025UL;
	r = RUN_INSN(e, 0, 0x202, 0x48, 0x89, 0x07);
	CHECK(r.write);
	CHECK(!r.set_reg);
	CHECK_EQ(r.entry, regs[RAX]);
	CHECK_EQ(r.rflags, 0x202);
	/* xchg: the old entry comes back in the register. */
	r = RUN_INSN(e, 0, 0x202, 0x48, 0x87, 0x07);
	CHECK_EQ(r.entry, regs[RAX]);
	CHECK(r.set_reg);
	CHECK_EQ(r.reg, RAX);
	CHECK_EQ(r.reg_val, e);
	/* cmpxchg, expected value matches: stored, ZF. */
	regs[RAX] = e;
	regs[RDX] = 0;
	r = RUN_INSN(e, 0, 0x202, 0xf0, 0x48, 0x0f, 0xb1, 0x17);
	CHECK(r.write);
	CHECK_EQ(r.entry, 0);
	CHECK_EQ(r.rflags & (ZF | CF), ZF);
	CHECK(!r.set_reg);
	/* ... mismatch: nothing stored, the entry goes to RAX, ZF clear. */
	regs[RAX] = e ^ 0x20;
	r = RUN_INSN(e, 0, 0x202 | ZF, 0xf0, 0x48, 0x0f, 0xb1, 0x17);
	CHECK(!r.write);
	CHECK(r.set_reg);
	CHECK_EQ(r.reg, RAX);
	CHECK_EQ(r.reg_val, e);
	CHECK_EQ(r.rflags & ZF, 0);
	/* lock btrq $5: CF = the old accessed bit. */
	r = RUN_INSN(e, 0, 0x202, 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05);
	CHECK_EQ(r.entry, e & ~0x20UL);
	CHECK_EQ(r.rflags & CF, CF);
	r = RUN_INSN(e & ~0x20UL, 0, 0x202 | CF, 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05);
	CHECK_EQ(r.rflags & CF, 0);
	/* lock andb $0xfd on byte 0: RW cleared, the rest untouched; flags of the byte. */
	r = RUN_INSN(e, 0, 0x202 | CF | OF, 0xf0, 0x80, 0x27, 0xfd);
	CHECK_EQ(r.entry, e & ~2UL);
	CHECK_EQ(r.rflags & (CF | OF | ZF | SF), 0);
	r = RUN_INSN(0x02UL, 0, 0x202, 0xf0, 0x80, 0x27, 0xfd);
	CHECK_EQ(r.entry, 0);
	CHECK_EQ(r.rflags & (ZF | PF), ZF | PF);
	/* A byte operation on the NX byte: SF from its top bit. */
	r = RUN_INSN(e, 7, 0x202, 0xf0, 0x80, 0x0f, 0x01);
	CHECK_EQ(r.entry, e | (1UL << 56));
	CHECK_EQ(r.rflags & SF, SF);
	/* A 4-byte store to the upper half keeps the lower half. */
	regs[RCX] = 0x80000000UL;
	r = RUN_INSN(0x12345067UL, 4, 0x202, 0x89, 0x0f);
	CHECK_EQ(r.entry, 0x8000000012345067UL);
	/* 32-bit cmpxchg mismatch zero-extends into RAX on write-back. */
	regs[RAX] = 0xffffffff00000000UL;
	regs[RDX] = 1;
	r = RUN_INSN(0x12345067UL, 0, 0x202, 0xf0, 0x0f, 0xb1, 0x17);
	CHECK(!r.write);
	ptwr_write_reg(regs, r.reg, r.high_byte, 4, r.reg_val);
	CHECK_EQ(regs[RAX], 0x12345067UL);
}

static void test_write_reg(void)
{
	u64 g[PTWR_NR_GPRS] = { 0 };

	g[RBX] = 0x1122334455667788UL;
	ptwr_write_reg(g, RBX, false, 1, 0xaa);
	CHECK_EQ(g[RBX], 0x11223344556677aaUL);
	ptwr_write_reg(g, RBX, true, 1, 0xbb);
	CHECK_EQ(g[RBX], 0x112233445566bbaaUL);
	ptwr_write_reg(g, RBX, false, 2, 0xcccc);
	CHECK_EQ(g[RBX], 0x112233445566ccccUL);
	ptwr_write_reg(g, RBX, false, 4, 0xdddddddd);
	CHECK_EQ(g[RBX], 0xddddddddUL);
	ptwr_write_reg(g, RBX, false, 8, ~0UL);
	CHECK_EQ(g[RBX], ~0UL);
}

/* ---- applied to an L1 the way ptwr.c does ---- */

struct emul {
	struct ptwr_insn in;
	struct ptwr_result res;
};

static bool emul_rmw(u64 old, u64 *new_entry, void *arg)
{
	struct emul *e = arg;

	ptwr_execute(&e->in, old, e->in.ea & 7, regs, 0x202, &e->res);
	*new_entry = e->res.entry;
	return e->res.write;
}

static int emulate_on(mfn_t l1, unsigned int idx, const u8 *code, unsigned int n, struct emul *e)
{
	struct pt_ctx c = ctx_of(F(l1)->owner);
	u64 old;
	int rc;

	regs[RDI] = 0xffff888000000000UL + idx * 8;
	REQUIRE_EQ(ptwr_decode(code, n, RIP, regs, &e->in), 0);
	REQUIRE_EQ(pt_get_type_in_use(F(l1), PGT_L1), 0);
	rc = pt_modify_entry(F(l1), 1, (e->in.ea & 0xfff) / 8, emul_rmw, e, &c, &old);
	pt_put_type(F(l1));
	return rc;
}

static void test_emulated_writes_are_checked(void)
{
	setup();
	reset_regs();
	mfn_t l1 = new_frame(DOMU), data = new_frame(DOMU), other = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);
	const u8 mov[] = { 0x48, 0x89, 0x07 }, xchg[] = { 0x48, 0x87, 0x07 };
	const u8 clear_rw[] = { 0xf0, 0x80, 0x27, 0xfd }, set_rw[] = { 0xf0, 0x80, 0x0f, 0x02 };
	struct emul e;

	REQUIRE_EQ(pt_pin(F(l1), PGT_L1, &c), 0);
	/* set_pte by a plain store: validated, U/S forced, references taken. */
	regs[RAX] = pte(data, PG_P | PG_RW);
	CHECK_EQ(emulate_on(l1, 9, mov, sizeof(mov), &e), 0);
	CHECK_EQ(fake_mem[l1][9], pte(data, PG_P | PG_RW | PG_US));
	CHECK_EQ(tcount(data), 1);
	/* ptep_set_wrprotect: lock andb clears RW, and the writable reference goes. */
	CHECK_EQ(emulate_on(l1, 9, clear_rw, sizeof(clear_rw), &e), 0);
	CHECK_EQ(fake_mem[l1][9], pte(data, PG_P | PG_US));
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(gcount(data), 2);
	/* Making a page-table page writable by a store is refused, entry untouched. */
	regs[RAX] = pte(l1, PG_P | PG_RW);
	CHECK_EQ(emulate_on(l1, 10, mov, sizeof(mov), &e), -EBUSY);
	CHECK_EQ(fake_mem[l1][10], 0);
	/* ... and so is setting RW on a read-only mapping of it. */
	regs[RAX] = pte(l1, PG_P);
	CHECK_EQ(emulate_on(l1, 10, mov, sizeof(mov), &e), 0);
	CHECK_EQ(emulate_on(l1, 10, set_rw, sizeof(set_rw), &e), -EBUSY);
	CHECK_EQ(fake_mem[l1][10], pte(l1, PG_P | PG_US));
	/* Another domain's frame. */
	regs[RAX] = pte(new_frame(DOMU2), PG_P);
	CHECK_EQ(emulate_on(l1, 11, mov, sizeof(mov), &e), -EBUSY);
	/* ptep_get_and_clear: xchg with 0 hands back the entry and drops its references. */
	regs[RAX] = 0;
	CHECK_EQ(emulate_on(l1, 9, xchg, sizeof(xchg), &e), 0);
	CHECK_EQ(e.res.reg_val, pte(data, PG_P | PG_US));
	CHECK_EQ(fake_mem[l1][9], 0);
	CHECK_EQ(gcount(data), 1);
	/* A compare-and-swap that loses leaves everything as it was. */
	regs[RAX] = pte(other, PG_P);
	CHECK_EQ(emulate_on(l1, 12, mov, sizeof(mov), &e), 0);
	{
		const u8 cmpxchg[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x17 };

		regs[RAX] = 0;
		regs[RDX] = pte(data, PG_P);
		CHECK_EQ(emulate_on(l1, 12, cmpxchg, sizeof(cmpxchg), &e), 0);
		CHECK(!e.res.write);
		CHECK_EQ(fake_mem[l1][12], pte(other, PG_P | PG_US));
		CHECK_EQ(gcount(data), 1);
		regs[RAX] = pte(other, PG_P | PG_US);
		CHECK_EQ(emulate_on(l1, 12, cmpxchg, sizeof(cmpxchg), &e), 0);
		CHECK(e.res.write);
		CHECK_EQ(fake_mem[l1][12], pte(data, PG_P | PG_US));
		CHECK_EQ(gcount(other), 1);
		CHECK_EQ(gcount(data), 2);
	}
	no_bugs();
}

int main(void)
{
	RUN(test_decode_mov);
	RUN(test_decode_locked_forms);
	RUN(test_decode_refusals);
	RUN(test_execute);
	RUN(test_write_reg);
	RUN(test_emulated_writes_are_checked);
	return check_done();
}
