/*
 * netback's pure protocol logic, compiled on the host for the unit tests
 * and the fuzz target as well as into mica-netback:
 *
 *   - nb_tx_gather: one transmitted packet's ring slots (data slots,
 *     extra-info slots), copied out of the shared ring once and checked;
 *   - nb_find_l4: where a frame's TCP or UDP header and checksum are, for
 *     checksum offload and GSO (virtio-net header fields);
 *   - nb_rx_plan: how a received frame spreads over the pages the
 *     frontend posted, and the responses that describe it.
 *
 * Nothing here maps, copies grants or blocks; the shared ring is only read
 * through nb_tx_gather and nb_rx_plan, each slot exactly once, so a
 * frontend rewriting a slot under us changes nothing we already checked.
 */
#ifndef NETBACK_NETIF_PARSE_H
#define NETBACK_NETIF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/io/netif.h>

#define NB_PAGE_SIZE 4096u
#define NB_ETH_HLEN 14u

/*
 * A packet may use this many data slots; more and the frontend is broken
 * (Linux's netfront uses at most 18, its netback gives up past 20).
 */
#define NB_TX_MAX_DATA 20u
/* Extra-info slots after a packet's first request (GSO, multicast, hash, ...). */
#define NB_TX_MAX_EXTRAS 4u
#define NB_TX_MAX_SLOTS (NB_TX_MAX_DATA + NB_TX_MAX_EXTRAS)

enum nb_tx_result {
	NB_TX_READY,    /* *pkt holds a packet (pkt->drop says whether to pass it on) */
	NB_TX_PARTIAL,  /* the frontend has not produced all of the packet's slots yet */
	NB_TX_FATAL,    /* the frontend broke the protocol: shut the interface (why says how) */
};

struct nb_tx_packet {
	unsigned int ring_slots;            /* slots consumed, extras included */
	struct {
		pv_u16 id;
		bool extra;                 /* an extra-info slot: answered NETIF_RSP_NULL */
	} rsp[NB_TX_MAX_SLOTS];
	unsigned int nr_data;               /* data slots */
	struct netif_tx_request data[NB_TX_MAX_DATA];
	pv_u16 data_len[NB_TX_MAX_DATA];    /* bytes in each data slot */
	pv_u32 len;                         /* the frame's length */
	pv_u16 flags;                       /* the first request's NETTXF_* */
	pv_u8 gso_type;                     /* XEN_NETIF_GSO_TYPE_*, NONE without GSO */
	pv_u16 gso_size;                    /* MSS */
	const char *drop;                   /* non-NULL: answer NETIF_RSP_ERROR, for this reason */
};

/*
 * Gathers the packet starting at ring index cons; prod is the frontend's
 * req_prod, already checked by the caller to be at most a ring ahead of
 * the oldest unanswered slot. ring_size is the ring's slot count (a power
 * of two). On NB_TX_FATAL, why names the problem (static string).
 */
enum nb_tx_result nb_tx_gather(const struct netif_tx_sring *s, unsigned int ring_size,
			       pv_u32 cons, pv_u32 prod, struct nb_tx_packet *pkt,
			       const char **why);

/* Where a frame's layer-4 header is, as a virtio-net header describes it. */
struct nb_l4 {
	pv_u16 csum_start;      /* offset of the TCP or UDP header */
	pv_u16 csum_offset;     /* of the checksum field within it (16 TCP, 6 UDP) */
	pv_u16 hdr_len;         /* Ethernet + IP + TCP/UDP headers */
	pv_u8 proto;            /* 6 TCP, 17 UDP */
	bool ipv6;
};

/*
 * Finds the TCP or UDP header of an Ethernet frame (one optional VLAN tag,
 * IPv4 without fragmentation or IPv6 with up to 8 hop-by-hop, routing or
 * destination-option headers). 0, or -1 when the frame is anything else or
 * is cut short.
 */
int nb_find_l4(const pv_u8 *frame, size_t len, struct nb_l4 *out);

/* At most this many slots for one received frame: 64 KiB of data and one GSO slot. */
#define NB_RX_MAX_SLOTS 18u

struct nb_rx_plan {
	unsigned int nr_slots;              /* ring slots used, the GSO slot included */
	int gso_slot;                       /* index of the GSO extra-info slot, or -1 */
	struct {
		pv_u16 id;
		grant_ref_t gref;
		pv_u16 len;                 /* data bytes for this page (0 for the GSO slot) */
		pv_u32 frame_off;           /* where they start in the frame */
	} slot[NB_RX_MAX_SLOTS];
};

/* What the frame came with (from the TAP's virtio-net header). */
struct nb_rx_meta {
	pv_u32 len;
	bool csum_blank;        /* checksum to be filled in: NETRXF_csum_blank | data_validated */
	bool data_valid;        /* NETRXF_data_validated */
	pv_u8 gso_type;         /* XEN_NETIF_GSO_TYPE_* */
	pv_u16 gso_size;
};

/* Slots a frame of meta needs: data pages plus one for GSO. */
unsigned int nb_rx_slots_needed(const struct nb_rx_meta *meta);

/*
 * Plans a frame over the requests from ring index cons on; the caller has
 * checked that nb_rx_slots_needed(meta) requests are there (and that the
 * frame fits: len <= 65535, one page without scatter-gather). Reads each
 * request once.
 */
void nb_rx_plan(const struct netif_rx_sring *s, unsigned int ring_size, pv_u32 cons,
		const struct nb_rx_meta *meta, struct nb_rx_plan *plan);

/*
 * Writes the plan's responses from ring index rsp on; failed: the copy into
 * the guest did not happen, so the frame is reported as an error.
 */
void nb_rx_respond(struct netif_rx_sring *s, unsigned int ring_size, pv_u32 rsp,
		   const struct nb_rx_meta *meta, const struct nb_rx_plan *plan, bool failed);

#endif
