/*
 * Trapped writes to read-only L1 page tables ("ptwr", section 3.9). A
 * guest kernel may store to a page-table entry directly, even in a pinned
 * table it maps read-only: Linux does so early in boot and in its native
 * PTE helpers. The store faults; if it targets an L1 table in use by the
 * faulting domain, it is decoded (ptwr_emul.c), applied to the entry as a
 * checked atomic read-modify-write (the mmu_update path, so the same
 * rules hold), and the guest continues after the instruction. Anything
 * else, including a refused entry, is the guest's own #PF, as on Xen;
 * writes to L2-L4 tables are never emulated.
 */
#include <asm/pv.h>
#include <asm/regs.h>
#include <asm/x86.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include "mm_arch.h"

#define PFEC_PRESENT (1u << 0)
#define PFEC_WRITE (1u << 1)
#define PFEC_RSVD (1u << 3)
#define PFEC_INSN (1u << 4)


struct ptwr_state {
	const struct ptwr_insn *in;
	unsigned int off;
	const u64 *gpr;
	u64 rflags;
	struct ptwr_result res;
};

static bool ptwr_rmw(u64 old, u64 *new_entry, void *arg)
{
	struct ptwr_state *s = arg;

	ptwr_execute(s->in, old, s->off, s->gpr, s->rflags, &s->res);
	*new_entry = s->res.entry;
	return s->res.write;
}

/* Decodes and applies the faulting store to L1 table target. */
static bool emulate(struct vcpu *v, struct cpu_regs *regs, u64 cr2, struct frame *target)
{
	struct ptwr_insn in;
	struct ptwr_state s;
	struct pt_ctx ctx;
	u64 gpr[PTWR_NR_GPRS], old;
	u8 code[X86_MAX_INSN_LEN];
	unsigned int n = pv_fetch_insn(regs->rip, code);

	for (unsigned int i = 0; i < PTWR_NR_GPRS; i++)
		gpr[i] = *cpu_regs_gpr(regs, i);
	if (ptwr_decode(code, n, regs->rip, gpr, &in))
		return false;
	/* The operand must be the faulting address, inside one 8-byte entry. */
	if (((in.ea ^ cr2) & ~7UL) || (in.ea & 7) + in.size > 8)
		return false;
	s = (struct ptwr_state){ .in = &in, .off = in.ea & 7, .gpr = gpr, .rflags = regs->rflags };
	pt_ctx_self(&ctx, v->domain->id, false);
	if (pt_modify_entry(target, 1, (in.ea & (PAGE_SIZE - 1)) / 8, ptwr_rmw, &s, &ctx, &old))
		return false;
	if (s.res.set_reg) {
		ptwr_write_reg(gpr, s.res.reg, s.res.high_byte, in.size, s.res.reg_val);
		*cpu_regs_gpr(regs, s.res.reg) = gpr[s.res.reg];
	}
	regs->rflags = s.res.rflags;
	regs->rip += in.len;
	return true;
}

bool pv_handle_page_fault(struct vcpu *v, struct cpu_regs *regs, u64 cr2)
{
	struct frame *target;
	unsigned int idx;
	mfn_t l1;
	u64 pte;
	bool done;

	/* A write to a present, read-only page from guest kernel code. */
	if ((regs->error_code & (PFEC_PRESENT | PFEC_WRITE | PFEC_RSVD | PFEC_INSN)) !=
	    (PFEC_PRESENT | PFEC_WRITE) ||
	    !v->arch.kernel_mode || !v->arch.kernel_root)
		return false;
	if (pt_walk_l1(v->arch.kernel_root, cr2, &l1, &idx))
		return false;
	pte = READ_ONCE(pt_map(l1)[idx]);
	if (!(pte & PG_P) || (pte & PG_RW))
		return false;
	/* The page written must be an L1 table of the domain's, in use. */
	target = pv_get_l1_in_use(pte_mfn(pte), v->domain->id);
	if (!target)
		return false;
	done = emulate(v, regs, cr2, target);
	put_page_and_type(target);
	return done;
}
