/*
 * grant_table_op (20), version 1: a domain shares a page by writing an
 * entry in its own grant table; another domain names it by (domid, ref)
 * to map or copy it. grant_table_op(cmd, ops, count) processes an array of
 * count structures of the command's type, each with its own status.
 */
#ifndef PV_GRANT_TABLE_H
#define PV_GRANT_TABLE_H

#include "types.h"

/*
 * A v1 entry. The granter writes domid and frame, then (after a write
 * barrier) flags. To revoke it compare-and-swaps flags to 0 while neither
 * GTF_reading nor GTF_writing is set; the hypervisor keeps those two bits
 * exact while the grant is mapped or being copied, or the guest counts the
 * page as still in use.
 */
struct grant_entry_v1 {
	pv_u16 flags;              /* GTF_* */
	domid_t domid;             /* who may use it */
	pv_u32 frame;              /* MFN for a PV granter: v1 reaches 2^32 frames */
};
PV_CHECK_SIZE(struct grant_entry_v1, 8);
PV_CHECK_OFFSET(struct grant_entry_v1, domid, 2);
PV_CHECK_OFFSET(struct grant_entry_v1, frame, 4);

#define GRANT_ENTRIES_V1_PER_FRAME 512

/* Entries 0-7 are reserved: the toolstack fills 0 and 1; Linux allocates from 8. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE 0
#define GNTTAB_RESERVED_XENSTORE 1

#define GTF_invalid 0
#define GTF_permit_access 1
#define GTF_accept_transfer 2
#define GTF_transitive 3
#define GTF_type_mask 3
#define GTF_readonly (1 << 2)
#define GTF_reading (1 << 3)       /* set by the hypervisor */
#define GTF_writing (1 << 4)       /* set by the hypervisor */
#define GTF_sub_page (1 << 8)

#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_dump_table 3
#define GNTTABOP_transfer 4
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version 8
#define GNTTABOP_get_status_frames 9   /* v2 only */
#define GNTTABOP_get_version 10
#define GNTTABOP_cache_flush 12

/*
 * Map (dom, ref) at host_addr: a VA, or with GNTMAP_contains_pte the
 * machine address of the PTE to write (gntdev). For PV the entry written
 * is P|A|D|NX, plus RW unless readonly, plus U with application_map.
 */
struct gnttab_map_grant_ref {
	pv_u64 host_addr;
	pv_u32 flags;              /* GNTMAP_* */
	grant_ref_t ref;
	domid_t dom;
	pv_s16 status;             /* OUT: GNTST_* */
	grant_handle_t handle;     /* OUT: for unmap */
	pv_u64 dev_bus_addr;       /* OUT */
};
PV_CHECK_SIZE(struct gnttab_map_grant_ref, 32);
PV_CHECK_OFFSET(struct gnttab_map_grant_ref, flags, 8);
PV_CHECK_OFFSET(struct gnttab_map_grant_ref, dev_bus_addr, 24);

#define GNTMAP_device_map (1 << 0)
#define GNTMAP_host_map (1 << 1)
#define GNTMAP_readonly (1 << 2)
#define GNTMAP_application_map (1 << 3)  /* user-accessible PTE */
#define GNTMAP_contains_pte (1 << 4)     /* host_addr is the machine address of a PTE */
/* Bits 16 and up are copied into PTE bits 9-11 (XENFEAT_gnttab_map_avail_bits). */
#define GNTMAP_guest_avail0_shift 16

struct gnttab_unmap_grant_ref {
	pv_u64 host_addr;
	pv_u64 dev_bus_addr;
	grant_handle_t handle;
	pv_s16 status;             /* OUT */
	pv_u16 _pad;
};
PV_CHECK_SIZE(struct gnttab_unmap_grant_ref, 24);
PV_CHECK_OFFSET(struct gnttab_unmap_grant_ref, handle, 16);
PV_CHECK_OFFSET(struct gnttab_unmap_grant_ref, status, 20);

/*
 * Returns the MFNs of grant frames 0..nr_frames-1 of dom, growing the
 * table if needed; Linux maps them RW. -ENOSYS means "no grant tables"
 * to Linux; any other failure is a BUG() at boot.
 */
struct gnttab_setup_table {
	domid_t dom;
	pv_u16 _pad0;
	pv_u32 nr_frames;
	pv_s16 status;             /* OUT */
	pv_u16 _pad1[3];
	pv_gva_t frame_list;       /* OUT: u64 per frame */
};
PV_CHECK_SIZE(struct gnttab_setup_table, 24);
PV_CHECK_OFFSET(struct gnttab_setup_table, nr_frames, 4);
PV_CHECK_OFFSET(struct gnttab_setup_table, status, 8);
PV_CHECK_OFFSET(struct gnttab_setup_table, frame_list, 16);

/*
 * Copy len bytes between two (page, offset) places, each a grant of
 * another domain (flag set) or a frame of the caller. Neither side may
 * cross a page boundary.
 */
struct gnttab_copy_ptr {
	union {
		grant_ref_t ref;
		pv_u64 gmfn;
	} u;
	domid_t domid;
	pv_u16 offset;
	pv_u32 _pad;
};
PV_CHECK_SIZE(struct gnttab_copy_ptr, 16);
PV_CHECK_OFFSET(struct gnttab_copy_ptr, domid, 8);
PV_CHECK_OFFSET(struct gnttab_copy_ptr, offset, 10);

struct gnttab_copy {
	struct gnttab_copy_ptr source, dest;
	pv_u16 len;
	pv_u16 flags;              /* GNTCOPY_* */
	pv_s16 status;             /* OUT */
	pv_u16 _pad;
};
PV_CHECK_SIZE(struct gnttab_copy, 40);
PV_CHECK_OFFSET(struct gnttab_copy, dest, 16);
PV_CHECK_OFFSET(struct gnttab_copy, len, 32);
PV_CHECK_OFFSET(struct gnttab_copy, flags, 34);
PV_CHECK_OFFSET(struct gnttab_copy, status, 36);

#define GNTCOPY_source_gref (1 << 0)
#define GNTCOPY_dest_gref (1 << 1)

/* Linux assumes 4 frames if this fails. */
struct gnttab_query_size {
	domid_t dom;
	pv_u16 _pad0;
	pv_u32 nr_frames;          /* OUT */
	pv_u32 max_nr_frames;      /* OUT */
	pv_s16 status;             /* OUT */
	pv_u16 _pad1;
};
PV_CHECK_SIZE(struct gnttab_query_size, 16);
PV_CHECK_OFFSET(struct gnttab_query_size, nr_frames, 4);
PV_CHECK_OFFSET(struct gnttab_query_size, max_nr_frames, 8);
PV_CHECK_OFFSET(struct gnttab_query_size, status, 12);

/* Linux asks for 2 only with machine addresses above 44 bits; any error means 1. */
struct gnttab_set_version {
	pv_u32 version;            /* IN: wanted; OUT: in force */
};
PV_CHECK_SIZE(struct gnttab_set_version, 4);

struct gnttab_get_version {
	domid_t dom;
	pv_u16 _pad;
	pv_u32 version;            /* OUT */
};
PV_CHECK_SIZE(struct gnttab_get_version, 8);

#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)   /* the copy crosses a page boundary */
#define GNTST_no_space (-13)

#endif
