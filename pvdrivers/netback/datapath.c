/*
 * Moving frames between a frontend's rings and its TAP (see netback.h).
 *
 * Both directions work in batches: gather up to NB_BATCH frames, copy all
 * their grants in one call, then hand the frames on and write every
 * response. The ring indices are libpvback's (struct pvb_ring), which
 * checks the frontend's req_prod against the ring's size on every look; a
 * frontend that lies is closed with pvb_close_device, never trusted. The
 * slots themselves are read by netif_parse.c, each exactly once, because a
 * netif packet spans several slots and is only taken when all are there.
 *
 * Fairness: one call moves at most NB_ROUNDS batches each way, and looks at
 * a moving req_prod at most NB_RELOOKS times; with more to do it asks
 * libpvback for another turn (pvb_again) after the other interfaces had
 * theirs, so a busy or hostile frontend cannot keep netback to itself.
 */
#include "netback.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pv/grant_table.h>

#define NB_ROUNDS 4
#define NB_RELOOKS 4

/* Publishes the responses put so far and notifies the frontend if it asked to be. */
static void push(struct vif *v, struct pvb_ring *r)
{
	if (pvb_ring_push(r))
		pvb_notify(v->dev, v->port);
}

/*
 * Asks the frontend to notify once req_prod passes want, then looks again:
 * true if it already has (go on), false to wait for the event.
 */
static bool wait_for_requests(volatile pv_u32 *req_prod, volatile pv_u32 *req_event,
			      pv_u32 seen, pv_u32 want)
{
	*req_event = want;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return *req_prod != seen;
}

/* ---- guest -> dom0 ------------------------------------------------------------------------ */

/* The virtio-net header for a transmitted frame; false to drop it (why says why). */
static bool tx_header(const struct nb_tx_packet *p, const pv_u8 *frame, struct virtio_net_hdr *h,
		      const char **why)
{
	struct nb_l4 l4;

	memset(h, 0, sizeof(*h));
	if (p->flags & NETTXF_csum_blank) {
		if (nb_find_l4(frame, p->len, &l4)) {
			*why = "a frame to checksum that is not TCP or UDP over IP";
			return false;
		}
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = l4.csum_start;
		h->csum_offset = l4.csum_offset;
		if (p->gso_type != XEN_NETIF_GSO_TYPE_NONE) {
			if (l4.proto != 6 || l4.ipv6 != (p->gso_type == XEN_NETIF_GSO_TYPE_TCPV6)) {
				*why = "a GSO frame whose headers do not match its GSO type";
				return false;
			}
			h->gso_type = l4.ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
			h->gso_size = p->gso_size;
			h->hdr_len = l4.hdr_len;
		}
	} else if (p->flags & NETTXF_data_validated) {
		h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	return true;
}

/* Answers every slot of p: its status, or NETIF_RSP_NULL for an extra-info slot. */
static void tx_respond(struct vif *v, const struct nb_tx_packet *p, pv_s16 status)
{
	for (unsigned int i = 0; i < p->ring_slots; i++) {
		struct netif_tx_response r = { .id = p->rsp[i].id,
					       .status = p->rsp[i].extra ? NETIF_RSP_NULL : status };

		pvb_ring_put(&v->txr, &r, sizeof(r));
	}
}

/* Gathers up to NB_BATCH packets into pk; returns how many, or -1 after closing the device. */
static int tx_gather_batch(struct vif *v, struct nb_tx_packet *pk, unsigned int *nr_segs)
{
	unsigned int n = 0, s = 0, relooks = 0;

	while (n < NB_BATCH) {
		int waiting = pvb_ring_waiting(&v->txr);
		pv_u32 cons = v->txr.req_cons, prod = cons + (pv_u32)(waiting > 0 ? waiting : 0);
		const char *why = NULL;
		enum nb_tx_result res;
		size_t pos = 0;

		if (waiting < 0) {
			pvb_close_device(v->dev, "%s: tx req_prod is more than a ring ahead",
					 v->ifname);
			return -1;
		}
		res = nb_tx_gather(v->tx, v->txr.size, cons, prod, &pk[n], &why);
		if (res == NB_TX_FATAL) {
			pvb_close_device(v->dev, "%s: the frontend sent %s", v->ifname, why);
			return -1;
		}
		if (res == NB_TX_PARTIAL) {
			/* Nothing, or a packet's first slots only: wake me when more arrive. */
			if (wait_for_requests(&v->tx->req_prod, &v->tx->req_event, prod, prod + 1) &&
			    ++relooks <= NB_RELOOKS)
				continue;
			break;
		}
		v->txr.req_cons += pk[n].ring_slots;
		for (unsigned int i = 0; !pk[n].drop && i < pk[n].nr_data; i++) {
			if (!pk[n].data_len[i])
				continue;
			pvb_copy_seg(v->dev, &v->segs[s++], false, pk[n].data[i].gref,
				     pk[n].data[i].offset, v->txbuf + (size_t)n * NB_FRAME_MAX + pos,
				     pk[n].data_len[i]);
			pos += pk[n].data_len[i];
		}
		n++;
	}
	*nr_segs = s;
	return (int)n;
}

void vif_tx(struct vif *v)
{
	static struct nb_tx_packet pk[NB_BATCH];

	for (int round = 0; v->tap >= 0; round++) {
		unsigned int nr_segs = 0, seg = 0;
		int n, rc;

		if (round == NB_ROUNDS) {
			pvb_again(v->dev);
			return;
		}
		n = tx_gather_batch(v, pk, &nr_segs);
		if (n <= 0)
			return;
		rc = pvb_copy(v->dev, v->segs, nr_segs);
		if (rc && rc != -EIO) {
			pvb_close_device(v->dev, "%s: grant copy of transmitted frames: %s",
					 v->ifname, strerror(-rc));
			return;
		}
		for (int i = 0; i < n; i++) {
			const pv_u8 *frame = v->txbuf + (size_t)i * NB_FRAME_MAX;
			const char *why = pk[i].drop;
			struct virtio_net_hdr h;
			bool ok = !why;

			/* A dropped packet has no segments; the others have one per non-empty slot. */
			for (unsigned int k = 0; !pk[i].drop && k < pk[i].nr_data; k++)
				if (pk[i].data_len[k] && v->segs[seg++].status != GNTST_okay)
					ok = false;     /* a grant the frontend did not give */
			if (ok)
				ok = tx_header(&pk[i], frame, &h, &why);
			if (ok) {
				struct iovec iov[2] = { { &h, sizeof(h) },
							{ (void *)frame, pk[i].len } };

				if (writev(v->tap, iov, 2) < 0) {
					v->tx_dropped++;    /* the TAP's queue is full, or it is down */
				} else {
					v->tx_frames++;
					v->tx_gso += h.gso_type != VIRTIO_NET_HDR_GSO_NONE;
					v->tx_csum += h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM;
				}
			} else {
				v->tx_dropped++;
			}
			tx_respond(v, &pk[i], ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
		}
		push(v, &v->txr);
	}
}

/* ---- dom0 -> guest ------------------------------------------------------------------------ */

/*
 * 1 if the frontend has posted at least need requests, 0 if not (it will
 * notify), 2 if its req_prod keeps moving (look again later), -1 closed.
 */
static int rx_room(struct vif *v, unsigned int need)
{
	for (unsigned int look = 0;; look++) {
		int waiting = pvb_ring_waiting(&v->rxr);

		if (waiting < 0) {
			pvb_close_device(v->dev, "%s: rx req_prod is more than a ring ahead",
					 v->ifname);
			return -1;
		}
		if ((unsigned int)waiting >= need)
			return 1;
		if (look == NB_RELOOKS)
			return 2;
		if (!wait_for_requests(&v->rx->req_prod, &v->rx->req_event,
				       v->rxr.req_cons + (pv_u32)waiting, v->rxr.req_cons + need))
			return 0;
	}
}

/* The frame's metadata from its virtio-net header; false if the frontend cannot take it. */
static bool rx_meta(const struct vif *v, const struct virtio_net_hdr *h, size_t len,
		    struct nb_rx_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->len = (pv_u32)len;
	m->csum_blank = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	m->data_valid = h->flags & VIRTIO_NET_HDR_F_DATA_VALID;
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!v->gso4)
			return false;
		m->gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
		m->gso_size = h->gso_size;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!v->gso6)
			return false;
		m->gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
		m->gso_size = h->gso_size;
		break;
	default:
		return false;
	}
	return len >= NB_ETH_HLEN && len <= XEN_NETIF_MAX_TX_SIZE && (v->sg || len <= NB_PAGE_SIZE);
}

/* Stops polling the TAP until the frontend posts more requests (vif_service). */
static void rx_pause(struct vif *v)
{
	if (!v->rx_waiting)
		pvb_del_fd(v->dev, v->tap);
	v->rx_waiting = true;
}

void vif_rx_resume(struct vif *v)
{
	if (v->rx_waiting && v->tap >= 0)
		pvb_add_fd(v->dev, v->tap, POLLIN);
	v->rx_waiting = false;
}

void vif_rx(struct vif *v)
{
	static struct nb_rx_plan plan[NB_BATCH];
	static struct nb_rx_meta meta[NB_BATCH];
	unsigned int need = v->sg ? NB_RX_MAX_SLOTS : 1;

	for (int round = 0; v->tap >= 0 && !v->rx_waiting; round++) {
		unsigned int n = 0, s = 0, seg = 0;
		int room = 1, rc;

		if (round == NB_ROUNDS) {
			pvb_again(v->dev);
			return;
		}
		while (n < NB_BATCH && (room = rx_room(v, need)) == 1) {
			pv_u8 *frame = v->rxbuf + (size_t)n * NB_FRAME_MAX;
			struct virtio_net_hdr h;
			struct iovec iov[2] = { { &h, sizeof(h) }, { frame, NB_FRAME_MAX } };
			ssize_t got = readv(v->tap, iov, 2);

			if (got < 0)
				break;      /* EAGAIN: nothing more queued */
			if ((size_t)got < sizeof(h) ||
			    !rx_meta(v, &h, (size_t)got - sizeof(h), &meta[n])) {
				v->rx_dropped++;
				continue;
			}
			nb_rx_plan(v->rx, v->rxr.size, v->rxr.req_cons, &meta[n], &plan[n]);
			v->rxr.req_cons += plan[n].nr_slots;
			for (unsigned int i = 0; i < plan[n].nr_slots; i++) {
				if ((int)i == plan[n].gso_slot || !plan[n].slot[i].len)
					continue;
				pvb_copy_seg(v->dev, &v->segs[s++], true, plan[n].slot[i].gref, 0,
					     frame + plan[n].slot[i].frame_off, plan[n].slot[i].len);
			}
			n++;
		}
		if (room < 0)
			return;
		if (n) {
			rc = pvb_copy(v->dev, v->segs, s);
			if (rc && rc != -EIO) {
				pvb_close_device(v->dev, "%s: grant copy of received frames: %s",
						 v->ifname, strerror(-rc));
				return;
			}
			/* Responses go in the slots of the requests just taken, in order. */
			for (unsigned int i = 0; i < n; i++) {
				bool failed = false;

				for (unsigned int k = 0; k < plan[i].nr_slots; k++)
					if ((int)k != plan[i].gso_slot && plan[i].slot[k].len)
						failed |= v->segs[seg++].status != GNTST_okay;
				nb_rx_respond(v->rx, v->rxr.size, v->rxr.rsp_prod_pvt, &meta[i],
					      &plan[i], failed);
				v->rxr.rsp_prod_pvt += plan[i].nr_slots;
				if (failed) {
					v->rx_dropped++;
				} else {
					v->rx_frames++;
					v->rx_gso += meta[i].gso_type != XEN_NETIF_GSO_TYPE_NONE;
					v->rx_csum += meta[i].csum_blank;
				}
			}
			push(v, &v->rxr);
		}
		if (room == 0)
			rx_pause(v);
		if (room == 2)
			pvb_again(v->dev);
		if (n < NB_BATCH)
			return;
	}
}
