/*
 * Running PV vCPUs on a CPU: per-CPU SYSCALL setup, switching between
 * guest kernel and guest user mode, switching the CPU from one vCPU to
 * another, and the last steps before every return to a guest.
 *
 * While a vCPU runs, its registers live in the frame at the top of the
 * CPU's stack (guest_regs_of(this_cpu())): the CPU writes it on every
 * entry from ring 3 and entry.S restores it on the way out. Switching
 * vCPUs swaps that frame's contents with the vCPU records, so whatever
 * path is returning simply resumes the new owner of the frame.
 */
#include <asm/desc.h>
#include <asm/fixup.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/lib.h>
#include <mica/sched.h>

extern char pv_syscall_entry[];

#define SYSCALL_MASK (X86_RFLAGS_IF | (1UL << 8) /* TF */ | (1UL << 10) /* DF */ | \
		      (1UL << 14) /* NT */ | (1UL << 16) /* RF */ | (1UL << 17) /* VM */ | \
		      (1UL << 18) /* AC */)

u64 xstate_host_mask;

static inline void xsetbv(u32 index, u64 value)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((u32)value), "d"((u32)(value >> 32)));
}

/*
 * Turns on XSAVE with x87, SSE and (if present) AVX. Larger components
 * (AVX-512, AMX) are left off: guests are not offered them.
 */
static void xstate_cpu_init(void)
{
	u32 a, b, c, d;

	if (!cpu_has(1, CPUID_ECX, 26)) /* XSAVE */
		return;
	cpuid_count(0xd, 0, &a, &b, &c, &d);
	write_cr4(read_cr4() | X86_CR4_OSXSAVE);
	xstate_host_mask = (XSTATE_X87 | XSTATE_SSE | XSTATE_AVX) & a;
	xsetbv(0, xstate_host_mask);
}

void pv_cpu_init(struct cpu_info *info)
{
	info->self = (u64)(uintptr_t)info;
	/* SYSCALL: CS 0xe008, SS 0xe010. SYSRET base 0xe023: CS 0xe033, SS 0xe02b. */
	wrmsr(MSR_STAR, ((u64)FLAT_RING3_CS32 << 48) | ((u64)HV_CS << 32));
	wrmsr(MSR_LSTAR, (u64)(uintptr_t)pv_syscall_entry);
	wrmsr(MSR_CSTAR, 0);
	wrmsr(MSR_FMASK, SYSCALL_MASK);
	wrmsr(MSR_KERNEL_GS_BASE, (u64)(uintptr_t)info);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/*
	 * x87 errors as #MF (NE; without it they go to the legacy FERR#
	 * interrupt and a guest never sees them) and WAIT under TS as #NM
	 * (MP), as Xen runs its CPUs: a guest's lazy FPU switching needs both.
	 */
	write_cr0(read_cr0() | X86_CR0_NE | X86_CR0_MP);
	write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	/*
	 * No LDT. The CPU comes out of reset (and firmware) with an LDTR of
	 * base 0 and limit 0xffff: guest code loading an LDT selector would
	 * have the CPU read descriptors, unchecked, from guest-controlled
	 * memory at linear address 0 (a call gate there leads to ring 0).
	 * Guests ask for no LDT (MMUEXT_SET_LDT with 0 entries), so a null
	 * LDTR serves them all: LDT selectors are #GP.
	 */
	__asm__ volatile("lldt %w0" : : "r"(0));
	xstate_cpu_init();
}

struct cpu_regs *guest_regs_of_current(void)
{
	return guest_regs_of(this_cpu());
}

struct vcpu *current_vcpu(void)
{
	return this_cpu()->current;
}

/* The GS base of the mode v is in: the one active while v runs. */
static u64 *active_gs_base(struct vcpu *v)
{
	return v->arch.kernel_mode ? &v->arch.gs_base_kernel : &v->arch.gs_base_user;
}

static void load_root(const struct vcpu *v)
{
	u64 root = v->arch.kernel_mode ? v->arch.kernel_root : v->arch.user_root;

	write_cr3(root << PAGE_SHIFT);
}

int pv_toggle_guest_mode(struct vcpu *v)
{
	if (v->arch.kernel_mode && !v->arch.user_root)
		return -1;
	/* The GS base now active belongs to the mode being left. */
	*active_gs_base(v) = rdmsr(MSR_GS_BASE);
	v->arch.kernel_mode = !v->arch.kernel_mode;
	wrmsr(MSR_GS_BASE, *active_gs_base(v));
	load_root(v);
	return 0;
}

static void save_segments(struct vcpu *v)
{
	__asm__ volatile("movw %%ds, %0" : "=m"(v->arch.ds));
	__asm__ volatile("movw %%es, %0" : "=m"(v->arch.es));
	__asm__ volatile("movw %%fs, %0" : "=m"(v->arch.fs));
	__asm__ volatile("movw %%gs, %0" : "=m"(v->arch.gs));
	v->arch.fs_base = rdmsr(MSR_FS_BASE);
	*active_gs_base(v) = rdmsr(MSR_GS_BASE);
}

/*
 * Loads the vCPU's data selectors, then the FS/GS bases (loading a
 * selector clobbers the base). Returns false if any selector was refused;
 * the guest then gets its failsafe callback.
 */
static bool load_segments(const struct vcpu *v)
{
	bool ok = true;

	ok &= LOAD_DATA_SEG(ds, v->arch.ds);
	ok &= LOAD_DATA_SEG(es, v->arch.es);
	ok &= LOAD_DATA_SEG(fs, v->arch.fs);
	ok &= LOAD_DATA_SEG(gs, v->arch.gs);
	wrmsr(MSR_FS_BASE, v->arch.fs_base);
	wrmsr(MSR_GS_BASE, v->arch.kernel_mode ? v->arch.gs_base_kernel : v->arch.gs_base_user);
	return ok;
}

/*
 * Eager FPU switching: every switch saves and restores the whole state,
 * so guests never take a #NM they did not ask for (lazy switching under
 * a PV guest's own lazy TS protocol gains little and costs a trap).
 */
static void fpu_save(struct vcpu *v)
{
	/* TS may be set for the guest's lazy FPU protocol; saving needs it clear. */
	__asm__ volatile("clts");
	if (xstate_host_mask)
		__asm__ volatile("xsave64 %0"
				 : "=m"(v->arch.fpu)
				 : "a"((u32)xstate_host_mask), "d"((u32)(xstate_host_mask >> 32)));
	else
		__asm__ volatile("fxsave64 %0" : "=m"(v->arch.fpu));
}

static void fpu_load(struct vcpu *v)
{
	if (!v->arch.fpu_initialised) {
		/* The state after FNINIT, with all SSE exceptions masked. */
		memset(v->arch.fpu, 0, sizeof(v->arch.fpu));
		*(u16 *)&v->arch.fpu[0] = 0x037f;   /* FCW */
		*(u32 *)&v->arch.fpu[24] = 0x1f80;  /* MXCSR */
		if (xstate_host_mask)
			*(u64 *)&v->arch.fpu[512] = XSTATE_X87 | XSTATE_SSE; /* XSTATE_BV */
		v->arch.xcr0 = xstate_host_mask & (XSTATE_X87 | XSTATE_SSE);
		v->arch.fpu_initialised = true;
	}
	__asm__ volatile("clts");
	if (xstate_host_mask) {
		/* Restore everything the host allows, then narrow to the guest's XCR0. */
		xsetbv(0, xstate_host_mask);
		__asm__ volatile("xrstor64 %0"
				 : : "m"(v->arch.fpu), "a"((u32)xstate_host_mask),
				   "d"((u32)(xstate_host_mask >> 32)));
		if (v->arch.xcr0 != xstate_host_mask)
			xsetbv(0, v->arch.xcr0);
	} else {
		__asm__ volatile("fxrstor64 %0" : : "m"(v->arch.fpu));
	}
	if (v->arch.virt_ts)
		write_cr0(read_cr0() | X86_CR0_TS);
}

void context_switch(struct vcpu *prev, struct vcpu *next)
{
	struct cpu_info *ci = this_cpu();
	struct cpu_regs *frame = guest_regs_of(ci);

	if (prev) {
		prev->arch.regs = *frame;
		save_segments(prev);
		if (xstate_host_mask && prev->arch.xcr0 != xstate_host_mask)
			xsetbv(0, xstate_host_mask); /* save every component in use */
		fpu_save(prev);
		WRITE_ONCE(prev->is_running, false);
	}
	ci->current = next;
	if (!next) {
		write_cr3(idle_pt_root);
		return;
	}
	WRITE_ONCE(next->is_running, true);
	next->processor = (int)ci->cpu;
	*frame = next->arch.regs;
	load_root(next);
	if (!load_segments(next))
		next->arch.failsafe_pending = true;
	pv_load_gdt_window(next);
	fpu_load(next);
}

/*
 * Called with interrupts off by entry.S before resuming a guest frame:
 * does deferred work (which may switch vCPUs), then delivers a pending
 * event if the guest has events unmasked. Returns with interrupts off
 * and the frame ready for IRETQ.
 */
void pv_exit_to_guest(struct cpu_regs *frame)
{
	for (;;) {
		struct vcpu *v;

		if (READ_ONCE(this_cpu()->softirq)) {
			do_softirqs();
			continue;
		}
		v = this_cpu()->current;
		if (!v) {
			/* Nothing to resume: wait for an interrupt to bring work. */
			schedule();
			if (!this_cpu()->current) {
				/* Halt until an interrupt has been handled, then go on with interrupts off. */
				safe_halt();
				local_irq_disable();
			}
			continue;
		}
		if (v->arch.failsafe_pending) {
			v->arch.failsafe_pending = false;
			pv_deliver_failsafe(v, frame);
			continue;
		}
		if (pv_event_pending(v)) {
			pv_deliver_event(v, frame);
			continue;
		}
		/* Guests always run with real interrupts on and IOPL 0. */
		frame->rflags = (frame->rflags & ~(3UL << 12)) | X86_RFLAGS_IF;
		return;
	}
}
