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
#define XENVER_build_id 10              /* struct xen_build_id + bytes */

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

struct xen_build_id {
	pv_u32 len;                /* IN: buffer size; OUT: id length */
	pv_u8 buf[];
};
PV_CHECK_SIZE(struct xen_build_id, 4);

/*
 * Feature bits of submap 0. Linux panics unless 5 and 7 are set; 0, 2 and
 * 3 must be clear for a PV guest (they describe translated or ring-0
 * kernels). Xen reports 5, 6, 7, 13, 17-20 to a 64-bit PV guest, plus 11
 * to the hardware domain.
 */
#define XENFEAT_writable_page_tables 0
#define XENFEAT_writable_descriptor_tables 1
#define XENFEAT_auto_translated_physmap 2
#define XENFEAT_supervisor_mode_kernel 3
#define XENFEAT_pae_pgdir_above_4gb 4
#define XENFEAT_mmu_pt_update_preserve_ad 5
#define XENFEAT_highmem_assist 6
#define XENFEAT_gnttab_map_avail_bits 7
#define XENFEAT_hvm_callback_vector 8
#define XENFEAT_hvm_safe_pvclock 9
#define XENFEAT_hvm_pirqs 10
#define XENFEAT_dom0 11
#define XENFEAT_memory_op_vnode_supported 13
#define XENFEAT_ARM_SMCCC_supported 14
#define XENFEAT_linux_rsdp_unrestricted 15
#define XENFEAT_not_direct_mapped 16
#define XENFEAT_direct_mapped 17
#define XENFEAT_runstate_phys_area 18
#define XENFEAT_vcpu_time_phys_area 19
#define XENFEAT_dm_msix_all_writes 20
#define XENFEAT_NR_SUBMAPS 1

#endif
