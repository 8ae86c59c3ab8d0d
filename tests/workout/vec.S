/*
 * workout: hold known values in every x87, SSE and AVX register across
 * system calls, yields and busy loops (where interrupts preempt), then store
 * them for the caller to compare; and scramble them all from a signal handler.
 *
 * struct vec_regs (vector.c, offsets checked there):
 *   0    ymm[16][32]   only the low 16 bytes of each are used without AVX
 *   512  x87[8][16]    80-bit values, x87[0] ends up in st(0)
 *   640  mxcsr (4 bytes), 644 x87 control word (2 bytes)
 */
	.file "vec.S"

#define X87	512
#define MXCSR	640
#define FCW	644
#define SYS_sched_yield	24
#define SYS_getppid	110

	.macro load_all op, base, width
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	\op \n*32(\base), %\width\n
	.endr
	.endm

	.macro store_all op, base, width
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	\op %\width\n, \n*32(\base)
	.endr
	.endm

	.text
/*
 * void vec_hold(const struct vec_regs *in, struct vec_regs *out, long rounds,
 *               long spin, int avx)
 * Loads `in`, then `rounds` times (at least 1) calls sched_yield and getppid
 * and spins `spin` (at least 1) iterations; stores everything to `out`.
 * The caller's MXCSR and control word are restored; the x87 stack is left empty.
 */
	.globl vec_hold
	.type vec_hold, @function
vec_hold:
	mov	%rdx, %r10		/* rounds: syscall keeps r8-r10 */
	mov	%rcx, %r9		/* spin */
	sub	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	ldmxcsr	MXCSR(%rdi)
	fldcw	FCW(%rdi)
	.irp n, 7,6,5,4,3,2,1,0
	fldt	X87+\n*16(%rdi)
	.endr
	test	%r8d, %r8d
	jz	1f
	load_all vmovdqu, %rdi, ymm
	jmp	2f
1:	load_all movdqu, %rdi, xmm
2:	mov	$SYS_sched_yield, %eax
	syscall
	mov	$SYS_getppid, %eax
	syscall
	mov	%r9, %rdx
3:	dec	%rdx
	jnz	3b
	dec	%r10
	jnz	2b
	test	%r8d, %r8d
	jz	4f
	store_all vmovdqu, %rsi, ymm
	jmp	5f
4:	store_all movdqu, %rsi, xmm
5:	.irp n, 0,1,2,3,4,5,6,7
	fstpt	X87+\n*16(%rsi)
	.endr
	stmxcsr	MXCSR(%rsi)
	fnstcw	FCW(%rsi)
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	add	$8, %rsp
	test	%r8d, %r8d
	jz	6f
	vzeroupper
6:	ret
	.size vec_hold, .-vec_hold

/*
 * void vec_scramble(int avx)
 * Overwrites every vector register, fills and empties the x87 stack, and
 * changes MXCSR's rounding mode and the x87 control word. Only for a signal
 * handler: sigreturn must bring back what the interrupted code had.
 */
	.globl vec_scramble
	.type vec_scramble, @function
vec_scramble:
	lea	junk(%rip), %rax
	test	%edi, %edi
	jz	1f
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	(%rax), %ymm\n
	.endr
	jmp	2f
1:	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	(%rax), %xmm\n
	.endr
2:	fninit
	.rept 8
	fldpi
	.endr
	fninit
	fldcw	junk_fcw(%rip)
	ldmxcsr	junk_mxcsr(%rip)
	ret
	.size vec_scramble, .-vec_scramble

	.section .rodata
	.balign 32
junk:	.quad 0xdeadbeefdeadbeef, 0x0badf00d0badf00d, 0x1234567812345678, 0xfeedfacefeedface
junk_fcw:
	.short 0x0c7f		/* round toward zero, single precision */
junk_mxcsr:
	.long 0x3f80		/* round down */

	.section .note.GNU-stack, "", @progbits
