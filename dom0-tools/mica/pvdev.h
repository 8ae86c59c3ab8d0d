/*
 * A guest's split devices of any class (vbd for disks, vif for network
 * interfaces), as the attach, detach and list commands handle them: the
 * two store directories of device DEVID of domain D,
 *
 *   /local/domain/0/backend/CLASS/D/DEVID   the backend's (mica-blkback, mica-netback)
 *   /local/domain/D/device/CLASS/DEVID      the guest's frontend's
 *
 * and starting the class's backend daemon when it is not running.
 */
#ifndef MICA_PVDEV_H
#define MICA_PVDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <pv/io/xenbus.h>

#include "config.h"

struct mica;
struct mica_xs;

/* DIR/state as a state; -errno if it cannot be read (Unknown if it is garbage). */
int pvdev_state(struct mica_xs *xs, const char *dir, enum xenbus_state *out);
/* DIR/key, malloc'd; NULL if absent. */
char *pvdev_read(struct mica_xs *xs, const char *dir, const char *key);
/* Removes both directories of the device; missing ones are fine. */
void pvdev_remove(struct mica_xs *xs, const char *cls, uint32_t domid, uint32_t devid);

/*
 * Detaches a device: asks both ends to close (backend online 0, state
 * Closing), waits up to timeout_ms for the backend to reach Closed (the
 * guest has let go and the backend has unmapped everything), then removes
 * both directories. -ETIMEDOUT if it did not close in time (then nothing is
 * removed, unless force), -ENOENT if there is no such device.
 */
int pvdev_detach(struct mica_xs *xs, const char *cls, uint32_t domid, uint32_t devid,
		 int timeout_ms, bool force);

/* Opens both handles and finds the guest named by arg (dom0 refused: it has no PV what). */
int pvdev_open_guest(const char *arg, const char *what, struct mica **m, struct mica_xs **xs,
		     uint32_t *domid);

/* A backend daemon mica starts when its pid file names no live process. */
struct pvdev_backend {
	const char *prog;       /* its name, as in /proc/PID/comm: "mica-blkback" */
	const char *env;        /* the variable that overrides where it is: "MICA_BLKBACK" */
	const char *pidfile;    /* "/run/mica-blkback.pid" */
	const char *what;       /* "block", for messages */
};

/*
 * Starts b with --daemon --pidfile unless it runs; returns once it has
 * opened everything (0) or said why it cannot (-errno, the reason in errors).
 */
int pvdev_backend_ensure(const struct pvdev_backend *b, struct msgs *errors);

/* Sleeps ms milliseconds. */
void pvdev_sleep_ms(int ms);

#endif
