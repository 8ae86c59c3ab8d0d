/*
 * Bringing up the machine's CPUs: ACPI discovery, the local APICs, the
 * clock and timers, and the secondary CPUs through INIT-SIPI-SIPI.
 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include <mica/types.h>

struct boot_info;

/*
 * The one call setup.c makes, on the boot CPU, once paging_init(), the
 * frame allocator, traps_init() and the boot CPU's cpu_desc_init() are
 * done, with time_init() already run. In order:
 *   acpi_init(bi)        MADT: CPUs, LAPIC address and NMI pins
 *   boot CPU's record    cpu_infos[0] = this_cpu(), nr_cpus_online = 1
 *   apic_init_bsp()      mode choice, LAPIC mapping, 8259s masked
 *   timer_init_cpu()     APIC timer calibrated against the TSC
 *   secondary CPUs       one at a time, each with its own stack block,
 *                        GDT/TSS, LAPIC and timer, then idling in hlt
 *   timer check          every online CPU must take one timer interrupt
 * and prints "SMP: <n> CPUs online". Honours "nosmp" and "maxcpus=N".
 * A CPU that does not come up is reported and left out. Returns with
 * interrupts as they were on entry.
 */
void smp_init(const struct boot_info *bi);

/*
 * The C entry of a secondary CPU, called by the trampoline on the CPU's
 * own stack block (its cpu_info filled in by the boot CPU), on the idle
 * page tables, interrupts off. Never returns.
 */
void ap_start(void) __noreturn;

#endif
