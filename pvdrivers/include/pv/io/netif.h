/*
 * The PV network protocol (xen-netfront <-> netback): a transmit ring and
 * a receive ring (pv/io/ring.h), packets in granted pages. Linux's
 * netfront refuses a backend without feature-rx-copy: the backend copies
 * received packets into pages the frontend posted (GNTTABOP_copy).
 * A packet may span several slots (NETTXF_more_data / NETRXF_more_data),
 * and an extra_info slot may follow a request that sets *_extra_info.
 */
#ifndef PV_IO_NETIF_H
#define PV_IO_NETIF_H

#include <pv/types.h>
#include <pv/io/ring.h>

#define XEN_NETIF_NR_SLOTS_MIN 18  /* slots per packet a backend must accept */
#define XEN_NETIF_MAX_TX_SIZE 0xffff

/* Transmit: one slot per fragment; the first carries the whole packet size. */
struct netif_tx_request {
	grant_ref_t gref;
	pv_u16 offset;             /* within the granted page */
	pv_u16 flags;              /* NETTXF_* */
	pv_u16 id;                 /* echoed in the response */
	pv_u16 size;               /* first slot: packet; others: this fragment */
};
PV_CHECK_SIZE(struct netif_tx_request, 12);
PV_CHECK_OFFSET(struct netif_tx_request, offset, 4);
PV_CHECK_OFFSET(struct netif_tx_request, flags, 6);
PV_CHECK_OFFSET(struct netif_tx_request, id, 8);
PV_CHECK_OFFSET(struct netif_tx_request, size, 10);

#define NETTXF_csum_blank (1 << 0)      /* checksum to be filled in */
#define NETTXF_data_validated (1 << 1)
#define NETTXF_more_data (1 << 2)       /* more slots of this packet follow */
#define NETTXF_extra_info (1 << 3)      /* a netif_extra_info slot follows */

struct netif_tx_response {
	pv_u16 id;
	pv_s16 status;             /* NETIF_RSP_* */
};
PV_CHECK_SIZE(struct netif_tx_response, 4);

/* Receive: the frontend posts empty granted pages. */
struct netif_rx_request {
	pv_u16 id;
	pv_u16 _pad;
	grant_ref_t gref;
};
PV_CHECK_SIZE(struct netif_rx_request, 8);
PV_CHECK_OFFSET(struct netif_rx_request, gref, 4);

struct netif_rx_response {
	pv_u16 id;
	pv_u16 offset;             /* of the data in the page */
	pv_u16 flags;              /* NETRXF_* */
	pv_s16 status;             /* bytes received, or NETIF_RSP_* if negative */
};
PV_CHECK_SIZE(struct netif_rx_response, 8);
PV_CHECK_OFFSET(struct netif_rx_response, status, 6);

#define NETRXF_data_validated (1 << 0)
#define NETRXF_csum_blank (1 << 1)
#define NETRXF_more_data (1 << 2)
#define NETRXF_extra_info (1 << 3)
#define NETRXF_gso_prefix (1 << 4)

/* An extra slot after a request or response that set *_extra_info. */
struct netif_extra_info {
	pv_u8 type;                /* XEN_NETIF_EXTRA_TYPE_* */
	pv_u8 flags;               /* XEN_NETIF_EXTRA_FLAG_MORE */
	union {
		struct {
			pv_u16 size;       /* MSS */
			pv_u8 type;        /* XEN_NETIF_GSO_TYPE_* */
			pv_u8 _pad;
			pv_u16 features;
		} gso;
		struct {
			pv_u8 addr[6];
		} mcast;
		struct {
			pv_u8 type;
			pv_u8 algorithm;
			pv_u8 value[4];
		} hash;
		struct {
			pv_u16 headroom;
			pv_u16 _pad[2];
		} xdp;
		pv_u16 _pad[3];
	} u;
};
PV_CHECK_SIZE(struct netif_extra_info, 8);
PV_CHECK_OFFSET(struct netif_extra_info, u, 2);

#define XEN_NETIF_EXTRA_TYPE_NONE 0
#define XEN_NETIF_EXTRA_TYPE_GSO 1
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD 2
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL 3
#define XEN_NETIF_EXTRA_TYPE_HASH 4
#define XEN_NETIF_EXTRA_TYPE_XDP 5
#define XEN_NETIF_EXTRA_FLAG_MORE (1 << 0)
#define XEN_NETIF_GSO_TYPE_NONE 0
#define XEN_NETIF_GSO_TYPE_TCPV4 1
#define XEN_NETIF_GSO_TYPE_TCPV6 2

#define NETIF_RSP_DROPPED (-2)
#define NETIF_RSP_ERROR (-1)
#define NETIF_RSP_OKAY 0
#define NETIF_RSP_NULL 1           /* a slot that only carried extra info */

PV_DEFINE_RING(netif_tx, struct netif_tx_request, struct netif_tx_response);
PV_DEFINE_RING(netif_rx, struct netif_rx_request, struct netif_rx_response);
PV_CHECK_OFFSET(struct netif_tx_sring, ring, PV_RING_HEADER_SIZE);
PV_CHECK_OFFSET(struct netif_rx_sring, ring, PV_RING_HEADER_SIZE);
#define NETIF_TX_RING_SIZE PV_RING_SIZE(netif_tx, 4096)
#define NETIF_RX_RING_SIZE PV_RING_SIZE(netif_rx, 4096)
_Static_assert(NETIF_TX_RING_SIZE == 256, "netif tx ring: 256 slots");
_Static_assert(NETIF_RX_RING_SIZE == 256, "netif rx ring: 256 slots");

#endif
