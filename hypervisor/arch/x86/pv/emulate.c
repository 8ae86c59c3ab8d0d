/*
 * The few privileged instructions a ring-3 PV kernel still executes
 * (section 3.10 of the PV ABI notes): the forced-emulation CPUID, MSR
 * access for the segment bases, control-register reads, WBINVD, and port
 * I/O under the virtual IOPL. Everything else is reflected to the guest
 * as the #GP or #UD it raised.
 */
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/lib.h>
#include <mica/version.h>
#include <pv/cpuid.h>
#include <pv/hypercall_handlers.h>
#include <pv/xen.h>

#define MSR_TSC 0x10
#define MSR_PAT 0x277
#define MSR_MISC_ENABLE 0x1a0
#define PV_PAT 0x0000050100070406UL /* WB, WT, UC-, UC, WC, WP, UC, UC: what Linux expects */

/* Reported as the Xen ABI version: Mica implements Xen 4.17's interface. */
#define XEN_ABI_MAJOR 4
#define XEN_ABI_MINOR 17

/* The CPUID a PV guest sees (section 3.10): what ring 3 cannot use is hidden. */
static void guest_cpuid(u32 leaf, u32 sub, u64 xcr0, u32 *a, u32 *b, u32 *c, u32 *d)
{
	if (leaf >= XEN_CPUID_LEAF(0) && leaf < XEN_CPUID_LEAF(0x10000)) {
		*a = *b = *c = *d = 0;
		switch (leaf) {
		case XEN_CPUID_LEAF(0):
			*a = XEN_CPUID_LEAF(5);
			*b = XEN_CPUID_SIGNATURE_EBX;
			*c = XEN_CPUID_SIGNATURE_ECX;
			*d = XEN_CPUID_SIGNATURE_EDX;
			break;
		case XEN_CPUID_LEAF(1):
			*a = (XEN_ABI_MAJOR << 16) | XEN_ABI_MINOR;
			break;
		case XEN_CPUID_LEAF(2):
			*a = 1;          /* hypercall pages */
			*b = XEN_CPUID_HYPERCALL_MSR;
			break;
		case XEN_CPUID_LEAF(5):
			*b = 40;         /* machine address width: grant v1 suffices */
			break;
		}
		return;
	}
	cpuid_count(leaf, sub, a, b, c, d);
	switch (leaf) {
	case 1:
		/* ecx: MONITOR 3, VMX 5, SMX 6, EST 7, TM2 8, PDCM 15, PCID 17,
		 * X2APIC 21, TSC_DEADLINE 24 are never for a ring-3 kernel. */
		*c &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) |
			(1u << 15) | (1u << 17) | (1u << 21) | (1u << 24));
		/* XSAVE 26, OSXSAVE 27 with the host's XSAVE; AVX 28, FMA 12, F16C 29 with AVX. */
		if (!xstate_host_mask)
			*c &= ~((1u << 26) | (1u << 27));
		else
			*c |= 1u << 27;
		if (!(xstate_host_mask & XSTATE_AVX))
			*c &= ~((1u << 12) | (1u << 28) | (1u << 29));
		*c |= 1u << 31; /* running on a hypervisor */
		/* edx: VME 1, PSE 3, MCE 7, MTRR 12, PGE 13, MCA 14, PSE36 17, DS 21, TM 29,
		 * PBE 31. Mica emulates no machine-check MSRs: with MCE and MCA shown, a
		 * kernel with CONFIG_X86_MCE (Debian's) panics on the #GP from MCG_STATUS. */
		*d &= ~((1u << 1) | (1u << 3) | (1u << 7) | (1u << 12) | (1u << 13) | (1u << 14) |
			(1u << 17) | (1u << 21) | (1u << 29) | (1u << 31));
		break;
	case 5: /* MONITOR/MWAIT */
	case 6: /* power management */
		*a = *b = *c = *d = 0;
		break;
	case 0xd: /* XSAVE: x87, SSE and AVX only; no supervisor states (XSAVES) */
		if (!xstate_host_mask || sub > 2) {
			*a = *b = *c = *d = 0;
		} else if (sub == 0) {
			*a = (u32)xstate_host_mask;
			*d = 0;
			*c = (xstate_host_mask & XSTATE_AVX) ? 832 : 576;
			*b = (xcr0 & XSTATE_AVX) ? 832 : 576;
		} else if (sub == 1) {
			*a &= (1u << 0) | (1u << 1) | (1u << 2); /* XSAVEOPT, XSAVEC, XGETBV(1) */
			*b = *c = *d = 0;
		} else if (!(xstate_host_mask & XSTATE_AVX)) {
			*a = *b = *c = *d = 0;
		}
		break;
	case 7:
		if (sub == 0) {
			/* ebx keeps: BMI1 3, HLE 4, BMI2 8, ERMS 9, RTM 11, RDSEED 18, ADX 19,
			 * CLFLUSHOPT 23, CLWB 24, SHA 29. Hidden: FSGSBASE, AVX2, SMEP,
			 * INVPCID, MPX, AVX-512, SMAP, PT. */
			*b &= (1u << 3) | (1u << 4) | (1u << 8) | (1u << 9) | (1u << 11) |
			      (1u << 18) | (1u << 19) | (1u << 23) | (1u << 24) | (1u << 29) |
			      ((xstate_host_mask & XSTATE_AVX) ? 1u << 5 : 0); /* AVX2 */
			*c &= 1u << 22; /* RDPID only: no UMIP, PKU, LA57, VAES... */
			*d = 0;
		} else {
			*a = *b = *c = *d = 0;
		}
		break;
	case 0x80000001:
		*c &= ~(1u << 2);  /* SVM */
		*d &= ~(1u << 26); /* 1 GiB pages */
		break;
	default:
		break;
	}
}

/* Forced emulation prefix, then the instruction (here cpuid). */
static const u8 forced_cpuid[XEN_CPUID_INSN_LEN] = { XEN_EMULATE_PREFIX_BYTES, 0x0f, 0xa2 };

bool pv_emulate_invalid_op(struct vcpu *v, struct cpu_regs *regs)
{
	u8 insn[XEN_CPUID_INSN_LEN];
	u32 a, b, c, d;

	if (copy_from_guest(insn, regs->rip, sizeof(insn)) ||
	    memcmp(insn, forced_cpuid, sizeof(insn)))
		return false;
	guest_cpuid((u32)regs->rax, (u32)regs->rcx, v->arch.xcr0, &a, &b, &c, &d);
	regs->rax = a;
	regs->rbx = b;
	regs->rcx = c;
	regs->rdx = d;
	regs->rip += sizeof(forced_cpuid);
	return true;
}

static bool write_msr(struct vcpu *v, u32 msr, u64 val)
{
	/* The segment bases, as set_segment_base sets them (non-canonical ones: #GP). */
	switch (msr) {
	case MSR_FS_BASE:
		return !do_set_segment_base(SEGBASE_FS, val);
	case MSR_GS_BASE: /* the kernel's GS base: active now, in kernel mode */
		return !do_set_segment_base(SEGBASE_GS_KERNEL, val);
	case MSR_KERNEL_GS_BASE: /* the user's GS base: inactive now */
		return !do_set_segment_base(SEGBASE_GS_USER, val);
	default:
		/* PAT, SYSCALL MSRs, spectre controls...: not the guest's to change. */
		pr_debug("d%u: wrmsr %#x <- %#lx ignored", v->domain->id, msr, val);
		return true;
	}
}

static bool read_msr(struct vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_EFER:
		*val = rdmsr(msr);
		return true;
	case MSR_KERNEL_GS_BASE:
		*val = v->arch.gs_base_user;
		return true;
	case MSR_PAT:
		*val = PV_PAT;
		return true;
	case MSR_TSC:
		*val = rdtsc();
		return true;
	case MSR_MISC_ENABLE:
		*val = (1u << 0) | (1u << 11) | (1u << 12); /* fast strings; no BTS, no PEBS */
		return true;
	default:
		return false; /* #GP: Linux reads MSRs with the safe variants */
	}
}

/* MOV from CRn: CR0 with the virtual TS, the guest's CR2 and CR3, CR4 less what is hidden. */
static bool read_cr(const struct vcpu *v, unsigned int cr, u64 *val)
{
	switch (cr) {
	case 0:
		*val = (read_cr0() & ~X86_CR0_TS) | (v->arch.virt_ts ? X86_CR0_TS : 0);
		return true;
	case 2:
		*val = v->vcpu_info->arch.cr2;
		return true;
	case 3:
		*val = (v->arch.kernel_mode ? v->arch.kernel_root : v->arch.user_root) << 12;
		return true;
	case 4:
		*val = read_cr4() & ~(X86_CR4_PGE | X86_CR4_SMEP);
		return true;
	default:
		return false;
	}
}

/*
 * XSETBV: the guest picks its XCR0 among the components Mica offers;
 * x87 is mandatory and AVX needs SSE, as on hardware.
 */
static bool emulate_xsetbv(struct vcpu *v, struct cpu_regs *regs)
{
	u64 val = (regs->rdx << 32) | (u32)regs->rax;

	if ((u32)regs->rcx != 0 || !xstate_host_mask || (val & ~xstate_host_mask) ||
	    !(val & XSTATE_X87) || ((val & XSTATE_AVX) && !(val & XSTATE_SSE)))
		return false;
	v->arch.xcr0 = val;
	__asm__ volatile("xsetbv" : : "c"(0), "a"((u32)val), "d"((u32)(val >> 32)));
	return true;
}

/*
 * INS/OUTS, with or without REP: INS stores all ones (nothing is
 * attached), OUTS reads the source and drops it. At most 4096 elements
 * per trap; a longer REP resumes on the next one (RIP stays, RCX counts
 * down), so the work per trap is bounded. Flat 64-bit addressing: DS/ES
 * bases are 0 in long mode. A faulting guest buffer is reflected as #GP.
 */
static bool string_io(struct cpu_regs *regs, u8 op, unsigned int size, bool rep,
		      unsigned int len)
{
	bool in = op < 0x6e;
	u64 count = rep ? regs->rcx : 1, done;
	u64 *addr = in ? &regs->rdi : &regs->rsi;
	s64 step = (regs->rflags & (1UL << 10)) ? -(s64)size : (s64)size;

	for (done = 0; done < count && done < 4096; done++) {
		u32 buf = 0xffffffff; /* what INS stores; OUTS reads into it and drops it */

		if (in ? copy_to_guest(*addr, &buf, size) : copy_from_guest(&buf, *addr, size))
			return false;
		*addr += (u64)step;
	}
	if (rep)
		regs->rcx -= done;
	if (!rep || regs->rcx == 0)
		regs->rip += len;
	return true;
}

/*
 * The instruction bytes at rip, as many of the X86_MAX_INSN_LEN as are
 * readable: one that ends just before an unmapped page is still whole.
 */
unsigned int pv_fetch_insn(u64 rip, u8 *buf)
{
	unsigned int n;

	if (!copy_from_guest(buf, rip, X86_MAX_INSN_LEN))
		return X86_MAX_INSN_LEN;
	for (n = 0; n < X86_MAX_INSN_LEN; n++)
		if (copy_from_guest(&buf[n], rip + n, 1))
			break;
	return n;
}

/*
 * Decodes the instruction at RIP after a #GP with error code 0. Returns
 * true if it was emulated (RIP advanced), false to reflect the #GP.
 */
bool pv_emulate_privileged(struct vcpu *v, struct cpu_regs *regs)
{
	/* Decoding an over-long instruction reads up to two bytes past 15. */
	u8 insn[X86_MAX_INSN_LEN + 2] = { 0 };
	unsigned int i = 0, opsize = 4, rex = 0;
	bool rep = false;
	bool kernel = v->arch.kernel_mode;
	u8 op;

	/* Unreadable bytes stay zero, which decodes as nothing emulated here. */
	if (!pv_fetch_insn(regs->rip, insn))
		return false;
	for (;; i++) {
		if (i >= 14)
			return false;
		op = insn[i];
		if (op == 0x66)
			opsize = 2;
		else if (op == 0xf3 || op == 0xf2)
			rep = true;
		else if (op == 0x2e || op == 0x3e || op == 0x26 || op == 0x36 || op == 0x64 ||
			 op == 0x65)
			continue;
		else
			break;
	}
	if ((op & 0xf0) == 0x40) {
		rex = op;
		op = insn[++i];
	}

	switch (op) {
	case 0xe4: case 0xe5: case 0xec: case 0xed: /* IN */
	case 0xe6: case 0xe7: case 0xee: case 0xef: /* OUT */ {
		unsigned int size = (op & 1) ? opsize : 1;
		bool imm = op < 0xec;

		/*
		 * The guest kernel counts as CPL 1, or as CPL 0 with vm_assist
		 * architectural_iopl (Xen's iopl_ok): then it always may.
		 */
		if (v->arch.iopl < (!kernel ? 3 : (v->domain->vm_assist >>
						   VMASST_TYPE_architectural_iopl) & 1 ? 0 : 1) ||
		    i + 1 + imm > X86_MAX_INSN_LEN)
			return false;
		/* No domain owns real ports yet: IN reads all ones (32-bit results zero-extend). */
		if (!(op & 2))
			regs->rax = (size == 4 ? 0 : regs->rax) | (0xffffffffUL >> (32 - 8 * size));
		regs->rip += i + 1 + imm;
		return true;
	}
	case 0x6c: case 0x6d: /* INS */
	case 0x6e: case 0x6f: /* OUTS */
		if (v->arch.iopl < (kernel ? 1 : 3) || i + 1 > X86_MAX_INSN_LEN)
			return false;
		return string_io(regs, op, (op & 1) ? opsize : 1, rep, i + 1);
	case 0xfa: /* CLI */
	case 0xfb: /* STI */
		/* Under the virtual IOPL these mask and unmask event delivery. */
		if (v->arch.iopl < (kernel ? 1 : 3) || i + 1 > X86_MAX_INSN_LEN)
			return false;
		WRITE_ONCE(v->vcpu_info->evtchn_upcall_mask, op == 0xfa ? 1 : 0);
		regs->rip += i + 1;
		return true;
	case 0x0f:
		break;
	default:
		return false;
	}

	if (!kernel)
		return false;
	/* i indexes the last byte of the instruction as far as decoded. */
	op = insn[++i];
	/* XSETBV (0F 01 D1) and MOV to/from CRn (0F 20/22 ModRM) have one byte more. */
	if (i + 1 + (op == 0x01 || op == 0x20 || op == 0x22) > X86_MAX_INSN_LEN)
		return false;
	switch (op) {
	case 0x01: /* XSETBV is 0F 01 D1 */
		if (insn[++i] != 0xd1 || !emulate_xsetbv(v, regs))
			return false;
		break;
	case 0x30: /* WRMSR */
		if (!write_msr(v, (u32)regs->rcx, (regs->rdx << 32) | (u32)regs->rax))
			return false;
		break;
	case 0x32: { /* RDMSR */
		u64 val;

		if (!read_msr(v, (u32)regs->rcx, &val))
			return false;
		regs->rax = (u32)val;
		regs->rdx = val >> 32;
		break;
	}
	case 0x08: /* INVD */
	case 0x09: /* WBINVD: caches are coherent for an unprivileged domain */
		break;
	case 0x20:   /* MOV from CRn */
	case 0x22: { /* MOV to CRn: only CR0.TS (fpu_taskswitch) and a no-op CR4 write make sense */
		u8 modrm = insn[++i]; /* mod=11, reg=CR, rm=GPR */
		unsigned int cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
		u64 *gpr = cpu_regs_gpr(regs, (modrm & 7) | ((rex & 1) ? 8 : 0));

		if (op == 0x22 && cr == 0)
			do_fpu_taskswitch((*gpr & X86_CR0_TS) != 0);
		else if (op == 0x22 ? cr != 4 : !read_cr(v, cr, gpr))
			return false;
		break;
	}
	default:
		return false;
	}
	regs->rip += i + 1;
	return true;
}
