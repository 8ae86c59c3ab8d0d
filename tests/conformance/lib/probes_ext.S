/*
 * More probes: see probes_ext.h. Same layout as probes.S: each records
 * where its instruction is (probe_at), where to resume (probe_after) and
 * RSP, and loads the RCX/R11 patterns unless it needs those registers.
 */
	.text

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

PROBE probe_store64
.Lat_probe_store64:
	mov %rsi, (%rdi)
.Lafter_probe_store64:
	ret

PROBE probe_store32
.Lat_probe_store32:
	movl %esi, (%rdi)
.Lafter_probe_store32:
	ret

PROBE probe_xchg64
	mov %rsi, %rax
.Lat_probe_xchg64:
	xchg %rax, (%rdi)
.Lafter_probe_xchg64:
	ret

PROBE probe_cmpxchg64
	mov %rsi, %rax
.Lat_probe_cmpxchg64:
	lock cmpxchg %rdx, (%rdi)
.Lafter_probe_cmpxchg64:
	ret

PROBE probe_lock_bts
.Lat_probe_lock_bts:
	lock bts %rsi, (%rdi)
.Lafter_probe_lock_bts:
	ret

PROBE probe_idiv_overflow
	movabs $0x8000000000000000, %rax
	cqo
	mov $-1, %rsi
.Lat_probe_idiv_overflow:
	idiv %rsi
.Lafter_probe_idiv_overflow:
	ret

PROBE probe_div8_zero
	mov $7, %eax
	xor %esi, %esi
.Lat_probe_div8_zero:
	div %sil
.Lafter_probe_div8_zero:
	ret

PROBE probe_icebp
.Lat_probe_icebp:
	.byte 0xf1
.Lafter_probe_icebp:
	ret

PROBE probe_lock_nop
.Lat_probe_lock_nop:
	.byte 0xf0, 0x90                 /* LOCK NOP */
.Lafter_probe_lock_nop:
	ret

/*
 * probe_int_n(n): INT n through a table of 256 two-byte instructions; the
 * probe addresses are those of entry n.
 */
	.globl probe_int_n
	.p2align 4
probe_int_n:
	movzbl %dil, %edi
	lea .Lint_table(%rip), %rax
	lea (%rax,%rdi,4), %rax          /* each entry: INT n (2 bytes), RET, INT3 */
	mov %rax, probe_at(%rip)
	lea 2(%rax), %rdx
	mov %rdx, probe_after(%rip)
	movabs $0x1111111111111111, %rcx
	movabs $0x2222222222222222, %r11
	mov %rsp, probe_rsp(%rip)
	jmp *%rax
	.p2align 4
.Lint_table:
	.set n, 0
	.rept 256
	.byte 0xcd, n, 0xc3, 0xcc
	.set n, n + 1
	.endr

PROBE probe_load_ds
	mov %ds, %r8
.Lat_probe_load_ds:
	mov %di, %ds
.Lafter_probe_load_ds:
	mov %r8, %ds
	ret

PROBE probe_load_ss
	mov %ss, %r8
.Lat_probe_load_ss:
	mov %di, %ss
.Lafter_probe_load_ss:
	mov %r8, %ss
	ret

/*
 * x87 zero divide with ZE unmasked: FDIV only sets the status; the next
 * waiting x87 instruction (FWAIT) raises #MF. The FPU is reset after.
 */
	.globl probe_x87_divzero
	.p2align 4
probe_x87_divzero:
	sub $24, %rsp
	fninit
	fnstcw (%rsp)
	andw $~0x4, (%rsp)               /* unmask ZE */
	fldcw (%rsp)
	fld1
	fdivs zero_f(%rip)               /* 1 / 0: ZE pending */
	lea .Lafter_x87(%rip), %rax
	mov %rax, probe_after(%rip)
	lea .Lat_x87(%rip), %rax
	mov %rax, probe_at(%rip)
	movabs $0x1111111111111111, %rcx
	movabs $0x2222222222222222, %r11
	mov %rsp, probe_rsp(%rip)
.Lat_x87:
	fwait
.Lafter_x87:
	fnclex
	fninit
	add $24, %rsp
	ret

	.bss
	.p2align 4
dummy_desc:	.skip 16
	.section .rodata
	.p2align 2
zero_f:	.long 0
	.text

PROBE probe_lgdt
.Lat_probe_lgdt:
	lgdt dummy_desc(%rip)
.Lafter_probe_lgdt:
	ret

PROBE probe_lidt
.Lat_probe_lidt:
	lidt dummy_desc(%rip)
.Lafter_probe_lidt:
	ret

PROBE probe_ltr
	xor %eax, %eax
.Lat_probe_ltr:
	ltr %ax
.Lafter_probe_ltr:
	ret

PROBE probe_invlpg
.Lat_probe_invlpg:
	invlpg dummy_desc(%rip)
.Lafter_probe_invlpg:
	ret

/*
 * MOV %cr0, %rax (REX.W 0F 20 C0) behind 11, 12 or 13 DS prefixes: 15
 * bytes is the longest legal instruction (emulated: returns CR0), 16 and
 * 17 raise #GP as on hardware, without reading past the instruction.
 */
PROBE probe_mov_cr0_15
.Lat_probe_mov_cr0_15:
	.fill 11, 1, 0x3e
	.byte 0x48, 0x0f, 0x20, 0xc0
.Lafter_probe_mov_cr0_15:
	ret

PROBE probe_mov_cr0_16
.Lat_probe_mov_cr0_16:
	.fill 12, 1, 0x3e
	.byte 0x48, 0x0f, 0x20, 0xc0
.Lafter_probe_mov_cr0_16:
	ret

PROBE probe_mov_cr0_17
.Lat_probe_mov_cr0_17:
	.fill 13, 1, 0x3e
	.byte 0x48, 0x0f, 0x20, 0xc0
.Lafter_probe_mov_cr0_17:
	ret

PROBE probe_swapgs
.Lat_probe_swapgs:
	swapgs
.Lafter_probe_swapgs:
	ret

PROBE probe_sysret
.Lat_probe_sysret:
	sysretq
.Lafter_probe_sysret:
	ret

	.section .note.GNU-stack, "", @progbits
