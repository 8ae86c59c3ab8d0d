/*
 * A guest's network interfaces: the store directories of both ends (pure:
 * vif_entries_for, host-tested) and attaching one to a live guest
 * (vif_add, in cmd_network.c), with mica-netback serving them.
 *
 * For interface 1 of domain 3 the toolstack writes, as libxl does:
 *
 *   /local/domain/0/backend/vif/3/1/   owned by dom0, readable by the guest
 *       frontend, frontend-id, online 1, state 1, handle 1, mac, bridge (if named)
 *   /local/domain/3/device/vif/1/      owned by the guest
 *       backend, backend-id 0, state 1, handle 1, mac
 *
 * mica-netback adds its features to the first; the guest's netfront adds
 * its rings, event channel and features to the second.
 */
#ifndef MICA_VIF_H
#define MICA_VIF_H

#include <stdint.h>

#include "config.h"
#include "store.h"

struct mica_xs;

struct vif_entry {
	uint32_t domid, devid;
	const char *mac;            /* "00:16:3e:xx:xx:xx" */
	const char *bridge;         /* NULL: the backend's default */
};

/* Appends the entries of both ends of v to out (which may hold others). 0 or -ENOMEM. */
int vif_entries_for(const struct vif_entry *v, struct store_entries *out);

/*
 * Writes interface devid of domain domid to the store: the entries of spec,
 * with spec's MAC or a random one in 00:16:3e (returned in mac). Starts
 * mica-netback first if it is not running. 0, or -errno with the reason in
 * errors.
 */
int vif_add(struct mica_xs *xs, uint32_t domid, uint32_t devid, const struct vif_spec *spec,
	    char mac[18], struct msgs *errors);

#endif
