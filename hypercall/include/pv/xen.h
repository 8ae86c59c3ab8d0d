/*
 * The core of the Xen 64-bit PV ABI: reserved domain ids, selectors and
 * virtual addresses, and the pages a guest shares with the hypervisor from
 * its first instruction on (start_info, shared_info with its vcpu_info and
 * time records). Layouts are x86_64 only; Mica runs no 32-bit guests.
 *
 * Every structure spells out its padding (fields named _pad*): a structure
 * the hypervisor copies to a guest then carries no stale bytes, and the
 * offsets can be read off the page.
 */
#ifndef PV_XEN_H
#define PV_XEN_H

#include "types.h"

/* Domain ids at and above DOMID_FIRST_RESERVED are never given to a domain. */
#define DOMID_FIRST_RESERVED 0x7ff0
#define DOMID_SELF 0x7ff0     /* the caller */
#define DOMID_IO 0x7ff1       /* owner of MMIO frames no domain owns */
#define DOMID_XEN 0x7ff2      /* owner of hypervisor frames a guest may map */
#define DOMID_INVALID 0x7ff4  /* "no domain"; createdomain picks an id */
#define DOMID_IDLE 0x7fff

/*
 * GDT: the guest owns entries 0..7167 (pages 0-13); pages 14 and 15 are the
 * hypervisor's and hold the flat selectors every PV guest runs on. SYSRET
 * needs CS64 = CS32 + 16 and SS = CS32 + 8, hence the order. Guest kernel
 * and user run at CPL 3 on the same selectors. (Spelled as asm/desc.h.)
 */
#define FIRST_RESERVED_GDT_PAGE 14
#define FIRST_RESERVED_GDT_BYTE (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

#define FLAT_RING3_CS32 0xe023
#define FLAT_RING3_CS64 0xe033
#define FLAT_RING3_DS64 0x0000  /* the null selector */
#define FLAT_RING3_SS64 0xe02b
#define FLAT_KERNEL_CS FLAT_RING3_CS64
#define FLAT_KERNEL_SS FLAT_RING3_SS64
#define FLAT_KERNEL_DS FLAT_RING3_DS64

/*
 * L4 slots 256-271 of every guest address space belong to the hypervisor:
 * the guest cannot write them, validation fills them in. Slot 256 starts
 * with the read-only machine-to-phys table, one u64 pfn per MFN, which the
 * guest kernel reads (faults on holes are reflected to it as #PF).
 */
#define HYPERVISOR_VIRT_START 0xffff800000000000ULL
#define HYPERVISOR_VIRT_END 0xffff880000000000ULL
#define MACH2PHYS_VIRT_START 0xffff800000000000ULL
#define MACH2PHYS_VIRT_END 0xffff804000000000ULL
#define MACH2PHYS_NR_ENTRIES ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3) /* 2^35 */

#define XEN_PAGE_SIZE 4096
#define XEN_LEGACY_MAX_VCPUS 32  /* vcpu_info slots inside shared_info */
#define MAX_GUEST_CMDLINE 1024

/* set_segment_base (25): which base to write. */
#define SEGBASE_FS 0
#define SEGBASE_GS_USER 1       /* GS base while in guest user mode */
#define SEGBASE_GS_KERNEL 2     /* GS base while in guest kernel mode */
#define SEGBASE_GS_USER_SEL 3   /* load a selector into the user %gs */

/* vm_assist (21): cmd, then the type. Linux ignores the results except for 5. */
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_architectural_iopl 4
#define VMASST_TYPE_runstate_update_flag 5
#define VMASST_TYPE_m2p_strict 32
/* The types a 64-bit PV guest may enable, as a mask of 1 << type. */
#define VMASST_VALID_PV64 (0x3fULL | (1ULL << VMASST_TYPE_m2p_strict))

/*
 * multicall (13): each entry runs as if it were its own hypercall; the
 * hypervisor stores its return value in result. args are taken as the
 * six argument registers.
 */
struct multicall_entry {
	pv_u64 op;
	pv_s64 result;
	pv_u64 args[6];
};
PV_CHECK_SIZE(struct multicall_entry, 64);
PV_CHECK_OFFSET(struct multicall_entry, result, 8);
PV_CHECK_OFFSET(struct multicall_entry, args, 16);

/*
 * iret (23): the words at the guest RSP when it issues the hypercall. The
 * guest pushes flags, RCX, R11 and RAX over a hardware-style frame. CS with
 * RPL 3 returns to guest user mode; the upcall mask becomes !RFLAGS.IF;
 * RAX is what the hypercall "returns".
 */
struct iret_context {
	pv_u64 rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
PV_CHECK_SIZE(struct iret_context, 72);
PV_CHECK_OFFSET(struct iret_context, flags, 24);
PV_CHECK_OFFSET(struct iret_context, rip, 32);
PV_CHECK_OFFSET(struct iret_context, ss, 64);

/* iret_context.flags: RCX and R11 are not restored from the frame. */
#define VGCF_in_syscall (1 << 8)

/*
 * Per-vCPU time, in vcpu_info. A seqlock: version is odd while the
 * hypervisor rewrites the record. Guest time in ns =
 *   system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32
 * (a negative tsc_shift shifts right). tsc_to_system_mul must be non-zero
 * before the guest starts: Linux divides by it at boot.
 */
struct vcpu_time_info {
	pv_u32 version;
	pv_u32 _pad0;
	pv_u64 tsc_timestamp;      /* TSC at the last update */
	pv_u64 system_time;        /* ns since the domain booted */
	pv_u32 tsc_to_system_mul;
	pv_s8 tsc_shift;
	pv_u8 flags;               /* XEN_PVCLOCK_* */
	pv_u8 _pad1[2];
};
PV_CHECK_SIZE(struct vcpu_time_info, 32);
PV_CHECK_OFFSET(struct vcpu_time_info, tsc_timestamp, 8);
PV_CHECK_OFFSET(struct vcpu_time_info, flags, 29);

/* Set only when the TSC is invariant and synchronised: enables the vDSO clock. */
#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0)

struct arch_vcpu_info {
	pv_u64 cr2;   /* the faulting address of the #PF being delivered */
	pv_u64 _pad;
};
PV_CHECK_SIZE(struct arch_vcpu_info, 16);

/*
 * One per vCPU: in shared_info until the guest moves it into its own page
 * with VCPUOP_register_vcpu_info; from then on only that copy counts.
 * Byte 0 "an event may be pending" and byte 1 "events masked" (the virtual
 * IF, inverted) are read together: an upcall is due when pending != 0 and
 * mask == 0. pending_sel has one bit per word of evtchn_pending[].
 * The guest writes mask and clears pending with plain stores.
 */
struct vcpu_info {
	pv_u8 evtchn_upcall_pending;
	pv_u8 evtchn_upcall_mask;
	pv_u8 _pad[6];
	pv_u64 evtchn_pending_sel;
	struct arch_vcpu_info arch;
	struct vcpu_time_info time;
};
PV_CHECK_SIZE(struct vcpu_info, 64);
PV_CHECK_OFFSET(struct vcpu_info, evtchn_upcall_mask, 1);
PV_CHECK_OFFSET(struct vcpu_info, evtchn_pending_sel, 8);
PV_CHECK_OFFSET(struct vcpu_info, arch.cr2, 16);
PV_CHECK_OFFSET(struct vcpu_info, time, 32);

/*
 * Guest-owned p2m bookkeeping inside shared_info (Linux fills it for
 * save/restore tools); the hypervisor only ever writes nmi_reason.
 */
struct arch_shared_info {
	pv_u64 max_pfn;
	pv_u64 pfn_to_mfn_frame_list_list;
	pv_u64 nmi_reason;         /* bit 0 I/O error, bit 1 PCI SERR, bit 2 unknown */
	pv_u64 p2m_cr3;
	pv_u64 p2m_vaddr;
	pv_u64 p2m_generation;
};
PV_CHECK_SIZE(struct arch_shared_info, 48);
PV_CHECK_OFFSET(struct arch_shared_info, nmi_reason, 16);
PV_CHECK_OFFSET(struct arch_shared_info, p2m_generation, 40);

/* 2-level event channels: one bit per port in pending and mask. */
#define EVTCHN_2L_NR_CHANNELS 4096

/*
 * The shared_info page (one per domain, 3136 bytes used of 4 KiB). Its
 * machine address is in start_info.shared_info; the guest maps it RW.
 * The wall clock uses the same odd/even version protocol as vcpu_time_info
 * and gives the Unix time at which system_time was 0.
 */
struct shared_info {
	struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	pv_u64 evtchn_pending[EVTCHN_2L_NR_CHANNELS / 64];
	pv_u64 evtchn_mask[EVTCHN_2L_NR_CHANNELS / 64];
	pv_u32 wc_version;
	pv_u32 wc_sec;             /* low 32 bits of the seconds */
	pv_u32 wc_nsec;
	pv_u32 wc_sec_hi;          /* high 32 bits of the seconds */
	struct arch_shared_info arch;
};
PV_CHECK_SIZE(struct shared_info, 3136);
PV_CHECK_OFFSET(struct shared_info, evtchn_pending, 2048);
PV_CHECK_OFFSET(struct shared_info, arch, 3088);

/*
 * start_info: one page the builder writes and passes (its VA) in RSI.
 * The guest may write it. Frame numbers are MFNs; pt_base and mfn_list
 * are VAs in the bootstrap mapping.
 */
struct start_info {
	char magic[32];            /* "xen-3.0-x86_64"; dom0 from Xen: "...x86_64p" */
	pv_u64 nr_pages;           /* pages of the domain = valid p2m entries */
	pv_u64 shared_info;        /* machine address of shared_info */
	pv_u32 flags;              /* SIF_* */
	pv_u32 _pad0;
	pv_u64 store_mfn;          /* xenstore ring page, 0 = none */
	pv_u32 store_evtchn;       /* 0 = none: Linux then runs a local store */
	pv_u32 _pad1;
	union {
		struct {
			pv_u64 mfn;        /* console ring page */
			pv_u32 evtchn;     /* 0 = no boot console */
			pv_u32 _pad;
		} domU;
		struct {
			pv_u32 info_off;   /* offset of the video console description in this page */
			pv_u32 info_size;
		} dom0;
	} console;
	pv_u64 pt_base;            /* VA of the bootstrap L4 */
	pv_u64 nr_pt_frames;       /* bootstrap page-table frames */
	pv_u64 mfn_list;           /* VA of the p2m array, one u64 MFN per pfn */
	pv_u64 mod_start;          /* VA of the initrd, or its pfn with SIF_MOD_START_PFN */
	pv_u64 mod_len;            /* initrd bytes; 0 = none */
	char cmd_line[MAX_GUEST_CMDLINE];
	pv_u64 first_p2m_pfn;      /* p2m mapped outside the kernel map (INIT_P2M) */
	pv_u64 nr_p2m_frames;      /* its pages plus the tables mapping them */
};
PV_CHECK_SIZE(struct start_info, 1168);
PV_CHECK_OFFSET(struct start_info, nr_pages, 32);
PV_CHECK_OFFSET(struct start_info, nr_p2m_frames, 1160);

#define SIF_PRIVILEGED (1 << 0)      /* may use privileged hypercalls */
#define SIF_INITDOMAIN (1 << 1)      /* the initial domain (Linux: xen_initial_domain()) */
#define SIF_MOD_START_PFN (1 << 3)   /* mod_start is a pfn; the initrd is not mapped */

#endif
