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

/*
 * Loads selector sel into data segment register seg (ds, es, fs or gs).
 * A selector the CPU refuses (a guest's, after it changed its GDT)
 * leaves the null selector there instead. Evaluates to whether sel was
 * loaded.
 */
#define LOAD_DATA_SEG(seg, sel)                                         \
	({                                                              \
		int failed_ = 0;                                        \
		u32 sel_ = (sel);                                       \
		__asm__ volatile("1: movw %w1, %%" #seg "\n"            \
				 "2:\n"                                  \
				 FIXUP_ENTRY("1b", "3f")                \
				 ".pushsection .text.fixup, \"ax\"\n"    \
				 "3: movl $1, %0\n"                      \
				 "   xorl %k1, %k1\n"                    \
				 "   movw %w1, %%" #seg "\n"              \
				 "   jmp 2b\n"                           \
				 ".popsection\n"                         \
				 : "+r"(failed_), "+r"(sel_));          \
		!failed_;                                               \
	})

#endif
