/*
 * Ring 0 only: the prototype of every hypercall handler, expanded from
 * hypercall_table.def, and the dispatch entry type. A handler's file
 * includes this, so its definition is checked against the table:
 *
 *   #include <pv/hypercall_handlers.h>
 *   long do_sched_op(pv_s32 cmd, pv_gva_t arg) { ... }
 *
 * Guest pointers arrive as pv_gva_t: reach them only through
 * copy_from_guest/copy_to_guest. Scalars arrive truncated to their ABI
 * type. A handler returns 0 or a positive result, or -XEN_E*.
 */
#ifndef PV_HYPERCALL_HANDLERS_H
#define PV_HYPERCALL_HANDLERS_H

#include "hypercall_nr.h"
#include "types.h"

/*
 * A dispatch entry. fn takes the six argument registers (RDI RSI RDX R10
 * R8 R9), or a multicall entry's args[], in that order.
 */
typedef long (*pv_hypercall_fn)(const pv_u64 args[6]);

struct pv_hypercall_desc {
	pv_hypercall_fn fn;   /* the handler, or pv_hypercall_enosys */
	pv_u8 flags;          /* PV_HCF_* */
};

#define PV_GPTR(type) pv_gva_t
#define PV_HC0(nr, name, impl, flags) long do_##name(void);
#define PV_HC1(nr, name, impl, flags, t1, a1) long do_##name(t1 a1);
#define PV_HC2(nr, name, impl, flags, t1, a1, t2, a2) long do_##name(t1 a1, t2 a2);
#define PV_HC3(nr, name, impl, flags, t1, a1, t2, a2, t3, a3) \
	long do_##name(t1 a1, t2 a2, t3 a3);
#define PV_HC4(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4) \
	long do_##name(t1 a1, t2 a2, t3 a3, t4 a4);
#define PV_HC5(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) \
	long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);
#define PV_HC6(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6);
#include "hypercall_table.def"

#endif
