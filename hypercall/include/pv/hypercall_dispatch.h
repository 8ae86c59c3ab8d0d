/*
 * Ring 0 only, and included by exactly one file (the dispatcher): the
 * dispatch array, indexed by hypercall number, expanded from
 * hypercall_table.def. Implemented hypercalls (impl IMPL) get a thunk that
 * narrows the six registers to the handler's argument types and calls
 * do_<name>; every other slot, and every number the ABI leaves unused,
 * answers -ENOSYS. So the image links whatever handlers exist so far.
 *
 * The dispatcher:
 *
 *   const struct pv_hypercall_desc *hc = pv_hypercall_lookup(regs->rax);
 *   if ((hc->flags & PV_HCF_DOM0) && !current_domain_is_privileged)
 *           result = -EPERM;
 *   else
 *           result = hc->fn((const pv_u64[6]){ rdi, rsi, rdx, r10, r8, r9 });
 */
#ifndef PV_HYPERCALL_DISPATCH_H
#define PV_HYPERCALL_DISPATCH_H

#include "hypercall_handlers.h"

#define PV_HC_ENOSYS 38 /* Xen's ENOSYS; the guests' XEN_E* are in libpv's pv/errno.h */

static long pv_hypercall_enosys(const pv_u64 args[6])
{
	(void)args;
	return -PV_HC_ENOSYS;
}

/* Thunks, for implemented hypercalls only: no reference to a missing do_<name>. */
#define PV_HC_THUNK_NOSYS(name, call)
#define PV_HC_THUNK_IMPL(name, call)                               \
	static long pv_hypercall_thunk_##name(const pv_u64 a[6])   \
	{                                                          \
		(void)a;                                           \
		return call;                                       \
	}
#define PV_GPTR(type) pv_gva_t
#define PV_HC0(nr, name, impl, flags) PV_HC_THUNK_##impl(name, do_##name())
#define PV_HC1(nr, name, impl, flags, t1, a1) \
	PV_HC_THUNK_##impl(name, do_##name((t1)a[0]))
#define PV_HC2(nr, name, impl, flags, t1, a1, t2, a2) \
	PV_HC_THUNK_##impl(name, do_##name((t1)a[0], (t2)a[1]))
#define PV_HC3(nr, name, impl, flags, t1, a1, t2, a2, t3, a3) \
	PV_HC_THUNK_##impl(name, do_##name((t1)a[0], (t2)a[1], (t3)a[2]))
#define PV_HC4(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4) \
	PV_HC_THUNK_##impl(name, do_##name((t1)a[0], (t2)a[1], (t3)a[2], (t4)a[3]))
#define PV_HC5(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) \
	PV_HC_THUNK_##impl(name, do_##name((t1)a[0], (t2)a[1], (t3)a[2], (t4)a[3], (t5)a[4]))
#define PV_HC6(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	PV_HC_THUNK_##impl(name, do_##name((t1)a[0], (t2)a[1], (t3)a[2], (t4)a[3], \
					   (t5)a[4], (t6)a[5]))
#include "hypercall_table.def"
#undef PV_HC_THUNK_NOSYS
#undef PV_HC_THUNK_IMPL

/* Table entries: every slot first gets -ENOSYS, then the table's rows override. */
#define PV_HC_FN_NOSYS(name) pv_hypercall_enosys
#define PV_HC_FN_IMPL(name) pv_hypercall_thunk_##name
#define PV_HC_ENTRY_(nr, name, impl, flags, ...) [nr] = { PV_HC_FN_##impl(name), (flags) },
#define PV_GPTR(type) pv_gva_t
#define PV_HC0(nr, name, impl, flags) PV_HC_ENTRY_(nr, name, impl, flags, no args)
#define PV_HC1 PV_HC_ENTRY_
#define PV_HC2 PV_HC_ENTRY_
#define PV_HC3 PV_HC_ENTRY_
#define PV_HC4 PV_HC_ENTRY_
#define PV_HC5 PV_HC_ENTRY_
#define PV_HC6 PV_HC_ENTRY_

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const struct pv_hypercall_desc pv_hypercall_table[PV_NR_HYPERCALLS] = {
	[0 ... PV_NR_HYPERCALLS - 1] = { pv_hypercall_enosys, 0 },
#include "hypercall_table.def"
};
#pragma GCC diagnostic pop

#undef PV_HC_ENTRY_
#undef PV_HC_FN_NOSYS
#undef PV_HC_FN_IMPL

_Static_assert((PV_NR_HYPERCALLS & (PV_NR_HYPERCALLS - 1)) == 0, "a power of two");

static const struct pv_hypercall_desc pv_hypercall_out_of_range = { pv_hypercall_enosys, 0 };

/*
 * The entry for hypercall number nr (all 64 bits of RAX). The mask keeps
 * even a mispredicted bounds check from indexing past the array.
 */
static inline const struct pv_hypercall_desc *pv_hypercall_lookup(pv_u64 nr)
{
	if (nr >= PV_NR_HYPERCALLS)
		return &pv_hypercall_out_of_range;
	return &pv_hypercall_table[nr & (PV_NR_HYPERCALLS - 1)];
}

#endif
