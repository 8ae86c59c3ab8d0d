/*
 * Time: the system time the hypervisor publishes in vcpu_info (a seqlock:
 * an odd version means it is being rewritten), extrapolated with the TSC;
 * and the one-shot timer that raises VIRQ_TIMER.
 */
#include <pv/vcpu.h>

#include "internal.h"

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

uint64_t pv_time_ns(void)
{
	struct vcpu_info *vi = pv_vcpu_info();
	const struct vcpu_time_info *t;
	uint64_t stamp, system, tsc, delta;
	uint32_t version, mul;
	int8_t shift;

	if (!vi)
		return 0;
	t = &vi->time;
	do {
		version = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
		stamp = t->tsc_timestamp;
		system = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		tsc = rdtsc();
		pv_barrier();
	} while ((version & 1) || version != __atomic_load_n(&t->version, __ATOMIC_ACQUIRE));
	delta = tsc - stamp;
	delta = shift >= 0 ? delta << shift : delta >> -shift;
	return system + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

long pv_timer_set(uint64_t deadline_ns)
{
	struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline_ns, .flags = 0 };
	long rc;

	if (deadline_ns)
		rc = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, pv_vcpu_id(), &t);
	else
		rc = HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, pv_vcpu_id(), NULL);
	if (rc == -XEN_ENOSYS)
		rc = HYPERVISOR_set_timer_op(deadline_ns);
	return rc;
}
