/*
 * Connecting one interface once its frontend has published its rings:
 * read what the frontend wrote, map the two ring pages, bind the event
 * channel, create the TAP with the offloads the frontend can take, join it
 * to the bridge. Disconnecting undoes all of it, so nothing of the guest
 * stays mapped and the TAP is gone.
 */
#include "netback.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The frontend's key as an unsigned number; false if missing or not a number. */
static bool fe_uint(struct vif *v, const char *key, unsigned long *out)
{
	char path[160], *val = NULL, *end;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", v->fe_path, key);
	if (mica_xs_read(v->nb->xs, MICA_XS_NO_TX, path, &val, NULL))
		return false;
	errno = 0;
	*out = strtoul(val, &end, 10);
	ok = *val && !*end && !errno;
	free(val);
	return ok;
}

static bool fe_flag(struct vif *v, const char *key)
{
	unsigned long n;

	return fe_uint(v, key, &n) && n;
}

static int fail(char *why, size_t whysz, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t whysz, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return rc;
}

int vif_connect(struct vif *v, char *why, size_t whysz)
{
	unsigned long tx_ref, rx_ref, port, copy;
	unsigned int offloads = 0;
	int rc;

	if (!fe_uint(v, "tx-ring-ref", &tx_ref) || !fe_uint(v, "rx-ring-ref", &rx_ref) ||
	    tx_ref > UINT32_MAX || rx_ref > UINT32_MAX)
		return fail(why, whysz, -EINVAL, "the frontend wrote no valid tx-ring-ref and "
						 "rx-ring-ref");
	if (!fe_uint(v, "event-channel", &port) || port > UINT32_MAX)
		return fail(why, whysz, -EINVAL, "the frontend wrote no valid event-channel (split "
						 "event channels are not offered)");
	if (!fe_uint(v, "request-rx-copy", &copy) || copy != 1)
		return fail(why, whysz, -EINVAL, "the frontend did not request rx copy "
						 "(request-rx-copy=1); page flipping is not served");
	v->sg = fe_flag(v, "feature-sg");
	v->gso4 = v->sg && fe_flag(v, "feature-gso-tcpv4");
	v->gso6 = v->sg && fe_flag(v, "feature-gso-tcpv6");
	v->csum = !fe_flag(v, "feature-no-csum-offload");

	v->tx = mica_gntdev_map(v->nb->gntdev, v->domid, (uint32_t)tx_ref, true);
	if (!v->tx) {
		rc = fail(why, whysz, -errno, "cannot map the tx ring (grant %lu): %s", tx_ref,
			  strerror(errno));
		goto undo;
	}
	v->rx = mica_gntdev_map(v->nb->gntdev, v->domid, (uint32_t)rx_ref, true);
	if (!v->rx) {
		rc = fail(why, whysz, -errno, "cannot map the rx ring (grant %lu): %s", rx_ref,
			  strerror(errno));
		goto undo;
	}
	v->txbuf = mmap(NULL, 2 * (size_t)NB_BATCH * NB_FRAME_MAX, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	v->segs = calloc((size_t)NB_BATCH * NB_TX_MAX_DATA, sizeof(*v->segs));
	if (v->txbuf == MAP_FAILED || !v->segs) {
		if (v->txbuf == MAP_FAILED)
			v->txbuf = NULL;
		rc = fail(why, whysz, -ENOMEM, "out of memory for the interface's buffers");
		goto undo;
	}
	v->rxbuf = v->txbuf + (size_t)NB_BATCH * NB_FRAME_MAX;
	v->port = mica_evtchn_bind_interdomain(v->nb->evtchn, v->domid, (uint32_t)port);
	if (v->port < 0) {
		rc = fail(why, whysz, v->port, "cannot bind the frontend's event channel %lu: %s",
			  port, strerror(-v->port));
		goto undo;
	}
	if (v->csum)
		offloads |= TUN_F_CSUM;
	if (v->csum && v->gso4)
		offloads |= TUN_F_TSO4;
	if (v->csum && v->gso6)
		offloads |= TUN_F_TSO6;
	v->tap = tap_create(v->ifname, offloads, why, whysz);
	if (v->tap < 0) {
		rc = v->tap;
		goto undo;
	}
	rc = bridge_add(v->bridge, v->ifname, why, whysz);
	if (rc)
		goto undo;
	/* Both rings start empty: the next request is at the index the frontend starts from. */
	v->tx_cons = v->tx->rsp_prod;
	v->rx_cons = v->rx->rsp_prod;
	v->rx_waiting = false;
	v->connected = true;
	return 0;
undo:
	vif_disconnect(v);
	return rc;
}

void vif_disconnect(struct vif *v)
{
	if (v->tap > 0)
		close(v->tap);
	v->tap = -1;
	if (v->port > 0)
		mica_evtchn_unbind(v->nb->evtchn, (uint32_t)v->port);
	v->port = -1;
	if (v->tx)
		mica_gntdev_unmap(v->nb->gntdev, v->tx);
	if (v->rx)
		mica_gntdev_unmap(v->nb->gntdev, v->rx);
	v->tx = NULL;
	v->rx = NULL;
	if (v->txbuf)
		munmap(v->txbuf, 2 * (size_t)NB_BATCH * NB_FRAME_MAX);
	v->txbuf = v->rxbuf = NULL;
	free(v->segs);
	v->segs = NULL;
	v->connected = false;
}
