/*
 * TLB flushes, local and remote. A remote flush is a request number per
 * target CPU and an IPI: the target answers by flushing its whole
 * (non-global) TLB and publishing the highest request number it saw
 * before flushing. Guest translations are never global (validate.c
 * clears G), so reloading CR3 drops all of them; a CPU that switches to
 * the idle tables or to another vCPU drops them too, which is why only
 * CPUs running a vCPU now need asking.
 *
 * Hypercalls and exceptions run with interrupts off, so a CPU waiting
 * for acknowledgements keeps answering requests addressed to itself
 * (so do the memory manager's other spin-waits, through pt_relax): two
 * CPUs flushing each other cannot deadlock. A CPU holding a lock that
 * another CPU spins on with interrupts off must not flush.
 */
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/x86.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include "mm_arch.h"

/* Per CPU: requests made of it, and the highest one known served. */
static u64 flush_req[MAX_CPUS];
static u64 flush_served[MAX_CPUS];

u64 tlb_this_cpu(void)
{
	return 1UL << this_cpu()->cpu;
}

static void tlb_flush_local(void)
{
	write_cr3(read_cr3());
}

void tlb_invlpg_local(u64 va)
{
	if (guest_range_ok(va, 1))
		invlpg((const void *)(uintptr_t)va);
}

void pv_tlb_flush_interrupt(void)
{
	unsigned int cpu = this_cpu()->cpu;
	u64 req = __atomic_load_n(&flush_req[cpu], __ATOMIC_SEQ_CST);

	if (req == __atomic_load_n(&flush_served[cpu], __ATOMIC_SEQ_CST))
		return;
	tlb_flush_local();
	/* Only this CPU writes its served number, and requests only grow. */
	__atomic_store_n(&flush_served[cpu], req, __ATOMIC_SEQ_CST);
}

static bool cpu_online(unsigned int cpu)
{
	struct cpu_info *ci = READ_ONCE(cpu_infos[cpu]);

	return ci && READ_ONCE(ci->online);
}

void tlb_flush_cpus(u64 cpus)
{
	unsigned int me = this_cpu()->cpu;
	u64 ticket[MAX_CPUS];
	u64 waiting = 0;

	if (cpus & (1UL << me))
		tlb_flush_local();
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (cpu == me || !(cpus & (1UL << cpu)) || !cpu_online(cpu))
			continue;
		ticket[cpu] = __atomic_add_fetch(&flush_req[cpu], 1, __ATOMIC_SEQ_CST);
		if (!send_ipi(cpu, IRQ_VECTOR_TLB_FLUSH))
			waiting |= 1UL << cpu;
	}
	while (waiting) {
		for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
			if (!(waiting & (1UL << cpu)))
				continue;
			if (__atomic_load_n(&flush_served[cpu], __ATOMIC_SEQ_CST) >= ticket[cpu] ||
			    !cpu_online(cpu))
				waiting &= ~(1UL << cpu);
		}
		pv_tlb_flush_interrupt();
		cpu_relax();
	}
}

void pt_flush_guest_tlbs(void)
{
	u64 cpus = tlb_this_cpu();

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct cpu_info *ci = READ_ONCE(cpu_infos[cpu]);

		if (ci && READ_ONCE(ci->current))
			cpus |= 1UL << cpu;
	}
	tlb_flush_cpus(cpus);
}

void tlb_flush_or_invlpg(u64 cpus, bool invlpg, u64 va)
{
	if (invlpg && (cpus & tlb_this_cpu())) {
		tlb_invlpg_local(va);
		cpus &= ~tlb_this_cpu();
	}
	tlb_flush_cpus(cpus);
}

/* CPUs running the vCPUs of d in mask (a bit per vCPU: MAX_VCPUS_PER_DOMAIN is 64). */
static u64 running_cpus(const struct domain *d, u64 mask)
{
	u64 cpus = 0;

	for (unsigned int i = 0; i < d->max_vcpus && i < 64; i++) {
		const struct vcpu *v = d->vcpus[i];

		if ((mask & (1UL << i)) && v && READ_ONCE(v->is_running))
			cpus |= 1UL << READ_ONCE(v->processor);
	}
	return cpus;
}

u64 tlb_domain_cpus(const struct domain *d)
{
	return running_cpus(d, ~0UL);
}

int tlb_vcpumask_cpus(const struct domain *d, pv_gva_t gva, u64 *cpus)
{
	u64 mask;

	if (copy_from_guest(&mask, gva, sizeof(mask)))
		return -EFAULT;
	*cpus = running_cpus(d, mask);
	return 0;
}
