/*
 * Software timers: any number per CPU, multiplexed onto the CPU's single
 * one-shot hardware timer. A timer's function runs on its CPU, from the
 * timer softirq, with interrupts off; it may re-arm its own timer.
 */
#ifndef MICA_TIMER_H
#define MICA_TIMER_H

#include <mica/types.h>

struct timer {
	u64 expires;              /* boot time in ns */
	void (*fn)(void *data);
	void *data;
	unsigned int cpu;
	bool active;              /* queued on its CPU; guarded by that CPU's timer lock */
	struct timer *next;
};

void timer_init(struct timer *t, void (*fn)(void *data), void *data, unsigned int cpu);
/* (Re)arms t for boot time expires (a past time fires at the next softirq). */
void set_timer(struct timer *t, u64 expires);
/* Disarms t; when it returns, t's function is not pending (it may be running on t's CPU). */
void stop_timer(struct timer *t);
/* Moves an inactive or active timer to another CPU. */
void migrate_timer(struct timer *t, unsigned int cpu);

/* Boot time in nanoseconds. */
u64 now_ns(void);

/* Runs this CPU's expired timers and reprograms the hardware; the timer softirq. */
void timer_softirq_action(void);
/* Registers the hardware-timer hook; once, at boot. */
void timers_init(void);

#endif
