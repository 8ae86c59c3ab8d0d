/*
 * Secondary-CPU start code. A STARTUP IPI starts a CPU in real mode at
 * CS:IP = (trampoline page >> 4):0, on the copy smp.c made of the
 * .trampoline section in a page below 1 MiB. The code there is position
 * independent (it finds its base from CS) and goes real mode -> 32-bit
 * protected mode -> long mode on the boot page tables (boot_l4, which
 * identity-maps the low 4 GiB and maps the image), then jumps to
 * ap_entry64 at the image's own address. That part loads the boot CPU's
 * control registers and the idle page tables, takes the stack smp.c left
 * in ap_boot_stack and calls ap_start().
 *
 * The .trampoline section itself lies in the image's .data, so its GDT is
 * reachable at both addresses; ap_entry64 switches to the image copy
 * before leaving the boot page tables.
 */
#include <asm/layout.h>

#define OFF(sym) ((sym) - trampoline_start)

#define TR_CS64 0x08
#define TR_DS 0x10
#define TR_CS32 0x18

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

	.section .trampoline, "awx"
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $4096, %sp             /* the top of the trampoline page */
	movzwl %ax, %ebx
	shll $4, %ebx               /* ebx = physical base, kept until long mode */

	/* The GDT descriptor needs the GDT's physical address. */
	leal OFF(tr_gdt)(%ebx), %eax
	movl %eax, OFF(tr_gdt_desc) + 2
	lgdtl OFF(tr_gdt_desc)

	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	/* A far return loads CS from the GDT: into 32-bit code. */
	pushl $TR_CS32
	leal OFF(tr_code32)(%ebx), %eax
	pushl %eax
	lretl

	.code32
tr_code32:
	movl $TR_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	leal 4096(%ebx), %esp

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_l4, %eax         /* .boot is linked at its physical address */
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0

	/* Long mode is active (in compatibility mode): far return to 64-bit code. */
	pushl $TR_CS64
	leal OFF(tr_code64)(%ebx), %eax
	pushl %eax
	lretl

	.code64
tr_code64:
	movabsq $ap_entry64, %rax
	jmpq *%rax

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00af9b000000ffff    /* 0x08: 64-bit code (accessed bit preset) */
	.quad 0x00cf93000000ffff    /* 0x10: flat data */
	.quad 0x00cf9b000000ffff    /* 0x18: flat 32-bit code */
tr_gdt_end:
	.balign 8
	.short 0
tr_gdt_desc:
	.short tr_gdt_end - tr_gdt - 1
	.long 0                     /* filled in with the copy's address */
	.globl trampoline_end
trampoline_end:

	.section .rodata
	.balign 8
	.short 0, 0, 0
ap_gdt_desc:                        /* the same GDT at the image's address */
	.short tr_gdt_end - tr_gdt - 1
	.quad tr_gdt

	.text
	.code64
/* Running at the image's address, still on boot_l4 and the trampoline's stack. */
ap_entry64:
	lgdt ap_gdt_desc(%rip)
	pushq $TR_CS64
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	movl $TR_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs

	/* Match the boot CPU: EFER (NX, SYSCALL), PAT, then the idle tables, CR4 and CR0. */
	movl $MSR_EFER, %ecx
	movl ap_boot_efer(%rip), %eax
	movl ap_boot_efer+4(%rip), %edx
	wrmsr
	movl $0x277, %ecx           /* IA32_PAT */
	movl ap_boot_pat(%rip), %eax
	movl ap_boot_pat+4(%rip), %edx
	wrmsr
	movq idle_pt_root(%rip), %rax
	movq %rax, %cr3
	movq ap_boot_cr4(%rip), %rax
	movq %rax, %cr4
	movq ap_boot_cr0(%rip), %rax
	movq %rax, %cr0

	movq ap_boot_stack(%rip), %rsp
	xorl %ebp, %ebp
	pushq $0                    /* ends the backtrace */
	call ap_start
	ud2
