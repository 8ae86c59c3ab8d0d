/* Dispatch of external interrupt vectors: the APIC timer, IPIs, errors and strays. */
#include <asm/apic.h>
#include <asm/arch.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/pv_mm.h>
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/errno.h>

/* Interrupts on vectors nothing claims; reported, at most a few times. */
static u64 stray_irqs;
static u64 apic_errors;

#define REPORT_LIMIT 10

void do_irq(struct cpu_regs *regs, unsigned int vector)
{
	u32 esr;

	if (vector == IRQ_VECTOR_SPURIOUS)
		return; /* not in service: no EOI */
	apic_eoi();
	switch (vector) {
	case IRQ_VECTOR_TIMER:
		timer_interrupt();
		break;
	case IRQ_VECTOR_IPI_WAKE:
		break;
	case IRQ_VECTOR_TLB_FLUSH:
		pv_tlb_flush_interrupt();
		break;
	case IRQ_VECTOR_IPI_STOP:
		WRITE_ONCE(this_cpu()->online, false);
		__atomic_fetch_sub(&nr_cpus_online, 1, __ATOMIC_RELAXED);
		arch_stop_this_cpu();
	case IRQ_VECTOR_ERROR:
		esr = apic_clear_errors();
		if (__atomic_fetch_add(&apic_errors, 1, __ATOMIC_RELAXED) < REPORT_LIMIT)
			pr_warn("APIC: error interrupt on CPU%u, ESR %#x", this_cpu()->cpu, esr);
		break;
	default:
		if (__atomic_fetch_add(&stray_irqs, 1, __ATOMIC_RELAXED) < REPORT_LIMIT)
			pr_warn("irq: unexpected vector %#x on CPU%u", vector, this_cpu()->cpu);
		break;
	}
}

int send_ipi(unsigned int cpu, unsigned int vector)
{
	struct cpu_info *ci = cpu < MAX_CPUS ? READ_ONCE(cpu_infos[cpu]) : NULL;

	if (!ci || !READ_ONCE(ci->online))
		return -EINVAL;
	return apic_send_ipi(ci->apic_id, APIC_ICR_DM_FIXED | (vector & 0xff));
}

void smp_send_stop(void)
{
	unsigned int me = this_cpu()->cpu;

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu != me)
			send_ipi(cpu, IRQ_VECTOR_IPI_STOP);
}
