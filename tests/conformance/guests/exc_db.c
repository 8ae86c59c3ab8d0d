/*
 * Vector 1, #DB, as a trap (RIP after the instruction that caused it, no
 * error code): a single step (an iret with RFLAGS.TF set, the next
 * instruction completes, then #DB with TF still set in the frame and
 * DR6.BS in the guest's DR6) and ICEBP (INT1, F1). The frame's RFLAGS
 * reports the TF of the interrupted code; the handler itself runs with TF
 * clear (it is not single-stepped: exactly one #DB per probe).
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

#define DR6_BS (1UL << 14)
#define DR6_DEFAULT 0xffff0ff0UL

int main(void)
{
	check_guest(GUEST_NAME);
	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	frame_expect(1);
	probe_single_step();
	/* probe_single_step's iret puts RCX/R11 in place for the frame only via the probe: skip them. */
	trap_unexpect(1);
	check_eq("exc_db.single_step.delivered_once", 1, trap_count);
	check_eq("exc_db.single_step.vector", 1, last_trap.vector);
	check_hex("exc_db.single_step.error_code", 0, last_trap.error_code);
	check_hex("exc_db.single_step.rip_after_the_nop", probe_after, last_trap.rip);
	check_hex("exc_db.single_step.cs", 0xe030UL | 1UL << 32, last_trap.cs);
	check_bits("exc_db.single_step.tf_in_frame", 0x100, 0x100, last_trap.rflags);
	check_hex("exc_db.single_step.rsp", probe_rsp, last_trap.rsp);
	check_bits("exc_db.single_step.dr6_bs", DR6_BS, DR6_BS, HYPERVISOR_get_debugreg(6));

	HYPERVISOR_set_debugreg(6, DR6_DEFAULT);
	frame_expect(1);
	probe_icebp();
	frame_check("exc_db.icebp", 1, 0, FRAME_TRAP, 1);
	check_bits("exc_db.icebp.tf_clear_in_frame", 0x100, 0, last_trap.rflags);
	check_bits("exc_db.icebp.dr6_no_bs", DR6_BS, 0, HYPERVISOR_get_debugreg(6));
	return check_done();
}
