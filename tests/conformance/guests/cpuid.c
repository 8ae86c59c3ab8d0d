/*
 * The forced-emulation CPUID (ud2; "xen"; cpuid): the hypervisor leaves
 * with Xen's signature, and the feature bits a PV kernel must not see
 * (PV ABI notes, section 3.10) cleared although QEMU's "-cpu max" has
 * them all. XSAVE may be offered only as Xen offers it: with OSXSAVE set
 * and XGETBV/XSETBV usable (XSETBV emulated from its #GP); otherwise
 * XSAVE, OSXSAVE and AVX are all hidden. A bad forced prefix stays a #UD
 * at the ud2.
 */
#include "check.h"
#include "probes.h"

enum { EAX, EBX, ECX, EDX };

static uint32_t r[4];

static void cpuid(uint32_t leaf, uint32_t sub)
{
	trap_reset();
	trap_expect(6); /* not emulated: counted instead of crashing the guest */
	probe_xen_cpuid(leaf, sub, r);
	trap_unexpect(6);
	check_eq(name_of("cpuid.%#x.%u.emulated", leaf, sub), 0, trap_count);
}

static void hidden(const char *name, int reg, unsigned int bit)
{
	check_bits(name_of("cpuid.hidden.%s", name), 1u << bit, 0, r[reg]);
}

int main(void)
{
	uint32_t max_basic;

	check_guest(GUEST_NAME);

	cpuid(0x40000000, 0);
	check_hex("cpuid.0x40000000.eax_max_leaf", 0x40000005, r[EAX]);
	check_hex("cpuid.0x40000000.ebx_XenV", 0x566e6558, r[EBX]);
	check_hex("cpuid.0x40000000.ecx_MMXe", 0x65584d4d, r[ECX]);
	check_hex("cpuid.0x40000000.edx_nVMM", 0x4d4d566e, r[EDX]);
	cpuid(0x40000001, 0);
	check_hex("cpuid.0x40000001.eax_version_as_xen_version",
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL), r[EAX]);
	cpuid(0x40000002, 0);
	check_hex("cpuid.0x40000002.eax_hypercall_pages", 1, r[EAX]);
	check_hex("cpuid.0x40000002.ebx_msr_base", 0x40000000, r[EBX]);
	/* Linux scans in steps of 0x100: no second signature. */
	cpuid(0x40000100, 0);
	check_hex("cpuid.0x40000100.no_signature_ebx", 0, r[EBX]);

	cpuid(0, 0);
	max_basic = r[EAX];
	cpuid(1, 0);
	check_bits("cpuid.1.ecx_hypervisor_bit", 1u << 31, 1u << 31, r[ECX]);
	hidden("vmx", ECX, 5);
	hidden("pcid", ECX, 17);
	hidden("x2apic", ECX, 21);
	hidden("tsc_deadline", ECX, 24);
	hidden("monitor", ECX, 3);
	hidden("vme", EDX, 1);
	hidden("pse", EDX, 3);
	hidden("mtrr", EDX, 12);
	hidden("pge", EDX, 13);
	hidden("pse36", EDX, 17);
	if (r[ECX] & (1u << 26)) {
		uint64_t xcr0;

		check_bits("cpuid.xsave_offered.osxsave_set", 1u << 27, 1u << 27, r[ECX]);
		trap_reset();
		trap_expect(6);
		trap_expect(13);
		xcr0 = probe_xgetbv();
		check_eq("cpuid.xsave_offered.xgetbv_works", 0, trap_count);
		check_bits("cpuid.xsave_offered.xcr0_x87_sse", 3, 3, xcr0);
		probe_xsetbv(xcr0);
		check_eq("cpuid.xsave_offered.xsetbv_emulated", 0, trap_count);
		probe_xsetbv(0); /* x87 off: invalid, a #GP for the guest */
		check_eq("cpuid.xsave_offered.xsetbv_invalid_gp", 13, last_trap.vector);
		check_hex("cpuid.xsave_offered.xcr0_unchanged", xcr0, probe_xgetbv());
		trap_unexpect(6);
		trap_unexpect(13);
	} else {
		hidden("osxsave_without_xsave", ECX, 27);
		hidden("avx_without_xsave", ECX, 28);
	}
	if (max_basic >= 7) {
		cpuid(7, 0);
		hidden("smep", EBX, 7);
		hidden("invpcid", EBX, 10);
		hidden("smap", EBX, 20);
		hidden("umip", ECX, 2);
		hidden("pku", ECX, 3);
		hidden("la57", ECX, 16);
	} else {
		check_skip("cpuid.7", "the CPU has no leaf 7");
	}
	cpuid(0x80000001, 0);
	hidden("page1gb", EDX, 26);
	hidden("svm", ECX, 2);

	trap_reset();
	trap_expect(6);
	probe_forced_not_cpuid();
	trap_unexpect(6);
	check_eq("cpuid.prefix_without_cpuid.ud", 6, last_trap.vector);
	check_hex("cpuid.prefix_without_cpuid.rip_at_ud2", probe_at, last_trap.rip);
	return check_done();
}
