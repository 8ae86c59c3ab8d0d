/*
 * Vector 6, #UD: a fault without error code at the instruction, for UD2,
 * LOCK on an instruction that cannot take it, and an AVX instruction
 * while the guest's XCR0 lacks AVX (if the hypervisor offers XSAVE). The
 * forced-emulation prefix on something that is not CPUID is also a plain
 * #UD. (INTO, #UD in 64-bit mode on hardware, runs as a no-op under
 * QEMU's TCG, so it is not used.)
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

/* vmovdqu %ymm0, %ymm0 with the probe layout */
void probe_avx(void);
__asm__(".text\n.globl probe_avx\nprobe_avx:\n"
	"	lea 2f(%rip), %rax\n	mov %rax, probe_after(%rip)\n"
	"	lea 1f(%rip), %rax\n	mov %rax, probe_at(%rip)\n"
	"	movabs $0x1111111111111111, %rcx\n	movabs $0x2222222222222222, %r11\n"
	"	mov %rsp, probe_rsp(%rip)\n"
	"1:	vmovdqu %ymm0, %ymm0\n"
	"2:	ret\n");

static void one(const char *name, void (*probe)(void))
{
	frame_expect(6);
	probe();
	frame_check(name, 6, 0, FRAME_FAULT, 1);
}

int main(void)
{
	uint32_t r[4];

	check_guest(GUEST_NAME);
	one("exc_ud.ud2", probe_ud2);
	one("exc_ud.lock_nop", probe_lock_nop);
	one("exc_ud.forced_prefix_not_cpuid", probe_forced_not_cpuid);

	trap_reset();
	trap_expect(6);
	probe_xen_cpuid(1, 0, r);
	trap_unexpect(6);
	if (trap_count == 0 && (r[2] & (1u << 26)) && (r[2] & (1u << 28))) {
		/* XSAVE and AVX offered, XCR0 still x87|SSE: AVX is #UD until XSETBV. */
		uint64_t xcr0 = probe_xgetbv();

		check_hex("exc_ud.avx.xcr0_without_avx", 3, xcr0 & 7);
		one("exc_ud.avx_without_xcr0", probe_avx);
		trap_reset();
		trap_expect(13);
		probe_xsetbv(7);
		trap_unexpect(13);
		check_eq("exc_ud.avx.xsetbv_enables", 0, trap_count);
		trap_reset();
		trap_expect(6);
		probe_avx();
		trap_unexpect(6);
		check_eq("exc_ud.avx.runs_after_xsetbv", 0, trap_count);
		probe_xsetbv(3);
	} else {
		check_skip("exc_ud.avx", "the hypervisor offers no AVX");
	}
	return check_done();
}
