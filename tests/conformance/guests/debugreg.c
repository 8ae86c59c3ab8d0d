/*
 * set_debugreg (8) / get_debugreg (9): per-vCPU debug registers with
 * Xen's rules (xen/arch/x86/pv/misc-hypercalls.c): DR0-3 may not point
 * into the hypervisor (-EPERM); DR6/DR7 keep their reserved bits (a
 * written 0 reads back 0xffff0ff0 / 0x400), refuse upper 32 bits
 * (-EINVAL) and, for DR7, general detect (-EPERM); DR4/DR5 alias DR6/DR7
 * (CR4.DE is clear for PV); other numbers are -ENODEV. A single-step
 * #DB leaves BS (bit 14) in the guest's DR6.
 */
#include "check.h"
#include "probes.h"

#define DR6_DEFAULT 0xffff0ff0UL
#define DR7_DEFAULT 0x400UL
#define DR6_BS (1UL << 14)

static uint64_t watched;

/* What a DR6 write of 0 reads back as: X86_DR6_DEFAULT less the bits features own. */
static uint64_t dr6_ones(void)
{
	uint32_t leaf0[4], leaf7[4] = { 0 };
	uint64_t ones = DR6_DEFAULT;

	probe_xen_cpuid(0, 0, leaf0);
	if (leaf0[0] >= 7)
		probe_xen_cpuid(7, 0, leaf7);
	if (leaf7[1] & (1u << 11))
		ones &= ~(1UL << 16); /* RTM */
	if (leaf7[2] & (1u << 24))
		ones &= ~(1UL << 11); /* BUS_LOCK_DETECT */
	return ones;
}

int main(void)
{
	uint64_t addr = (uint64_t)(uintptr_t)&watched;

	check_guest(GUEST_NAME);

	/* The state a vCPU starts with. */
	check_hex("debugreg.initial.dr6", DR6_DEFAULT, HYPERVISOR_get_debugreg(6));
	check_hex("debugreg.initial.dr7", DR7_DEFAULT, HYPERVISOR_get_debugreg(7));
	check_hex("debugreg.initial.dr0", 0, HYPERVISOR_get_debugreg(0));

	for (int r = 0; r < 4; r++) {
		check_eq(name_of("debugreg.set.dr%d", r), 0, HYPERVISOR_set_debugreg(r, addr + r));
		check_hex(name_of("debugreg.get.dr%d", r), addr + r, HYPERVISOR_get_debugreg(r));
	}
	check_eq("debugreg.set.dr0_user_address", 0, HYPERVISOR_set_debugreg(0, 0x400000));
	check_eq("debugreg.set.dr0_hypervisor_eperm", -XEN_EPERM,
		 HYPERVISOR_set_debugreg(0, ADDR_HYPERVISOR));
	check_hex("debugreg.set.dr0_hypervisor_unchanged", 0x400000, HYPERVISOR_get_debugreg(0));
	check_eq("debugreg.set.dr3_hypervisor_end_eperm", -XEN_EPERM,
		 HYPERVISOR_set_debugreg(3, ADDR_HYPERVISOR_END));

	/*
	 * DR6 and DR7: reserved bits are forced. DR6 bits 16 (RTM) and 11
	 * (bus-lock detect) are reserved ones only when the guest's CPUID
	 * lacks the feature; otherwise they are writable.
	 */
	check_eq("debugreg.set.dr6_zero", 0, HYPERVISOR_set_debugreg(6, 0));
	check_hex("debugreg.get.dr6_reserved_ones", dr6_ones(), HYPERVISOR_get_debugreg(6));
	check_eq("debugreg.set.dr6_upper_einval", -XEN_EINVAL,
		 HYPERVISOR_set_debugreg(6, 0x100000000UL | DR6_DEFAULT));
	check_eq("debugreg.set.dr7_zero", 0, HYPERVISOR_set_debugreg(7, 0));
	check_hex("debugreg.get.dr7_reserved_one", DR7_DEFAULT, HYPERVISOR_get_debugreg(7));
	check_eq("debugreg.set.dr7_upper_einval", -XEN_EINVAL,
		 HYPERVISOR_set_debugreg(7, 0x100000000UL));
	check_eq("debugreg.set.dr7_general_detect_eperm", -XEN_EPERM,
		 HYPERVISOR_set_debugreg(7, DR7_DEFAULT | (1UL << 13)));
	/* An I/O breakpoint (R/W 10) needs CR4.DE, which a PV guest does not have. */
	check_eq("debugreg.set.dr7_io_breakpoint_eperm", -XEN_EPERM,
		 HYPERVISOR_set_debugreg(7, DR7_DEFAULT | 1 | (2UL << 16)));

	/* DR4 and DR5 are DR6 and DR7. */
	check_eq("debugreg.set.dr5_is_dr7", 0, HYPERVISOR_set_debugreg(5, 0));
	check_hex("debugreg.get.dr5_is_dr7", DR7_DEFAULT, HYPERVISOR_get_debugreg(5));
	check_hex("debugreg.get.dr4_is_dr6", HYPERVISOR_get_debugreg(6), HYPERVISOR_get_debugreg(4));

	/* No such register. */
	check_eq("debugreg.set.dr8_enodev", -XEN_ENODEV, HYPERVISOR_set_debugreg(8, 0));
	check_eq("debugreg.get.dr8_enodev", -XEN_ENODEV, HYPERVISOR_get_debugreg(8));
	check_eq("debugreg.set.negative_enodev", -XEN_ENODEV, HYPERVISOR_set_debugreg(-1, 0));
	check_eq("debugreg.get.negative_enodev", -XEN_ENODEV, HYPERVISOR_get_debugreg(-1));

	/* A single step: the #DB reaches the guest after one instruction, BS in DR6. */
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	trap_reset();
	trap_expect(1);
	probe_single_step();
	trap_unexpect(1);
	check_eq("debugreg.single_step.traps", 1, trap_count);
	check_eq("debugreg.single_step.vector", 1, last_trap.vector);
	check_hex("debugreg.single_step.rip_after_one_insn", probe_after, last_trap.rip);
	check_bits("debugreg.single_step.tf_in_frame", 0x100, 0x100, last_trap.rflags);
	check_bits("debugreg.single_step.dr6_bs", DR6_BS, DR6_BS, HYPERVISOR_get_debugreg(6));
	return check_done();
}
