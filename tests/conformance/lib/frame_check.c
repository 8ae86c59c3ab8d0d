/* Bounce-frame checks for the exc_* guests: see frame_check.h. */
#include <string.h>

#include "frame_check.h"

#define KERNEL_CS 0xe030UL
#define FLAT_SS 0xe02bUL

static unsigned int armed;

void frame_expect(unsigned int vector)
{
	trap_reset();
	armed = vector;
	trap_expect(vector);
}

void frame_check(const char *prefix, unsigned int vector, uint64_t error_code, int kind,
		 unsigned int mask)
{
	char p[64];

	trap_unexpect(armed);
	strncpy(p, prefix, sizeof(p) - 1);
	p[sizeof(p) - 1] = 0;
	check_eq(name_of("%s.delivered_once", p), 1, trap_count);
	check_eq(name_of("%s.vector", p), vector, last_trap.vector);
	check_hex(name_of("%s.error_code", p), error_code, last_trap.error_code);
	check_hex(name_of("%s.rip", p), kind == FRAME_TRAP ? probe_after : probe_at, last_trap.rip);
	check_hex(name_of("%s.cs_and_saved_mask", p), KERNEL_CS | (uint64_t)mask << 32, last_trap.cs);
	check_bits(name_of("%s.rflags_if_iopl", p), 0x3200, mask ? 0 : 0x200, last_trap.rflags);
	check_hex(name_of("%s.rsp", p), probe_rsp, last_trap.rsp);
	check_hex(name_of("%s.ss", p), FLAT_SS, last_trap.ss);
	check_hex(name_of("%s.rcx", p), PROBE_RCX, last_trap.rcx);
	check_hex(name_of("%s.r11", p), PROBE_R11, last_trap.r11);
	check_hex(name_of("%s.frame_base_aligned", p), probe_rsp & ~15UL, last_trap.frame_top);
}
