/*
 * The architectural state of a 64-bit PV vCPU: what the hypervisor keeps
 * for it while it does not run, its two page-table roots, and what the
 * guest registered (trap table, callbacks, kernel stack).
 */
#ifndef ASM_PV_VCPU_H
#define ASM_PV_VCPU_H

#include <asm/regs.h>
#include <mica/types.h>
#include <pv/callback.h>

/* A guest exception handler from set_trap_table. */
struct pv_trap {
	u64 address;      /* 0: none registered */
	u8 dpl;           /* lowest privilege allowed to raise it with `int n` (3 = user too) */
	bool mask_events; /* deliver with events masked (an interrupt gate) */
};

/* A guest's trap_info (set_trap_table, a vCPU context): flags bits 1:0 DPL, TI_MASK_EVENTS. */
static inline struct pv_trap pv_trap_of(const struct trap_info *ti)
{
	return (struct pv_trap){ ti->address, ti->flags & 3, (ti->flags & TI_MASK_EVENTS) != 0 };
}

/* A guest entry point from callback_op. */
struct pv_callback {
	u64 address;
	bool mask_events;
};

#define PV_GDT_MAX_FRAMES 14 /* FIRST_RESERVED_GDT_PAGE */
#define PV_FPU_AREA_SIZE 1024 /* legacy 512 + header 64 + AVX 256, rounded up */

/* XCR0 state components Mica gives guests: x87, SSE, AVX. */
#define XSTATE_X87 (1UL << 0)
#define XSTATE_SSE (1UL << 1)
#define XSTATE_AVX (1UL << 2)

/* Set at boot: the components enabled in the host XCR0, or 0 without XSAVE. */
extern u64 xstate_host_mask;

struct pv_vcpu {
	struct cpu_regs regs;   /* guest registers while the vCPU is not on a CPU */
	bool kernel_mode;       /* guest kernel (true) or guest user mode */
	u64 kernel_root;        /* MFN of the kernel-mode L4 (NEW_BASEPTR), 0 if none */
	u64 user_root;          /* MFN of the user-mode L4 (NEW_USER_BASEPTR), 0 if none */
	u64 kernel_ss, kernel_sp; /* stack_switch: where bounces from user mode go */
	u64 fs_base;
	u64 gs_base_kernel;     /* GS base while in guest kernel mode */
	u64 gs_base_user;       /* GS base while in guest user mode */
	u16 ds, es, fs, gs;     /* data selectors, saved while not running */

	struct pv_trap traps[256];
	struct pv_callback event_cb, failsafe_cb, syscall_cb, nmi_cb;

	bool failsafe_pending;  /* a saved selector could not be reloaded */
	u8 iopl;                /* virtual IOPL: port I/O is emulated when iopl >= 1 */
	bool virt_ts;           /* the guest's CR0.TS (fpu_taskswitch) */
	u64 debugreg[8];
	u64 gdt_frames[PV_GDT_MAX_FRAMES]; /* set_gdt; 0 = none */
	unsigned int gdt_ents;

	/*
	 * FPU/SSE/AVX state: an XSAVE area when the CPU has XSAVE (legacy
	 * FXSAVE image in the first 512 bytes, then the header and AVX
	 * halves), else an FXSAVE image. Saved and restored on every switch.
	 */
	u8 fpu[PV_FPU_AREA_SIZE] __aligned(64);
	bool fpu_initialised;
	u64 xcr0;               /* the guest's XCR0 (xsetbv), when XSAVE is in use */
};

#endif
