/*
 * mica-netback's pure protocol logic (pvdrivers/netback/netif_parse.c):
 * transmitted packets gathered from a ring (fragments, extra info, partial
 * packets across the wrap) and the lies that shut an interface; layer-4
 * headers found for checksum offload; received frames spread over posted
 * pages with the responses netfront expects.
 */
/* tool-sources: pvdrivers/netback/netif_parse.c */
#include "check.h"

#include <stdlib.h>

#include "netif_parse.h"

#define RING 256u

static union {
	struct netif_tx_sring s;
	char page[4096];
} txp;
static union {
	struct netif_rx_sring s;
	char page[4096];
} rxp;

static void put_tx(pv_u32 i, pv_u32 gref, pv_u16 off, pv_u16 flags, pv_u16 id, pv_u16 size)
{
	txp.s.ring[i & (RING - 1)].req =
		(struct netif_tx_request){ .gref = gref, .offset = off, .flags = flags, .id = id,
					   .size = size };
}

static void put_gso(pv_u32 i, pv_u8 type, pv_u16 mss, pv_u8 flags)
{
	struct netif_extra_info *e = (struct netif_extra_info *)&txp.s.ring[i & (RING - 1)];

	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	e->flags = flags;
	e->u.gso.type = type;
	e->u.gso.size = mss;
}

static struct nb_tx_packet pkt;

static void tx_single_and_fragments(void)
{
	const char *why = NULL;

	put_tx(0, 7, 100, 0, 1, 60);
	REQUIRE_EQ(nb_tx_gather(&txp.s, RING, 0, 1, &pkt, &why), NB_TX_READY);
	CHECK_EQ(pkt.ring_slots, 1);
	CHECK_EQ(pkt.nr_data, 1);
	CHECK_EQ(pkt.len, 60);
	CHECK_EQ(pkt.data_len[0], 60);
	CHECK(!pkt.drop);
	/* Three slots across the end of the ring and the wrap of the indexes: 1000 + 3000 + 500. */
	put_tx(0xffffffff, 1, 0, NETTXF_more_data | NETTXF_csum_blank, 10, 4500);
	put_tx(0, 2, 0, NETTXF_more_data, 11, 3000);
	put_tx(1, 3, 0, 0, 12, 500);
	REQUIRE_EQ(nb_tx_gather(&txp.s, RING, 0xffffffff, 2, &pkt, &why), NB_TX_READY);
	CHECK_EQ(pkt.ring_slots, 3);
	CHECK_EQ(pkt.nr_data, 3);
	CHECK_EQ(pkt.data_len[0], 1000);
	CHECK_EQ(pkt.data_len[1], 3000);
	CHECK_EQ(pkt.data_len[2], 500);
	CHECK_EQ(pkt.rsp[2].id, 12);
	CHECK(pkt.flags & NETTXF_csum_blank);
	/* The same packet with its last slot not produced yet. */
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 0xffffffff, 1, &pkt, &why), NB_TX_PARTIAL);
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 5, 5, &pkt, &why), NB_TX_PARTIAL);
}

static void tx_gso_extra(void)
{
	const char *why = NULL;

	put_tx(10, 1, 0, NETTXF_extra_info | NETTXF_more_data | NETTXF_csum_blank, 3, 9000);
	put_gso(11, XEN_NETIF_GSO_TYPE_TCPV4, 1448, 0);
	put_tx(12, 2, 0, NETTXF_more_data, 4, 4096);
	put_tx(13, 3, 0, 0, 5, 4000);
	REQUIRE_EQ(nb_tx_gather(&txp.s, RING, 10, 14, &pkt, &why), NB_TX_READY);
	CHECK_EQ(pkt.ring_slots, 4);
	CHECK_EQ(pkt.nr_data, 3);
	CHECK(pkt.rsp[1].extra);
	CHECK(!pkt.rsp[2].extra);
	CHECK_EQ(pkt.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
	CHECK_EQ(pkt.gso_size, 1448);
	CHECK_EQ(pkt.data_len[0], 9000 - 4096 - 4000);
	CHECK(!pkt.drop);
	/* GSO without a checksum to fill is dropped, not fatal. */
	put_tx(10, 1, 0, NETTXF_extra_info, 3, 200);
	REQUIRE_EQ(nb_tx_gather(&txp.s, RING, 10, 12, &pkt, &why), NB_TX_READY);
	CHECK(pkt.drop != NULL);
	CHECK_EQ(pkt.ring_slots, 2);
}

static void tx_lies(void)
{
	const char *why = NULL;

	/* Data past the end of its page. */
	put_tx(20, 1, 4000, 0, 1, 200);
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 20, 21, &pkt, &why), NB_TX_FATAL);
	CHECK(why && strstr(why, "page"));
	/* 21 data slots. */
	for (unsigned int i = 0; i < 21; i++)
		put_tx(30 + i, 1, 0, i < 20 ? NETTXF_more_data : 0, (pv_u16)i, i ? 10 : 2000);
	why = NULL;
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 30, 51, &pkt, &why), NB_TX_FATAL);
	CHECK(why && strstr(why, "20 slots"));
	/* An unknown extra type, a GSO type that does not exist, an MSS of 0. */
	put_tx(60, 1, 0, NETTXF_extra_info, 1, 100);
	put_gso(61, 9, 1448, 0);
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 60, 62, &pkt, &why), NB_TX_FATAL);
	put_gso(61, XEN_NETIF_GSO_TYPE_TCPV4, 0, 0);
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 60, 62, &pkt, &why), NB_TX_FATAL);
	((struct netif_extra_info *)&txp.s.ring[61])->type = 77;
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 60, 62, &pkt, &why), NB_TX_FATAL);
	/* Extra info that says "more" forever. */
	for (unsigned int i = 0; i < 6; i++)
		put_gso(61 + i, XEN_NETIF_GSO_TYPE_TCPV4, 1448, XEN_NETIF_EXTRA_FLAG_MORE);
	CHECK_EQ(nb_tx_gather(&txp.s, RING, 60, 70, &pkt, &why), NB_TX_FATAL);
	/* Fragments larger than the packet, a runt: dropped. */
	put_tx(80, 1, 0, NETTXF_more_data, 1, 100);
	put_tx(81, 1, 0, 0, 2, 200);
	REQUIRE_EQ(nb_tx_gather(&txp.s, RING, 80, 82, &pkt, &why), NB_TX_READY);
	CHECK(pkt.drop != NULL);
	put_tx(82, 1, 0, 0, 2, 10);
	REQUIRE_EQ(nb_tx_gather(&txp.s, RING, 82, 83, &pkt, &why), NB_TX_READY);
	CHECK(pkt.drop != NULL);
}

/* An Ethernet + IPv4 + TCP frame with a VLAN tag when vlan. */
static size_t make_tcp4(pv_u8 *f, bool vlan, pv_u8 proto)
{
	size_t l3 = vlan ? 18 : 14;

	memset(f, 0, 200);
	f[12] = vlan ? 0x81 : 0x08;
	f[13] = 0x00;
	if (vlan) {
		f[16] = 0x08;
		f[17] = 0x00;
	}
	f[l3] = 0x46;       /* IPv4, 24-byte header (an option) */
	f[l3 + 9] = proto;
	f[l3 + 24 + 12] = 0x80; /* TCP data offset 8 words: 32 bytes */
	return l3 + 24 + 32 + 10;
}

static void layer4(void)
{
	pv_u8 f[200];
	struct nb_l4 l4;
	size_t len = make_tcp4(f, false, 6);

	REQUIRE_EQ(nb_find_l4(f, len, &l4), 0);
	CHECK_EQ(l4.csum_start, 14 + 24);
	CHECK_EQ(l4.csum_offset, 16);
	CHECK_EQ(l4.hdr_len, 14 + 24 + 32);
	CHECK_EQ(l4.proto, 6);
	len = make_tcp4(f, true, 17);
	REQUIRE_EQ(nb_find_l4(f, len, &l4), 0);
	CHECK_EQ(l4.csum_start, 18 + 24);
	CHECK_EQ(l4.csum_offset, 6);
	/* Cut short, ICMP, a fragment, a bad header length. */
	len = make_tcp4(f, false, 6);
	CHECK_EQ(nb_find_l4(f, 14 + 24 + 10, &l4), -1);
	f[14 + 9] = 1;
	CHECK_EQ(nb_find_l4(f, len, &l4), -1);
	len = make_tcp4(f, false, 6);
	f[14 + 7] = 8;
	CHECK_EQ(nb_find_l4(f, len, &l4), -1);
	len = make_tcp4(f, false, 6);
	f[14] = 0x43;
	CHECK_EQ(nb_find_l4(f, len, &l4), -1);
	/* IPv6 with a hop-by-hop header, then UDP. */
	memset(f, 0, sizeof(f));
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[14 + 6] = 0;      /* hop-by-hop */
	f[54] = 17;         /* its next header: UDP */
	f[55] = 0;          /* 8 bytes long */
	REQUIRE_EQ(nb_find_l4(f, 14 + 40 + 8 + 8, &l4), 0);
	CHECK_EQ(l4.csum_start, 14 + 40 + 8);
	CHECK(l4.ipv6);
	CHECK_EQ(nb_find_l4(f, 10, &l4), -1);
}

static void rx_spread(void)
{
	struct nb_rx_meta m = { .len = 9000, .csum_blank = true,
				.gso_type = XEN_NETIF_GSO_TYPE_TCPV4, .gso_size = 1448 };
	struct nb_rx_plan plan;
	struct netif_extra_info *x;

	for (unsigned int i = 0; i < RING; i++)
		rxp.s.ring[i].req = (struct netif_rx_request){ .id = (pv_u16)(i + 100), .gref = i };
	CHECK_EQ(nb_rx_slots_needed(&m), 4);
	nb_rx_plan(&rxp.s, RING, 254, &m, &plan);
	REQUIRE_EQ(plan.nr_slots, 4);
	CHECK_EQ(plan.gso_slot, 1);
	CHECK_EQ(plan.slot[0].len, 4096);
	CHECK_EQ(plan.slot[0].gref, 254);
	CHECK_EQ(plan.slot[2].len, 4096);
	CHECK_EQ(plan.slot[2].frame_off, 4096);
	CHECK_EQ(plan.slot[3].len, 9000 - 8192);
	CHECK_EQ(plan.slot[3].gref, 1);     /* wrapped */
	nb_rx_respond(&rxp.s, RING, 254, &m, &plan, false);
	CHECK_EQ(rxp.s.ring[254].rsp.id, 354);
	CHECK_EQ(rxp.s.ring[254].rsp.status, 4096);
	CHECK_EQ(rxp.s.ring[254].rsp.flags,
		 NETRXF_more_data | NETRXF_csum_blank | NETRXF_data_validated | NETRXF_extra_info);
	x = (struct netif_extra_info *)&rxp.s.ring[255];
	CHECK_EQ(x->type, XEN_NETIF_EXTRA_TYPE_GSO);
	CHECK_EQ(x->u.gso.size, 1448);
	CHECK_EQ(rxp.s.ring[0].rsp.flags, NETRXF_more_data);
	CHECK_EQ(rxp.s.ring[1].rsp.flags, 0);
	CHECK_EQ(rxp.s.ring[1].rsp.status, 9000 - 8192);
	/* A small frame, one slot, copy failed. */
	m = (struct nb_rx_meta){ .len = 60, .data_valid = true };
	nb_rx_plan(&rxp.s, RING, 7, &m, &plan);
	REQUIRE_EQ(plan.nr_slots, 1);
	nb_rx_respond(&rxp.s, RING, 7, &m, &plan, true);
	CHECK(rxp.s.ring[7].rsp.status == NETIF_RSP_ERROR);
	CHECK_EQ(rxp.s.ring[7].rsp.flags, NETRXF_data_validated);
	/* GSO frame that fits one page: no more_data on the first slot. */
	m = (struct nb_rx_meta){ .len = 3000, .gso_type = XEN_NETIF_GSO_TYPE_TCPV4, .gso_size = 1000 };
	nb_rx_plan(&rxp.s, RING, 20, &m, &plan);
	nb_rx_respond(&rxp.s, RING, 20, &m, &plan, false);
	CHECK_EQ(rxp.s.ring[20].rsp.flags, NETRXF_extra_info);
}

int main(void)
{
	RUN(tx_single_and_fragments);
	RUN(tx_gso_extra);
	RUN(tx_lies);
	RUN(layer4);
	RUN(rx_spread);
	return check_done();
}
