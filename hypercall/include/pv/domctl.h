/*
 * domctl (36): the toolstack's control of one domain. Privileged.
 * Layouts and numbers are Xen 4.17's (interface version 0x15), so Debian's
 * own tools could drive Mica one day; a caller with another version gets
 * -EACCES, as from Xen. Only the commands Mica needs are described.
 */
#ifndef PV_DOMCTL_H
#define PV_DOMCTL_H

#include "types.h"

#define XEN_DOMCTL_INTERFACE_VERSION 0x00000015

#define XEN_DOMCTL_createdomain 1
#define XEN_DOMCTL_destroydomain 2     /* may return -ERESTART/-EAGAIN: call again */
#define XEN_DOMCTL_pausedomain 3
#define XEN_DOMCTL_unpausedomain 4     /* vCPU 0 must have a context */
#define XEN_DOMCTL_getdomaininfo 5
#define XEN_DOMCTL_max_mem 11
#define XEN_DOMCTL_setvcpucontext 12
#define XEN_DOMCTL_getvcpucontext 13
#define XEN_DOMCTL_getvcpuinfo 14
#define XEN_DOMCTL_max_vcpus 15        /* 4.17: must equal createdomain.max_vcpus */
#define XEN_DOMCTL_setdomainhandle 17
#define XEN_DOMCTL_hypercall_init 22   /* fill a hypercall page (kernels <= 6.1.120) */
#define XEN_DOMCTL_settimeoffset 24
#define XEN_DOMCTL_set_address_size 35
#define XEN_DOMCTL_set_target 46

/* x86 part of createdomain and getdomaininfo; both 0 for a PV guest. */
struct xen_arch_domainconfig {
	pv_u32 emulation_flags;    /* XEN_X86_EMU_*: HVM only */
	pv_u32 misc_flags;         /* XEN_X86_MSR_RELAXED */
};
PV_CHECK_SIZE(struct xen_arch_domainconfig, 8);

#define XEN_X86_MSR_RELAXED (1u << 0)

/*
 * createdomain: domain (in struct xen_domctl) = 0 or DOMID_INVALID lets
 * the hypervisor choose the id, which it writes back there. The vCPUs are
 * created here too.
 */
struct xen_domctl_createdomain {
	pv_u32 ssidref;
	xen_domain_handle_t handle;
	pv_u32 flags;              /* XEN_DOMCTL_CDF_*: 0 for PV */
	pv_u32 iommu_opts;
	pv_u32 max_vcpus;
	pv_u32 max_evtchn_port;
	pv_s32 max_grant_frames;   /* -1: the hypervisor's default */
	pv_s32 max_maptrack_frames;
	pv_u32 grant_opts;         /* bits 3:0: highest grant version allowed */
	pv_u32 vmtrace_size;
	pv_u32 cpupool_id;
	struct xen_arch_domainconfig arch;
};
PV_CHECK_SIZE(struct xen_domctl_createdomain, 64);
PV_CHECK_OFFSET(struct xen_domctl_createdomain, handle, 4);
PV_CHECK_OFFSET(struct xen_domctl_createdomain, arch.misc_flags, 60);

#define XEN_DOMCTL_CDF_hvm (1u << 0)
#define XEN_DOMCTL_CDF_hap (1u << 1)
#define XEN_DOMCTL_CDF_s3_integrity (1u << 2)
#define XEN_DOMCTL_CDF_oos_off (1u << 3)
#define XEN_DOMCTL_CDF_xs_domain (1u << 4)
#define XEN_DOMCTL_CDF_iommu (1u << 5)
#define XEN_DOMCTL_CDF_nested_virt (1u << 6)
#define XEN_DOMCTL_CDF_vpmu (1u << 7)

#define XEN_DOMCTL_GRANT_version(v) ((v) & 0xf)

/*
 * getdomaininfo: also the element of sysctl getdomaininfolist. libxc reads
 * shared_info_frame (an MFN for PV) to set up a new guest's shared_info;
 * xenstored polls the flags.
 */
struct xen_domctl_getdomaininfo {
	domid_t domain;
	pv_u16 _pad0;
	pv_u32 flags;              /* XEN_DOMINF_*, shutdown code in bits 23:16 */
	pv_u64 tot_pages;
	pv_u64 max_pages;
	pv_u64 outstanding_pages;
	pv_u64 shr_pages;
	pv_u64 paged_pages;
	pv_u64 shared_info_frame;
	pv_u64 cpu_time;           /* ns, all vCPUs */
	pv_u32 nr_online_vcpus;
	pv_u32 max_vcpu_id;        /* XEN_INVALID_MAX_VCPU_ID if none */
	pv_u32 ssidref;
	xen_domain_handle_t handle;
	pv_u32 cpupool;
	pv_u8 gpaddr_bits;
	pv_u8 _pad1[7];
	struct xen_arch_domainconfig arch_config;
};
PV_CHECK_SIZE(struct xen_domctl_getdomaininfo, 112);
PV_CHECK_OFFSET(struct xen_domctl_getdomaininfo, flags, 4);
PV_CHECK_OFFSET(struct xen_domctl_getdomaininfo, arch_config, 104);

#define XEN_DOMINF_dying (1u << 0)
#define XEN_DOMINF_shutdown (1u << 2)  /* the reason is in the shutdown field */
#define XEN_DOMINF_paused (1u << 3)
#define XEN_DOMINF_blocked (1u << 4)
#define XEN_DOMINF_running (1u << 5)
#define XEN_DOMINF_xs_domain (1u << 7)
#define XEN_DOMINF_shutdownshift 16
#define XEN_DOMINF_shutdownmask 0xff   /* SHUTDOWN_* */
#define XEN_INVALID_MAX_VCPU_ID (~0u)

/* set/getvcpucontext */
struct xen_domctl_vcpucontext {
	pv_u32 vcpu;
	pv_u32 _pad;
	pv_gva_t ctxt;             /* struct vcpu_guest_context (pv/vcpu.h) */
};
PV_CHECK_SIZE(struct xen_domctl_vcpucontext, 16);
PV_CHECK_OFFSET(struct xen_domctl_vcpucontext, ctxt, 8);

/* getvcpuinfo: one vCPU's state; cpu_time is the time it has run (ns). */
struct xen_domctl_getvcpuinfo {
	pv_u32 vcpu;               /* in */
	pv_u8 online;              /* out: not down */
	pv_u8 blocked;             /* out: waiting for an event */
	pv_u8 running;             /* out: on a CPU now */
	pv_u8 _pad;
	pv_u64 cpu_time;
	pv_u32 cpu;                /* out: the CPU it runs on or last ran on */
	pv_u32 _pad2;
};
PV_CHECK_SIZE(struct xen_domctl_getvcpuinfo, 24);
PV_CHECK_OFFSET(struct xen_domctl_getvcpuinfo, online, 4);
PV_CHECK_OFFSET(struct xen_domctl_getvcpuinfo, running, 6);
PV_CHECK_OFFSET(struct xen_domctl_getvcpuinfo, cpu_time, 8);
PV_CHECK_OFFSET(struct xen_domctl_getvcpuinfo, cpu, 16);

struct xen_domctl {
	pv_u32 cmd;                /* XEN_DOMCTL_* */
	pv_u32 interface_version;  /* XEN_DOMCTL_INTERFACE_VERSION */
	domid_t domain;
	pv_u16 _pad[3];
	union {
		struct xen_domctl_createdomain createdomain;
		struct xen_domctl_getdomaininfo getdomaininfo;
		struct xen_domctl_vcpucontext vcpucontext;
		struct xen_domctl_getvcpuinfo getvcpuinfo;
		/* The commands whose argument is a single field. */
		struct { pv_u64 max_memkb; } max_mem;        /* max_pages = max_memkb >> 2 */
		struct { pv_u32 max; } max_vcpus;
		struct { xen_domain_handle_t handle; } setdomainhandle;
		struct { pv_u64 gmfn; } hypercall_init;      /* the guest frame to fill */
		struct { pv_s64 time_offset_seconds; } settimeoffset;
		/* set_address_size: libxc sends 64 for "xen-3.0-x86_64" images. */
		struct { pv_u32 size; } address_size;
		pv_u8 pad[128];
	} u;
};
PV_CHECK_SIZE(struct xen_domctl, 144);
PV_CHECK_OFFSET(struct xen_domctl, domain, 8);
PV_CHECK_OFFSET(struct xen_domctl, u, 16);

#endif
