/* Descriptor tables: the per-CPU GDT and TSS, and the shared IDT. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <mica/types.h>

/*
 * Each CPU's GDT is a 64 KiB window at GDT_VIRT(cpu). Entries below 0xe000
 * (14 pages, 7168 descriptors) belong to the guest vCPU running there; the
 * hypervisor owns the page at 0xe000, as the Xen PV ABI lays it out, so
 * the flat selectors guests use (FLAT_RING3_CS64 = 0xe033 and so on) mean
 * the same here as on Xen, and SYSCALL/SYSRET's fixed selector arithmetic
 * works from STAR.
 */
#define FIRST_RESERVED_GDT_PAGE 14
#define FIRST_RESERVED_GDT_BYTE (FIRST_RESERVED_GDT_PAGE * 4096)
#define HV_CS 0xe008       /* ring-0 64-bit code */
#define HV_DS 0xe010       /* ring-0 data */
#define FLAT_RING3_CS32 0xe023
#define FLAT_RING3_DS 0xe02b
#define FLAT_RING3_CS64 0xe033
#define TSS_SEL 0xe040     /* 16-byte TSS descriptor */
#define GDT_LIMIT (FIRST_RESERVED_GDT_BYTE + 0x60 - 1) /* to the (unused) LDT slot at 0xe050 */

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

_Static_assert(sizeof(struct tss) == 104, "TSS layout");

/* Fills the IDT once, on the boot CPU, before the first exception can matter. */
void traps_init(void);

/*
 * Gives the running CPU its own GDT and TSS (IST stacks from its stack
 * block) and loads them with the IDT. stack_base is the CPU's STACK_SIZE
 * block; info is its cpu_info, which records the tables.
 */
struct cpu_info;
void cpu_desc_init(struct cpu_info *info, void *stack_base);

#endif
