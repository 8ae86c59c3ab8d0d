/*
 * vcpu_op (24): bringing vCPUs up and down, their timers, and the guest
 * memory areas the hypervisor keeps up to date for them. Also the full
 * vCPU register context, shared with domctl set/getvcpucontext.
 */
#ifndef PV_VCPU_H
#define PV_VCPU_H

#include "callback.h"
#include "types.h"

/* vcpu_op(cmd, vcpuid, arg) */
#define VCPUOP_initialise 0          /* vcpu_guest_context; the vCPU must be down */
#define VCPUOP_up 1                  /* -EINVAL if never initialised */
#define VCPUOP_down 2
#define VCPUOP_is_up 3               /* 1 up, 0 down, -ENOENT: no such vCPU */
#define VCPUOP_get_runstate_info 4   /* vcpu_runstate_info, OUT */
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_stop_periodic_timer 7
#define VCPUOP_set_singleshot_timer 8
#define VCPUOP_stop_singleshot_timer 9
#define VCPUOP_register_vcpu_info 10

/*
 * Time spent in each state, in ns. Linux uses it for steal time only;
 * an area left at zero is acceptable. With vm_assist runstate_update_flag
 * the hypervisor sets XEN_RUNSTATE_UPDATE in state_entry_time while it
 * rewrites the record.
 */
struct vcpu_runstate_info {
	pv_s32 state;              /* RUNSTATE_* */
	pv_u32 _pad;
	pv_u64 state_entry_time;
	pv_u64 time[4];            /* indexed by RUNSTATE_* */
};
PV_CHECK_SIZE(struct vcpu_runstate_info, 48);
PV_CHECK_OFFSET(struct vcpu_runstate_info, state_entry_time, 8);
PV_CHECK_OFFSET(struct vcpu_runstate_info, time, 16);

#define RUNSTATE_running 0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked 2
#define RUNSTATE_offline 3
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

/*
 * register_runstate_memory_area / register_vcpu_time_memory_area: a guest
 * VIRTUAL address (in the kernel address space) where the hypervisor
 * copies the record on every change. Linux BUG()s if the runstate
 * registration fails.
 */
struct vcpu_register_runstate_memory_area {
	pv_gva_t addr;
};
PV_CHECK_SIZE(struct vcpu_register_runstate_memory_area, 8);

/* A new PV vCPU starts with a 10 ms periodic VIRQ_TIMER; Linux stops it at boot. */
struct vcpu_set_periodic_timer {
	pv_u64 period_ns;
};
PV_CHECK_SIZE(struct vcpu_set_periodic_timer, 8);

/* Calling vCPU only. A deadline already past fires at once, unless FUTURE. */
struct vcpu_set_singleshot_timer {
	pv_u64 timeout_abs_ns;     /* in vcpu_time_info system time */
	pv_u32 flags;              /* VCPU_SSHOTTMR_* */
	pv_u32 _pad;
};
PV_CHECK_SIZE(struct vcpu_set_singleshot_timer, 16);
PV_CHECK_OFFSET(struct vcpu_set_singleshot_timer, flags, 8);

#define VCPU_SSHOTTMR_future (1 << 0)  /* -ETIME if the deadline has passed */

/*
 * Moves the vCPU's vcpu_info (64 bytes, not crossing a page) to mfn +
 * offset. Once per vCPU (-EBUSY after). The hypervisor copies the old
 * contents over, sets every pending_sel bit and marks an upcall pending.
 * Linux panics if this fails, for any possible CPU.
 */
struct vcpu_register_vcpu_info {
	pv_u64 mfn;
	pv_u32 offset;
	pv_u32 rsvd;
};
PV_CHECK_SIZE(struct vcpu_register_vcpu_info, 16);
PV_CHECK_OFFSET(struct vcpu_register_vcpu_info, offset, 8);

/*
 * A vCPU's general registers as initialise, setvcpucontext and
 * getvcpucontext carry them. Segment selectors are 16 bits in 8-byte
 * slots; saved_upcall_mask is the event mask saved with the frame.
 */
struct cpu_user_regs {
	pv_u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	pv_u64 rax, rcx, rdx, rsi, rdi;
	pv_u32 error_code;
	pv_u32 entry_vector;
	pv_u64 rip;
	pv_u16 cs;
	pv_u16 _pad0;
	pv_u8 saved_upcall_mask;
	pv_u8 _pad1[3];
	pv_u64 rflags;
	pv_u64 rsp;
	pv_u16 ss, _pad2[3];
	pv_u16 es, _pad3[3];
	pv_u16 ds, _pad4[3];
	pv_u16 fs, _pad5[3];
	pv_u16 gs, _pad6[3];
};
PV_CHECK_SIZE(struct cpu_user_regs, 200);
PV_CHECK_OFFSET(struct cpu_user_regs, rbp, 32);
PV_CHECK_OFFSET(struct cpu_user_regs, gs, 192);

/*
 * The whole vCPU state. On set the hypervisor requires canonical addresses,
 * forces RPL 3 on selectors, takes the virtual IOPL
 * from rflags, validates the GDT frames and ctrlreg[3] as an L4, and
 * requires a user L4 (ctrlreg[1]) unless VGCF_in_kernel.
 */
struct vcpu_guest_context {
	pv_u8 fpu_ctxt[512];       /* an FXSAVE image, if VGCF_i387_valid */
	pv_u64 flags;              /* VGCF_* */
	struct cpu_user_regs user_regs;
	struct trap_info trap_ctxt[256];
	pv_u64 ldt_base, ldt_ents;
	pv_u64 gdt_frames[16], gdt_ents;
	pv_u64 kernel_ss, kernel_sp;
	pv_u64 ctrlreg[8];         /* [3] kernel L4 MFN << 12, [1] user L4 MFN << 12 */
	pv_u64 debugreg[8];
	pv_u64 event_callback_eip;
	pv_u64 failsafe_callback_eip;
	pv_u64 syscall_callback_eip;
	pv_u64 vm_assist;          /* applied to the domain for vCPU 0 only */
	pv_u64 fs_base;
	pv_u64 gs_base_kernel;
	pv_u64 gs_base_user;
};
PV_CHECK_SIZE(struct vcpu_guest_context, 5168);
PV_CHECK_OFFSET(struct vcpu_guest_context, flags, 512);
PV_CHECK_OFFSET(struct vcpu_guest_context, gs_base_user, 5160);

#define VGCF_i387_valid (1 << 0)
#define VGCF_in_kernel (1 << 2)            /* start in guest kernel mode */
#define VGCF_failsafe_disables_events (1 << 3)
#define VGCF_syscall_disables_events (1 << 4)
#define VGCF_online (1 << 5)

#endif
