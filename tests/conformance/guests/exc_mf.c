/*
 * Vector 16, #MF: an x87 exception left pending by FDIV of 1 by 0 with
 * the zero-divide exception unmasked is raised by the next waiting x87
 * instruction, FWAIT: a fault at the FWAIT, no error code (CR0.NE is set
 * for guests, so it is #MF, not an external interrupt).
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

int main(void)
{
	uint64_t cr0;

	check_guest(GUEST_NAME);
	/* The guest's view of CR0 (emulated MOV from CR0): NE and MP, as on Xen. */
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	check_bits("exc_mf.cr0_ne_mp", 0x22, 0x22, cr0);
	frame_expect(16);
	probe_x87_divzero();
	frame_check("exc_mf.x87_zero_divide", 16, 0, FRAME_FAULT, 1);
	/* Again: the state was reset after the first, so exactly one more. */
	frame_expect(16);
	probe_x87_divzero();
	frame_check("exc_mf.again", 16, 0, FRAME_FAULT, 1);
	return check_done();
}
