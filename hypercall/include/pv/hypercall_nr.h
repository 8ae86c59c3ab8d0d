/*
 * Hypercall numbers and flags, expanded from hypercall_table.def:
 * PV_HC_<name> (PV_HC_memory_op == 12), as enum constants in C and as
 * .equ symbols in assembly (mov $PV_HC_iret, %eax).
 */
#ifndef PV_HYPERCALL_NR_H
#define PV_HYPERCALL_NR_H

/* Slots in the dispatch array; numbers at or above it are -ENOSYS. */
#define PV_NR_HYPERCALLS 64

/* Flags column of the table. */
#define PV_HCF_DOM0 (1 << 0)  /* privileged callers only, else -EPERM */
#define PV_HCF_CONT (1 << 1)  /* may stop part-way and be continued */

/*
 * The hypercall page (kernels up to Linux 6.1.120): 128 stubs of 32 bytes,
 * stub n at n * 32, the rest of the page 0xcc. Stub n is
 *   push %rcx; push %r11; mov $n, %eax; syscall; pop %r11; pop %rcx; ret
 * except for iret, which the guest jumps to and which never returns:
 *   push %rcx; push %r11; push %rax; mov $23, %eax; syscall
 */
#define PV_HYPERCALL_STUB_SIZE 32
#define PV_HYPERCALL_STUB(n)                                                   \
	{ 0x51, 0x41, 0x53, 0xb8, (n) & 0xff, ((n) >> 8) & 0xff, 0, 0, 0x0f, 0x05, \
	  0x41, 0x5b, 0x59, 0xc3 }
#define PV_HYPERCALL_IRET_STUB(n)                                              \
	{ 0x51, 0x41, 0x53, 0x50, 0xb8, (n) & 0xff, ((n) >> 8) & 0xff, 0, 0, 0x0f, 0x05 }

#define PV_HC_IGNORE_ARGS_(nr, name, impl, flags, ...) PV_HC_NR_(nr, name)
#define PV_HC0(nr, name, impl, flags) PV_HC_NR_(nr, name)
#define PV_HC1 PV_HC_IGNORE_ARGS_
#define PV_HC2 PV_HC_IGNORE_ARGS_
#define PV_HC3 PV_HC_IGNORE_ARGS_
#define PV_HC4 PV_HC_IGNORE_ARGS_
#define PV_HC5 PV_HC_IGNORE_ARGS_
#define PV_HC6 PV_HC_IGNORE_ARGS_

#ifdef __ASSEMBLY__
#define PV_HC_NR_(nr, name) .equ PV_HC_##name, nr;
#include "hypercall_table.def"
#else
#define PV_HC_NR_(nr, name) PV_HC_##name = nr,
enum pv_hypercall_nr {
#include "hypercall_table.def"
};
#endif

#undef PV_HC_NR_
#undef PV_HC_IGNORE_ARGS_

#endif
