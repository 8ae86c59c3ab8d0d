/*
 * The hypervisor's virtual address layout. It lives wholly in L4 slots
 * 256-271 (0xffff800000000000 - 0xffff880000000000), which the Xen PV ABI
 * reserves for the hypervisor in every guest address space; everything
 * else belongs to the guest.
 *
 *  slot 256  0xffff800000000000  read-only machine-to-phys table (guest visible)
 *  slot 258  0xffff810000000000  per-CPU GDT windows, 64 KiB each
 *  slot 259  0xffff818000000000  boot-time scratch: the dom0 builder's kernel buffer
 *  slot 261  0xffff828000000000  hypervisor image: VA = IMAGE_VIRT_OFFSET + PA
 *  slot 262+ 0xffff830000000000  direct map of all RAM: VA = DIRECTMAP_BASE + PA
 *
 * Included by assembly, so only plain constants here.
 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

#define HV_SLOT_FIRST 256
#define HV_SLOT_LAST 271

#define RO_MPT_VIRT_START 0xffff800000000000
#define RO_MPT_VIRT_END 0xffff808000000000

#define GDT_VIRT_BASE 0xffff810000000000
#define GDT_VIRT(cpu) (GDT_VIRT_BASE + (u64)(cpu) * 0x10000)

#define BOOT_SCRATCH_VIRT 0xffff818000000000

#define IMAGE_VIRT_OFFSET 0xffff828000000000
#define IMAGE_PHYS_BASE 0x200000

#define DIRECTMAP_BASE 0xffff830000000000
#define DIRECTMAP_END 0xffff880000000000

/* Per-CPU stack block: IST stacks below the main stack, cpu_info on top. */
#define STACK_ORDER 3
#define STACK_SIZE (4096 << STACK_ORDER)
#define IST_DF_TOP 4096
#define IST_NMI_TOP 8192
#define IST_MC_TOP 12288

#define CPU_INFO_SIZE 128 /* sizeof(struct cpu_info), checked in percpu.h */
#define CPU_INFO_SYSCALL_RSP 56
#define CPU_INFO_SELF 64

#define MAX_CPUS 64

#endif
