/* netback's pure protocol logic: transmit slots, layer-4 headers, receive slots (see netif_parse.h). */
#include "netif_parse.h"

#include <string.h>

/* One request, read once: the frontend may rewrite the slot at any time. */
static struct netif_tx_request read_tx(const struct netif_tx_sring *s, pv_u32 mask, pv_u32 i)
{
	const volatile struct netif_tx_request *v = &s->ring[i & mask].req;

	return (struct netif_tx_request){ .gref = v->gref, .offset = v->offset, .flags = v->flags,
					  .id = v->id, .size = v->size };
}

static struct netif_extra_info read_extra(const struct netif_tx_sring *s, pv_u32 mask, pv_u32 i)
{
	const volatile struct netif_extra_info *v =
		(const volatile struct netif_extra_info *)&s->ring[i & mask];
	struct netif_extra_info e;

	memset(&e, 0, sizeof(e));
	e.type = v->type;
	e.flags = v->flags;
	e.u.gso.size = v->u.gso.size;
	e.u.gso.type = v->u.gso.type;
	return e;
}

/* The extra-info slots after the first request; NB_TX_READY when all were there and good. */
static enum nb_tx_result gather_extras(const struct netif_tx_sring *s, pv_u32 mask, pv_u32 cons,
				       pv_u32 avail, pv_u16 id, struct nb_tx_packet *pkt,
				       const char **why)
{
	unsigned int nr = 0;
	bool more = true;

	while (more) {
		struct netif_extra_info e;

		if (nr == NB_TX_MAX_EXTRAS) {
			*why = "more than 4 extra-info slots after one request";
			return NB_TX_FATAL;
		}
		if (pkt->ring_slots == avail)
			return NB_TX_PARTIAL;
		e = read_extra(s, mask, cons + pkt->ring_slots);
		pkt->rsp[pkt->ring_slots].id = id;
		pkt->rsp[pkt->ring_slots].extra = true;
		pkt->ring_slots++;
		nr++;
		more = e.flags & XEN_NETIF_EXTRA_FLAG_MORE;
		switch (e.type) {
		case XEN_NETIF_EXTRA_TYPE_GSO:
			if (e.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
			    e.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) {
				*why = "GSO extra info of an unknown GSO type";
				return NB_TX_FATAL;
			}
			if (!e.u.gso.size) {
				*why = "GSO extra info with a segment size of 0";
				return NB_TX_FATAL;
			}
			pkt->gso_type = e.u.gso.type;
			pkt->gso_size = e.u.gso.size;
			break;
		case XEN_NETIF_EXTRA_TYPE_MCAST_ADD:
		case XEN_NETIF_EXTRA_TYPE_MCAST_DEL:
		case XEN_NETIF_EXTRA_TYPE_HASH:
			break;      /* not negotiated by this backend: read and ignored */
		default:
			*why = "extra info of an unknown type";
			return NB_TX_FATAL;
		}
	}
	return NB_TX_READY;
}

enum nb_tx_result nb_tx_gather(const struct netif_tx_sring *s, unsigned int ring_size,
			       pv_u32 cons, pv_u32 prod, struct nb_tx_packet *pkt,
			       const char **why)
{
	pv_u32 mask = ring_size - 1, avail = prod - cons, frags = 0;
	struct netif_tx_request r;
	enum nb_tx_result res;

	memset(pkt, 0, sizeof(*pkt));
	if (!avail)
		return NB_TX_PARTIAL;
	r = read_tx(s, mask, cons);
	pkt->rsp[0].id = r.id;
	pkt->ring_slots = 1;
	pkt->data[0] = r;
	pkt->nr_data = 1;
	pkt->len = r.size;
	pkt->flags = r.flags;
	if (r.flags & NETTXF_extra_info) {
		res = gather_extras(s, mask, cons, avail, r.id, pkt, why);
		if (res != NB_TX_READY)
			return res;
	}
	while (r.flags & NETTXF_more_data) {
		if (pkt->nr_data == NB_TX_MAX_DATA) {
			*why = "a packet of more than 20 slots";
			return NB_TX_FATAL;
		}
		if (pkt->ring_slots == avail)
			return NB_TX_PARTIAL;
		r = read_tx(s, mask, cons + pkt->ring_slots);
		pkt->rsp[pkt->ring_slots].id = r.id;
		pkt->ring_slots++;
		pkt->data[pkt->nr_data] = r;
		pkt->data_len[pkt->nr_data] = r.size;
		pkt->nr_data++;
		frags += r.size;
	}
	/* The first slot's size is the whole frame's; its own data is what the others leave. */
	if (frags > pkt->len) {
		pkt->drop = "fragments larger than the packet";
		return NB_TX_READY;
	}
	pkt->data_len[0] = (pv_u16)(pkt->len - frags);
	for (unsigned int i = 0; i < pkt->nr_data; i++) {
		if ((pv_u32)pkt->data[i].offset + pkt->data_len[i] > NB_PAGE_SIZE) {
			*why = "a slot's data crosses the end of its page";
			return NB_TX_FATAL;
		}
	}
	if (pkt->len < NB_ETH_HLEN)
		pkt->drop = "a packet shorter than an Ethernet header";
	else if (pkt->gso_type && !(pkt->flags & NETTXF_csum_blank))
		pkt->drop = "a GSO packet without NETTXF_csum_blank";
	return NB_TX_READY;
}

static pv_u16 be16(const pv_u8 *p)
{
	return (pv_u16)(p[0] << 8 | p[1]);
}

/* The TCP or UDP header at off: fills out, 0; -1 if cut short or another protocol. */
static int l4_header(const pv_u8 *frame, size_t len, size_t off, pv_u8 proto, struct nb_l4 *out)
{
	size_t hlen;

	if (proto == 6) {
		if (off + 20 > len)
			return -1;
		hlen = (size_t)(frame[off + 12] >> 4) * 4;
		if (hlen < 20 || off + hlen > len)
			return -1;
		out->csum_offset = 16;
	} else if (proto == 17) {
		hlen = 8;
		if (off + hlen > len)
			return -1;
		out->csum_offset = 6;
	} else {
		return -1;
	}
	out->proto = proto;
	out->csum_start = (pv_u16)off;
	out->hdr_len = (pv_u16)(off + hlen);
	return 0;
}

int nb_find_l4(const pv_u8 *frame, size_t len, struct nb_l4 *out)
{
	size_t off = NB_ETH_HLEN;
	pv_u16 type;

	memset(out, 0, sizeof(*out));
	if (len < NB_ETH_HLEN || len > 0xffff)
		return -1;
	type = be16(frame + 12);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < off + 4)
			return -1;
		type = be16(frame + 16);
		off += 4;
	}
	if (type == 0x0800) {
		size_t ihl;

		if (off + 20 > len || frame[off] >> 4 != 4)
			return -1;
		ihl = (size_t)(frame[off] & 15) * 4;
		if (ihl < 20 || off + ihl > len)
			return -1;
		if (be16(frame + off + 6) & 0x3fff)      /* a fragment: no whole datagram here */
			return -1;
		return l4_header(frame, len, off + ihl, frame[off + 9], out);
	}
	if (type == 0x86dd) {
		pv_u8 next;

		if (off + 40 > len || frame[off] >> 4 != 6)
			return -1;
		next = frame[off + 6];
		off += 40;
		for (int i = 0; i < 8 && (next == 0 || next == 43 || next == 60); i++) {
			if (off + 8 > len)
				return -1;
			next = frame[off];
			off += ((size_t)frame[off + 1] + 1) * 8;
		}
		out->ipv6 = true;
		return l4_header(frame, len, off, next, out);
	}
	return -1;
}

unsigned int nb_rx_slots_needed(const struct nb_rx_meta *meta)
{
	unsigned int pages = (meta->len + NB_PAGE_SIZE - 1) / NB_PAGE_SIZE;

	return (pages ? pages : 1) + (meta->gso_type != XEN_NETIF_GSO_TYPE_NONE);
}

void nb_rx_plan(const struct netif_rx_sring *s, unsigned int ring_size, pv_u32 cons,
		const struct nb_rx_meta *meta, struct nb_rx_plan *plan)
{
	pv_u32 mask = ring_size - 1, off = 0;
	unsigned int n = nb_rx_slots_needed(meta);

	memset(plan, 0, sizeof(*plan));
	plan->gso_slot = meta->gso_type != XEN_NETIF_GSO_TYPE_NONE ? 1 : -1;
	for (unsigned int i = 0; i < n && i < NB_RX_MAX_SLOTS; i++) {
		const volatile struct netif_rx_request *v = &s->ring[(cons + i) & mask].req;

		plan->slot[i].id = v->id;
		plan->slot[i].gref = v->gref;
		if ((int)i == plan->gso_slot)
			continue;
		plan->slot[i].frame_off = off;
		plan->slot[i].len = (pv_u16)(meta->len - off < NB_PAGE_SIZE ? meta->len - off :
									   NB_PAGE_SIZE);
		off += plan->slot[i].len;
	}
	plan->nr_slots = n < NB_RX_MAX_SLOTS ? n : NB_RX_MAX_SLOTS;
}

void nb_rx_respond(struct netif_rx_sring *s, unsigned int ring_size, pv_u32 rsp,
		   const struct nb_rx_meta *meta, const struct nb_rx_plan *plan, bool failed)
{
	pv_u32 mask = ring_size - 1;

	for (unsigned int i = 0; i < plan->nr_slots; i++) {
		volatile union netif_rx_sring_entry *e = &s->ring[(rsp + i) & mask];

		if ((int)i == plan->gso_slot) {
			volatile struct netif_extra_info *x = (volatile struct netif_extra_info *)e;

			x->type = XEN_NETIF_EXTRA_TYPE_GSO;
			x->flags = 0;
			x->u.gso.size = meta->gso_size;
			x->u.gso.type = meta->gso_type;
			x->u.gso._pad = 0;
			x->u.gso.features = 0;
			continue;
		}
		pv_u16 flags = 0;

		if (i + 1 < plan->nr_slots && !(i + 1 == (unsigned int)plan->gso_slot &&
						 i + 2 == plan->nr_slots))
			flags |= NETRXF_more_data;
		if (i == 0) {
			if (meta->csum_blank)
				flags |= NETRXF_csum_blank | NETRXF_data_validated;
			else if (meta->data_valid)
				flags |= NETRXF_data_validated;
			if (plan->gso_slot == 1)
				flags |= NETRXF_extra_info;
		}
		e->rsp.id = plan->slot[i].id;
		e->rsp.offset = 0;
		e->rsp.flags = flags;
		e->rsp.status = failed ? NETIF_RSP_ERROR : (pv_s16)plan->slot[i].len;
	}
}
