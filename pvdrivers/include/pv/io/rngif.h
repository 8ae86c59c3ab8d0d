/*
 * The PV entropy device (rngif): Mica's own small split device, the worked
 * example of docs/pv-driver-guide.md. It is not a Xen protocol; the
 * backend is pvdrivers/rngback (mica-rngback), a frontend is
 * pvdrivers/rngfront on libpv.
 *
 * The frontend asks for random bytes to be written into a page it grants
 * to the backend; the backend fills them from dom0's getrandom() with a
 * grant copy and answers. One ring page of requests and responses
 * (pv/io/ring.h), one event channel.
 *
 * Store nodes, device type "rng", device number 0:
 *
 *   /local/domain/0/backend/rng/D/0    (the toolstack writes frontend,
 *       frontend-id, online, state; mica-rngback adds at InitWait:)
 *       max-request-bytes   the largest len a request may ask for
 *   /local/domain/D/device/rng/0       (the toolstack writes backend,
 *       backend-id, state; the frontend adds before Initialised:)
 *       ring-ref            grant reference of the ring page
 *       event-channel       its unbound port for the backend
 *
 * A request fills bytes [offset, offset + len) of the page granted as
 * gref (writable, to the backend's domain) and nothing else of it. The
 * response carries the request's id, a status and the bytes written.
 */
#ifndef PV_IO_RNGIF_H
#define PV_IO_RNGIF_H

#include <pv/types.h>
#include <pv/io/ring.h>

#define RNGIF_OP_FILL 0             /* the only operation */

#define RNGIF_MAX_REQUEST_BYTES 4096 /* a request stays within its page */

struct rngif_request {
	pv_u64 id;                  /* echoed in the response */
	grant_ref_t gref;           /* the page to fill, granted writable */
	pv_u16 offset;              /* first byte to fill */
	pv_u16 len;                 /* bytes to fill: 1..max-request-bytes */
	pv_u8 op;                   /* RNGIF_OP_FILL */
	pv_u8 _pad[7];
};
PV_CHECK_SIZE(struct rngif_request, 24);
PV_CHECK_OFFSET(struct rngif_request, gref, 8);
PV_CHECK_OFFSET(struct rngif_request, op, 16);

struct rngif_response {
	pv_u64 id;
	pv_s16 status;              /* RNGIF_RSP_* */
	pv_u16 len;                 /* bytes written: len of the request, or 0 on error */
	pv_u8 _pad[4];
};
PV_CHECK_SIZE(struct rngif_response, 16);

#define RNGIF_RSP_OKAY 0
#define RNGIF_RSP_EINVAL (-1)       /* bad op, len 0 or too big, or past the page */
#define RNGIF_RSP_EGRANT (-2)       /* gref is not a page granted writable to the backend */
#define RNGIF_RSP_EIO (-3)          /* the backend could not get random bytes */

PV_DEFINE_RING(rngif, struct rngif_request, struct rngif_response);
PV_CHECK_SIZE(union rngif_sring_entry, 24);
PV_CHECK_OFFSET(struct rngif_sring, ring, PV_RING_HEADER_SIZE);
/* 128 slots in the one ring page. */
#define RNGIF_RING_SIZE PV_RING_SIZE(rngif, 4096)
_Static_assert(RNGIF_RING_SIZE == 128, "rngif ring: 128 slots in one page");

#endif
