/*
 * Moving frames between a frontend's rings and its TAP (see netback.h).
 *
 * Both directions work in batches: gather up to NB_BATCH frames, copy all
 * their grants in one call, then hand the frames on and write every
 * response. Each consumed request is answered at its own ring index, so
 * "responses produced" always equals "requests consumed" between batches,
 * and a frontend that claims more outstanding requests than the ring holds
 * is lying: its interface is shut (backend_fail) and nothing else is
 * touched.
 */
#include "netback.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <pv/grant_table.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

static pv_u32 read_idx(const volatile pv_u32 *p)
{
	pv_u32 v = *p;

	rmb();
	return v;
}

/* Publishes responses up to rsp and notifies the frontend if it asked to be. */
static void push_responses(struct vif *v, volatile pv_u32 *rsp_prod, volatile pv_u32 *rsp_event,
			   pv_u32 rsp)
{
	pv_u32 old = *rsp_prod;

	if (old == rsp)
		return;
	wmb();
	*rsp_prod = rsp;
	mb();
	if (pv_ring_should_notify(old, rsp, *rsp_event))
		mica_evtchn_notify(v->nb->evtchn, (uint32_t)v->port);
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

/* Writes the responses of one packet from ring index *rsp on. */
static void tx_respond(struct vif *v, const struct nb_tx_packet *p, pv_u32 *rsp, pv_s16 status)
{
	for (unsigned int i = 0; i < p->ring_slots; i++) {
		volatile struct netif_tx_response *r = &v->tx->ring[(*rsp)++ & (NB_RING_SLOTS - 1)].rsp;

		r->id = p->rsp[i].id;
		r->status = p->rsp[i].extra ? NETIF_RSP_NULL : status;
	}
}

/* Gathers up to NB_BATCH packets into pk; returns how many, or -1 after backend_fail. */
static int tx_gather_batch(struct vif *v, struct nb_tx_packet *pk, unsigned int *nr_segs)
{
	unsigned int n = 0, s = 0;
	pv_u32 prod;

	while (n < NB_BATCH) {
		const char *why = NULL;
		enum nb_tx_result res;
		size_t off = (size_t)n * NB_FRAME_MAX, pos = 0;

		prod = read_idx(&v->tx->req_prod);
		if (prod - v->tx_cons > NB_RING_SLOTS) {
			backend_fail(v, "tx req_prod is more than a ring ahead of the backend");
			return -1;
		}
		res = nb_tx_gather(v->tx, NB_RING_SLOTS, v->tx_cons, prod, &pk[n], &why);
		if (res == NB_TX_FATAL) {
			backend_fail(v, why);
			return -1;
		}
		if (res == NB_TX_PARTIAL) {
			/* Wake me when the rest arrives; look again in case it just did. */
			v->tx->req_event = v->tx_cons + 1;
			mb();
			if (read_idx(&v->tx->req_prod) != prod)
				continue;
			break;
		}
		v->tx_cons += pk[n].ring_slots;
		for (unsigned int i = 0; !pk[n].drop && i < pk[n].nr_data; i++) {
			struct mica_grant_copy *g = &v->segs[s];

			if (!pk[n].data_len[i])
				continue;
			memset(g, 0, sizeof(*g));
			g->source.foreign.ref = pk[n].data[i].gref;
			g->source.foreign.offset = pk[n].data[i].offset;
			g->source.foreign.domid = (uint16_t)v->domid;
			g->dest.virt = v->txbuf + off + pos;
			g->len = pk[n].data_len[i];
			g->flags = GNTCOPY_source_gref;
			pos += g->len;
			s++;
		}
		n++;
	}
	*nr_segs = s;
	return (int)n;
}

void vif_tx(struct vif *v)
{
	static struct nb_tx_packet pk[NB_BATCH];

	while (v->connected) {
		unsigned int nr_segs = 0, seg = 0;
		pv_u32 rsp = v->tx_cons;
		int n;

		n = tx_gather_batch(v, pk, &nr_segs);
		if (n <= 0)
			return;
		if (mica_gntdev_copy(v->nb->gntdev, v->segs, nr_segs)) {
			backend_fail(v, "the grant copy of transmitted frames failed");
			return;
		}
		for (int i = 0; i < n; i++) {
			const pv_u8 *frame = v->txbuf + (size_t)i * NB_FRAME_MAX;
			const char *why = pk[i].drop;
			struct virtio_net_hdr h;
			bool ok = !why;

			/* A dropped packet has no segments; the others have one per non-empty slot. */
			for (unsigned int k = 0; !pk[i].drop && k < pk[i].nr_data; k++) {
				if (pk[i].data_len[k] && v->segs[seg++].status != GNTST_okay) {
					ok = false;
					why = "a grant the frontend did not give";
				}
			}
			if (ok)
				ok = tx_header(&pk[i], frame, &h, &why);
			if (ok) {
				struct iovec iov[2] = { { &h, sizeof(h) },
							{ (void *)frame, pk[i].len } };

				if (writev(v->tap, iov, 2) < 0)
					v->tx_dropped++;    /* the TAP's queue is full, or it is down */
				else
					v->tx_frames++;
			} else {
				v->tx_dropped++;
			}
			tx_respond(v, &pk[i], &rsp, ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
		}
		push_responses(v, &v->tx->rsp_prod, &v->tx->rsp_event, rsp);
	}
}

/* ---- dom0 -> guest ------------------------------------------------------------------------ */

/* Whether the frontend has posted at least need requests; asks to be woken when not. */
static int rx_room(struct vif *v, unsigned int need)
{
	for (;;) {
		pv_u32 prod = read_idx(&v->rx->req_prod);

		if (prod - v->rx_cons > NB_RING_SLOTS) {
			backend_fail(v, "rx req_prod is more than a ring ahead of the backend");
			return -1;
		}
		if (prod - v->rx_cons >= need)
			return 1;
		v->rx->req_event = v->rx_cons + need;
		mb();
		if (read_idx(&v->rx->req_prod) == prod)
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
	if (len < NB_ETH_HLEN || len > XEN_NETIF_MAX_TX_SIZE || (!v->sg && len > NB_PAGE_SIZE))
		return false;
	return true;
}

void vif_rx(struct vif *v)
{
	static struct nb_rx_plan plan[NB_BATCH];
	static struct nb_rx_meta meta[NB_BATCH];
	unsigned int need = v->sg ? NB_RX_MAX_SLOTS : 1;

	while (v->connected) {
		unsigned int n = 0, s = 0, seg = 0;
		pv_u32 rsp = v->rx_cons;
		int room = 1;

		while (n < NB_BATCH && (room = rx_room(v, need)) > 0) {
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
			nb_rx_plan(v->rx, NB_RING_SLOTS, v->rx_cons, &meta[n], &plan[n]);
			v->rx_cons += plan[n].nr_slots;
			for (unsigned int i = 0; i < plan[n].nr_slots; i++) {
				struct mica_grant_copy *g = &v->segs[s];

				if ((int)i == plan[n].gso_slot || !plan[n].slot[i].len)
					continue;
				memset(g, 0, sizeof(*g));
				g->source.virt = frame + plan[n].slot[i].frame_off;
				g->dest.foreign.ref = plan[n].slot[i].gref;
				g->dest.foreign.offset = 0;
				g->dest.foreign.domid = (uint16_t)v->domid;
				g->len = plan[n].slot[i].len;
				g->flags = GNTCOPY_dest_gref;
				s++;
			}
			n++;
		}
		if (room < 0)
			return;
		v->rx_waiting = room == 0;
		if (!n)
			return;
		if (mica_gntdev_copy(v->nb->gntdev, v->segs, s)) {
			backend_fail(v, "the grant copy of received frames failed");
			return;
		}
		for (unsigned int i = 0; i < n; i++) {
			bool failed = false;

			for (unsigned int k = 0; k < plan[i].nr_slots; k++) {
				if ((int)k == plan[i].gso_slot || !plan[i].slot[k].len)
					continue;
				failed |= v->segs[seg++].status != GNTST_okay;
			}
			nb_rx_respond(v->rx, NB_RING_SLOTS, rsp, &meta[i], &plan[i], failed);
			rsp += plan[i].nr_slots;
			if (failed)
				v->rx_dropped++;
			else
				v->rx_frames++;
		}
		push_responses(v, &v->rx->rsp_prod, &v->rx->rsp_event, rsp);
		if (v->rx_waiting)
			return;
	}
}
