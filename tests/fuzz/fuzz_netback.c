/*
 * Fuzz target: mica-netback's parsing of what a frontend puts on its rings
 * (pvdrivers/netback/netif_parse.c). The input is a hostile frontend: the
 * first 12 bytes give the backend's tx index, the frontend's req_prod and a
 * received frame's metadata, the next (up to) 4096 bytes are the shared tx
 * ring page (also read as the rx ring), the rest is a frame (a short input
 * is its own frame). The backend's loop
 * is replayed: packets gathered until one is partial or fatal, each
 * checked against the promises netback's copy code relies on (slots within
 * their page, lengths adding up), its frame's layer-4 header found, and a
 * received frame planned and answered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netif_parse.h"

#define RING 256u

static union {
	struct netif_tx_sring tx;
	struct netif_rx_sring rx;
	pv_u8 page[4096];
} ring;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void replay_tx(pv_u32 cons, pv_u32 prod, const pv_u8 *frame, size_t frame_len)
{
	static struct nb_tx_packet pkt;

	/* netback refuses a req_prod more than a ring ahead before gathering. */
	if (prod - cons > RING)
		return;
	for (int n = 0; n < (int)RING; n++) {
		const char *why = NULL;
		enum nb_tx_result res = nb_tx_gather(&ring.tx, RING, cons, prod, &pkt, &why);
		pv_u32 sum = 0;

		if (res == NB_TX_FATAL) {
			check(why != NULL);
			return;
		}
		if (res == NB_TX_PARTIAL)
			return;
		check(pkt.ring_slots >= 1 && pkt.ring_slots <= NB_TX_MAX_SLOTS);
		check(pkt.ring_slots <= prod - cons);
		check(pkt.nr_data >= 1 && pkt.nr_data <= NB_TX_MAX_DATA);
		if (!pkt.drop) {
			for (unsigned int i = 0; i < pkt.nr_data; i++) {
				check(pkt.data[i].offset + pkt.data_len[i] <= NB_PAGE_SIZE);
				sum += pkt.data_len[i];
			}
			check(sum == pkt.len);
			check(pkt.len >= NB_ETH_HLEN);
			if (pkt.gso_type != XEN_NETIF_GSO_TYPE_NONE)
				check(pkt.gso_size > 0 && (pkt.flags & NETTXF_csum_blank));
		}
		{
			struct nb_l4 l4;
			size_t len = frame_len < pkt.len ? frame_len : pkt.len;

			if (!nb_find_l4(frame, len, &l4)) {
				check(l4.csum_start >= NB_ETH_HLEN);
				check((size_t)l4.csum_start + l4.csum_offset + 2 <= l4.hdr_len);
				check(l4.hdr_len <= len);
			}
		}
		cons += pkt.ring_slots;
	}
}

static void replay_rx(pv_u32 cons, const pv_u8 *meta_bytes)
{
	struct nb_rx_meta m = {
		.len = (pv_u32)(meta_bytes[0] | meta_bytes[1] << 8),
		.csum_blank = meta_bytes[2] & 1,
		.data_valid = meta_bytes[2] & 2,
		.gso_type = (meta_bytes[2] >> 2) % 3,
		.gso_size = meta_bytes[3],
	};
	struct nb_rx_plan plan;
	pv_u32 total = 0;

	if (m.len < NB_ETH_HLEN || nb_rx_slots_needed(&m) > NB_RX_MAX_SLOTS)
		return;
	nb_rx_plan(&ring.rx, RING, cons, &m, &plan);
	check(plan.nr_slots == nb_rx_slots_needed(&m));
	for (unsigned int i = 0; i < plan.nr_slots; i++) {
		check(plan.slot[i].len <= NB_PAGE_SIZE);
		if ((int)i != plan.gso_slot) {
			check(plan.slot[i].frame_off == total);
			total += plan.slot[i].len;
		}
	}
	check(total == m.len);
	nb_rx_respond(&ring.rx, RING, cons, &m, &plan, meta_bytes[2] & 0x80);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t body;
	pv_u32 cons, prod;

	if (size < 12)
		return 0;
	memcpy(&cons, data, 4);
	memcpy(&prod, data + 4, 4);
	/* A short input fills the ring's first slots (the rest zero) and doubles as the frame. */
	body = size - 12 < sizeof(ring) ? size - 12 : sizeof(ring);
	memset(ring.page, 0, sizeof(ring));
	memcpy(ring.page, data + 12, body);
	/* Keep most inputs within a ring's distance so the gathering is reached. */
	prod = cons + (prod % (RING + 8));
	if (size - 12 > sizeof(ring))
		replay_tx(cons, prod, data + 12 + sizeof(ring), size - 12 - sizeof(ring));
	else
		replay_tx(cons, prod, data + 12, size - 12);
	replay_rx(cons, data + 8);
	return 0;
}
