/* Functions shared between the parts of arch/x86 (not used by common/). */
#ifndef ASM_ARCH_H
#define ASM_ARCH_H

#include <mica/types.h>

/* Writes code to QEMU's isa-debug-exit port if "qemu_exit=" named one. */
void arch_qemu_exit(u8 code);

/* Halts this CPU for good, interrupts off (an NMI only halts it again). */
void arch_stop_this_cpu(void) __noreturn;

/* The C entry point, called by head.S on the boot CPU. */
void start_hypervisor(u32 magic, u32 info) __noreturn;

struct boot_info;
/*
 * Prints the memory map, builds the idle page tables, loads the boot
 * CPU's descriptor tables and starts the frame allocator with every free
 * RAM frame. Boot CPU only.
 */
void memory_init(const struct boot_info *bi);
/* Usable RAM in the firmware's map, set by memory_init. */
extern u64 usable_ram_bytes;
/* A free page below 636 KiB for the secondary CPUs' start code (0: none), set by memory_init. */
extern paddr_t trampoline_pa;

/* Provokes the exception named by "test_fault=", if any (tests only). */
void trigger_test_fault(void);

#endif
