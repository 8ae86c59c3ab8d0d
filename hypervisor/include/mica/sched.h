/*
 * The scheduler: which vCPU runs on each physical CPU. Round robin over a
 * per-CPU run queue with a fixed timeslice; a vCPU stays on the CPU it
 * was placed on. Work that must happen before returning to a guest is
 * requested with softirqs and done by do_softirqs() on that CPU.
 */
#ifndef MICA_SCHED_H
#define MICA_SCHED_H

#include <mica/types.h>

struct vcpu;

#define SOFTIRQ_TIMER (1u << 0)    /* run expired software timers */
#define SOFTIRQ_SCHEDULE (1u << 1) /* pick the next vCPU */

#define SCHED_TIMESLICE_NS 10000000ULL /* 10 ms */

/* Asks cpu to do work before it next returns to a guest (an IPI if it is not this CPU). */
void raise_softirq(unsigned int cpu, u32 bits);
/* Does this CPU's pending softirq work. Interrupts off. */
void do_softirqs(void);

/*
 * Chooses what runs next on this CPU and switches to it (or to idle).
 * Interrupts off; called from softirq work or by a hypercall that just
 * made the current vCPU unable to run.
 */
void schedule(void);

/* Places a new vCPU on a CPU (not yet runnable: it starts with VPF_DOWN or paused). */
void sched_add_vcpu(struct vcpu *v);
/* Takes a vCPU being destroyed off its run queue; it must not be running. */
void sched_remove_vcpu(struct vcpu *v);

/* Whether v may run now: no pause flags, not paused, its domain not paused or dead. */
bool vcpu_runnable(const struct vcpu *v);
/* Puts v on its run queue if it is runnable (after a pause flag was cleared). */
void vcpu_wake(struct vcpu *v);
/* Takes v off the CPU if it is no longer runnable (after a pause flag was set). */
void vcpu_sleep(struct vcpu *v);
/* Makes v notice new events soon: wakes it if blocked, interrupts it if running elsewhere. */
void vcpu_kick(struct vcpu *v);

/* Each CPU's last call at boot: idles until there is a vCPU to run. */
void cpu_idle_loop(void) __noreturn;

void sched_init(void);

#endif
