/* Stopping the machine: for panics, and the QEMU test exit. */
#include <asm/x86.h>
#include <mica/cmdline.h>
#include <asm/arch.h>
#include <asm/irq.h>
#include <mica/console.h>
#include <mica/spinlock.h>

/*
 * "qemu_exit=PORT": on halt, write to QEMU's isa-debug-exit device at PORT
 * (the tests use 0xf4) so QEMU ends with status (code << 1) | 1.
 */
static u32 opt_qemu_exit;
PARAM_UINT("qemu_exit", opt_qemu_exit);

void arch_qemu_exit(u8 code)
{
	if (opt_qemu_exit)
		outb((u16)opt_qemu_exit, code);
}

u64 arch_irq_save(void)
{
	return local_irq_save();
}

void arch_irq_restore(u64 flags)
{
	local_irq_restore(flags);
}

void arch_stop_this_cpu(void)
{
	for (;;) {
		local_irq_disable();
		halt();
	}
}

void machine_power_off(void)
{
	local_irq_disable();
	smp_send_stop();
	/* Exit status 0 from the device means "finished normally". */
	arch_qemu_exit(0);
	arch_stop_this_cpu();
}

/* Resets through the PCI reset control register, then the keyboard controller. */
void machine_restart(void)
{
	local_irq_disable();
	smp_send_stop();
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);
	for (int i = 0; i < 100000 && (inb(0x64) & 2); i++)
		cpu_relax();
	outb(0x64, 0xfe);
	arch_stop_this_cpu();
}

void arch_halt_all(void)
{
	local_irq_disable();
	smp_send_stop();
	/* Exit status 1 from the device means "halted on an error". */
	arch_qemu_exit(1);
	arch_stop_this_cpu();
}
