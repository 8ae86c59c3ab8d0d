/*
 * RDMSR/WRMSR from the guest kernel (ring 3): the hypervisor emulates the
 * segment bases, PAT and a few read-only MSRs from the #GP, and reflects
 * the #GP for everything else (Linux reads MSRs with exception fixups).
 */
#include "check.h"
#include "probes.h"

#define MSR_TSC 0x10
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define PV_PAT 0x0000050100070406UL /* WB WT UC- UC WC WP UC UC */

static uint64_t cell = 0x5555aaaa5555aaaaUL;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* RDMSR that must be emulated: value, and no #GP. */
static uint64_t rd(const char *name, uint32_t msr)
{
	uint64_t v;

	trap_reset();
	trap_expect(13);
	v = probe_rdmsr(msr);
	trap_unexpect(13);
	check_eq(name_of("msr.%s.no_gp", name), 0, trap_count);
	return v;
}

static void wr(const char *name, uint32_t msr, uint64_t value)
{
	trap_reset();
	trap_expect(13);
	probe_wrmsr(msr, value);
	trap_unexpect(13);
	check_eq(name_of("msr.%s.no_gp", name), 0, trap_count);
}

/* An access that must come back as #GP(0) at the instruction. */
static void gp(const char *name, bool write, uint32_t msr, uint64_t value)
{
	trap_reset();
	trap_expect(13);
	if (write)
		probe_wrmsr(msr, value);
	else
		probe_rdmsr(msr);
	trap_unexpect(13);
	check_eq(name_of("msr.%s.gp", name), 1, trap_count);
	check_hex(name_of("msr.%s.gp_error_code", name), 0, last_trap.error_code);
	check_hex(name_of("msr.%s.gp_rip", name), probe_at, last_trap.rip);
}

int main(void)
{
	uint64_t a = (uint64_t)(uintptr_t)&cell, t0, t1, tsc;

	check_guest(GUEST_NAME);

	check_hex("msr.pat", PV_PAT, rd("pat", MSR_PAT));
	check_bits("msr.efer.lme_lma", (1 << 8) | (1 << 10), (1 << 8) | (1 << 10), rd("efer", MSR_EFER));

	t0 = rdtsc();
	tsc = rd("tsc", MSR_TSC);
	t1 = rdtsc();
	check_eq("msr.tsc.between_rdtsc", 1, t0 <= tsc && tsc <= t1);

	/* The segment bases: written, read back, and in effect. */
	wr("fs_base.write", MSR_FS_BASE, a);
	check_hex("msr.fs_base.read", a, rd("fs_base.read", MSR_FS_BASE));
	check_hex("msr.fs_base.in_effect", cell, read_fs0());
	wr("gs_base.write", MSR_GS_BASE, a);
	check_hex("msr.gs_base.read", a, rd("gs_base.read", MSR_GS_BASE));
	check_hex("msr.gs_base.in_effect", cell, read_gs0());
	wr("kernel_gs_base.write", MSR_KERNEL_GS_BASE, a + 8);
	check_hex("msr.kernel_gs_base.read", a + 8, rd("kernel_gs_base.read", MSR_KERNEL_GS_BASE));
	check_hex("msr.kernel_gs_base.is_user_gs", cell, read_gs0());

	/* Linux's first instruction: WRMSR GS_BASE with EDX from CDQ (0xffffffff). */
	wr("gs_base.linux_startup", MSR_GS_BASE, 0xffffffff80000000UL | (a & 0x7fffffff));
	check_hex("msr.gs_base.linux_startup", 0xffffffff80000000UL | (a & 0x7fffffff),
		  rd("gs_base.linux_startup_read", MSR_GS_BASE));

	/* Non-canonical bases are a #GP, as on hardware, and change nothing. */
	gp("fs_base.noncanonical", true, MSR_FS_BASE, ADDR_NONCANONICAL);
	check_hex("msr.fs_base.unchanged", a, rd("fs_base.reread", MSR_FS_BASE));
	gp("gs_base.noncanonical", true, MSR_GS_BASE, ADDR_NONCANONICAL_LOW);
	gp("kernel_gs_base.noncanonical", true, MSR_KERNEL_GS_BASE, ADDR_NONCANONICAL);

	/* MSRs that do not exist for a PV guest. */
	gp("unknown_0x12345", false, 0x12345, 0);
	gp("unknown_0xc0011234", false, 0xc0011234, 0);
	gp("unknown_0xdeadbeef", false, 0xdeadbeef, 0);
	return check_done();
}
