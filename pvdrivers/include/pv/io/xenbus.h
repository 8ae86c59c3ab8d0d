/*
 * The xenbus device states: each end of a split device writes its own
 * state into its store directory ("state", decimal) and watches the other
 * end's. A device connects as
 *
 *   backend  Initialising -> InitWait (features published, waiting)
 *   frontend Initialising -> Initialised (rings and event channel published)
 *   backend  -> Connected (rings mapped, disk size published)
 *   frontend -> Connected
 *
 * and either end closes it by moving to Closing, the other following to
 * Closing and both ending Closed. Numbers are Xen's (io/xenbus.h).
 */
#ifndef PV_IO_XENBUS_H
#define PV_IO_XENBUS_H

enum xenbus_state {
	XenbusStateUnknown = 0,     /* no state node, or the directory is gone */
	XenbusStateInitialising = 1,
	XenbusStateInitWait = 2,    /* backend: early setup done, waiting for the frontend */
	XenbusStateInitialised = 3, /* frontend: rings published, waiting for the backend */
	XenbusStateConnected = 4,
	XenbusStateClosing = 5,     /* going down, on request or on error */
	XenbusStateClosed = 6,
	XenbusStateReconfiguring = 7,
	XenbusStateReconfigured = 8,
};

#endif
