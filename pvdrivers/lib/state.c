/*
 * The backend's half of the xenbus state machine (pure, host-tested).
 *
 * The backend owns its own state; the frontend's state and the backend's
 * "online" node are inputs. A device connects when the frontend says its
 * rings are ready (Initialised, or Connected after a backend restart),
 * closes when the frontend closes or the toolstack takes the device away
 * (online 0), and is offered again (InitWait) when a closed frontend
 * starts over. A frontend directory that vanishes while connected (the
 * guest died) counts as closed; one that is not there yet while the
 * backend waits does not, because the toolstack may write it second.
 *
 * The frontend's states may be seen in any order and some not at all: a
 * watch fires once for several writes, and the backend reads the state as
 * it is when it looks (Closing, Closed and Initialising written quickly
 * look like Initialising alone). So each answer depends only on the two
 * states now, the caller applies steps until PVB_STAY (re-reading the
 * frontend's state after each), and from any pair the steps end where the
 * frontend's current state says: Initialising seen while Connected or
 * Closing is a frontend that closed and started over, so the backend
 * closes and then offers the device again. No chain is longer than two
 * steps (tests/cli/test_pvback.c walks every pair).
 */
#include <stdlib.h>
#include <string.h>

#include "pvback.h"

enum pvb_step pvb_next_step(enum xenbus_state be, enum xenbus_state fe, bool online)
{
	bool be_up = be == XenbusStateConnected;

	if (!online) {
		/* The toolstack is removing the device: close, and let the frontend follow. */
		bool fe_gone = fe == XenbusStateClosed || fe == XenbusStateUnknown ||
			       fe == XenbusStateInitialising;

		if (be == XenbusStateClosed)
			return PVB_STAY;
		if (fe_gone || !(be_up || be == XenbusStateClosing))
			return PVB_CLOSED;
		return be_up ? PVB_CLOSING : PVB_STAY;
	}
	switch (fe) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (be == XenbusStateInitWait)
			return PVB_CONNECT;
		return PVB_STAY;
	case XenbusStateInitialising:
		if (be == XenbusStateClosed)
			return PVB_REINIT;
		return be_up || be == XenbusStateClosing ? PVB_CLOSED : PVB_STAY;
	case XenbusStateClosing:
		return be == XenbusStateClosing || be == XenbusStateClosed ? PVB_STAY : PVB_CLOSING;
	case XenbusStateClosed:
		return be == XenbusStateClosed ? PVB_STAY : PVB_CLOSED;
	case XenbusStateUnknown:
		return be_up || be == XenbusStateClosing ? PVB_CLOSED : PVB_STAY;
	default:
		/* InitWait and Reconfiguring/-ed are not frontend states of blkif or netif. */
		return PVB_STAY;
	}
}

const char *pvb_state_name(enum xenbus_state s)
{
	static const char *const names[] = {
		"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
		"Closing", "Closed", "Reconfiguring", "Reconfigured",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "Unknown";
}

enum xenbus_state pvb_parse_state(const char *value)
{
	if (!value || value[0] < '0' || value[0] > '8' || value[1])
		return XenbusStateUnknown;
	return (enum xenbus_state)(value[0] - '0');
}
