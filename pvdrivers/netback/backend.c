/*
 * The xenbus side of mica-netback: which interfaces exist, and the state
 * machine each one walks with its frontend.
 *
 * The toolstack (mica create, mica network-attach) writes a backend
 * directory /local/domain/0/backend/vif/D/N (frontend, frontend-id, mac,
 * bridge, online, state 1) and the frontend's /local/domain/D/device/vif/N.
 * One watch on /local/domain/0/backend/vif and one per frontend's state
 * node bring every change here; each event rescans (a handful of nodes per
 * interface), so a missed or merged event costs nothing.
 *
 *   backend dir appears        publish features, state InitWait (2)
 *   frontend Initialised (3)
 *     or Connected (4)         vif_connect, state Connected (4)
 *   frontend Closing (5)       disconnect, state Closing (5)
 *   frontend Closed (6)/gone   disconnect, state Closed (6)
 *   frontend Initialising (1)
 *     after Closed             state InitWait again (a frontend reconnecting)
 *   toolstack writes state 5   disconnect (network-detach); Closed once the frontend is
 *   backend dir removed        disconnect, TAP gone, forgotten
 *
 * A frontend that breaks the protocol on its rings (backend_fail) is
 * disconnected and its backend set to Closing with an error node; other
 * interfaces are not affected.
 */
#include "netback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/io/xenbus.h>

#define BACKEND_ROOT "/local/domain/0/backend/vif"

static char *be_read(struct vif *v, const char *key)
{
	char path[128], *val = NULL;

	snprintf(path, sizeof(path), "%s/%s", v->be_path, key);
	if (mica_xs_read(v->nb->xs, MICA_XS_NO_TX, path, &val, NULL))
		return NULL;
	return val;
}

static void be_write(struct vif *v, const char *key, const char *val)
{
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", v->be_path, key);
	rc = mica_xs_write(v->nb->xs, MICA_XS_NO_TX, path, val, strlen(val));
	if (rc)
		nb_log("%s: cannot write %s: %s", v->ifname, path, strerror(-rc));
}

/* A state node's value; XenbusStateUnknown when missing or not a state. */
static int read_state(struct netback *nb, const char *dir)
{
	char path[160], *val = NULL, *end;
	long s;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (mica_xs_read(nb->xs, MICA_XS_NO_TX, path, &val, NULL))
		return XenbusStateUnknown;
	s = strtol(val, &end, 10);
	if (!*val || *end || s < 0 || s > XenbusStateReconfigured)
		s = XenbusStateUnknown;
	free(val);
	return (int)s;
}

static void set_state(struct vif *v, int state)
{
	char num[8];

	snprintf(num, sizeof(num), "%d", state);
	be_write(v, "state", num);
}

static void disconnect(struct vif *v)
{
	if (!v->connected)
		return;
	vif_disconnect(v);
	nb_log("%s: disconnected (tx %llu frames, %llu dropped; rx %llu frames, %llu dropped)",
	       v->ifname, (unsigned long long)v->tx_frames, (unsigned long long)v->tx_dropped,
	       (unsigned long long)v->rx_frames, (unsigned long long)v->rx_dropped);
}

void backend_fail(struct vif *v, const char *why)
{
	nb_log("%s: the frontend broke the protocol (%s): interface shut", v->ifname, why);
	disconnect(v);
	be_write(v, "error", why);
	set_state(v, XenbusStateClosing);
}

/* A new interface: what the toolstack wrote, then the features and InitWait. */
static struct vif *vif_new(struct netback *nb, uint32_t domid, uint32_t devid)
{
	static const char *const features[][2] = {
		{ "feature-sg", "1" },          { "feature-gso-tcpv4", "1" },
		{ "feature-gso-tcpv6", "1" },   { "feature-ipv6-csum-offload", "1" },
		{ "feature-rx-copy", "1" },     { "feature-rx-flip", "0" },
	};
	struct vif *v = calloc(1, sizeof(*v));
	char *bridge, path[160];
	int rc;

	if (!v)
		return NULL;
	v->nb = nb;
	v->domid = domid;
	v->devid = devid;
	v->tap = -1;
	v->port = -1;
	snprintf(v->be_path, sizeof(v->be_path), BACKEND_ROOT "/%u/%u", domid, devid);
	snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", domid, devid);
	v->fe_path = be_read(v, "frontend");
	bridge = be_read(v, "bridge");
	snprintf(v->bridge, sizeof(v->bridge), "%s", bridge && *bridge ? bridge : nb->default_bridge);
	free(bridge);
	if (!v->fe_path || strncmp(v->fe_path, "/local/domain/", 14)) {
		free(v->fe_path);
		free(v);
		return NULL;        /* the toolstack has not finished writing it */
	}
	snprintf(path, sizeof(path), "%s/state", v->fe_path);
	rc = mica_xs_watch(nb->xs, path, "frontend");
	v->watching = !rc;
	if (rc)
		nb_log("%s: cannot watch %s: %s", v->ifname, path, strerror(-rc));
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		be_write(v, features[i][0], features[i][1]);
	set_state(v, XenbusStateInitWait);
	nb_log("%s: new interface of domain %u (bridge %s)", v->ifname, domid, v->bridge);
	return v;
}

static void vif_free(struct vif *v)
{
	char path[160];

	disconnect(v);
	if (v->watching) {
		snprintf(path, sizeof(path), "%s/state", v->fe_path);
		mica_xs_unwatch(v->nb->xs, path, "frontend");
	}
	nb_log("%s: removed", v->ifname);
	free(v->fe_path);
	free(v);
}

/* One interface's step of the state machine (see the table at the top). */
static void vif_step(struct vif *v)
{
	int be = read_state(v->nb, v->be_path), fe = read_state(v->nb, v->fe_path);
	char why[256];

	if (be == XenbusStateClosing || be == XenbusStateClosed)
		disconnect(v);
	switch (fe) {
	case XenbusStateInitialising:
		if (be == XenbusStateClosed)
			set_state(v, XenbusStateInitWait);
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (be != XenbusStateInitWait)
			break;
		if (vif_connect(v, why, sizeof(why))) {
			nb_log("%s: cannot connect: %s", v->ifname, why);
			be_write(v, "error", why);
			set_state(v, XenbusStateClosing);
			break;
		}
		be_write(v, "hotplug-status", "connected");
		set_state(v, XenbusStateConnected);
		nb_log("%s: connected on bridge %s (sg %d, gso-tcpv4 %d, csum offload %d)",
		       v->ifname, v->bridge, v->sg, v->gso4, v->csum);
		vif_rx(v);
		break;
	case XenbusStateClosing:
		if (be == XenbusStateInitWait || be == XenbusStateConnected) {
			disconnect(v);
			set_state(v, XenbusStateClosing);
		}
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		disconnect(v);
		if (be != XenbusStateClosed && (be != XenbusStateInitWait || fe == XenbusStateUnknown))
			set_state(v, XenbusStateClosed);
		break;
	default:
		break;
	}
}

static bool parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!*s || *end || errno || n > 0xffff)
		return false;
	*out = (uint32_t)n;
	return true;
}

static struct vif *find(struct netback *nb, uint32_t domid, uint32_t devid)
{
	for (struct vif *v = nb->vifs; v; v = v->next)
		if (v->domid == domid && v->devid == devid)
			return v;
	return NULL;
}

/*
 * Marks every interface still in the store as seen and adds the new ones.
 * 0, or -errno when the store could not be listed (then nothing is known gone).
 */
static int scan_store(struct netback *nb)
{
	char **doms = NULL, **devs = NULL, path[96];
	unsigned int nd = 0, nv = 0;
	int rc = mica_xs_directory(nb->xs, MICA_XS_NO_TX, BACKEND_ROOT, &doms, &nd);

	if (rc)
		return rc == -ENOENT ? 0 : rc;
	for (unsigned int i = 0; i < nd; i++) {
		uint32_t domid, devid;

		if (!parse_id(doms[i], &domid))
			continue;
		snprintf(path, sizeof(path), BACKEND_ROOT "/%u", domid);
		if (mica_xs_directory(nb->xs, MICA_XS_NO_TX, path, &devs, &nv))
			continue;
		for (unsigned int k = 0; k < nv; k++) {
			struct vif *v;

			if (!parse_id(devs[k], &devid))
				continue;
			v = find(nb, domid, devid);
			if (!v) {
				v = vif_new(nb, domid, devid);
				if (!v)
					continue;
				v->next = nb->vifs;
				nb->vifs = v;
			}
			v->seen = true;
		}
		mica_xs_free_list(devs, nv);
	}
	mica_xs_free_list(doms, nd);
	return 0;
}

void backend_rescan(struct netback *nb)
{
	struct vif **link = &nb->vifs, *v;

	for (v = nb->vifs; v; v = v->next)
		v->seen = false;
	if (scan_store(nb))
		for (v = nb->vifs; v; v = v->next)
			v->seen = true;
	while ((v = *link)) {
		if (!v->seen) {
			*link = v->next;
			vif_free(v);
			continue;
		}
		link = &v->next;
	}
	for (v = nb->vifs; v; v = v->next)
		vif_step(v);
}

int backend_start(struct netback *nb)
{
	return mica_xs_watch(nb->xs, BACKEND_ROOT, "backend");
}
