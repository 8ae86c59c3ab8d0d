/*
 * Checks of the bounce frame a probe's trap produced (last_trap, from
 * trap_expect in probes.h), against the PV ABI notes section 3.4: the
 * trap came once, with this vector and error code (libpv's stubs put 0
 * where a vector has none); RIP at the probe's instruction (a fault) or
 * after it (a trap); CS 0xe030 (kernel interrupted: RPL cleared) with
 * the saved event mask in bits 39:32; RFLAGS.IF = !mask and IOPL 0; RSP
 * and SS as at the instruction; RCX and R11 as the probe loaded them;
 * the frame's base rounded down to 16 bytes.
 */
#ifndef CONFORMANCE_FRAME_CHECK_H
#define CONFORMANCE_FRAME_CHECK_H

#include <stdint.h>

#include "check.h"
#include "probes.h"

#define FRAME_FAULT 0 /* RIP at the instruction */
#define FRAME_TRAP 1  /* RIP after it */

/* Arms vector (trap_reset + trap_expect). */
void frame_expect(unsigned int vector);
/* The checks above, named <prefix>.<what>, after trap_unexpect(vector). */
void frame_check(const char *prefix, unsigned int vector, uint64_t error_code, int kind,
		 unsigned int mask);

#endif
