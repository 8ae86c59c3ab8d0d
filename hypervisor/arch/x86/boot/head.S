/*
 * Entry from a Multiboot1 or Multiboot2 loader: 32-bit protected mode,
 * paging off, EAX = loader magic, EBX = physical address of the boot
 * information. Builds just enough paging (an identity map of the first
 * 4 GiB and the image mapping) to enter long mode and jump to the image's
 * virtual address, where start_hypervisor() takes over.
 *
 * Everything in the .boot sections runs at its physical address.
 */
#include <asm/layout.h>

#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS ((1 << 0) | (1 << 1) | (1 << 16)) /* align, memory map, address fields */
#define MB2_MAGIC 0xe85250d6

#define PHYS(sym) ((sym) - IMAGE_VIRT_OFFSET)

	.section .boot.header, "a"
	.code32
	.balign 8
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header            /* header_addr */
	.long IMAGE_PHYS_BASE       /* load_addr */
	.long PHYS(__load_end)      /* load_end_addr */
	.long PHYS(__bss_end)       /* bss_end_addr */
	.long boot_entry32          /* entry_addr */

	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0                     /* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	.balign 8
	.short 2, 0                 /* address tag */
	.long 24
	.long mb2_header
	.long IMAGE_PHYS_BASE
	.long PHYS(__load_end)
	.long PHYS(__bss_end)
	.balign 8
	.short 3, 0                 /* entry address tag */
	.long 12
	.long boot_entry32
	.balign 8
	.short 0, 0                 /* end tag */
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl boot_entry32
boot_entry32:
	cli
	cld
	movl $PHYS(boot_stack_top - CPU_INFO_SIZE), %esp
	movl %eax, %ebp             /* loader magic */

	/* Zero the BSS above the boot stack (the loader should have, too). */
	movl $PHYS(boot_stack_top - CPU_INFO_SIZE), %edi
	movl $PHYS(__bss_end), %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl %ebp, %edi             /* kept for start_hypervisor(magic, info) */
	movl %ebx, %esi

	/* Long mode present? Otherwise say so on COM1 and stop. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	/* Page tables: fill the identity L2s (4 GiB of 2 MiB pages). */
	movl $boot_l2_ident, %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax             /* present, writable, 2 MiB */
	movl %eax, (%ebx, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax              /* upper bits of (ecx << 21) */
	movl %eax, 4(%ebx, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 1b

	movl $boot_l4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $(1 << 5), %eax         /* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx      /* EFER: long mode, NX */
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16) | (1 << 0)), %eax /* PG, WP, PE */
	movl %eax, %cr0

	lgdt boot_gdt_desc
	ljmp $0x08, $boot_entry64

no_long_mode:
	movl $no_lm_msg, %esi
	movw $0x3f8, %dx
2:	lodsb
	testb %al, %al
	jz 3f
	outb %al, %dx
	jmp 2b
3:	hlt
	jmp 3b

	.code64
boot_entry64:
	xorl %eax, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movabsq $(boot_stack_top - CPU_INFO_SIZE), %rsp
	movabsq $start_hypervisor, %rax
	xorl %ebp, %ebp
	pushq $0                    /* ends the backtrace */
	jmpq *%rax

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff    /* 0x10: data */
boot_gdt_end:
	.globl boot_gdt_desc
boot_gdt_desc:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
no_lm_msg:
	.asciz "mica: this CPU has no 64-bit long mode; cannot boot\r\n"

/*
 * Boot page tables. L4[0] identity-maps 4 GiB (also used by secondary
 * CPUs while they start); L4[261]/L3[0] maps the first GiB of physical
 * memory at IMAGE_VIRT_OFFSET, which covers the image.
 */
	.balign 4096
	.globl boot_l4
boot_l4:
	.quad boot_l3_ident + 0x03
	.fill 260, 8, 0
	.quad boot_l3_image + 0x03  /* slot 261 */
	.fill 250, 8, 0
boot_l3_ident:
	.quad boot_l2_ident + 0x0000 + 0x03
	.quad boot_l2_ident + 0x1000 + 0x03
	.quad boot_l2_ident + 0x2000 + 0x03
	.quad boot_l2_ident + 0x3000 + 0x03
	.fill 508, 8, 0
boot_l3_image:
	.quad boot_l2_ident + 0x03
	.fill 511, 8, 0
boot_l2_ident:
	.fill 2048, 8, 0

	.section .bss.stack, "aw", @nobits
	.balign STACK_SIZE
	.globl boot_stack
boot_stack:
	.skip STACK_SIZE
boot_stack_top:
