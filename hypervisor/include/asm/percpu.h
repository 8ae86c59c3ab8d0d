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
	struct vcpu *current; /* vCPU whose registers are in this CPU's guest frame, or NULL */
	u64 syscall_rsp;      /* guest RSP saved by the SYSCALL entry (see pv/entry.S) */
	u64 self;             /* this record's address: the SYSCALL entry's stack top */
	u32 softirq;          /* SOFTIRQ_* work to do before returning to a guest; atomic */
	u32 pad0;
	u64 pad1[6];
};

_Static_assert(sizeof(struct cpu_info) == CPU_INFO_SIZE, "CPU_INFO_SIZE in layout.h");
_Static_assert(__builtin_offsetof(struct cpu_info, syscall_rsp) == CPU_INFO_SYSCALL_RSP, "entry.S");
_Static_assert(__builtin_offsetof(struct cpu_info, self) == CPU_INFO_SELF, "entry.S");

/* The guest's registers while it is interrupted: the frame at the stack top. */
struct cpu_regs;
static inline struct cpu_regs *guest_regs_of(struct cpu_info *ci)
{
	return (struct cpu_regs *)((u8 *)ci - 22 * 8);
}

static inline struct cpu_info *this_cpu(void)
{
	u64 sp;

	__asm__("mov %%rsp, %0" : "=r"(sp));
	return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1 - sizeof(struct cpu_info));
}

/* Top of the main stack of a block (where RSP starts), which is where its cpu_info begins. */
static inline void *stack_top(void *stack_base)
{
	return (u8 *)stack_base + STACK_SIZE - sizeof(struct cpu_info);
}

extern unsigned int nr_cpus_online;
/* Every CPU's record, by logical index (NULL for absent CPUs). */
extern struct cpu_info *cpu_infos[MAX_CPUS];

#endif
