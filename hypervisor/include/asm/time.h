/*
 * Time: the TSC as the clock (calibrated once against the PIT), and a
 * one-shot per-CPU timer on the local APIC (TSC-deadline mode where the
 * CPU has it, else the APIC's own counter calibrated against the TSC).
 */
#ifndef ASM_TIME_H
#define ASM_TIME_H

#include <mica/types.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

/* TSC ticks per second; 0 until time_init() has run. */
extern u64 tsc_hz;

/*
 * Calibrates the TSC against PIT channel 2 (or takes its rate from CPUID
 * if there is no working PIT) and starts the boot clock: arch_boot_ns()
 * counts from here. Boot CPU only, once; needs nothing but port I/O and
 * interrupts off, so it may run as early as right after the console.
 */
void time_init(void);

/* Nanoseconds since time_init() (0 before); any CPU, any context. */
u64 arch_boot_ns(void);

/* Converts between TSC ticks and nanoseconds (valid after time_init()). */
u64 tsc_to_ns(u64 ticks);
u64 ns_to_tsc(u64 ns);

/* Busy-waits for at least us microseconds. After time_init() only. */
void udelay(u64 us);

/*
 * Sets up the running CPU's local APIC timer, one-shot and idle (on the
 * boot CPU, first measures the APIC timer's rate against the TSC unless
 * TSC-deadline mode is used). Call after apic_init_cpu(), interrupts off.
 */
void timer_init_cpu(void);

/*
 * Arms the running CPU's timer to interrupt at boot time deadline_ns
 * (a past deadline fires at once); 0 cancels. One timer per CPU: a new
 * deadline replaces the old. Any context on the CPU concerned.
 */
void timer_set_oneshot(u64 deadline_ns);

/*
 * Called in interrupt context, on the CPU whose deadline passed, with the
 * current boot time; the deadline is already cleared, so the hook may arm
 * the next one. Set once at boot (the scheduler); NULL means none.
 */
typedef void (*timer_hook_fn)(u64 now_ns);
void timer_set_hook(timer_hook_fn hook);

/* The timer vector's handler (from do_irq, after EOI, interrupts off). */
void timer_interrupt(void);

#endif
