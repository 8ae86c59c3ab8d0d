/*
 * libpv's first instructions and every way back into the guest from the
 * hypervisor: the Xen ELF notes a builder reads, _start, one entry stub
 * per IDT vector, the event/failsafe/syscall callbacks, and the return
 * path through the iret hypercall.
 *
 * How the hypervisor enters a PV kernel (PV ABI notes, section 3.4): it
 * writes a bounce frame on the guest kernel stack and jumps to the
 * registered address. Lowest address first the frame is RCX, R11, [error
 * code], RIP, CS (saved event mask in bits 39:32), RFLAGS, RSP, SS. Each
 * stub pops RCX and R11 back into their registers, which leaves a
 * hardware-style exception frame; stubs of vectors without an error code
 * push a 0 so that every frame looks alike; then they push the vector
 * and jump to trap_common, which saves the rest into a struct pv_regs
 * (libpv.h) plus the FPU/SSE state and calls pv_trap_dispatch(regs).
 *
 * The way out is always the iret hypercall: it takes RAX, R11, RCX, flags
 * and the hardware frame from the stack, restores the event mask from
 * RFLAGS.IF, and resumes whatever the (possibly edited) frame says.
 */
#define __ASSEMBLY__
#include <pv/elfnote.h>
#include <pv/hypercall_nr.h>

#define LIBPV_VIRT_BASE 0xffffffff80000000
#define XENFEAT_dom0 11
#define PV_VECTOR_EVENT 256
#define PV_VECTOR_FAILSAFE 257
#define PV_VECTOR_SYSCALL 258
#define BOOT_STACK_SIZE (64 * 1024)
#define FLAT_USER_CS 0xe033
#define FLAT_USER_SS 0xe02b
#define PV_USER_EXIT 0x5449584552455355 /* libpv.h */

/* --- Xen ELF notes (owner "Xen"), collected into a PT_NOTE by libpv.ld ----- */

/* One note: namesz 4 ("Xen" and its NUL), descsz, type, the name, the descriptor. */
#define XEN_NOTE(type, desc...)                                                     \
	.pushsection .note.Xen, "a", @note;                                         \
	.p2align 2;                                                                 \
	.long 4; .long 2f - 1f; .long type;                                         \
	.asciz "Xen";                                                               \
1:	desc;                                                                       \
2:	.p2align 2;                                                                 \
	.popsection

	XEN_NOTE(XEN_ELFNOTE_ENTRY, .quad _start)
	XEN_NOTE(XEN_ELFNOTE_VIRT_BASE, .quad LIBPV_VIRT_BASE)
	XEN_NOTE(XEN_ELFNOTE_PADDR_OFFSET, .quad 0)
	XEN_NOTE(XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
	XEN_NOTE(XEN_ELFNOTE_GUEST_OS, .asciz "libpv")
	XEN_NOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz "0.1")
	XEN_NOTE(XEN_ELFNOTE_LOADER, .asciz "generic")
	/* Nothing required ('!'); 64-bit page directories anywhere, like Linux. */
	XEN_NOTE(XEN_ELFNOTE_FEATURES, .asciz "pae_pgdir_above_4gb")
	/* The dom0 bit: a builder refuses to start a kernel as dom0 without it. */
	XEN_NOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long (1 << XENFEAT_dom0))

/* --- _start ------------------------------------------------------------- */

/*
 * Entered in guest kernel mode with RSI = start_info (a VA), events
 * masked, on the builder's boot stack. Clears .bss (the boot stack and
 * the heap live there), moves to libpv's stack and runs pv_start().
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	cld
	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	lea pv_boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	mov %rsi, %rdi
	call pv_start
	ud2

/* --- one stub per vector -------------------------------------------------- */

/*
 * Vectors for which the hypervisor's frame carries an error code. A
 * software INT n never has one, which is why libpv gives these vectors
 * DPL 0 (INT n on them becomes a #GP instead).
 */
#define HAS_ERROR(v) (((v) == 8) || (((v) >= 10) && ((v) <= 14)) || ((v) == 17) || \
		      ((v) == 21) || ((v) == 29) || ((v) == 30))

	.pushsection .rodata.pv_trap_stubs, "a"
	.p2align 3
	.globl pv_trap_stubs
pv_trap_stubs:                       /* u64 [256]: the stub of each vector */
	.popsection

	.text
	.set vec, 0
	.rept 256
	.p2align 4
1:	pop %rcx
	pop %r11
	.if !HAS_ERROR(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.pushsection .rodata.pv_trap_stubs, "a"
	.quad 1b
	.popsection
	.set vec, vec + 1
	.endr

/* The event upcall: no error code; events are masked on entry. */
	.p2align 4
	.globl pv_event_callback
pv_event_callback:
	pop %rcx
	pop %r11
	pushq $0
	pushq $PV_VECTOR_EVENT
	jmp trap_common

/*
 * Failsafe: the hypervisor could not load our segments or return to us.
 * Its frame has DS, ES, FS, GS between R11 and RIP; libpv never loads
 * segments of its own, so they are dropped and the dispatcher reports.
 */
	.p2align 4
	.globl pv_failsafe_callback
pv_failsafe_callback:
	pop %rcx
	pop %r11
	add $32, %rsp
	pushq $0
	pushq $PV_VECTOR_FAILSAFE
	jmp trap_common

/* SYSCALL from guest user mode: libpv runs no user code, so this is a report. */
	.p2align 4
	.globl pv_syscall_callback
pv_syscall_callback:
	pop %rcx
	pop %r11
	pushq $0
	pushq $PV_VECTOR_SYSCALL
	jmp trap_common

/* --- the common path ------------------------------------------------------ */

/*
 * Stack on entry: vector, error code, RIP, CS, RFLAGS, RSP, SS. Pushes
 * the general registers to complete a struct pv_regs, saves the FPU/SSE
 * state below it (the handler may use SSE; the interrupted code must not
 * see its registers change), calls pv_trap_dispatch(regs) and returns
 * through the iret hypercall to what regs then says.
 */
	.p2align 4
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rbx
	sub $512, %rsp
	and $-16, %rsp
	fxsave64 (%rsp)
	cld
	mov %rbx, %rdi
	call pv_trap_dispatch
	fxrstor64 (%rsp)
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp                    /* vector and error code */

/*
 * pv_iret: return through the iret hypercall to the hardware-style frame
 * (RIP, CS, RFLAGS, RSP, SS) at the top of the stack, restoring RAX, RCX
 * and R11 from their registers. The frame's RFLAGS.IF sets the event mask.
 */
	.globl pv_iret
pv_iret:
	pushq $0                         /* flags: restore RCX and R11 too */
	push %rcx
	push %r11
	push %rax
	mov $PV_HC_iret, %eax
	syscall
	ud2                              /* iret never returns here */

/* --- secondary vCPUs (vcpu.c) ---------------------------------------------- */

/*
 * Where VCPUOP_initialise starts a vCPU libpv brings up: guest kernel
 * mode, events masked, RSP at the top of its own stack, RDI RSI RDX =
 * its id, fn, arg for pv_secondary_start.
 */
	.globl pv_secondary_entry
	.p2align 4
pv_secondary_entry:
	cld
	xor %ebp, %ebp
	call pv_secondary_start
	ud2

/* --- guest user mode (user.c) ---------------------------------------------- */

/*
 * pv_user_enter(fn, arg, user_sp, rflags): saves RBX RBP R12-R15 and
 * rflags (what the return to kernel mode restores) on the kernel stack,
 * records that stack in pv_user_kernel_rsp, and irets to user mode (CS
 * RPL 3) at pv_user_start with RDI = arg and RSI = fn; the iret keeps
 * every register but RAX, RCX and R11. Returns fn's result, through
 * pv_user_exit and pv_user_resume.
 */
	.globl pv_user_enter
	.p2align 4
pv_user_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rcx                        /* RFLAGS for the way back */
	mov %rsp, pv_user_kernel_rsp(%rip)
	pushq $FLAT_USER_SS
	push %rdx                        /* user RSP */
	push %rcx                        /* RFLAGS: IF sets the event mask */
	pushq $FLAT_USER_CS              /* RPL 3: to user mode */
	lea pv_user_start(%rip), %rax
	push %rax
	mov %rdi, %rax
	mov %rsi, %rdi                   /* arg */
	mov %rax, %rsi                   /* fn */
	xor %eax, %eax
	jmp pv_iret

/* User mode: fn(arg), then the system call that takes us back. */
	.p2align 4
pv_user_start:
	call *%rsi
	mov %rax, %rdi
	movabs $PV_USER_EXIT, %rax
	syscall
	ud2

/* Kernel mode again, RSP = pv_user_kernel_rsp as saved, RAX = fn's result. */
	.globl pv_user_resume
	.p2align 4
pv_user_resume:
	add $8, %rsp                     /* the saved RFLAGS */
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* --- the boot stack --------------------------------------------------------- */

	.section .bss.pv_boot_stack, "aw", @nobits
	.p2align 12
pv_boot_stack:
	.skip BOOT_STACK_SIZE
	.globl pv_boot_stack_top
pv_boot_stack_top:

	.section .note.GNU-stack, "", @progbits
