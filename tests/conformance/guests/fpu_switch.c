/*
 * FPU state across vCPU switches (run with 2 and with 4 vCPUs). Every
 * vCPU, vCPU 0 included, loads a pattern of its own into the x87 stack
 * (8 values), the x87 control word, MXCSR and XMM0-15 (YMM0-15 whole when
 * the hypervisor offers AVX: CPUID XSAVE, AVX and OSXSAVE, enabled with
 * XSETBV per vCPU), then many times over yields (SCHEDOP_yield), blocks
 * until a one-shot timer 1 ms ahead wakes it (SCHEDOP_block: its vCPU is
 * switched out, and the timer's upcall runs on it, saving and restoring
 * the FPU around its C handler), and finally stores everything back and
 * compares. Nothing of any vCPU's state may change, and every vCPU but 0
 * must have started with the state after FNINIT (control word 0x37f,
 * MXCSR 0x1f80, empty x87 stack), since pv_vcpu_start gives it none.
 *
 * Between loading and storing, the guest runs only its own code (built
 * without SSE) and inline hypercalls, so the registers are the test's.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cmdline.h"
#include "probes.h"

#define LOOPS 200
#define MS 1000000ULL

struct fpu_pattern {
	uint64_t x87[8];              /* doubles, bit patterns */
	uint16_t fcw;
	uint32_t mxcsr;
	uint8_t vec[16][32] __attribute__((aligned(32))); /* XMM in [0..15], YMM upper in [16..31] */
};

static struct fpu_pattern want[PV_MAX_VCPUS], got[PV_MAX_VCPUS];
static uint16_t initial_fcw[PV_MAX_VCPUS], initial_tags[PV_MAX_VCPUS];
static uint32_t initial_mxcsr[PV_MAX_VCPUS];
static volatile unsigned int done[PV_MAX_VCPUS], wakeups[PV_MAX_VCPUS];
static evtchn_port_t timer_port[PV_MAX_VCPUS];
static bool avx;
static unsigned int nr;

static void on_timer(evtchn_port_t p, void *data)
{
	(void)p;
	wakeups[(uintptr_t)data]++;
}

/* The guest time, inline (libpv's C may use SSE): the TSC through vcpu_time_info. */
static uint64_t now_ns(const struct vcpu_info *vi)
{
	const volatile struct vcpu_time_info *t = &vi->time;
	uint32_t version, lo, hi;
	uint64_t stamp, system, delta;
	uint32_t mul;
	int8_t shift;

	do {
		version = t->version;
		__asm__ volatile("" ::: "memory");
		stamp = t->tsc_timestamp;
		system = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != t->version);
	delta = (((uint64_t)hi << 32) | lo) - stamp;
	delta = shift >= 0 ? delta << shift : delta >> -shift;
	return system + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static void load(const struct fpu_pattern *p)
{
	__asm__ volatile("fninit\n\tfldcw %0" : : "m"(p->fcw));
	for (int i = 7; i >= 0; i--)
		__asm__ volatile("fldl %0" : : "m"(p->x87[i]));
	__asm__ volatile("ldmxcsr %0" : : "m"(p->mxcsr));
	if (avx)
		__asm__ volatile(
			"vmovdqu 0(%0), %%ymm0\n\tvmovdqu 32(%0), %%ymm1\n\tvmovdqu 64(%0), %%ymm2\n\t"
			"vmovdqu 96(%0), %%ymm3\n\tvmovdqu 128(%0), %%ymm4\n\tvmovdqu 160(%0), %%ymm5\n\t"
			"vmovdqu 192(%0), %%ymm6\n\tvmovdqu 224(%0), %%ymm7\n\tvmovdqu 256(%0), %%ymm8\n\t"
			"vmovdqu 288(%0), %%ymm9\n\tvmovdqu 320(%0), %%ymm10\n\tvmovdqu 352(%0), %%ymm11\n\t"
			"vmovdqu 384(%0), %%ymm12\n\tvmovdqu 416(%0), %%ymm13\n\tvmovdqu 448(%0), %%ymm14\n\t"
			"vmovdqu 480(%0), %%ymm15\n\t" : : "r"(p->vec) : "memory");
	else
		__asm__ volatile(
			"movdqu 0(%0), %%xmm0\n\tmovdqu 32(%0), %%xmm1\n\tmovdqu 64(%0), %%xmm2\n\t"
			"movdqu 96(%0), %%xmm3\n\tmovdqu 128(%0), %%xmm4\n\tmovdqu 160(%0), %%xmm5\n\t"
			"movdqu 192(%0), %%xmm6\n\tmovdqu 224(%0), %%xmm7\n\tmovdqu 256(%0), %%xmm8\n\t"
			"movdqu 288(%0), %%xmm9\n\tmovdqu 320(%0), %%xmm10\n\tmovdqu 352(%0), %%xmm11\n\t"
			"movdqu 384(%0), %%xmm12\n\tmovdqu 416(%0), %%xmm13\n\tmovdqu 448(%0), %%xmm14\n\t"
			"movdqu 480(%0), %%xmm15\n\t" : : "r"(p->vec) : "memory");
}

static void store(struct fpu_pattern *p)
{
	memset(p, 0, sizeof(*p));
	if (avx)
		__asm__ volatile(
			"vmovdqu %%ymm0, 0(%0)\n\tvmovdqu %%ymm1, 32(%0)\n\tvmovdqu %%ymm2, 64(%0)\n\t"
			"vmovdqu %%ymm3, 96(%0)\n\tvmovdqu %%ymm4, 128(%0)\n\tvmovdqu %%ymm5, 160(%0)\n\t"
			"vmovdqu %%ymm6, 192(%0)\n\tvmovdqu %%ymm7, 224(%0)\n\tvmovdqu %%ymm8, 256(%0)\n\t"
			"vmovdqu %%ymm9, 288(%0)\n\tvmovdqu %%ymm10, 320(%0)\n\tvmovdqu %%ymm11, 352(%0)\n\t"
			"vmovdqu %%ymm12, 384(%0)\n\tvmovdqu %%ymm13, 416(%0)\n\tvmovdqu %%ymm14, 448(%0)\n\t"
			"vmovdqu %%ymm15, 480(%0)\n\t" : : "r"(p->vec) : "memory");
	else
		__asm__ volatile(
			"movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 32(%0)\n\tmovdqu %%xmm2, 64(%0)\n\t"
			"movdqu %%xmm3, 96(%0)\n\tmovdqu %%xmm4, 128(%0)\n\tmovdqu %%xmm5, 160(%0)\n\t"
			"movdqu %%xmm6, 192(%0)\n\tmovdqu %%xmm7, 224(%0)\n\tmovdqu %%xmm8, 256(%0)\n\t"
			"movdqu %%xmm9, 288(%0)\n\tmovdqu %%xmm10, 320(%0)\n\tmovdqu %%xmm11, 352(%0)\n\t"
			"movdqu %%xmm12, 384(%0)\n\tmovdqu %%xmm13, 416(%0)\n\tmovdqu %%xmm14, 448(%0)\n\t"
			"movdqu %%xmm15, 480(%0)\n\t" : : "r"(p->vec) : "memory");
	__asm__ volatile("stmxcsr %0" : "=m"(p->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(p->fcw));
	for (int i = 0; i < 8; i++)
		__asm__ volatile("fstpl %0" : "=m"(p->x87[i]));
}

static void make_pattern(unsigned int id, struct fpu_pattern *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned int i = 0; i < 8; i++)
		p->x87[i] = 0x4000000000000000ULL | ((uint64_t)(id + 1) << 40) | ((uint64_t)i << 32) |
			    (0x1234 * (i + 1));
	p->fcw = (uint16_t)(0x037f | (id & 3) << 10);  /* rounding control differs */
	p->mxcsr = 0x1f80 | (id & 3) << 13;
	for (unsigned int r = 0; r < 16; r++)
		for (unsigned int b = 0; b < (avx ? 32u : 16u); b++)
			p->vec[r][b] = (uint8_t)(id * 0x40 + r * 3 + b * 7 + 1);
}

static void worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	struct vcpu_info *vi;
	struct vcpu_set_singleshot_timer t = { .flags = 0 };

	if (id) {
		/* Before anything touches it: the state a new vCPU starts with. */
		/* FNSTENV's 28-byte protected-mode image: FCW, FSW, FTW in the first three dwords. */
		struct { uint16_t fcw, pad0, fsw, pad1, ftw, pad2; uint32_t rest[4]; } env;
		uint32_t mx;

		__asm__ volatile("fnstenv %0" : "=m"(env));
		__asm__ volatile("stmxcsr %0" : "=m"(mx));
		initial_fcw[id] = env.fcw;
		initial_tags[id] = env.ftw;
		initial_mxcsr[id] = mx;
		__asm__ volatile("fldenv %0" : : "m"(env));
		if (avx)
			probe_xsetbv(7);
	}
	vi = pv_vcpu_info();
	/*
	 * Stop the default periodic tick before binding VIRQ_TIMER: a tick
	 * between the two would count as one more wake-up than blocks.
	 */
	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, id, NULL);
	if (pv_evtchn_bind_virq(VIRQ_TIMER, &timer_port[id]) == 0)
		pv_evtchn_set_handler(timer_port[id], on_timer, (void *)(uintptr_t)id);

	load(&want[id]);
	for (unsigned int i = 0; i < LOOPS; i++) {
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		if (i % 4 == 0) {
			unsigned int before = wakeups[id];

			t.timeout_abs_ns = now_ns(vi) + MS;
			HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, id, &t);
			while (wakeups[id] == before) {
				vi->evtchn_upcall_mask = 1;
				if (wakeups[id] == before)
					HYPERVISOR_sched_op(SCHEDOP_block, NULL);
			}
			vi->evtchn_upcall_mask = 1;
		}
	}
	store(&got[id]);
	__atomic_store_n(&done[id], 1, __ATOMIC_RELEASE);
}

int main(void)
{
	uint32_t r[4];
	unsigned int all = 0;

	check_guest(GUEST_NAME);
	nr = (unsigned int)cmdline_uint("vcpus=", 2);
	if (!check_eq("fpu_switch.nr_vcpus", nr, pv_nr_vcpus()) || nr > PV_MAX_VCPUS ||
	    !pv_shared_info)
		return check_done();
	probe_xen_cpuid(1, 0, r);
	avx = (r[2] & (1u << 26)) && (r[2] & (1u << 27)) && (r[2] & (1u << 28));
	printf("fpu_switch: %u vCPUs, %s\n", nr, avx ? "x87, SSE and AVX" : "x87 and SSE (no AVX offered)");
	if (avx)
		probe_xsetbv(7);
	for (unsigned int id = 0; id < nr; id++)
		make_pattern(id, &want[id]);
	for (unsigned int id = 1; id < nr; id++)
		check_eq(name_of("fpu_switch.start[%u]", id), 0,
			 pv_vcpu_start(id, worker, (void *)(uintptr_t)id));
	worker((void *)0);
	for (uint64_t give_up = pv_time_ns() + 20000 * MS; pv_time_ns() < give_up;) {
		all = 0;
		for (unsigned int id = 0; id < nr; id++)
			all += done[id];
		if (all == nr)
			break;
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	check_eq("fpu_switch.all_finished", nr, all);
	for (unsigned int id = 0; id < nr; id++) {
		bool vec_ok = !memcmp(want[id].vec, got[id].vec, sizeof(want[id].vec));

		check_eq(name_of("fpu_switch.vcpu%u.blocked_and_woken", id), LOOPS / 4, wakeups[id]);
		for (unsigned int i = 0; i < 8; i++)
			check_hex(name_of("fpu_switch.vcpu%u.x87_st%u", id, i), want[id].x87[i],
				  got[id].x87[i]);
		check_hex(name_of("fpu_switch.vcpu%u.fcw", id), want[id].fcw, got[id].fcw);
		check_hex(name_of("fpu_switch.vcpu%u.mxcsr", id), want[id].mxcsr, got[id].mxcsr);
		check_eq(name_of("fpu_switch.vcpu%u.%s_0_15", id, avx ? "ymm" : "xmm"), 1, vec_ok);
		if (!vec_ok)
			for (unsigned int reg = 0; reg < 16; reg++)
				if (memcmp(want[id].vec[reg], got[id].vec[reg], avx ? 32 : 16))
					printf("fpu_switch: vCPU %u register %u differs\n", id, reg);
		if (id) {
			check_hex(name_of("fpu_switch.vcpu%u.started_fcw_37f", id), 0x37f, initial_fcw[id]);
			check_hex(name_of("fpu_switch.vcpu%u.started_mxcsr_1f80", id), 0x1f80,
				  initial_mxcsr[id]);
			check_hex(name_of("fpu_switch.vcpu%u.started_x87_empty", id), 0xffff,
				  initial_tags[id]);
		}
	}
	pv_irq_disable();
	return check_done();
}
