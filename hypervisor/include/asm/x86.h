/* Thin wrappers around x86 instructions used by the hypervisor. */
#ifndef ASM_X86_H
#define ASM_X86_H

#include <mica/types.h>

/* The longest instruction the CPU executes; a longer one raises #GP. */
#define X86_MAX_INSN_LEN 15

#define X86_CR0_MP (1UL << 1)
#define X86_CR0_TS (1UL << 3)
#define X86_CR0_NE (1UL << 5)

#define X86_CR4_PGE (1UL << 7)
#define X86_CR4_OSFXSR (1UL << 9)
#define X86_CR4_OSXMMEXCPT (1UL << 10)
#define X86_CR4_OSXSAVE (1UL << 18)
#define X86_CR4_SMEP (1UL << 20)

#define X86_RFLAGS_IF (1UL << 9)

#define MSR_APIC_BASE 0x0000001b
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define EFER_SCE (1UL << 0)
#define EFER_LME (1UL << 8)
#define EFER_NXE (1UL << 11)

/* Whether a is a canonical 48-bit virtual address. */
static inline bool canonical(u64 a)
{
	return a < 0x0000800000000000UL || a >= 0xffff800000000000UL;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void cpuid_count(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(sub));
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	cpuid_count(leaf, 0, a, b, c, d);
}

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* Bit bit of register reg of CPUID leaf (subleaf 0); false for a leaf beyond the maximum. */
static inline bool cpu_has(u32 leaf, enum cpuid_reg reg, unsigned int bit)
{
	u32 r[4];

	cpuid(leaf & 0x80000000, &r[0], &r[1], &r[2], &r[3]);
	if (r[0] < leaf)
		return false;
	cpuid(leaf, &r[0], &r[1], &r[2], &r[3]);
	return (r[reg] >> bit) & 1;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                   \
	static inline u64 read_cr##n(void)                             \
	{                                                              \
		u64 v;                                                 \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));      \
		return v;                                              \
	}                                                              \
	static inline void write_cr##n(u64 v)                          \
	{                                                              \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(const void *va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void local_irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void local_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline u64 local_save_flags(void)
{
	u64 f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f) : : "memory");
	return f;
}

static inline u64 local_irq_save(void)
{
	u64 f = local_save_flags();

	local_irq_disable();
	return f;
}

static inline void local_irq_restore(u64 flags)
{
	if (flags & X86_RFLAGS_IF)
		local_irq_enable();
}

static inline void halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

/* Enable interrupts and halt with no window between the two. */
static inline void safe_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

#endif
