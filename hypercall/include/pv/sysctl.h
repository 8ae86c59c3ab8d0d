/*
 * sysctl (35): the toolstack's view of the whole machine. Privileged.
 * Xen 4.17 layouts and numbers (interface version 0x15); other versions
 * get -EACCES. Only the commands Mica needs are described.
 */
#ifndef PV_SYSCTL_H
#define PV_SYSCTL_H

#include "types.h"

#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015

#define XEN_SYSCTL_readconsole 1       /* xl dmesg */
#define XEN_SYSCTL_physinfo 3
#define XEN_SYSCTL_sched_id 4
#define XEN_SYSCTL_getdomaininfolist 6

/* Copies the hypervisor's console log, oldest first. */
struct xen_sysctl_readconsole {
	pv_u8 clear;               /* empty the log after reading */
	pv_u8 incremental;         /* start at index rather than the oldest byte */
	pv_u8 _pad[2];
	pv_u32 index;              /* IN: start if incremental; OUT: where reading stopped */
	pv_gva_t buffer;
	pv_u32 count;              /* IN: buffer size; OUT: bytes written */
	pv_u32 _pad1;
};
PV_CHECK_SIZE(struct xen_sysctl_readconsole, 24);
PV_CHECK_OFFSET(struct xen_sysctl_readconsole, index, 4);
PV_CHECK_OFFSET(struct xen_sysctl_readconsole, buffer, 8);
PV_CHECK_OFFSET(struct xen_sysctl_readconsole, count, 16);

struct xen_sysctl_physinfo {
	pv_u32 threads_per_core;
	pv_u32 cores_per_socket;
	pv_u32 nr_cpus;            /* online */
	pv_u32 max_cpu_id;
	pv_u32 nr_nodes;
	pv_u32 max_node_id;
	pv_u32 cpu_khz;
	pv_u32 capabilities;       /* XEN_SYSCTL_PHYSCAP_* */
	pv_u32 arch_capabilities;
	pv_u32 _pad;
	pv_u64 total_pages;
	pv_u64 free_pages;
	pv_u64 scrub_pages;
	pv_u64 outstanding_pages;
	pv_u64 max_mfn;
	pv_u32 hw_cap[8];          /* CPUID feature words */
};
PV_CHECK_SIZE(struct xen_sysctl_physinfo, 112);
PV_CHECK_OFFSET(struct xen_sysctl_physinfo, capabilities, 28);
PV_CHECK_OFFSET(struct xen_sysctl_physinfo, total_pages, 40);
PV_CHECK_OFFSET(struct xen_sysctl_physinfo, max_mfn, 72);
PV_CHECK_OFFSET(struct xen_sysctl_physinfo, hw_cap, 80);

#define XEN_SYSCTL_PHYSCAP_hvm (1u << 0)
#define XEN_SYSCTL_PHYSCAP_pv (1u << 1)
#define XEN_SYSCTL_PHYSCAP_gnttab_v1 (1u << 8)

/* Scheduler ids (Xen keeps them in its domctl.h). */
#define XEN_SCHEDULER_CREDIT 5

/* Fills buffer with struct xen_domctl_getdomaininfo for domains >= first_domain. */
struct xen_sysctl_getdomaininfolist {
	domid_t first_domain;
	pv_u16 _pad0;
	pv_u32 max_domains;
	pv_gva_t buffer;
	pv_u32 num_domains;        /* OUT */
	pv_u32 _pad1;
};
PV_CHECK_SIZE(struct xen_sysctl_getdomaininfolist, 24);
PV_CHECK_OFFSET(struct xen_sysctl_getdomaininfolist, max_domains, 4);
PV_CHECK_OFFSET(struct xen_sysctl_getdomaininfolist, buffer, 8);
PV_CHECK_OFFSET(struct xen_sysctl_getdomaininfolist, num_domains, 16);

struct xen_sysctl {
	pv_u32 cmd;                /* XEN_SYSCTL_* */
	pv_u32 interface_version;  /* XEN_SYSCTL_INTERFACE_VERSION */
	union {
		struct xen_sysctl_readconsole readconsole;
		struct xen_sysctl_physinfo physinfo;
		struct { pv_u32 sched_id; } sched_id;  /* XEN_SCHEDULER_* */
		struct xen_sysctl_getdomaininfolist getdomaininfolist;
		pv_u8 pad[128];
	} u;
};
PV_CHECK_SIZE(struct xen_sysctl, 136);
PV_CHECK_OFFSET(struct xen_sysctl, u, 8);

#endif
