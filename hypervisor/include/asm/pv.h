/* Running 64-bit PV guests: the arch/x86/pv interface used by the rest of the hypervisor. */
#ifndef ASM_PV_H
#define ASM_PV_H

#include <asm/regs.h>
#include <mica/types.h>

struct cpu_info;
struct vcpu;

/* entry.S marks frames built by the SYSCALL entry with this "vector". */
#define PV_SYSCALL_VECTOR 256

/* Per-CPU SYSCALL MSRs and the FPU/SSE enable bits; on every CPU at start. */
void pv_cpu_init(struct cpu_info *info);

/* SYSCALL from ring 3: a hypercall from guest kernel mode, else a system call bounce. */
void pv_do_syscall(struct cpu_regs *regs);
/* An exception (vector < 32) raised by guest code. */
void pv_do_exception(struct cpu_regs *regs);

/*
 * Switches v (running here) between guest kernel and user mode: CR3 and
 * the active GS base. Returns -1, changing nothing, if v has no user root.
 */
int pv_toggle_guest_mode(struct vcpu *v);

/*
 * Makes next the vCPU whose registers are in this CPU's guest frame,
 * saving prev's (either may be NULL: the idle state). Interrupts off.
 */
void context_switch(struct vcpu *prev, struct vcpu *next);

/* entry.S: loads frame (the stack-top guest frame) and returns to the guest. */
void resume_guest_frame(struct cpu_regs *frame) __noreturn;
void pv_exit_to_guest(struct cpu_regs *frame);

/* entry.S: IRETQ to the guest faulted on the guest's own frame. */
void pv_iret_faulted(struct cpu_regs *regs);

/* The running vCPU's register frame (the top of this CPU's stack). */
struct cpu_regs *guest_regs_of_current(void);

/* Page faults the memory manager resolves itself (emulated page-table writes). */
bool pv_handle_page_fault(struct vcpu *v, struct cpu_regs *regs, u64 cr2);
/* The bytes of the instruction at rip: how many of the first 15 are readable. */
unsigned int pv_fetch_insn(u64 rip, u8 *buf);
/* #GP with error code 0 / #UD from guest code: true if emulated. */
bool pv_emulate_privileged(struct vcpu *v, struct cpu_regs *regs);
bool pv_emulate_invalid_op(struct vcpu *v, struct cpu_regs *regs);

/* Events: is an upcall due (pending and unmasked)? Deliver it by bouncing to the callback. */
bool pv_event_pending(struct vcpu *v);
void pv_deliver_event(struct vcpu *v, struct cpu_regs *regs);
/* Enters the failsafe callback with the refused selectors in its frame. */
void pv_deliver_failsafe(struct vcpu *v, struct cpu_regs *regs);

/*
 * Loads a whole vCPU state (VCPUOP_initialise, the toolstack's
 * setvcpucontext) into v, which must not be running: checks everything,
 * takes the page-table roots and GDT, then applies. 0 or -errno.
 */
struct vcpu_guest_context;
int pv_vcpu_initialise(struct vcpu *v, const struct vcpu_guest_context *ctx);
/* The reverse, for getvcpucontext; v must not be running. */
void pv_vcpu_get_context(const struct vcpu *v, struct vcpu_guest_context *ctx);

#endif
