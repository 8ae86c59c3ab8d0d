/*
 * TLB shootdown between vCPUs (run with 2 and 4 vCPUs). All vCPUs run on
 * the same page tables. The others keep reading a page through one VA, so
 * their TLBs hold its translation; vCPU 0 points that VA at another frame
 * and flushes other vCPUs' TLBs in one of the ways the ABI offers:
 * update_va_mapping with UVMF_INVLPG|UVMF_ALL, with UVMF_TLB_FLUSH|UVMF_ALL,
 * with a vCPU bitmap (UVMF_MULTI: flags holding a pointer), or a local
 * update followed by MMUEXT_INVLPG_ALL, MMUEXT_TLB_FLUSH_ALL,
 * MMUEXT_TLB_FLUSH_MULTI or MMUEXT_INVLPG_MULTI with a bitmap of all vCPUs.
 * Once the hypercall has returned, every other vCPU's next read must see
 * the new frame: the flush is complete when the hypercall returns (Xen
 * waits for the flush IPIs).
 */
#include <string.h>

#include "check.h"
#include "cmdline.h"
#include "mmu.h"

#define MS 1000000ULL
#define ROUNDS 8

static uint8_t window[PAGE] __attribute__((aligned(PAGE)));
static uint8_t frames[2][PAGE] __attribute__((aligned(PAGE)));
static volatile unsigned int phase, seen_phase[PV_MAX_VCPUS];
static volatile uint8_t seen_value[PV_MAX_VCPUS];
static unsigned int nr;

/* Reads the window until the phase moves, then reports what the new phase reads. */
static void reader(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	unsigned int mine = 0;

	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, id, NULL);
	for (;;) {
		volatile uint8_t v = *(volatile uint8_t *)window;
		unsigned int p = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);

		(void)v;
		if (p == ~0u)
			break;
		if (p != mine) {
			seen_value[id] = *(volatile uint8_t *)window;
			__atomic_store_n(&seen_phase[id], p, __ATOMIC_RELEASE);
			mine = p;
		}
	}
}

static bool all_saw(unsigned int p)
{
	uint64_t give_up = pv_time_ns() + 10000 * MS;

	for (;;) {
		unsigned int n = 0;

		for (unsigned int id = 1; id < nr; id++)
			n += __atomic_load_n(&seen_phase[id], __ATOMIC_ACQUIRE) == p;
		if (n == nr - 1)
			return true;
		if (pv_time_ns() > give_up)
			return false;
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
}

static long remap(unsigned int how, uint64_t pte)
{
	uint64_t mask = (1UL << nr) - 1;
	struct mmuext_op op = { .arg1 = va_of(window), .arg2 = (uint64_t)(uintptr_t)&mask };

	switch (how) {
	case 0: return HYPERVISOR_update_va_mapping(va_of(window), pte, UVMF_INVLPG | UVMF_ALL);
	case 1: return HYPERVISOR_update_va_mapping(va_of(window), pte, UVMF_TLB_FLUSH | UVMF_ALL);
	case 2: return HYPERVISOR_update_va_mapping(va_of(window), pte,
						    UVMF_INVLPG | (uint64_t)(uintptr_t)&mask);
	default: break;
	}
	if (HYPERVISOR_update_va_mapping(va_of(window), pte, UVMF_INVLPG))
		return -1;
	op.cmd = how == 3 ? MMUEXT_INVLPG_ALL : how == 4 ? MMUEXT_TLB_FLUSH_ALL :
		 how == 5 ? MMUEXT_TLB_FLUSH_MULTI : MMUEXT_INVLPG_MULTI;
	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

int main(void)
{
	static const char *const names[] = { "uvm_invlpg_all", "uvm_flush_all", "uvm_invlpg_multi",
					     "mmuext_invlpg_all", "mmuext_flush_all",
					     "mmuext_flush_multi", "mmuext_invlpg_multi" };

	check_guest(GUEST_NAME);
	nr = (unsigned int)cmdline_uint("vcpus=", 2);
	if (!check_eq("smp_tlb.nr_vcpus", nr, pv_nr_vcpus()) || nr < 2 || nr > PV_MAX_VCPUS)
		return check_done();
	memset(frames[0], 0xa0, PAGE);
	memset(frames[1], 0xb1, PAGE);
	uvm(window, (mfn_of(frames[0]) << 12) | PTE_RW_FLAGS);
	for (unsigned int id = 1; id < nr; id++)
		check_eq(name_of("smp_tlb.start[%u]", id), 0,
			 pv_vcpu_start(id, reader, (void *)(uintptr_t)id));

	for (unsigned int how = 0; how < sizeof(names) / sizeof(names[0]); how++) {
		unsigned int stale = 0, rc_bad = 0, timeouts = 0;

		for (unsigned int r = 0; r < ROUNDS; r++) {
			unsigned int f = (phase + 1) & 1;
			uint64_t give_up = pv_time_ns() + 5 * MS;

			/* Let the readers warm their TLBs on the current frame. */
			while (pv_time_ns() < give_up)
				HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
			if (remap(how, (mfn_of(frames[f]) << 12) | PTE_RW_FLAGS))
				rc_bad++;
			__atomic_store_n(&phase, phase + 1, __ATOMIC_RELEASE);
			if (!all_saw(phase)) {
				timeouts++;
				continue;
			}
			for (unsigned int id = 1; id < nr; id++)
				if (seen_value[id] != (f ? 0xb1 : 0xa0))
					stale++;
		}
		check_eq(name_of("smp_tlb.%s.calls_ok", names[how]), 0, rc_bad);
		check_eq(name_of("smp_tlb.%s.readers_answered", names[how]), 0, timeouts);
		check_eq(name_of("smp_tlb.%s.no_stale_read", names[how]), 0, stale);
	}
	__atomic_store_n(&phase, ~0u, __ATOMIC_RELEASE);
	uvm(window, (mfn_of(window) << 12) | PTE_RW_FLAGS);
	return check_done();
}
