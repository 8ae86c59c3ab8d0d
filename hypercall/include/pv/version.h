/*
 * xen_version (17): version strings and, above all, the feature bits a
 * guest tests at boot. xen_version(XENVER_version, NULL) is also Linux's
 * cheapest hypercall: it issues it only to have pending events delivered.
 */
#ifndef PV_VERSION_H
#define PV_VERSION_H

#include "types.h"

/* xen_version(cmd, arg) */
#define XENVER_version 0                /* returns (major << 16) | minor; arg ignored */
#define XENVER_extraversion 1           /* char[16] */
#define XENVER_compile_info 2           /* struct xen_compile_info */
#define XENVER_capabilities 3           /* char[1024], e.g. "xen-3.0-x86_64" */
#define XENVER_changeset 4              /* char[64] */
#define XENVER_platform_parameters 5    /* struct xen_platform_parameters */
#define XENVER_get_features 6           /* struct xen_feature_info */
#define XENVER_pagesize 7               /* returns 4096 */
#define XENVER_guest_handle 8           /* xen_domain_handle_t */
#define XENVER_commandline 9            /* char[1024]; privileged */

#define XEN_EXTRAVERSION_LEN 16
#define XEN_CAPABILITIES_INFO_LEN 1024
#define XEN_CHANGESET_INFO_LEN 64
#define XEN_COMMANDLINE_LEN 1024

struct xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};
PV_CHECK_SIZE(struct xen_compile_info, 144);

struct xen_platform_parameters {
	pv_u64 virt_start;         /* HYPERVISOR_VIRT_START */
};
PV_CHECK_SIZE(struct xen_platform_parameters, 8);

struct xen_feature_info {
	pv_u32 submap_idx;         /* IN: which 32 bits */
	pv_u32 submap;             /* OUT: XENFEAT_* bits of that word */
};
PV_CHECK_SIZE(struct xen_feature_info, 8);

/*
 * Feature bits of submap 0. Linux panics unless 5 and 7 are set; 0, 2 and
 * 3 must be clear for a PV guest (they describe translated or ring-0
 * kernels). Xen reports 5, 6, 7, 13, 17-20 to a 64-bit PV guest, plus 11
 * to the hardware domain.
 */
#define XENFEAT_mmu_pt_update_preserve_ad 5
#define XENFEAT_highmem_assist 6
#define XENFEAT_gnttab_map_avail_bits 7
#define XENFEAT_dom0 11

#endif
