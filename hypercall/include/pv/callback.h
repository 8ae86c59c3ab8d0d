/*
 * How a PV guest kernel tells the hypervisor where to enter it: the virtual
 * IDT (set_trap_table, 0) and the entry points for events, failsafe
 * returns and system calls (callback_op, 30; the older set_callbacks, 4).
 */
#ifndef PV_CALLBACK_H
#define PV_CALLBACK_H

#include "types.h"

/*
 * set_trap_table takes an array of these, ended by an entry whose address
 * is 0; only the vectors listed change. A NULL array clears every vector.
 * cs is ignored for 64-bit guests: delivery always uses FLAT_KERNEL_CS.
 */
struct trap_info {
	pv_u8 vector;
	pv_u8 flags;        /* bits 1:0 the DPL, TI_MASK_EVENTS */
	pv_u16 cs;
	pv_u32 _pad;
	pv_u64 address;
};
PV_CHECK_SIZE(struct trap_info, 16);
PV_CHECK_OFFSET(struct trap_info, flags, 1);
PV_CHECK_OFFSET(struct trap_info, cs, 2);
PV_CHECK_OFFSET(struct trap_info, address, 8);

/*
 * flags bits 1:0: the lowest privilege allowed to raise the vector with
 * INT n (0 nobody, 1-2 guest kernel, 3 guest user too). Bit 2: deliver with
 * events masked, like an interrupt gate; Linux sets it on almost every
 * vector.
 */
#define TI_MASK_EVENTS 4

#define CALLBACKOP_register 0    /* struct callback_register */
#define CALLBACKOP_unregister 1  /* struct callback_unregister */

#define CALLBACKTYPE_event 0     /* event upcall; Linux BUG()s if refused */
#define CALLBACKTYPE_failsafe 1  /* segment reload or return failed; BUG() if refused */
#define CALLBACKTYPE_syscall 2   /* SYSCALL from 64-bit guest user mode */
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi 4       /* the only type that may be unregistered */
#define CALLBACKTYPE_sysenter 5  /* 32-bit user code on Intel */
#define CALLBACKTYPE_syscall32 7 /* 32-bit user code using SYSCALL (AMD) */

/*
 * Mask events while the callback runs. Linux registers every type with it;
 * event and NMI callbacks always mask whatever the flag says.
 */
#define CALLBACKF_mask_events (1 << 0)

struct callback_register {
	pv_u16 type;        /* CALLBACKTYPE_* */
	pv_u16 flags;       /* CALLBACKF_* */
	pv_u32 _pad;
	pv_u64 address;
};
PV_CHECK_SIZE(struct callback_register, 16);
PV_CHECK_OFFSET(struct callback_register, flags, 2);
PV_CHECK_OFFSET(struct callback_register, address, 8);

struct callback_unregister {
	pv_u16 type;
	pv_u16 _pad;
};
PV_CHECK_SIZE(struct callback_unregister, 4);

#endif
