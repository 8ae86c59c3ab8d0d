/* The register frame the exception and interrupt entry code saves. */
#ifndef ASM_REGS_H
#define ASM_REGS_H

#include <mica/types.h>

struct cpu_regs {
	u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	u64 rax, rcx, rdx, rsi, rdi;
	u64 vector;
	u64 error_code; /* 0 for vectors where the CPU pushes none */
	/* Pushed by the CPU: */
	u64 rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct cpu_regs) == 22 * 8, "entry.S pushes 22 words");

/* General register n (0-15) in the instruction encoding's order: rax, rcx, ... r15. */
static inline u64 *cpu_regs_gpr(struct cpu_regs *r, unsigned int n)
{
	u64 *slots[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return slots[n & 15];
}

/* Called by entry.S for every vector; regs is on the interrupted stack (or an IST). */
void do_trap(struct cpu_regs *regs);

/* Interrupts (vectors 32-255): implemented in irq.c. */
void do_irq(struct cpu_regs *regs, unsigned int vector);

/* The entry stubs, 16 bytes apart, one per vector (entry.S). */
extern const char exception_stubs[];
#define STUB_SIZE 16

#endif
