/*
 * Exception and interrupt entry: one small stub per vector makes the stack
 * uniform (error code, vector), then common code saves the general
 * registers as a struct cpu_regs and calls do_trap().
 */
#include <asm/layout.h>

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.section .text.entry, "ax"
	.balign 16
	.globl exception_stubs
exception_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if !HAS_ERRCODE(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	cld
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	/* A frame record so backtraces continue into the interrupted code. */
	pushq 17*8(%rsp)            /* saved RIP */
	pushq %rbp
	movq %rsp, %rbp
	call do_trap
	addq $16, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	addq $16, %rsp              /* vector, error code */
	iretq
