/*
 * One interface's life in mica-netback, as libpvback's callbacks:
 *
 *   probe       the backend directory appeared: name the TAP (vifD.N), pick
 *               the bridge, publish the features netfront reads;
 *   connect     the frontend published its rings: read what it negotiated,
 *               map both rings, bind the event channel, create the TAP with
 *               the offloads the frontend can take, join it to the bridge;
 *   disconnect  close the TAP (it goes away with its descriptor) and free
 *               the buffers; libpvback then unmaps the rings and unbinds.
 */
#include "netback.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUF_BYTES (2 * (size_t)NB_BATCH * NB_FRAME_MAX)

static bool fe_flag(struct pvb_dev *d, const char *key)
{
	uint64_t v;

	return !pvb_read_uint(d, true, key, 1, &v) && v;
}

int vif_probe(struct pvb_dev *d)
{
	static const char *const features[][2] = {
		{ "feature-sg", "1" },          { "feature-gso-tcpv4", "1" },
		{ "feature-gso-tcpv6", "1" },   { "feature-ipv6-csum-offload", "1" },
		{ "feature-rx-copy", "1" },     { "feature-rx-flip", "0" },
	};
	struct vif *v = pvb_priv(d);
	char *bridge = NULL;
	int rc;

	v->dev = d;
	v->tap = -1;
	v->port = -1;
	snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u", pvb_domid(d), pvb_devid(d));
	if (pvb_read(d, false, "bridge", &bridge) || !*bridge) {
		snprintf(v->bridge, sizeof(v->bridge), "%s", nb_default_bridge);
	} else if (strlen(bridge) >= sizeof(v->bridge)) {
		pvb_fail(d, "bridge name '%s' is longer than %zu characters", bridge,
			 sizeof(v->bridge) - 1);
		free(bridge);
		return -EINVAL;
	} else {
		snprintf(v->bridge, sizeof(v->bridge), "%s", bridge);
	}
	free(bridge);
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		rc = pvb_write(d, features[i][0], "%s", features[i][1]);
		if (rc) {
			pvb_fail(d, "cannot publish %s: %s", features[i][0], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int vif_connect(struct pvb_dev *d)
{
	struct vif *v = pvb_priv(d);
	unsigned int offloads = 0, pages;
	uint64_t copy;
	void *ring;
	char why[256];
	int rc;

	if (pvb_read_uint(d, true, "request-rx-copy", 1, &copy) || copy != 1) {
		pvb_fail(d, "the frontend did not ask for rx copy (request-rx-copy=1); page "
			 "flipping is not served");
		return -EINVAL;
	}
	v->sg = fe_flag(d, "feature-sg");
	v->gso4 = v->sg && fe_flag(d, "feature-gso-tcpv4");
	v->gso6 = v->sg && fe_flag(d, "feature-gso-tcpv6");
	v->csum = !fe_flag(d, "feature-no-csum-offload");

	rc = pvb_map_ring(d, "tx-ring-ref", 0, &ring, &pages);
	if (rc)
		return rc;
	v->tx = ring;
	rc = pvb_map_ring(d, "rx-ring-ref", 0, &ring, &pages);
	if (rc)
		return rc;
	v->rx = ring;
	if (pvb_ring_attach(&v->txr, v->tx, 4096, sizeof(v->tx->ring[0])) ||
	    pvb_ring_attach(&v->rxr, v->rx, 4096, sizeof(v->rx->ring[0]))) {
		pvb_fail(d, "the frontend's ring indices are impossible at connect");
		return -EPROTO;
	}
	v->port = pvb_bind_event(d, "event-channel");
	if (v->port < 0)
		return v->port;

	v->txbuf = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			0);
	v->segs = calloc((size_t)NB_BATCH * NB_TX_MAX_DATA, sizeof(*v->segs));
	if (v->txbuf == MAP_FAILED || !v->segs) {
		if (v->txbuf == MAP_FAILED)
			v->txbuf = NULL;
		pvb_fail(d, "out of memory for the interface's buffers");
		return -ENOMEM;     /* libpvback calls vif_disconnect, which frees what there is */
	}
	v->rxbuf = v->txbuf + BUF_BYTES / 2;
	if (v->csum)
		offloads |= TUN_F_CSUM;
	if (v->csum && v->gso4)
		offloads |= TUN_F_TSO4;
	if (v->csum && v->gso6)
		offloads |= TUN_F_TSO6;
	v->tap = tap_create(v->ifname, offloads, why, sizeof(why));
	rc = v->tap < 0 ? v->tap : bridge_add(v->bridge, v->ifname, why, sizeof(why));
	if (!rc)
		rc = pvb_add_fd(d, v->tap, POLLIN);
	if (rc) {
		pvb_fail(d, "%s", why);
		return rc;
	}
	v->rx_waiting = false;
	pvb_write(d, "hotplug-status", "connected");
	pvb_log(d, "%s on bridge %s (sg %d, gso-tcpv4 %d, gso-tcpv6 %d, csum offload %d)",
		v->ifname, v->bridge, v->sg, v->gso4, v->gso6, v->csum);
	return 0;
}

void vif_disconnect(struct pvb_dev *d)
{
	struct vif *v = pvb_priv(d);

	if (v->tap >= 0) {
		pvb_del_fd(d, v->tap);
		close(v->tap);
		pvb_log(d, "%s gone (from the guest %llu frames: %llu GSO, %llu to checksum, %llu "
			"dropped; to it %llu frames: %llu GSO, %llu to checksum, %llu dropped)",
			v->ifname, (unsigned long long)v->tx_frames, (unsigned long long)v->tx_gso,
			(unsigned long long)v->tx_csum, (unsigned long long)v->tx_dropped,
			(unsigned long long)v->rx_frames, (unsigned long long)v->rx_gso,
			(unsigned long long)v->rx_csum, (unsigned long long)v->rx_dropped);
	}
	v->tap = -1;
	if (v->txbuf)
		munmap(v->txbuf, BUF_BYTES);
	v->txbuf = v->rxbuf = NULL;
	free(v->segs);
	v->segs = NULL;
	v->tx = NULL;
	v->rx = NULL;
	v->port = -1;
}
