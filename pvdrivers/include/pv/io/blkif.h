/*
 * The PV block protocol (xen-blkfront <-> blkback): one shared ring of
 * requests and responses (pv/io/ring.h) and data pages named by grant
 * references. Sectors are always 512 bytes, whatever the disk's own
 * sector size. The frontend writes protocol "x86_64-abi" to xenstore;
 * these are that ABI's layouts.
 */
#ifndef PV_IO_BLKIF_H
#define PV_IO_BLKIF_H

#include <pv/types.h>
#include <pv/io/ring.h>

typedef pv_u16 blkif_vdev_t;
typedef pv_u64 blkif_sector_t;

#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_WRITE_BARRIER 2   /* only with feature-barrier */
#define BLKIF_OP_FLUSH_DISKCACHE 3 /* only with feature-flush-cache */
#define BLKIF_OP_DISCARD 5         /* only with feature-discard */
#define BLKIF_OP_INDIRECT 6        /* only with feature-max-indirect-segments */

#define BLKIF_MAX_SEGMENTS_PER_REQUEST 11
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8
#define BLKIF_SECTOR_SIZE 512

/* One data page: sectors first_sect..last_sect (inclusive) of granted page gref. */
struct blkif_request_segment {
	grant_ref_t gref;
	pv_u8 first_sect, last_sect;
	pv_u8 _pad[2];
};
PV_CHECK_SIZE(struct blkif_request_segment, 8);
PV_CHECK_OFFSET(struct blkif_request_segment, first_sect, 4);

/* Segments per indirect page. */
#define BLKIF_SEGS_PER_INDIRECT_FRAME (4096 / sizeof(struct blkif_request_segment))

/* read, write, barrier and flush requests */
struct blkif_request {
	pv_u8 operation;           /* BLKIF_OP_* */
	pv_u8 nr_segments;         /* 1..BLKIF_MAX_SEGMENTS_PER_REQUEST; 0 for a flush */
	blkif_vdev_t handle;
	pv_u32 _pad;
	pv_u64 id;                 /* echoed in the response */
	blkif_sector_t sector_number;
	struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
PV_CHECK_SIZE(struct blkif_request, 112);
PV_CHECK_OFFSET(struct blkif_request, nr_segments, 1);
PV_CHECK_OFFSET(struct blkif_request, handle, 2);
PV_CHECK_OFFSET(struct blkif_request, id, 8);
PV_CHECK_OFFSET(struct blkif_request, sector_number, 16);
PV_CHECK_OFFSET(struct blkif_request, seg, 24);

/* The same ring slot read as a discard request. */
struct blkif_request_discard {
	pv_u8 operation;           /* BLKIF_OP_DISCARD */
	pv_u8 flag;                /* BLKIF_DISCARD_SECURE */
	blkif_vdev_t handle;
	pv_u32 _pad;
	pv_u64 id;
	blkif_sector_t sector_number;
	pv_u64 nr_sectors;
};
PV_CHECK_SIZE(struct blkif_request_discard, 32);
PV_CHECK_OFFSET(struct blkif_request_discard, id, 8);
PV_CHECK_OFFSET(struct blkif_request_discard, nr_sectors, 24);

#define BLKIF_DISCARD_SECURE (1 << 0)

/*
 * The same ring slot read as an indirect request: the segments are in
 * granted pages (indirect_grefs), BLKIF_SEGS_PER_INDIRECT_FRAME per page.
 */
struct blkif_request_indirect {
	pv_u8 operation;           /* BLKIF_OP_INDIRECT */
	pv_u8 indirect_op;         /* BLKIF_OP_READ or BLKIF_OP_WRITE */
	pv_u16 nr_segments;
	pv_u32 _pad0;
	pv_u64 id;
	blkif_sector_t sector_number;
	blkif_vdev_t handle;
	pv_u16 _pad1;
	grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	pv_u32 _pad2;
};
PV_CHECK_SIZE(struct blkif_request_indirect, 64);
PV_CHECK_OFFSET(struct blkif_request_indirect, nr_segments, 2);
PV_CHECK_OFFSET(struct blkif_request_indirect, id, 8);
PV_CHECK_OFFSET(struct blkif_request_indirect, sector_number, 16);
PV_CHECK_OFFSET(struct blkif_request_indirect, handle, 24);
PV_CHECK_OFFSET(struct blkif_request_indirect, indirect_grefs, 28);

struct blkif_response {
	pv_u64 id;                 /* from the request */
	pv_u8 operation;           /* from the request */
	pv_u8 _pad0;
	pv_s16 status;             /* BLKIF_RSP_* */
	pv_u32 _pad1;
};
PV_CHECK_SIZE(struct blkif_response, 16);
PV_CHECK_OFFSET(struct blkif_response, operation, 8);
PV_CHECK_OFFSET(struct blkif_response, status, 10);

#define BLKIF_RSP_EOPNOTSUPP (-2)
#define BLKIF_RSP_ERROR (-1)
#define BLKIF_RSP_OKAY 0

PV_DEFINE_RING(blkif, struct blkif_request, struct blkif_response);
PV_CHECK_SIZE(union blkif_sring_entry, 112);
PV_CHECK_OFFSET(struct blkif_sring, ring, PV_RING_HEADER_SIZE);
/* 32 slots in one page. */
#define BLKIF_RING_SIZE_1PAGE PV_RING_SIZE(blkif, 4096)
_Static_assert(BLKIF_RING_SIZE_1PAGE == 32, "blkif ring: 32 slots per page");

/* The "info" node of the backend. */
#define VDISK_CDROM 0x1
#define VDISK_REMOVABLE 0x2
#define VDISK_READONLY 0x4

#endif
