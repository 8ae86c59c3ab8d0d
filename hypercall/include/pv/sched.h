/* sched_op (29): giving up the CPU, waiting for events, shutting down. */
#ifndef PV_SCHED_H
#define PV_SCHED_H

#include "types.h"

/* sched_op(cmd, arg) */
#define SCHEDOP_yield 0
/*
 * Atomically clears the caller's upcall mask, then sleeps unless an event
 * is already pending; returns 0 and the event is delivered on the way
 * out. Linux's idle loop; it BUG()s on any other result.
 */
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2         /* sched_shutdown; poweroff/reboot never return */
#define SCHEDOP_poll 3             /* sched_poll */
#define SCHEDOP_remote_shutdown 4  /* sched_remote_shutdown; toolstack */
#define SCHEDOP_shutdown_code 5    /* sched_shutdown: record the reason only */

struct sched_shutdown {
	pv_u32 reason;             /* SHUTDOWN_* */
};
PV_CHECK_SIZE(struct sched_shutdown, 4);

/*
 * Sleeps until one of the ports is pending (masked or not) or the absolute
 * system-time timeout (0: none) passes; returns at once if one already
 * is. Linux's PV spinlock slow path, which BUG()s on a non-zero result.
 */
struct sched_poll {
	pv_gva_t ports;            /* evtchn_port_t array */
	pv_u32 nr_ports;           /* at most SCHED_POLL_MAX_PORTS */
	pv_u32 _pad;
	pv_u64 timeout;
};
PV_CHECK_SIZE(struct sched_poll, 24);
PV_CHECK_OFFSET(struct sched_poll, nr_ports, 8);
PV_CHECK_OFFSET(struct sched_poll, timeout, 16);

#define SCHED_POLL_MAX_PORTS 128

struct sched_remote_shutdown {
	domid_t domain_id;
	pv_u16 _pad;
	pv_u32 reason;
};
PV_CHECK_SIZE(struct sched_remote_shutdown, 8);
PV_CHECK_OFFSET(struct sched_remote_shutdown, reason, 4);

/* Shutdown reasons; for suspend RDX also carries the start_info MFN. */
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4
#define SHUTDOWN_soft_reset 5
#define SHUTDOWN_MAX 5

#endif
