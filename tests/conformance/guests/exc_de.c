/*
 * Vector 0, #DE: a fault (RIP at the division) without error code, for a
 * 64-bit and an 8-bit division by zero and for a quotient that does not
 * fit (INT64_MIN / -1), with the kernel's event mask saved in CS bits
 * 39:32 (masked here: 1; and once with events unmasked: 0).
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

int main(void)
{
	check_guest(GUEST_NAME);
	frame_expect(0);
	probe_div0();
	frame_check("exc_de.div64_by_zero", 0, 0, FRAME_FAULT, 1);
	frame_expect(0);
	probe_div8_zero();
	frame_check("exc_de.div8_by_zero", 0, 0, FRAME_FAULT, 1);
	frame_expect(0);
	probe_idiv_overflow();
	frame_check("exc_de.idiv_overflow", 0, 0, FRAME_FAULT, 1);
	iret_set_mask(0);
	frame_expect(0);
	probe_div0();
	frame_check("exc_de.events_unmasked", 0, 0, FRAME_FAULT, 0);
	iret_set_mask(1);
	return check_done();
}
