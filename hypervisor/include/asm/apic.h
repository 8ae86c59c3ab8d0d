/*
 * The local APIC of each CPU, in xAPIC (MMIO) or x2APIC (MSR) mode: one
 * mode for the whole machine, chosen on the boot CPU.
 */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <mica/types.h>

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16. */
#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ESR 0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF 0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0

#define APIC_SVR_ENABLE (1u << 8)

#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_ACTIVE_LOW (1u << 13)
#define APIC_LVT_DM_NMI (4u << 8)
#define APIC_LVT_TIMER_ONESHOT (0u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)

#define APIC_TIMER_DIV_1 0xb

#define APIC_ICR_DM_FIXED (0u << 8)
#define APIC_ICR_DM_INIT (5u << 8)
#define APIC_ICR_DM_STARTUP (6u << 8)
#define APIC_ICR_BUSY (1u << 12)
#define APIC_ICR_ASSERT (1u << 14)

#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)

#define MSR_TSC_DEADLINE 0x6e0

/* True once the boot CPU chose x2APIC mode (every CPU then uses it). */
extern bool apic_x2apic;

/*
 * Chooses the mode (x2APIC if the firmware left it on, or if the CPU has
 * it and "x2apic=0" was not given; xAPIC otherwise), maps the xAPIC page
 * from acpi_info.lapic_addr with map_mmio(), masks the legacy 8259 PICs
 * and sets up the boot CPU's local APIC as apic_init_cpu() does.
 * Boot CPU only, after acpi_init() and paging_init().
 */
void apic_init_bsp(void);

/*
 * Sets up the running CPU's local APIC: enabled in the chosen mode with
 * the spurious vector, TPR 0, LINT0 masked and LINT1 masked or NMI as the
 * MADT says, the error LVT on its vector, other LVTs and the timer masked,
 * errors cleared. Interrupts must be off.
 */
void apic_init_cpu(void);

/* APIC ID of the running CPU (8 bits in xAPIC mode, 32 in x2APIC mode). */
u32 apic_id(void);

u32 apic_read(unsigned int reg);
void apic_write(unsigned int reg, u32 v);

/* Signals end of interrupt for the vector being serviced. */
void apic_eoi(void);

/*
 * Sends an IPI with the ICR low word icr_low (delivery mode, vector and
 * flags) to the CPU with APIC ID dest. In xAPIC mode, waits for delivery
 * (at most about 10 ms); returns 0, or -ETIME if the APIC stayed busy,
 * or -EINVAL if dest cannot be addressed in this mode. Any context.
 */
int apic_send_ipi(u32 dest, u32 icr_low);

/* Reads and clears the error status register; returns the errors seen. */
u32 apic_clear_errors(void);

#endif
