/*
 * physdev_op (33): I/O privilege and physical interrupts. Mica implements
 * set_iopl, which decides whether a guest kernel's port I/O is emulated;
 * the rest (set_iobitmap, pirq_eoi_gmfn_v2 and dom0's PCI and IRQ set-up,
 * sub-ops 4-31 on Xen) answer -ENOSYS, which Linux 6.1 tolerates.
 */
#ifndef PV_PHYSDEV_H
#define PV_PHYSDEV_H

#include "types.h"

/* physdev_op(cmd, arg) */
#define PHYSDEVOP_set_iopl 6

/* Linux asks for IOPL 1 at boot and only prints a failure. */
struct physdev_set_iopl {
	pv_u32 iopl;               /* 0-3 */
};
PV_CHECK_SIZE(struct physdev_set_iopl, 4);

#endif
