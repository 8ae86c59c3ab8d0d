/*
 * Probes for the conformance guests (see probes.h): each runs one
 * instruction that may trap, with its address, the address after it and
 * the stack pointer at it recorded first, so a trap hook can check the
 * bounce frame exactly and resume at probe_after.
 */
#define __ASSEMBLY__
#include <pv/hypercall_nr.h>

#define FLAT_KERNEL_SS 0xe02b
#define KERNEL_CS_RPL0 0xe030      /* a kernel-mode return: RPL 0 */

	.bss
	.p2align 3
	.globl probe_at, probe_after, probe_rsp
probe_at:	.quad 0
probe_after:	.quad 0
probe_rsp:	.quad 0
saved_rsp:	.quad 0

	.text

/*
 * PROBE name: the function's start. Records .Lat_name / .Lafter_name and
 * RSP, loads the RCX/R11 patterns. The probe body follows: any setup that
 * does not move RSP, then the label .Lat_name on the instruction, then
 * .Lafter_name where execution resumes.
 */
.macro PROBE name
	.globl \name
	.p2align 4
\name:
	lea .Lafter_\name(%rip), %rax
	mov %rax, probe_after(%rip)
	lea .Lat_\name(%rip), %rax
	mov %rax, probe_at(%rip)
	movabs $0x1111111111111111, %rcx
	movabs $0x2222222222222222, %r11
	mov %rsp, probe_rsp(%rip)
.endm

PROBE probe_int3
.Lat_probe_int3:
	int3
.Lafter_probe_int3:
	ret

/*
 * probe_int3 runs its INT3 with RSP 8 mod 16 (a function's entry); this one
 * with RSP 16-byte aligned, so both roundings of the frame base are seen.
 */
	.globl probe_int3_aligned
	.p2align 4
probe_int3_aligned:
	sub $16, %rsp
	call 1f                          /* RSP at the INT3: entry - 24, 0 mod 16 */
	add $16, %rsp
	ret
1:	lea .Lafter_mis(%rip), %rax
	mov %rax, probe_after(%rip)
	lea .Lat_mis(%rip), %rax
	mov %rax, probe_at(%rip)
	movabs $0x1111111111111111, %rcx
	movabs $0x2222222222222222, %r11
	mov %rsp, probe_rsp(%rip)
.Lat_mis:
	int3
.Lafter_mis:
	ret

PROBE probe_int_cd03
.Lat_probe_int_cd03:
	.byte 0xcd, 0x03                 /* int $3, the two-byte form */
.Lafter_probe_int_cd03:
	ret

PROBE probe_int80
.Lat_probe_int80:
	int $0x80
.Lafter_probe_int80:
	ret

PROBE probe_int81
.Lat_probe_int81:
	int $0x81
.Lafter_probe_int81:
	ret

PROBE probe_int82
.Lat_probe_int82:
	int $0x82
.Lafter_probe_int82:
	ret

PROBE probe_ud2
.Lat_probe_ud2:
	ud2
.Lafter_probe_ud2:
	ret

/* The forced-emulation prefix on something that is not CPUID. */
PROBE probe_forced_not_cpuid
.Lat_probe_forced_not_cpuid:
	ud2
	.ascii "xen"
	nop
.Lafter_probe_forced_not_cpuid:
	ret

PROBE probe_load
.Lat_probe_load:
	mov (%rdi), %rax
.Lafter_probe_load:
	ret

PROBE probe_store
.Lat_probe_store:
	movq $0, (%rdi)
.Lafter_probe_store:
	ret

/* A call to addr: a fetch fault there has RSP 8 below probe_rsp. */
PROBE probe_call
.Lat_probe_call:
	call *%rdi
.Lafter_probe_call:
	ret

PROBE probe_div0
	xor %edx, %edx
	mov $1, %eax
	xor %esi, %esi
.Lat_probe_div0:
	div %rsi
.Lafter_probe_div0:
	ret

PROBE probe_hlt
.Lat_probe_hlt:
	hlt
.Lafter_probe_hlt:
	ret

PROBE probe_cli
.Lat_probe_cli:
	cli
.Lafter_probe_cli:
	ret

PROBE probe_sse
.Lat_probe_sse:
	xorps %xmm0, %xmm0
.Lafter_probe_sse:
	ret

PROBE probe_rdmsr
	mov %edi, %ecx
	xor %eax, %eax
	xor %edx, %edx
.Lat_probe_rdmsr:
	rdmsr
.Lafter_probe_rdmsr:
	shl $32, %rdx
	mov %eax, %eax
	or %rdx, %rax
	ret

PROBE probe_wrmsr
	mov %edi, %ecx
	mov %rsi, %rax
	mov %rsi, %rdx
	shr $32, %rdx
.Lat_probe_wrmsr:
	wrmsr
.Lafter_probe_wrmsr:
	ret

PROBE probe_xgetbv
	xor %ecx, %ecx
	xor %eax, %eax
	xor %edx, %edx
.Lat_probe_xgetbv:
	xgetbv
.Lafter_probe_xgetbv:
	shl $32, %rdx
	mov %eax, %eax
	or %rdx, %rax
	ret

PROBE probe_xsetbv
	xor %ecx, %ecx
	mov %rdi, %rax
	mov %rdi, %rdx
	shr $32, %rdx
.Lat_probe_xsetbv:
	xsetbv
.Lafter_probe_xsetbv:
	ret

PROBE probe_inb
	mov %edi, %edx
	movabs $0x1122334455667788, %rax
.Lat_probe_inb:
	in %dx, %al
.Lafter_probe_inb:
	ret

PROBE probe_inw
	mov %edi, %edx
	movabs $0x1122334455667788, %rax
.Lat_probe_inw:
	in %dx, %ax
.Lafter_probe_inw:
	ret

PROBE probe_inl
	mov %edi, %edx
	movabs $0x1122334455667788, %rax
.Lat_probe_inl:
	in %dx, %eax
.Lafter_probe_inl:
	ret

PROBE probe_inb_imm
	movabs $0x1122334455667788, %rax
.Lat_probe_inb_imm:
	in $0xe4, %al
.Lafter_probe_inb_imm:
	ret

PROBE probe_outb
	mov %edi, %edx
	mov %esi, %eax
.Lat_probe_outb:
	out %al, %dx
.Lafter_probe_outb:
	ret

PROBE probe_insb
	mov %edi, %edx
	mov %rsi, %rdi
	cld
.Lat_probe_insb:
	insb
.Lafter_probe_insb:
	mov %rdi, %rax
	ret

/* probe_xen_cpuid(leaf, subleaf, out[4]) */
	.globl probe_xen_cpuid
	.p2align 4
probe_xen_cpuid:
	push %rbx
	mov %rdx, %r8
	lea .Lafter_cpuid(%rip), %rax
	mov %rax, probe_after(%rip)
	lea .Lat_cpuid(%rip), %rax
	mov %rax, probe_at(%rip)
	mov %rsp, probe_rsp(%rip)
	mov %edi, %eax
	mov %esi, %ecx
	xor %ebx, %ebx
	xor %edx, %edx
.Lat_cpuid:
	ud2
	.ascii "xen"
	cpuid
.Lafter_cpuid:
	mov %eax, 0(%r8)
	mov %ebx, 4(%r8)
	mov %ecx, 8(%r8)
	mov %edx, 12(%r8)
	pop %rbx
	ret

	.globl read_fs0, read_gs0
read_fs0:
	mov %fs:0, %rax
	ret
read_gs0:
	mov %gs:0, %rax
	ret

/*
 * iret_with(rflags, cs, rax): the iret hypercall back to our caller with
 * that RFLAGS and CS (SS flat), returning the RAX the hypercall restored.
 */
	.globl iret_with
	.p2align 4
iret_with:
	mov %rsp, %r8                    /* -> return address */
	pushq $FLAT_KERNEL_SS
	lea 8(%r8), %r9
	push %r9                         /* RSP as after a RET */
	push %rdi                        /* RFLAGS */
	push %rsi                        /* CS */
	pushq (%r8)                      /* RIP: the return address */
	mov %rdx, %rax
	jmp pv_iret

/* iret_keeps_rcx_r11(): 0 if RCX and R11 come back from an iret as they went in. */
	.globl iret_keeps_rcx_r11
	.p2align 4
iret_keeps_rcx_r11:
	movabs $0x3333333333333333, %rcx
	movabs $0x4444444444444444, %r11
	mov %rsp, %r8
	pushq $FLAT_KERNEL_SS
	push %r8
	pushq $0x2
	pushq $KERNEL_CS_RPL0
	lea 1f(%rip), %rax
	push %rax
	jmp pv_iret
1:	movabs $0x3333333333333333, %rax
	xor %rax, %rcx
	movabs $0x4444444444444444, %rax
	xor %rax, %r11
	or %r11, %rcx
	mov %rcx, %rax
	ret

/* read_cs(), read_ss(), read_rflags(): the live values. */
	.globl read_cs, read_ss, read_rflags
read_cs:
	mov %cs, %eax
	ret
read_ss:
	mov %ss, %eax
	ret
read_rflags:
	pushfq
	pop %rax
	ret

/*
 * probe_single_step(): iret to .Lat with RFLAGS.TF set; the NOP there
 * completes and a #DB (a trap) arrives with RIP = probe_after.
 */
PROBE probe_single_step
	mov %rsp, %r8
	pushq $FLAT_KERNEL_SS
	push %r8
	pushq $0x102                     /* TF, IF clear: events stay masked */
	pushq $KERNEL_CS_RPL0
	lea .Lat_probe_single_step(%rip), %rax
	push %rax
	jmp pv_iret
.Lat_probe_single_step:
	nop
.Lafter_probe_single_step:
	ret

/*
 * hypercall_clobber_check(nr, a1, a2): issues the hypercall with RBX, RBP
 * and R12-R15 holding patterns and returns the OR of (register ^ pattern)
 * over them, and of RSP before ^ after: 0 if all survived.
 */
	.globl hypercall_clobber_check
	.p2align 4
hypercall_clobber_check:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, saved_rsp(%rip)
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	movabs $0x0101010101010101, %rbx
	movabs $0x0202020202020202, %rbp
	movabs $0x0c0c0c0c0c0c0c0c, %r12
	movabs $0x0d0d0d0d0d0d0d0d, %r13
	movabs $0x0e0e0e0e0e0e0e0e, %r14
	movabs $0x0f0f0f0f0f0f0f0f, %r15
	syscall
	movabs $0x0101010101010101, %rax
	xor %rax, %rbx
	movabs $0x0202020202020202, %rax
	xor %rax, %rbp
	or %rbp, %rbx
	movabs $0x0c0c0c0c0c0c0c0c, %rax
	xor %rax, %r12
	or %r12, %rbx
	movabs $0x0d0d0d0d0d0d0d0d, %rax
	xor %rax, %r13
	or %r13, %rbx
	movabs $0x0e0e0e0e0e0e0e0e, %rax
	xor %rax, %r14
	or %r14, %rbx
	movabs $0x0f0f0f0f0f0f0f0f, %rax
	xor %rax, %r15
	or %r15, %rbx
	mov saved_rsp(%rip), %rax
	xor %rsp, %rax
	or %rbx, %rax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.section .note.GNU-stack, "", @progbits
