/*
 * The backend's ring consumer (pure, host-tested; see pvback.h).
 *
 * Trust: the shared page belongs to the frontend, which may change any
 * byte at any time. So each index it writes (req_prod) is read exactly
 * once per look, checked, and only then are slots read, each copied out
 * whole before anyone looks at it. The backend's own indices (req_cons,
 * rsp_prod_pvt) live in struct pvb_ring, not in the shared page, so a
 * frontend can lie about how many requests there are but never make the
 * backend read or write outside the slots: a lie is caught by
 *
 *     req_prod - rsp_prod_pvt > size
 *
 * (the frontend would have overwritten slots whose responses it has not
 * seen yet), and the device is closed.
 *
 * Ordering: x86 keeps loads with loads and stores with stores, so the
 * fences here are compiler barriers except the one full fence between
 * writing req_event and reading req_prod again.
 */
#include <errno.h>
#include <string.h>

#include "pvback.h"

enum { REQ_PROD, REQ_EVENT, RSP_PROD, RSP_EVENT };

#define HEADER_BYTES 64u

static uint32_t pow2_floor(uint64_t x)
{
	uint32_t p = 1;

	while ((uint64_t)p * 2 <= x && p < 0x80000000u)
		p *= 2;
	return p;
}

int pvb_ring_attach(struct pvb_ring *r, void *shared, size_t bytes, size_t slot_size)
{
	uint32_t req_prod;

	memset(r, 0, sizeof(*r));
	if (!slot_size || slot_size > 4096 || bytes < HEADER_BYTES + slot_size)
		return -EINVAL;
	r->hdr = shared;
	r->slots = (unsigned char *)shared + HEADER_BYTES;
	r->slot_size = (uint32_t)slot_size;
	r->size = pow2_floor((bytes - HEADER_BYTES) / slot_size);
	r->req_cons = r->rsp_prod_pvt = r->rsp_published = r->hdr[RSP_PROD];
	req_prod = r->hdr[REQ_PROD];
	if (req_prod - r->rsp_prod_pvt > r->size)
		return -EPROTO;
	return 0;
}

int pvb_ring_waiting(struct pvb_ring *r)
{
	uint32_t req_prod = r->hdr[REQ_PROD];

	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* slots after the index */
	if (req_prod - r->rsp_prod_pvt > r->size)
		return -EPROTO;
	/* req_cons is between rsp_prod_pvt and req_prod when the check holds. */
	if (req_prod - r->req_cons > r->size)
		return -EPROTO;
	return (int)(req_prod - r->req_cons);
}

void pvb_ring_take(struct pvb_ring *r, void *out, size_t len)
{
	const unsigned char *slot = r->slots + (size_t)(r->req_cons & (r->size - 1)) * r->slot_size;

	if (len > r->slot_size)
		len = r->slot_size;
	memcpy(out, slot, len);
	r->req_cons++;
}

void pvb_ring_put(struct pvb_ring *r, const void *rsp, size_t len)
{
	unsigned char *slot = r->slots + (size_t)(r->rsp_prod_pvt & (r->size - 1)) * r->slot_size;

	if (len > r->slot_size)
		len = r->slot_size;
	memcpy(slot, rsp, len);
	r->rsp_prod_pvt++;
}

bool pvb_ring_push(struct pvb_ring *r)
{
	uint32_t old = r->rsp_published, new = r->rsp_prod_pvt, event;

	__atomic_thread_fence(__ATOMIC_RELEASE); /* responses before the index */
	r->hdr[RSP_PROD] = new;
	r->rsp_published = new;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index before reading rsp_event */
	event = r->hdr[RSP_EVENT];
	return (uint32_t)(new - event) < (uint32_t)(new - old);
}

bool pvb_ring_final_check(struct pvb_ring *r)
{
	r->hdr[REQ_EVENT] = r->req_cons + 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* req_event before looking again */
	return pvb_ring_waiting(r) != 0;
}
