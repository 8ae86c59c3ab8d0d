/*
 * Guest exceptions, system calls and upcalls: everything that enters a
 * guest kernel at one of its registered entry points goes through
 * create_bounce_frame(). Also the hypercalls that register those entry
 * points (set_trap_table, callback_op, set_callbacks, stack_switch) and
 * the iret hypercall that comes back.
 *
 * The bounce frame (section 3.4 of the PV ABI notes), lowest address
 * first: RCX, R11, [error code], RIP, CS with the saved upcall mask in
 * bits 39:32, RFLAGS with IF = !saved mask, RSP, SS. The failsafe frame
 * (3.6) has DS, ES, FS, GS where the error code would be. It is written on the
 * guest kernel stack: at the interrupted RSP when the kernel was running,
 * at kernel_sp after switching to kernel mode when user code was.
 */
#include <asm/desc.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <pv/hypercall_handlers.h>
#include <mica/lib.h>
#include <pv/callback.h>
#include <pv/xen.h>

#define RFLAGS_TF (1UL << 8)
#define RFLAGS_IOPL (3UL << 12)
#define RFLAGS_NT (1UL << 14)
#define RFLAGS_RF (1UL << 16)
#define RFLAGS_VM (1UL << 17)
#define RFLAGS_AC (1UL << 18)
#define DR6_DEFAULT 0xffff0ff0UL /* DR6 at reset: its reserved bits read as ones */

/* The virtual IOPL shows in frames only with vm_assist architectural_iopl (as on Xen). */
static bool architectural_iopl(const struct vcpu *v)
{
	return (v->domain->vm_assist >> VMASST_TYPE_architectural_iopl) & 1;
}

/* Vectors for which the CPU (and so the bounce frame) carries an error code. */
static bool vector_has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

struct bounce {
	u64 address;
	bool mask_events;
	bool has_error;
	u32 error_code;
	bool failsafe;     /* add DS, ES, FS, GS (the refused selectors) */
	u16 segs[4];
};

/*
 * Builds the bounce frame for the running vCPU v and points regs at
 * b->address in guest kernel mode. Returns 0, or -EFAULT if the guest
 * kernel stack cannot take the frame (the caller crashes the domain).
 */
static int create_bounce_frame(struct vcpu *v, struct cpu_regs *regs, const struct bounce *b)
{
	struct vcpu_info *vi = v->vcpu_info;
	u64 frame[12], sp, cs = regs->cs;
	u8 saved_mask = READ_ONCE(vi->evtchn_upcall_mask);
	unsigned int n = 0;

	if (!v->arch.kernel_mode) {
		if (!v->arch.kernel_sp)
			return -EFAULT;
		pv_toggle_guest_mode(v);
		sp = v->arch.kernel_sp;
		cs |= 3;
	} else {
		sp = regs->rsp;
		cs &= ~3UL; /* tells the guest its kernel was interrupted */
	}
	sp &= ~15UL;

	frame[n++] = regs->rcx;
	frame[n++] = regs->r11;
	if (b->has_error)
		frame[n++] = b->error_code;
	if (b->failsafe)
		for (unsigned int i = 0; i < 4; i++)
			frame[n++] = b->segs[i];
	frame[n++] = regs->rip;
	frame[n++] = (cs & 0xffff) | ((u64)saved_mask << 32);
	frame[n++] = (regs->rflags & ~(X86_RFLAGS_IF | RFLAGS_IOPL)) |
		     (saved_mask ? 0 : X86_RFLAGS_IF) |
		     (architectural_iopl(v) ? (u64)v->arch.iopl << 12 : 0);
	frame[n++] = regs->rsp;
	frame[n++] = regs->ss;
	sp -= n * 8;
	if (copy_to_guest(sp, frame, n * 8))
		return -EFAULT;

	regs->rsp = sp;
	regs->ss = FLAT_RING3_DS;
	regs->rip = b->address;
	regs->cs = FLAT_RING3_CS64;
	regs->rflags &= ~(RFLAGS_TF | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT | RFLAGS_AC);
	if (b->mask_events)
		WRITE_ONCE(vi->evtchn_upcall_mask, 1);
	return 0;
}

/*
 * Injects exception vector into the running vCPU v (whose registers are
 * regs): builds the bounce frame on its kernel stack and points regs at
 * its handler. Crashes the domain if there is no handler or the frame
 * cannot be written.
 */
static void inject_exception(struct vcpu *v, struct cpu_regs *regs, unsigned int vector,
			     bool has_error, u32 error_code)
{
	const struct pv_trap *t = &v->arch.traps[vector & 0xff];
	struct bounce b = {
		.address = t->address,
		.mask_events = t->mask_events,
		.has_error = has_error,
		.error_code = error_code,
	};

	if (!t->address) {
		char why[64];

		snprintf(why, sizeof(why), "exception %u at %#lx with no handler", vector,
			 regs->rip);
		domain_crash(v->domain, why);
		return;
	}
	if (create_bounce_frame(v, regs, &b))
		domain_crash(v->domain, "cannot write an exception frame on the kernel stack");
}

bool pv_event_pending(struct vcpu *v)
{
	const struct vcpu_info *vi = v->vcpu_info;

	return READ_ONCE(vi->evtchn_upcall_pending) && !READ_ONCE(vi->evtchn_upcall_mask);
}

void pv_deliver_event(struct vcpu *v, struct cpu_regs *regs)
{
	struct bounce b = { .address = v->arch.event_cb.address, .mask_events = true };

	if (!b.address) {
		/* Nowhere to deliver: leave it pending, masked, as Xen does. */
		WRITE_ONCE(v->vcpu_info->evtchn_upcall_mask, 1);
		return;
	}
	if (create_bounce_frame(v, regs, &b))
		domain_crash(v->domain, "cannot write an event frame on the kernel stack");
}

void pv_deliver_failsafe(struct vcpu *v, struct cpu_regs *regs)
{
	struct bounce b = {
		.address = v->arch.failsafe_cb.address,
		.mask_events = v->arch.failsafe_cb.mask_events,
		.failsafe = true,
		.segs = { v->arch.ds, v->arch.es, v->arch.fs, v->arch.gs },
	};

	v->arch.ds = v->arch.es = v->arch.fs = v->arch.gs = 0;
	if (!b.address) {
		domain_crash(v->domain, "segment reload failed and no failsafe callback");
		return;
	}
	if (create_bounce_frame(v, regs, &b))
		domain_crash(v->domain, "cannot write a failsafe frame on the kernel stack");
}

/* `int n` arrives as #GP with error code (n << 3) | 2 (an IDT entry, DPL too low). */
static bool software_interrupt(struct vcpu *v, struct cpu_regs *regs)
{
	unsigned int n;
	const struct pv_trap *t;
	u8 cpl = v->arch.kernel_mode ? 1 : 3, op;

	if ((regs->error_code & 7) != 2)
		return false;
	n = (unsigned int)(regs->error_code >> 3) & 0xff;
	t = &v->arch.traps[n];
	if (!t->address || t->dpl < cpl)
		return false;
	/* The instruction is INT3 (CC, 1 byte) or INT n (CD nn, 2 bytes; n may be 3). */
	if (copy_from_guest(&op, regs->rip, 1))
		return false;
	regs->rip += op == 0xcc ? 1 : 2;
	inject_exception(v, regs, n, false, 0);
	return true;
}

void pv_do_exception(struct cpu_regs *regs)
{
	struct vcpu *v = current_vcpu();
	unsigned int vec = (unsigned int)regs->vector;
	u32 err = (u32)regs->error_code;

	if (!v) {
		pr_err("exception %u from ring 3 with no vCPU current", vec);
		return;
	}
	switch (vec) {
	case 14: {
		u64 cr2 = read_cr2();

		if (pv_handle_page_fault(v, regs, cr2))
			return;
		v->vcpu_info->arch.cr2 = cr2;
		/* Bit 2 (user) reflects the guest's mode, not the CPU's ring. */
		err = v->arch.kernel_mode ? err & ~4u : err | 4u;
		break;
	}
	case 13:
		if (software_interrupt(v, regs))
			return;
		if (err == 0 && pv_emulate_privileged(v, regs))
			return;
		break;
	case 6:
		if (pv_emulate_invalid_op(v, regs))
			return;
		break;
	case 1: {
		/*
		 * The guest learns why from get_debugreg(6): fold the CPU's
		 * status bits (BS, B0-B3...) into its DR6, as Xen does, and
		 * give the CPU its reset value back.
		 */
		u64 dr6;

		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		v->arch.debugreg[6] |= dr6 & ~DR6_DEFAULT;
		v->arch.debugreg[6] &= dr6 | ~DR6_DEFAULT;
		__asm__ volatile("mov %0, %%dr6" : : "r"(DR6_DEFAULT));
		break;
	}
	case 7:
		/* The guest set CR0.TS (fpu_taskswitch): its #NM clears it. */
		if (v->arch.virt_ts)
			do_fpu_taskswitch(0);
		break;
	default:
		break;
	}
	inject_exception(v, regs, vec, vector_has_error(vec), err);
}

/*
 * SYSCALL: from guest kernel mode a hypercall (RAX = number, arguments in
 * RDI RSI RDX R10 R8 R9, result in RAX); from guest user mode a system
 * call, bounced to the syscall callback with the user RIP/RFLAGS in
 * RCX/R11 as the guest kernel expects.
 */
void pv_do_syscall(struct cpu_regs *regs)
{
	struct vcpu *v = current_vcpu();
	struct bounce b;

	if (v->arch.kernel_mode) {
		hypercall_dispatch(regs);
		return;
	}
	b = (struct bounce){ .address = v->arch.syscall_cb.address,
			     .mask_events = v->arch.syscall_cb.mask_events };
	if (!b.address) {
		/* No system-call entry registered: #UD at the SYSCALL instruction. */
		regs->rip -= 2;
		inject_exception(v, regs, 6, false, 0);
		return;
	}
	if (create_bounce_frame(v, regs, &b))
		domain_crash(v->domain, "cannot write a system-call frame on the kernel stack");
}

/* set_trap_table(const struct trap_info *table): entries until address 0; NULL clears all. */
long do_set_trap_table(pv_gva_t table)
{
	struct vcpu *v = current_vcpu();
	struct trap_info ti;

	if (!table) {
		memset(v->arch.traps, 0, sizeof(v->arch.traps));
		return 0;
	}
	for (unsigned int i = 0; i < 256; i++) {
		if (copy_from_guest(&ti, table + i * sizeof(ti), sizeof(ti)))
			return -EFAULT;
		if (!ti.address)
			return 0;
		/* As on Xen: refused, the entries before it stay in force. */
		if (!canonical(ti.address))
			return -EINVAL;
		v->arch.traps[ti.vector] = pv_trap_of(&ti);
	}
	/* 256 entries without a terminator: all vectors are set. */
	return 0;
}

static long register_callback(struct vcpu *v, const struct callback_register *cb)
{
	struct pv_callback c = { cb->address, (cb->flags & CALLBACKF_mask_events) != 0 };

	if (!canonical(cb->address))
		return -EINVAL;
	switch (cb->type) {
	case CALLBACKTYPE_event:
		v->arch.event_cb = c;
		return 0;
	case CALLBACKTYPE_failsafe:
		v->arch.failsafe_cb = c;
		return 0;
	case CALLBACKTYPE_syscall:
		v->arch.syscall_cb = c;
		return 0;
	case CALLBACKTYPE_syscall32:
	case CALLBACKTYPE_sysenter:
		/* 32-bit compatibility entries: Mica runs no 32-bit code. */
		return 0;
	case CALLBACKTYPE_nmi:
		/* Accepted as on Xen; Mica never forwards host NMIs to guests. */
		v->arch.nmi_cb = c;
		return 0;
	default:
		return -ENOSYS; /* as Xen, for types it does not know */
	}
}

long do_callback_op(pv_s32 cmd, pv_gva_t arg)
{
	struct vcpu *v = current_vcpu();

	switch (cmd) {
	case CALLBACKOP_register: {
		struct callback_register cb;

		if (copy_from_guest(&cb, arg, sizeof(cb)))
			return -EFAULT;
		return register_callback(v, &cb);
	}
	case CALLBACKOP_unregister: {
		struct callback_unregister cb;

		if (copy_from_guest(&cb, arg, sizeof(cb)))
			return -EFAULT;
		/* As on Xen: only the NMI callback may be taken away; unknown types are -ENOSYS. */
		switch (cb.type) {
		case CALLBACKTYPE_nmi:
			return 0;
		case CALLBACKTYPE_event:
		case CALLBACKTYPE_failsafe:
		case CALLBACKTYPE_syscall:
		case CALLBACKTYPE_syscall32:
		case CALLBACKTYPE_sysenter:
			return -EINVAL;
		default:
			return -ENOSYS;
		}
	}
	default:
		return -ENOSYS;
	}
}

long do_set_callbacks(pv_u64 event, pv_u64 failsafe, pv_u64 syscall)
{
	struct vcpu *v = current_vcpu();

	/* As on Xen: each is registered on its own, a non-canonical one not at all. */
	if (canonical(event))
		v->arch.event_cb = (struct pv_callback){ event, false };
	if (canonical(failsafe))
		v->arch.failsafe_cb = (struct pv_callback){ failsafe, false };
	if (canonical(syscall))
		v->arch.syscall_cb = (struct pv_callback){ syscall, false };
	return 0;
}

long do_stack_switch(pv_u64 ss, pv_u64 sp)
{
	struct vcpu *v = current_vcpu();

	v->arch.kernel_ss = ss | 3;
	v->arch.kernel_sp = sp;
	return 0;
}

long do_fpu_taskswitch(pv_s32 set)
{
	struct vcpu *v = current_vcpu();

	v->arch.virt_ts = set != 0;
	write_cr0(set ? read_cr0() | X86_CR0_TS : read_cr0() & ~X86_CR0_TS);
	return 0;
}

/*
 * iret: the guest RSP points at {RAX, R11, RCX, flags, RIP, CS, RFLAGS,
 * RSP, SS}. Returns to guest user mode when CS has RPL 3, restores the
 * upcall mask from RFLAGS.IF, and hands back the saved RAX.
 */
long do_iret(void)
{
	struct vcpu *v = current_vcpu();
	struct cpu_regs *regs = guest_regs_of(this_cpu());
	struct iret_context f;

	if (copy_from_guest(&f, regs->rsp, sizeof(f))) {
		domain_crash(v->domain, "iret frame unreadable");
		return -EFAULT;
	}
	/* IRETQ to a non-canonical RIP faults in ring 0 on Intel CPUs: never try. */
	if (!canonical(f.rip)) {
		domain_crash(v->domain, "iret to a non-canonical RIP");
		return -EFAULT;
	}
	if ((f.cs & 3) == 3 && v->arch.kernel_mode && pv_toggle_guest_mode(v)) {
		domain_crash(v->domain, "iret to user mode without a user page table");
		return -EFAULT;
	}
	if (architectural_iopl(v))
		v->arch.iopl = (u8)((f.rflags & RFLAGS_IOPL) >> 12);
	regs->rip = f.rip;
	regs->cs = f.cs | 3;
	regs->rflags = (f.rflags & ~(RFLAGS_IOPL | RFLAGS_VM)) | X86_RFLAGS_IF | 2;
	regs->rsp = f.rsp;
	regs->ss = f.ss | 3;
	if (!(f.flags & VGCF_in_syscall)) {
		regs->r11 = f.r11;
		regs->rcx = f.rcx;
	}
	WRITE_ONCE(v->vcpu_info->evtchn_upcall_mask, (f.rflags & X86_RFLAGS_IF) ? 0 : 1);
	return (long)f.rax;
}

/*
 * The return to the guest faulted on the guest's own frame (entry.S
 * rebuilt it at the stack top). Only a guest that wrote nonsense there
 * through iret or a bounce can get here: crash its domain; the exit path
 * then schedules something else.
 */
void pv_iret_faulted(struct cpu_regs *regs)
{
	struct vcpu *v = current_vcpu();
	char why[96];

	snprintf(why, sizeof(why), "return to the guest refused (RIP %#lx CS %#lx SS %#lx)",
		 regs->rip, regs->cs, regs->ss);
	if (v)
		domain_crash(v->domain, why);
}
