/*
 * Guest side, kept with libpv (it runs in guests, never in ring 0; any
 * 64-bit PV kernel may copy it): HYPERVISOR_<name>(...) for
 * every hypercall of hypercall_table.def, with the table's argument types,
 * returning the hypervisor's result (negative: -XEN_E*, pv/errno.h).
 *
 *   struct sched_shutdown s = { .reason = SHUTDOWN_poweroff };
 *   HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
 *
 * The convention (64-bit PV, from guest kernel mode only): RAX = number,
 * arguments in RDI RSI RDX R10 R8 R9, `syscall`, result in RAX. syscall
 * itself destroys RCX and R11, and the hypervisor may overwrite the
 * argument registers, so all of them are declared clobbered.
 *
 * HYPERVISOR_iret is listed for completeness only: it must be entered by a
 * jump with a struct iret_context on the stack (assembly, not C).
 */
#ifndef PV_HYPERCALL_GUEST_H
#define PV_HYPERCALL_GUEST_H

#include <pv/callback.h>
#include <pv/domctl.h>
#include <pv/hypercall_nr.h>
#include <pv/mm.h>
#include <pv/sysctl.h>
#include <pv/types.h>
#include <pv/xen.h>

/* platform_op (7) is not implemented: its argument stays an opaque pointer. */
struct xen_platform_op;

#if !defined(__x86_64__)
#error "pv/hypercall_guest.h is for x86_64 PV guests"
#endif

/* The raw hypercall: any number, up to six arguments. */
static inline long pv_hypercall(pv_u64 nr, pv_u64 a1, pv_u64 a2, pv_u64 a3, pv_u64 a4,
				pv_u64 a5, pv_u64 a6)
{
	register pv_u64 rdi __asm__("rdi") = a1;
	register pv_u64 rsi __asm__("rsi") = a2;
	register pv_u64 rdx __asm__("rdx") = a3;
	register pv_u64 r10 __asm__("r10") = a4;
	register pv_u64 r8 __asm__("r8") = a5;
	register pv_u64 r9 __asm__("r9") = a6;
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10),
			       "+r"(r8), "+r"(r9)
			     : "0"(nr)
			     : "rcx", "r11", "memory");
	return ret;
}

#define PV_HC_ARG_(x) ((pv_u64)(x))
#define PV_GPTR(type) type *
#define PV_HC0(nr, name, impl, flags)                                           \
	static inline long HYPERVISOR_##name(void)                              \
	{                                                                       \
		return pv_hypercall(nr, 0, 0, 0, 0, 0, 0);                      \
	}
#define PV_HC1(nr, name, impl, flags, t1, a1)                                   \
	static inline long HYPERVISOR_##name(t1 a1)                             \
	{                                                                       \
		return pv_hypercall(nr, PV_HC_ARG_(a1), 0, 0, 0, 0, 0);         \
	}
#define PV_HC2(nr, name, impl, flags, t1, a1, t2, a2)                           \
	static inline long HYPERVISOR_##name(t1 a1, t2 a2)                      \
	{                                                                       \
		return pv_hypercall(nr, PV_HC_ARG_(a1), PV_HC_ARG_(a2), 0, 0, 0, 0); \
	}
#define PV_HC3(nr, name, impl, flags, t1, a1, t2, a2, t3, a3)                   \
	static inline long HYPERVISOR_##name(t1 a1, t2 a2, t3 a3)               \
	{                                                                       \
		return pv_hypercall(nr, PV_HC_ARG_(a1), PV_HC_ARG_(a2),         \
				    PV_HC_ARG_(a3), 0, 0, 0);                   \
	}
#define PV_HC4(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4)           \
	static inline long HYPERVISOR_##name(t1 a1, t2 a2, t3 a3, t4 a4)        \
	{                                                                       \
		return pv_hypercall(nr, PV_HC_ARG_(a1), PV_HC_ARG_(a2),         \
				    PV_HC_ARG_(a3), PV_HC_ARG_(a4), 0, 0);      \
	}
#define PV_HC5(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)   \
	static inline long HYPERVISOR_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5) \
	{                                                                       \
		return pv_hypercall(nr, PV_HC_ARG_(a1), PV_HC_ARG_(a2),         \
				    PV_HC_ARG_(a3), PV_HC_ARG_(a4),             \
				    PV_HC_ARG_(a5), 0);                         \
	}
#define PV_HC6(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	static inline long HYPERVISOR_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6) \
	{                                                                       \
		return pv_hypercall(nr, PV_HC_ARG_(a1), PV_HC_ARG_(a2),         \
				    PV_HC_ARG_(a3), PV_HC_ARG_(a4),             \
				    PV_HC_ARG_(a5), PV_HC_ARG_(a6));            \
	}
#include <pv/hypercall_table.def>
#undef PV_HC_ARG_

#endif
