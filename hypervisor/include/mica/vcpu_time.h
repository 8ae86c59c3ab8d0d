/*
 * Guest time: the clock PV guests read (vcpu_time_info in each vcpu_info,
 * the wall clock in shared_info), their timers (set_timer_op, VCPUOP
 * singleshot and periodic, all ending in VIRQ_TIMER), and the runstate
 * record. Implemented in common/vcpu_time.c.
 *
 * Guest system time is nanoseconds since the hypervisor booted, computed
 * by the guest from the TSC with the scale published in vcpu_time_info.
 * It runs at the same rate as now_ns() but is its own clock: convert with
 * guest_time_to_boot_ns() before arming a timer.
 */
#ifndef MICA_VCPU_TIME_H
#define MICA_VCPU_TIME_H

#include <mica/types.h>

struct domain;
struct vcpu;
struct vcpu_info;
struct vcpu_runstate_info;

/*
 * Boot, once, on the boot CPU after time_init(): fixes the guest clock's
 * TSC scale and reads the wall clock from the RTC.
 */
void vcpu_time_boot_init(void);

/*
 * Per domain, after evtchn_domain_init(): timer and runstate state for
 * every vCPU, a valid vcpu_time_info in every vcpu_info, and the wall
 * clock in shared_info. So a domain's clock is readable before it first
 * runs. 0 or -ENOMEM. destroy stops the timers and frees the state; d's
 * vCPUs must no longer run.
 */
int vcpu_time_domain_init(struct domain *d);
void vcpu_time_domain_destroy(struct domain *d);

/* The guest clock now, and a guest-time deadline as a boot-time one (now if past). */
u64 guest_system_time(void);
u64 guest_time_to_boot_ns(u64 guest_ns);

/* Rewrites v's vcpu_time_info under the odd/even version protocol; v has its timers. Any CPU. */
void vcpu_time_update(struct vcpu *v);

/*
 * Moves v's vcpu_info to vi (VCPUOP_register_vcpu_info; mfn is its frame):
 * copies the old record over, serialised with time updates, then marks an
 * upcall pending with every pending_sel bit set, so no event raised
 * meanwhile is lost. 0, or -EBUSY if v already moved it (once only).
 */
int vcpu_info_move(struct vcpu *v, struct vcpu_info *vi, u64 mfn);
/*
 * Domain destruction, once v no longer runs and its events are closed:
 * drops the frame reference of a vcpu_info the guest registered (in
 * common/vcpu_op.c). v->vcpu_info is NULL afterwards.
 */
void vcpu_info_release(struct vcpu *v);

/*
 * Scheduler hooks, around context_switch() in schedule(), interrupts off;
 * NULL (idle) is allowed. switch_out: prev is still loaded on this CPU;
 * it stops prev's periodic tick and records its new runstate.
 * switch_in: next is loaded; its timers move to this CPU, its clock
 * record is refreshed, its periodic tick restarts (a missed tick is sent
 * at once) and its runstate becomes running.
 */
void vcpu_time_switch_out(struct vcpu *prev);
void vcpu_time_switch_in(struct vcpu *next);

/*
 * Timers of v, in guest system time. singleshot: 0 or -ETIME (with
 * VCPU_SSHOTTMR_future, for a deadline already past); a past deadline
 * fires at once. periodic: 0 or -EINVAL (period under 1 ms, or absurd);
 * a period of 0 stops it. VIRQ_TIMER goes to v at expiry.
 */
int vcpu_set_singleshot_timer(struct vcpu *v, u64 deadline, u32 flags);
void vcpu_stop_singleshot_timer(struct vcpu *v);
int vcpu_set_periodic_timer(struct vcpu *v, u64 period_ns);

/* v's runstate record now (VCPUOP_get_runstate_info). */
void vcpu_get_runstate(struct vcpu *v, struct vcpu_runstate_info *out);
/*
 * Where v's runstate record is copied from now on (a guest kernel virtual
 * address; 0 stops it), written at once through the caller's address
 * space. 0 or -EFAULT for an address no guest may name.
 */
int vcpu_register_runstate_area(struct vcpu *v, u64 gva);

/*
 * The pvclock scale for a TSC of hz ticks per second: ns = ((ticks
 * shifted left by shift, or right if negative) * mul) >> 32, with mul
 * in [2^31, 2^32) for the best precision. And the conversion itself.
 */
void pvclock_scale_for(u64 hz, u32 *mul, s8 *shift);
u64 pvclock_scale(u64 ticks, u32 mul, s8 shift);

/* Seconds since 1970-01-01 00:00 UTC of a date and time (year >= 1970). */
u64 unix_seconds(unsigned int year, unsigned int month, unsigned int day,
		 unsigned int hour, unsigned int min, unsigned int sec);

/* Arch hook: the wall clock now, in Unix seconds, from the RTC; 0 if unreadable. */
u64 arch_rtc_read_seconds(void);

#endif
