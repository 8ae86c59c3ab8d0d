/* pvback's private state, shared by device.c and daemon.c. */
#ifndef PVBACK_INTERNAL_H
#define PVBACK_INTERNAL_H

#include "libmica.h"
#include "pvback.h"

#define PVB_MAX_MAPS 16     /* rings per device (netback: tx and rx per queue) */
#define PVB_MAX_PORTS 16
#define PVB_MAX_FDS 4
#define PVB_MAX_DEVICES 512 /* per daemon; more are refused with a message */

struct pvb_map {
	void *addr;
	unsigned int pages;
};

struct pvb_fd {
	int fd;
	short events;
};

struct pvb_dev {
	struct pvb *b;
	uint32_t domid, devid;
	char be[96];                /* /local/domain/0/backend/TYPE/DOMID/DEVID */
	char fe[160];               /* the frontend directory the toolstack named */
	enum xenbus_state state;    /* ours, as last written */
	bool probed;                /* probe succeeded: remove() is owed */
	bool closing;               /* pvb_close_device was called: close after the callback */
	bool again;                 /* pvb_again: service(-1) before sleeping */
	bool mark;                  /* scratch for rescans */
	struct pvb_map maps[PVB_MAX_MAPS];
	int ports[PVB_MAX_PORTS];   /* -1: free slot */
	struct pvb_fd fds[PVB_MAX_FDS]; /* fd -1: free slot */
	void *priv;
};

struct pvb {
	const struct pvb_ops *ops;
	const char *name;
	struct mica *m;
	struct mica_xs *xs;
	struct mica_evtchn *ev;
	struct mica_gntdev *gnt;
	char be_root[64];           /* /local/domain/0/backend/TYPE */
	const char *pidfile;        /* written by pvb_start, removed by pvb_close; may be NULL */
	struct pvb_dev *dev[PVB_MAX_DEVICES];
	unsigned int nr;
};

/* device.c: releases every ring and port of d (after ops->disconnect). */
void pvb_release(struct pvb_dev *d);

#endif
