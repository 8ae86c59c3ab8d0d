/*
 * Per-CPU state. Each CPU runs on a STACK_SIZE block aligned to its size:
 * the three IST stacks (#DF, NMI, #MC) at the bottom, the main stack above
 * them, and struct cpu_info at the very top, so the running CPU finds its
 * own record from RSP alone, whatever GS holds (guests own GS).
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <asm/layout.h>
#include <mica/types.h>

struct tss;

struct cpu_info {
	u32 cpu;       /* logical index, 0 = boot CPU */
	u32 apic_id;
	struct tss *tss;
	u64 *gdt;
	bool online;
	u64 timer_deadline_ns; /* next one-shot timer expiry, 0 if none */
	u64 ticks;     /* timer interrupts handled */
	u64 pad[2];
};

_Static_assert(sizeof(struct cpu_info) == CPU_INFO_SIZE, "CPU_INFO_SIZE in layout.h");

static inline struct cpu_info *this_cpu(void)
{
	u64 sp;

	__asm__("mov %%rsp, %0" : "=r"(sp));
	return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1 - sizeof(struct cpu_info));
}

static inline struct cpu_info *stack_cpu_info(void *stack_base)
{
	return (struct cpu_info *)((u8 *)stack_base + STACK_SIZE - sizeof(struct cpu_info));
}

/* Top of the main stack of a block (where RSP starts, below cpu_info). */
static inline void *stack_top(void *stack_base)
{
	return (u8 *)stack_base + STACK_SIZE - sizeof(struct cpu_info);
}

extern unsigned int nr_cpus_online;
/* Every CPU's record, by logical index (NULL for absent CPUs). */
extern struct cpu_info *cpu_infos[MAX_CPUS];

#endif
