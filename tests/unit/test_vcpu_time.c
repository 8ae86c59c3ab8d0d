/*
 * Unit tests for guest time (hypervisor/common/vcpu_time.c): the pvclock
 * scale, dates, the records a new domain starts with, the version
 * protocol, moving vcpu_info, the singleshot / set_timer_op / periodic
 * timers and the runstate area. Timers, events and guest memory are
 * simulated; the TSC is the host's.
 */
/* unit-sources: hypervisor/common/vcpu_time.c hypervisor/common/lib/string.c */
#include <stdlib.h>
#include <time.h>

#include "check.h"

#include <asm/time.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/sched.h>
#include <mica/timer.h>
#include <mica/vcpu_time.h>
#include <pv/event_channel.h>
#include <pv/vcpu.h>
#include <pv/xen.h>

/* ---- The simulated hypervisor ---- */

u64 tsc_hz;
static u64 rtc_seconds = 1700000000;
static struct vcpu *cur;
static int timer_virqs[MAX_VCPUS_PER_DOMAIN];

static u64 host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static u64 boot_ns;

u64 now_ns(void)
{
	return host_ns() - boot_ns;
}

u64 arch_rtc_read_seconds(void)
{
	return rtc_seconds;
}

void printk(int level, const char *fmt, ...)
{
}

u64 arch_irq_save(void)
{
	return 0;
}

void arch_irq_restore(u64 flags)
{
}

struct vcpu *current_vcpu(void)
{
	return cur;
}

bool vcpu_runnable(const struct vcpu *v)
{
	return !v->pause_flags;
}

void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq)
{
	if (virq == VIRQ_TIMER)
		timer_virqs[v->id]++;
}

void timer_init(struct timer *t, void (*fn)(void *data), void *data, unsigned int cpu)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->data = data;
	t->cpu = cpu;
}

void set_timer(struct timer *t, u64 expires)
{
	t->expires = expires;
	t->active = true;
}

void stop_timer(struct timer *t)
{
	t->active = false;
}

void migrate_timer(struct timer *t, unsigned int cpu)
{
	t->cpu = cpu;
}

bool guest_range_ok(u64 va, size_t len)
{
	return va + len >= va && va >= 0x10000;
}

int copy_to_guest(u64 dst, const void *src, size_t len)
{
	if (!guest_range_ok(dst, len))
		return -EFAULT;
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

void *hv_zalloc(size_t size)
{
	size_t rounded = (size + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, rounded);

	if (p)
		memset(p, 0, rounded);
	return p;
}

void hv_free(void *p, size_t size)
{
	free(p);
}

/* Roughly the host TSC's rate, so guest time and now_ns() agree as they do on metal. */
static void calibrate(void)
{
	u64 t0 = rdtsc(), n0 = host_ns(), t1, n1;

	do {
		t1 = rdtsc();
		n1 = host_ns();
	} while (n1 - n0 < 20000000);
	tsc_hz = (t1 - t0) * 1000000000ULL / (n1 - n0);
	boot_ns = host_ns();
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static struct domain *dom;

static void make_domain(unsigned int nr_vcpus)
{
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		abort();
	dom->max_vcpus = nr_vcpus;
	dom->shared_info = aligned_alloc(4096, 4096);
	if (!dom->shared_info)
		abort();
	memset(dom->shared_info, 0, 4096);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct vcpu *v = aligned_alloc(64, (sizeof(*v) + 63) & ~(size_t)63);

		if (!v)
			abort();
		memset(v, 0, sizeof(*v));
		v->id = i;
		v->domain = dom;
		v->processor = 0;
		v->pause_flags = i ? VPF_DOWN : 0;
		v->arch.kernel_mode = true;
		v->vcpu_info = &dom->shared_info->vcpu_info[i];
		dom->vcpus[i] = v;
	}
	memset(timer_virqs, 0, sizeof(timer_virqs));
	cur = dom->vcpus[0];
	REQUIRE_EQ(vcpu_time_domain_init(dom), 0);
}

static void free_domain(void)
{
	if (!dom)
		return;
	vcpu_time_domain_destroy(dom);
	for (unsigned int i = 0; i < dom->max_vcpus; i++)
		free(dom->vcpus[i]);
	free(dom->shared_info);
	free(dom);
	dom = NULL;
}

#define CASE(name) \
	static void name##_body(void); \
	static void name(void) { free_domain(); make_domain(2); name##_body(); free_domain(); } \
	static void name##_body(void)

/* The vcpu_timers record is private: reach its two timers by their functions' data. */
static struct timer *find_timer(struct vcpu *v, int which)
{
	u8 *base = v->timer_priv;
	int seen = 0;

	for (size_t off = 0; off + sizeof(struct timer) <= 512; off += 8) {
		struct timer *t = (struct timer *)(base + off);

		if (t->data == v->timer_priv && t->fn && seen++ == which)
			return t;
	}
	return NULL;
}

#define SINGLESHOT 0
#define PERIODIC 1

static void fire(struct timer *t)
{
	t->active = false;
	t->fn(t->data);
}

/* What a guest computes from its record. */
static u64 guest_read(const struct vcpu_time_info *t)
{
	return t->system_time + pvclock_scale(rdtsc() - t->tsc_timestamp, t->tsc_to_system_mul,
					      t->tsc_shift);
}

/* ---- Cases ---- */

static void pvclock_scale_is_exact_enough(void)
{
	static const u64 rates[] = {
		1000000, 100000000, 999999999, 1000000000, 1000000001, 1500000000,
		2000000000, 2000000001, 2100000000, 2999999999ULL, 3000000000ULL,
		4000000000ULL, 5300000000ULL, 10000000000ULL,
	};

	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		u64 hz = rates[i], hour_ns = 3600ULL * 1000000000ULL, got, err;
		u32 mul;
		s8 shift;

		pvclock_scale_for(hz, &mul, &shift);
		CHECK_MSG(mul >= 0x80000000u, "%llu Hz: mul %#x not normalised",
			  (unsigned long long)hz, mul);
		/* One hour of ticks is one hour, to within a microsecond. */
		got = pvclock_scale(hz * 3600, mul, shift);
		err = got > hour_ns ? got - hour_ns : hour_ns - got;
		CHECK_MSG(err < 1000, "%llu Hz: an hour reads %llu ns", (unsigned long long)hz,
			  (unsigned long long)got);
		CHECK_EQ(pvclock_scale(0, mul, shift), 0);
	}
}

static void dates_to_unix_seconds(void)
{
	CHECK_EQ(unix_seconds(1970, 1, 1, 0, 0, 0), 0);
	CHECK_EQ(unix_seconds(1999, 12, 31, 23, 59, 59), 946684799);
	CHECK_EQ(unix_seconds(2000, 2, 29, 0, 0, 0), 951782400);
	CHECK_EQ(unix_seconds(2000, 3, 1, 0, 0, 0), 951868800);
	CHECK_EQ(unix_seconds(2024, 2, 29, 12, 34, 56), 1709210096);
	CHECK_EQ(unix_seconds(2038, 1, 19, 3, 14, 8), 2147483648ULL);
	CHECK_EQ(unix_seconds(2100, 3, 1, 0, 0, 0), 4107542400ULL);
	CHECK_EQ(unix_seconds(2199, 12, 31, 23, 59, 59), 7258118399ULL);
}

CASE(new_domain_has_valid_time)
{
	const struct shared_info *s = dom->shared_info;
	u64 wc;

	for (unsigned int i = 0; i < 2; i++) {
		const struct vcpu_time_info *t = &dom->vcpus[i]->vcpu_info->time;

		CHECK(t->tsc_to_system_mul != 0);
		CHECK_EQ(t->version & 1, 0);
		CHECK(t->version != 0);
		/* The guest's reading is the hypervisor's guest clock. */
		u64 g = guest_read(t), h = guest_system_time();

		CHECK_MSG(g <= h && h - g < 1000000, "guest reads %llu, hypervisor %llu",
			  (unsigned long long)g, (unsigned long long)h);
	}
	CHECK_EQ(s->wc_version & 1, 0);
	CHECK(s->wc_version != 0);
	CHECK(s->wc_nsec < 1000000000);
	CHECK_EQ(s->wc_sec_hi, 0);
	/* Wall clock + system time = the RTC's time (read at boot), within a second. */
	wc = (s->wc_sec * 1000000000ULL + s->wc_nsec + guest_system_time()) / 1000000000ULL;
	CHECK_MSG(wc >= rtc_seconds && wc <= rtc_seconds + 1, "wall clock %llu",
		  (unsigned long long)wc);
	CHECK(guest_time_to_boot_ns(0) <= now_ns());
}

CASE(version_protocol)
{
	struct vcpu_time_info *t = &dom->vcpus[0]->vcpu_info->time;
	u32 before = t->version;

	vcpu_time_update(dom->vcpus[0]);
	CHECK_EQ(t->version, before + 2);
	/* Whatever the guest scribbled, the result is even and the record whole again. */
	t->version = 7;
	t->tsc_to_system_mul = 0;
	vcpu_time_update(dom->vcpus[0]);
	CHECK_EQ(t->version, 10);
	CHECK(t->tsc_to_system_mul != 0);
	t->version = 0xffffffff;
	vcpu_time_update(dom->vcpus[0]);
	CHECK_EQ(t->version & 1, 0);
}

CASE(vcpu_info_moves_once)
{
	static struct vcpu_info area[2] __attribute__((aligned(64)));
	struct vcpu *v = dom->vcpus[1];

	v->vcpu_info->evtchn_upcall_mask = 1;
	v->vcpu_info->evtchn_pending_sel = 4;
	CHECK_EQ(vcpu_info_move(v, &area[0], 1234), 0);
	CHECK(v->vcpu_info == &area[0]);
	CHECK_EQ(v->vcpu_info_mfn, 1234);
	CHECK_EQ(area[0].evtchn_upcall_mask, 1);
	CHECK_EQ(area[0].evtchn_upcall_pending, 1);
	CHECK_EQ(area[0].evtchn_pending_sel, ~0ULL);
	CHECK(area[0].time.tsc_to_system_mul != 0);
	CHECK_EQ(area[0].time.version & 1, 0);
	CHECK_EQ(vcpu_info_move(v, &area[1], 99), -EBUSY);
	CHECK(v->vcpu_info == &area[0]);
	/* Updates go to the new place. */
	area[0].time.tsc_to_system_mul = 0;
	vcpu_time_update(v);
	CHECK(area[0].time.tsc_to_system_mul != 0);
}

CASE(singleshot_timer)
{
	struct vcpu *v = dom->vcpus[0];
	struct timer *t = find_timer(v, SINGLESHOT);
	u64 now;

	REQUIRE(t);
	/* Past: fires at once. */
	CHECK_EQ(vcpu_set_singleshot_timer(v, 1, 0), 0);
	CHECK(t->active);
	CHECK(t->expires <= now_ns());
	fire(t);
	CHECK_EQ(timer_virqs[0], 1);
	/* Past with FUTURE: refused, nothing armed. */
	CHECK_EQ(vcpu_set_singleshot_timer(v, 1, VCPU_SSHOTTMR_future), -ETIME);
	CHECK(!t->active);
	/* Ahead: armed by distance; an early expiry re-arms without an event. */
	{
		u64 b0 = now_ns(), b1;

		now = guest_system_time();
		CHECK_EQ(vcpu_set_singleshot_timer(v, now + 5000000000ULL, VCPU_SSHOTTMR_future), 0);
		b1 = now_ns();
		CHECK(t->active);
		CHECK(t->expires + (b1 - b0) + 1000000 >= b0 + 5000000000ULL);
		CHECK(t->expires <= b1 + 5000000000ULL + 1000000);
	}
	fire(t);
	CHECK(t->active);
	CHECK_EQ(timer_virqs[0], 1);
	vcpu_stop_singleshot_timer(v);
	CHECK(!t->active);
	fire(t); /* a stale expiry after a stop sends nothing */
	CHECK_EQ(timer_virqs[0], 1);
	/* Far ahead: the hardware is never armed further than about 18 minutes. */
	CHECK_EQ(vcpu_set_singleshot_timer(v, ~0ULL, 0), 0);
	CHECK(t->expires < now_ns() + (1ULL << 41));
	vcpu_stop_singleshot_timer(v);
	/* It fires for real once its time has come. */
	CHECK_EQ(vcpu_set_singleshot_timer(v, guest_system_time() + 2000000, 0), 0);
	sleep_ms(3);
	fire(t);
	CHECK_EQ(timer_virqs[0], 2);
	CHECK(!t->active);
}

CASE(set_timer_op_rules)
{
	struct vcpu *v = dom->vcpus[0];
	struct timer *t = find_timer(v, SINGLESHOT);
	u64 now;

	REQUIRE(t);
	cur = v;
	CHECK_EQ(do_set_timer_op(guest_system_time() + 30000000), 0);
	CHECK(t->active);
	CHECK_EQ(do_set_timer_op(0), 0);
	CHECK(!t->active);
	CHECK_EQ(do_set_timer_op(5), 0); /* past: at once */
	CHECK(t->expires <= now_ns());
	/* More than 2^50 ns away, or "negative": 100 ms from now, as on Xen. */
	now = now_ns();
	CHECK_EQ(do_set_timer_op(guest_system_time() + (1ULL << 51)), 0);
	CHECK(t->expires >= now + 50000000 && t->expires <= now_ns() + 100000000);
	now = now_ns();
	CHECK_EQ(do_set_timer_op(1ULL << 63), 0);
	CHECK(t->expires >= now + 50000000 && t->expires <= now_ns() + 100000000);
	CHECK_EQ(do_set_timer_op(0), 0);
}

CASE(periodic_timer)
{
	struct vcpu *v = dom->vcpus[0];
	struct timer *t = find_timer(v, PERIODIC);

	REQUIRE(t);
	/* Only while on a CPU: the default 10 ms tick starts at switch-in. */
	CHECK(!t->active);
	vcpu_time_switch_in(v);
	CHECK(t->active);
	CHECK(t->expires <= now_ns() + 10000000);
	vcpu_time_switch_out(v);
	CHECK(!t->active);
	/* A tick missed while away is sent at switch-in. */
	sleep_ms(11);
	vcpu_time_switch_in(v);
	CHECK_EQ(timer_virqs[0], 1);
	sleep_ms(11);
	fire(t);
	CHECK_EQ(timer_virqs[0], 2);
	CHECK(t->active);
	CHECK_EQ(vcpu_set_periodic_timer(v, 1000000000), 0);
	fire(t); /* early: re-armed, no tick */
	CHECK_EQ(timer_virqs[0], 2);
	CHECK(t->active);

	CHECK_EQ(vcpu_set_periodic_timer(v, 999999), -EINVAL);
	CHECK_EQ(vcpu_set_periodic_timer(v, 1ULL << 63), -EINVAL);
	CHECK_EQ(vcpu_set_periodic_timer(v, 0), 0);
	CHECK(!t->active);
	fire(t);
	CHECK_EQ(timer_virqs[0], 2);
	CHECK_EQ(vcpu_set_periodic_timer(v, 5000000), 0);
	CHECK(t->active);
	CHECK(t->expires <= now_ns() + 5000000);
	vcpu_time_switch_out(v);
	fire(t); /* a tick already queued when it left: nothing */
	CHECK_EQ(timer_virqs[0], 2);
}

CASE(timers_follow_the_vcpu)
{
	struct vcpu *v = dom->vcpus[0];

	CHECK_EQ(find_timer(v, SINGLESHOT)->cpu, 0);
	v->processor = 3;
	vcpu_time_switch_in(v);
	CHECK_EQ(find_timer(v, SINGLESHOT)->cpu, 3);
	CHECK_EQ(find_timer(v, PERIODIC)->cpu, 3);
	vcpu_time_switch_out(v);
}

CASE(runstate_area)
{
	static struct vcpu_runstate_info area __attribute__((aligned(64)));
	struct vcpu_runstate_info rs;
	struct vcpu *v = dom->vcpus[0], *v1 = dom->vcpus[1];
	u64 gva = (u64)(uintptr_t)&area;

	memset(&area, 0xff, sizeof(area));
	cur = v;
	CHECK_EQ(vcpu_register_runstate_area(v, 0x10), -EFAULT);
	CHECK_EQ(vcpu_register_runstate_area(v, gva), 0);
	CHECK_EQ(area.state, RUNSTATE_runnable); /* written at once */
	CHECK_EQ(area.state_entry_time & XEN_RUNSTATE_UPDATE, 0);

	vcpu_time_switch_in(v);
	CHECK_EQ(area.state, RUNSTATE_running);
	v->pause_flags |= VPF_BLOCKED;
	vcpu_time_switch_out(v);
	CHECK_EQ(area.state, RUNSTATE_blocked);
	v->pause_flags = 0;

	/* Not written while the guest is in user mode: only its own kernel map has the area. */
	v->arch.kernel_mode = false;
	vcpu_time_switch_in(v);
	CHECK_EQ(area.state, RUNSTATE_blocked);
	v->arch.kernel_mode = true;
	vcpu_time_switch_out(v);
	CHECK_EQ(area.state, RUNSTATE_runnable);

	/* With the update-flag assist the flag is clear again when done. */
	dom->vm_assist |= 1ULL << VMASST_TYPE_runstate_update_flag;
	vcpu_time_switch_in(v);
	CHECK_EQ(area.state, RUNSTATE_running);
	CHECK_EQ(area.state_entry_time & XEN_RUNSTATE_UPDATE, 0);
	sleep_ms(2);
	vcpu_get_runstate(v, &rs);
	CHECK_EQ(rs.state, RUNSTATE_running);
	CHECK(rs.time[RUNSTATE_running] >= 2000000);
	vcpu_time_switch_out(v);

	/* A down vCPU is offline; another vCPU of the domain may register for it. */
	vcpu_get_runstate(v1, &rs);
	CHECK_EQ(rs.state, RUNSTATE_offline);
	{
		static struct vcpu_runstate_info area1 __attribute__((aligned(64)));

		CHECK_EQ(vcpu_register_runstate_area(v1, (u64)(uintptr_t)&area1), 0);
		CHECK_EQ(area1.state, RUNSTATE_offline);
		CHECK_EQ(vcpu_register_runstate_area(v1, 0), 0); /* 0 stops it */
	}
}

int main(void)
{
	calibrate();
	vcpu_time_boot_init();
	RUN(pvclock_scale_is_exact_enough);
	RUN(dates_to_unix_seconds);
	RUN(new_domain_has_valid_time);
	RUN(version_protocol);
	RUN(vcpu_info_moves_once);
	RUN(singleshot_timer);
	RUN(set_timer_op_rules);
	RUN(periodic_timer);
	RUN(timers_follow_the_vcpu);
	RUN(runstate_area);
	free_domain();
	return check_done();
}
