/*
 * Exception and interrupt entry: one small stub per vector makes the stack
 * uniform (error code, vector), then common code saves the general
 * registers as a struct cpu_regs and calls do_trap().
 */
#include <asm/layout.h>

#define FIXUP(from, to)                   \
	.pushsection .fixup_table, "a";   \
	.balign 8;                        \
	.quad from, to;                   \
	.popsection

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

/* The general registers as struct cpu_regs lays them out (r15 lowest). */
.macro push_gprs
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
.endm

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
	push_gprs
	movq %rsp, %rdi
	/* A frame record so backtraces continue into the interrupted code. */
	pushq 17*8(%rsp)            /* saved RIP */
	pushq %rbp
	movq %rsp, %rbp
	call do_trap
	addq $16, %rsp
	/*
	 * A frame at the very top of the stack came from a guest (ring 3
	 * through TSS.rsp0, or the SYSCALL entry): finish the guest's pending
	 * work (events, bounces, scheduling) before resuming whoever owns
	 * the frame now. Frames on IST stacks return as they are.
	 */
	leaq 22*8(%rsp), %rax
	movq %rax, %rcx
	andq $(STACK_SIZE - 1), %rcx
	cmpq $(STACK_SIZE - CPU_INFO_SIZE), %rcx
	jne 1f
	testb $3, 18*8(%rsp)        /* CS RPL: ring 3 */
	jz 1f
	cli
	movq %rsp, %rdi
	call pv_exit_to_guest
1:
restore_frame:
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
return_iret:
	iretq
	FIXUP(return_iret, iret_faulted)

/*
 * IRETQ refused what a guest left in its frame (a bad CS or SS, a
 * non-canonical RIP): the fault handler resumed here, on the stack the
 * IRETQ ran on, with the guest's registers still loaded. Rebuild the
 * frame exactly and let pv_iret_faulted() deal with the guest.
 */
iret_faulted:
	pushq $0
	pushq $0
	push_gprs
	movq %rsp, %rdi
	call pv_iret_faulted
	cli
	movq %rsp, %rdi
	call pv_exit_to_guest
	jmp restore_frame

/*
 * SYSCALL from ring 3: a guest kernel's hypercall or a guest user's
 * system call. SYSCALL leaves RSP alone, so borrow GS (KERNEL_GS_BASE
 * holds this CPU's cpu_info while guests run; the hypervisor never uses
 * GS otherwise) to find the stack, then build the same frame an
 * exception from ring 3 would have, with "vector" 256.
 */
	.globl pv_syscall_entry
pv_syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_INFO_SYSCALL_RSP
	movq %gs:CPU_INFO_SELF, %rsp
	pushq $0xe02b               /* SS: FLAT_RING3_DS */
	pushq %gs:CPU_INFO_SYSCALL_RSP
	swapgs
	pushq %r11                  /* RFLAGS */
	pushq $0xe033               /* CS: FLAT_RING3_CS64 */
	pushq %rcx                  /* RIP */
	pushq $0
	pushq $256
	jmp trap_common

/*
 * Starts a vCPU on this CPU for the first time, or after the CPU idled:
 * the guest frame at the stack top is already filled in.
 * void resume_guest_frame(struct cpu_regs *frame) __noreturn
 */
	.globl resume_guest_frame
resume_guest_frame:
	cli
	movq %rdi, %rsp
	xorl %ebp, %ebp
	call pv_exit_to_guest
	jmp restore_frame
