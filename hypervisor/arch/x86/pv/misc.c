/* Small per-vCPU hypercalls: segment bases, debug registers, the virtual IOPL. */
#include <asm/fixup.h>
#include <asm/pv.h>
#include <asm/x86.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <pv/physdev.h>
#include <pv/xen.h>

long do_set_segment_base(pv_u32 which, pv_u64 base)
{
	struct vcpu *v = current_vcpu();

	if (which <= SEGBASE_GS_KERNEL && !canonical(base))
		return -EINVAL;
	switch (which) {
	case SEGBASE_FS:
		wrmsr(MSR_FS_BASE, base);
		return 0;
	case SEGBASE_GS_USER:
		/* Inactive while the kernel runs: kept until the switch to user mode. */
		v->arch.gs_base_user = base;
		return 0;
	case SEGBASE_GS_KERNEL:
		wrmsr(MSR_GS_BASE, base);
		return 0;
	case SEGBASE_GS_USER_SEL: {
		/*
		 * Load a selector into the user's GS: loading GS also loads its
		 * base, which becomes the user GS base. As on Xen this never
		 * fails (Linux BUG()s if it does): a non-null selector gets RPL
		 * 3, and one that cannot be loaded leaves the null selector.
		 */
		u16 sel = (u16)base;
		u64 kernel_gs = rdmsr(MSR_GS_BASE);

		if (sel > 3)
			sel |= 3;
		if (!LOAD_DATA_SEG(gs, sel))
			sel = 0;
		v->arch.gs_base_user = rdmsr(MSR_GS_BASE);
		v->arch.gs = sel;
		wrmsr(MSR_GS_BASE, kernel_gs);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/*
 * Debug registers, recorded per vCPU with Xen's rules (its
 * pv/misc-hypercalls.c): DR0-DR3 may not point into the hypervisor
 * (-EPERM); DR6 and DR7 take no upper 32 bits (-EINVAL) and get their
 * reserved bits forced; DR7 may not set general detect or I/O
 * breakpoints, which need CR4.DE (-EPERM); DR4 and DR5 are DR6 and DR7,
 * as with CR4.DE clear; other numbers do not exist (-ENODEV). Hardware
 * breakpoints are not armed for guests yet.
 */
#define DR6_DEFAULT 0xffff0ff0UL  /* reserved bits reading as ones */
#define DR6_ZEROS (1UL << 12)     /* reserved bit reading as zero */
#define DR6_RTM (1UL << 16)
#define DR7_DEFAULT 0x400UL
#define DR7_ZEROS 0xd800UL        /* bits 11, 12, 14, 15 */
#define DR7_RTM (1UL << 11)
#define DR7_GD (1UL << 13)
#define DR7_ENABLES 0xffUL        /* L0 G0 ... L3 G3 */

long do_set_debugreg(pv_s32 reg, pv_u64 value)
{
	struct vcpu *v = current_vcpu();
	/* RTM owns DR6 bit 16 and DR7 bit 11; emulate.c's CPUID passes the host's RTM through. */
	bool rtm = cpu_has(7, CPUID_EBX, 11);

	switch (reg) {
	case 0: case 1: case 2: case 3:
		if (!canonical(value) ||
		    (value >= HYPERVISOR_VIRT_START && value < HYPERVISOR_VIRT_END))
			return -EPERM;
		v->arch.debugreg[reg] = value;
		return 0;
	case 4:
	case 6:
		if (value >> 32)
			return -EINVAL;
		value |= DR6_DEFAULT & ~(rtm ? DR6_RTM : 0);
		v->arch.debugreg[6] = value & ~DR6_ZEROS;
		return 0;
	case 5:
	case 7:
		if (value >> 32)
			return -EINVAL;
		value = (value & ~(DR7_ZEROS & ~(rtm ? DR7_RTM : 0))) | DR7_DEFAULT;
		if (value & DR7_GD)
			return -EPERM;
		for (unsigned int i = 16; (value & DR7_ENABLES) && i < 32; i += 4)
			if (((value >> i) & 3) == 2)
				return -EPERM; /* an I/O breakpoint */
		v->arch.debugreg[7] = value;
		return 0;
	default:
		return -ENODEV;
	}
}

long do_get_debugreg(pv_s32 reg)
{
	struct vcpu *v = current_vcpu();

	if (reg < 0 || reg > 7)
		return -ENODEV;
	if (reg == 4 || reg == 5)
		reg += 2;
	return (long)v->arch.debugreg[reg];
}

long do_physdev_op(pv_s32 cmd, pv_gva_t arg)
{
	struct vcpu *v = current_vcpu();

	switch (cmd) {
	case PHYSDEVOP_set_iopl: {
		struct physdev_set_iopl s;

		if (copy_from_guest(&s, arg, sizeof(s)))
			return -EFAULT;
		if (s.iopl > 3)
			return -EINVAL;
		v->arch.iopl = (u8)s.iopl;
		return 0;
	}
	default:
		return -ENOSYS;
	}
}
