/*
 * Secondary vCPUs: bringing vCPUs 1.. up with VCPUOP_initialise and
 * VCPUOP_up, and telling vCPUs apart.
 *
 * A vCPU libpv starts runs on a stack of its own from pv_vcpu_stacks;
 * vCPU 0 runs on the boot stack. pv_vcpu_id() is therefore a question
 * about the stack pointer, which keeps working whatever the guest does to
 * its segment bases (the conformance guests load arbitrary GS bases) and
 * inside trap and event handlers, which run on the interrupted stack.
 *
 * The context a new vCPU gets is what Linux gives its secondary CPUs
 * (smp_pv.c:cpu_initialize_context), without a GDT: guest kernel mode on
 * the caller's page tables (start_info's pt_base), libpv's trap table,
 * event/failsafe/syscall callbacks that mask events, events masked, no
 * FPU image (the hypervisor starts it in the FNINIT state).
 */
#include <string.h>

#include "internal.h"

#define VCPU_STACK_SIZE (16 * 1024)

static uint8_t pv_vcpu_stacks[PV_MAX_VCPUS - 1][VCPU_STACK_SIZE] __attribute__((aligned(4096)));
static struct vcpu_guest_context start_ctx;

unsigned int pv_vcpu_id(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t base = (uintptr_t)pv_vcpu_stacks;

	if (sp >= base && sp < base + sizeof(pv_vcpu_stacks))
		return 1 + (unsigned int)((sp - base) / VCPU_STACK_SIZE);
	return 0;
}

unsigned int pv_nr_vcpus(void)
{
	unsigned int n = 0;

	while (n < 8192 && HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
		n++;
	return n;
}

void pv_vcpu_context(unsigned int id, struct vcpu_guest_context *c, void (*fn)(void *), void *arg)
{
	uint64_t stack_top = (uint64_t)(uintptr_t)pv_vcpu_stacks[(id - 1) % (PV_MAX_VCPUS - 1)] +
			     VCPU_STACK_SIZE;
	uint64_t l4 = pv_virt_to_mfn((const void *)(uintptr_t)pv_start_info->pt_base);

	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel | VGCF_failsafe_disables_events | VGCF_syscall_disables_events;
	c->user_regs.rip = (uint64_t)(uintptr_t)pv_secondary_entry;
	c->user_regs.rsp = stack_top;
	c->user_regs.rdi = id;
	c->user_regs.rsi = (uint64_t)(uintptr_t)fn;
	c->user_regs.rdx = (uint64_t)(uintptr_t)arg;
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->user_regs.rflags = 0x200;
	for (unsigned int v = 0; v < 32; v++)
		c->trap_ctxt[v] = pv_trap_info(v);
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = stack_top;
	c->ctrlreg[3] = l4 << 12;
	c->event_callback_eip = pv_event_entry();
	c->failsafe_callback_eip = pv_failsafe_entry();
	c->syscall_callback_eip = pv_syscall_entry();
}

long pv_vcpu_start(unsigned int id, void (*fn)(void *arg), void *arg)
{
	long rc;

	if (id == 0 || id >= PV_MAX_VCPUS)
		return -XEN_EINVAL;
	pv_vcpu_context(id, &start_ctx, fn, arg);
	rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &start_ctx);
	if (rc == 0)
		rc = HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
	return rc;
}

/* C entry of a vCPU pv_vcpu_start brought up (from pv_secondary_entry in head.S). */
void pv_secondary_start(unsigned int id, void (*fn)(void *), void *arg)
{
	fn(arg);
	/* Down for good: if someone brings it up again it only goes down again. */
	for (;;)
		HYPERVISOR_vcpu_op(VCPUOP_down, id, NULL);
}
