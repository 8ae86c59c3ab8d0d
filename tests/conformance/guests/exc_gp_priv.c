/*
 * Vector 13, #GP(0) for the privileged instructions neither Xen nor Mica
 * emulates for a PV kernel (Xen: x86_emulate fails them in ring 3, or has
 * no hook for them in pv/emul-priv-op.c): LGDT, LIDT, LTR, SWAPGS,
 * SYSRET, INVLPG. Each is a fault at the instruction with error code 0,
 * and changes nothing. Also #GP(0) for a non-canonical store. (A call to
 * a non-canonical address faults at the call on Intel CPUs and at the
 * target on AMD's and QEMU's: the CPU's business, not checked here.)
 * And the instruction-length limit: a privileged instruction Mica emulates
 * (MOV from CR0) is emulated at 15 bytes and a #GP at 16 and 17.
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

static void one(const char *name, void (*probe)(void))
{
	frame_expect(13);
	probe();
	frame_check(name, 13, 0, FRAME_FAULT, 1);
}

int main(void)
{
	check_guest(GUEST_NAME);
	one("exc_gp_priv.lgdt", probe_lgdt);
	one("exc_gp_priv.lidt", probe_lidt);
	one("exc_gp_priv.ltr", probe_ltr);
	one("exc_gp_priv.swapgs", probe_swapgs);
	one("exc_gp_priv.sysret", probe_sysret);
	one("exc_gp_priv.invlpg", probe_invlpg);
	check_bits("exc_gp_priv.mov_cr0_15_bytes", 0x23, 0x23, probe_mov_cr0_15());
	one("exc_gp_priv.mov_cr0_16_bytes", probe_mov_cr0_16);
	one("exc_gp_priv.mov_cr0_17_bytes", probe_mov_cr0_17);
	frame_expect(13);
	probe_store(0xfff0000000000000UL);
	frame_check("exc_gp_priv.store_noncanonical", 13, 0, FRAME_FAULT, 1);
	/* The domain carries on: the GDT and IDT the CPU uses are the hypervisor's. */
	check_hex("exc_gp_priv.still_works", 0x40011,
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL));
	return check_done();
}
