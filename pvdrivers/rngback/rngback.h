/*
 * mica-rngback, the backend of the PV entropy device (pv/io/rngif.h): the
 * worked example of docs/pv-driver-guide.md. device.c is the device as
 * libpvback sees it (probe, connect, service, disconnect); request.c the
 * pure check of one request, host-tested.
 */
#ifndef RNGBACK_H
#define RNGBACK_H

#include <pv/io/rngif.h>

#include "pvback.h"

/* What the backend offers in max-request-bytes. */
#define RNGBACK_MAX_REQUEST RNGIF_MAX_REQUEST_BYTES

/* Requests served per call before yielding to other devices (pvb_again). */
#define RNGBACK_BATCH 32

/*
 * Checks a request the backend has copied out of the ring (never one
 * still in the shared page): RNGIF_RSP_OKAY if it may be served, else the
 * status to answer it with. max_len is what max-request-bytes offered.
 */
int rngback_check(const struct rngif_request *req, unsigned int max_len);

extern const struct pvb_ops rngback_ops;

#endif
