/*
 * The PV console ring page of a domU (start_info.console.domU.mfn, event
 * channel console.domU.evtchn). Two byte rings with free-running u32
 * indexes, masked by the ring size: "in" carries keyboard input to the
 * guest, "out" its output. Each side writes data, a write barrier, then
 * its producer index, and notifies the port.
 */
#ifndef PV_IO_CONSOLE_H
#define PV_IO_CONSOLE_H

#include <pv/types.h>

#define XENCONS_IN_SIZE 1024
#define XENCONS_OUT_SIZE 2048
#define XENCONS_IDX(idx, size) ((idx) & ((size) - 1))

struct xencons_interface {
	char in[XENCONS_IN_SIZE];
	char out[XENCONS_OUT_SIZE];
	pv_u32 in_cons, in_prod;
	pv_u32 out_cons, out_prod;
};
PV_CHECK_SIZE(struct xencons_interface, 3088);
PV_CHECK_OFFSET(struct xencons_interface, out, 1024);
PV_CHECK_OFFSET(struct xencons_interface, in_cons, 3072);
PV_CHECK_OFFSET(struct xencons_interface, in_prod, 3076);
PV_CHECK_OFFSET(struct xencons_interface, out_cons, 3080);
PV_CHECK_OFFSET(struct xencons_interface, out_prod, 3084);

#endif
