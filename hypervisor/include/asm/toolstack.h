/*
 * What the toolstack's hypercalls (common/domctl.c, common/sysctl.c) need
 * from the architecture: the hypercall page and the host's description.
 * Implemented in arch/x86/toolstack.c.
 */
#ifndef ASM_TOOLSTACK_H
#define ASM_TOOLSTACK_H

#include <mica/types.h>

struct xen_sysctl_physinfo;

/*
 * Fills the 4 KiB page at page with the hypercall page of a 64-bit PV
 * guest: one 32-byte stub per hypercall number wrapping `syscall`, the
 * iret stub at its slot, int3 everywhere else (pv/hypercall_nr.h).
 */
void arch_fill_hypercall_page(void *page);

/*
 * The architectural part of sysctl physinfo: CPU topology, the TSC rate
 * as cpu_khz, and hw_cap, the CPUID feature words in Xen's featureset
 * order. The caller fills the rest.
 */
void arch_physinfo(struct xen_sysctl_physinfo *pi);

#endif
