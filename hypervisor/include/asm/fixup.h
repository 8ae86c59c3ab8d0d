/*
 * Exception fixups: an instruction listed here may fault in the
 * hypervisor on purpose (it touches guest memory); the fault handler then
 * resumes at the paired address instead of reporting a hypervisor bug.
 */
#ifndef ASM_FIXUP_H
#define ASM_FIXUP_H

#include <mica/types.h>

#define FIXUP_ENTRY(from, to)                     \
	".pushsection .fixup_table, \"a\"\n"      \
	".balign 8\n"                             \
	".quad " from ", " to "\n"                \
	".popsection\n"

/* The resume address for a fault at rip, or 0 if rip has no fixup. */
u64 fixup_lookup(u64 rip);

#endif
