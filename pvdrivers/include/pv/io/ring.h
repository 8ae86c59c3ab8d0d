/*
 * The shared ring of the split drivers (blkif, netif): pages the frontend
 * grants to the backend, a 64-byte header, then a power-of-two array of
 * slots. Each slot carries a request until the backend overwrites it with
 * the response. Indexes are free-running u32 counters (wrap is fine);
 * slot = index & (size - 1).
 *
 * Notification hold-off: each side publishes "wake me when the producer
 * reaches this index" (req_event for the backend, rsp_event for the
 * frontend; both start at 1). A producer moving its index from old to new
 * sends an event only if that range passed the other side's value
 * (pv_ring_should_notify).
 */
#ifndef PV_IO_RING_H
#define PV_IO_RING_H

#include <pv/types.h>

typedef pv_u32 pv_ring_idx_t;

#define PV_RING_HEADER_SIZE 64

/* Defines union <name>_sring_entry and struct <name>_sring. */
#define PV_DEFINE_RING(name, req_type, rsp_type)                              \
	union name##_sring_entry {                                            \
		req_type req;                                                 \
		rsp_type rsp;                                                 \
	};                                                                    \
	struct name##_sring {                                                 \
		pv_ring_idx_t req_prod, req_event;                            \
		pv_ring_idx_t rsp_prod, rsp_event;                            \
		pv_u8 _pad[48];                                               \
		union name##_sring_entry ring[];                              \
	}

/* The largest power of two <= x, for 1 <= x < 2^16, as a constant expression. */
#define PV_POW2_FLOOR(x)                                                      \
	((x) >= 0x8000 ? 0x8000 : (x) >= 0x4000 ? 0x4000 : (x) >= 0x2000 ? 0x2000 : \
	 (x) >= 0x1000 ? 0x1000 : (x) >= 0x800 ? 0x800 : (x) >= 0x400 ? 0x400 :     \
	 (x) >= 0x200 ? 0x200 : (x) >= 0x100 ? 0x100 : (x) >= 0x80 ? 0x80 :         \
	 (x) >= 0x40 ? 0x40 : (x) >= 0x20 ? 0x20 : (x) >= 0x10 ? 0x10 :             \
	 (x) >= 8 ? 8 : (x) >= 4 ? 4 : (x) >= 2 ? 2 : 1)

/* Slots in a ring of name occupying bytes (a multiple of the page size). */
#define PV_RING_SIZE(name, bytes) \
	PV_POW2_FLOOR(((bytes) - PV_RING_HEADER_SIZE) / sizeof(union name##_sring_entry))

/* Whether moving a producer index from old_prod to new_prod must notify. */
static inline int pv_ring_should_notify(pv_ring_idx_t old_prod, pv_ring_idx_t new_prod,
					pv_ring_idx_t event)
{
	return (pv_ring_idx_t)(new_prod - event) < (pv_ring_idx_t)(new_prod - old_prod);
}

#endif
