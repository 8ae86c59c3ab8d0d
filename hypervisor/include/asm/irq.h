/*
 * External interrupt vectors (32-255) and their dispatch. The IDT entry
 * stubs for those vectors save the registers and call do_irq(); the local
 * APIC's own sources and IPIs sit in the highest priority class.
 */
#ifndef ASM_IRQ_H
#define ASM_IRQ_H

#include <mica/types.h>

#define IRQ_VECTOR_TIMER 0xf0    /* local APIC timer */
#define IRQ_VECTOR_IPI_WAKE 0xf1 /* IPI: only wakes a halted CPU */
#define IRQ_VECTOR_IPI_STOP 0xf2 /* IPI: stop this CPU for good */
#define IRQ_VECTOR_TLB_FLUSH 0xf3 /* IPI: flush this CPU's TLB (arch/x86/pv/mm/tlb.c) */
#define IRQ_VECTOR_ERROR 0xfe    /* local APIC error */
#define IRQ_VECTOR_SPURIOUS 0xff /* local APIC spurious (no EOI) */

struct cpu_regs;

/*
 * Common entry for vectors 32-255, called by the entry stubs with
 * interrupts off, on the interrupted CPU's stack. Signals EOI (except
 * for the spurious vector) and then runs the handler for vector, so a
 * handler may switch away and return much later.
 */
void do_irq(struct cpu_regs *regs, unsigned int vector);

/*
 * Sends IPI vector to logical CPU cpu (an online CPU other than the
 * caller). Returns 0, or a negative errno from apic_send_ipi().
 */
int send_ipi(unsigned int cpu, unsigned int vector);

/*
 * Stops every other online CPU with IRQ_VECTOR_IPI_STOP (for panic and
 * the final halt). Does not wait for them. Any context, any CPU.
 */
void smp_send_stop(void);

#endif
