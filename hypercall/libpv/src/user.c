/*
 * Guest user mode, on vCPU 0 (PV ABI notes, sections 3.2, 3.3 and 3.5).
 *
 * A PV kernel and its user code both run in ring 3; what makes code
 * "user" is the hypervisor's mode flag, flipped by an iret whose CS has
 * RPL 3 and back by every entry into the kernel (a system call, an
 * exception, an event). User mode runs on its own page-table root, so
 * pv_user_init() makes one: a copy of the kernel root's guest slots, so
 * that user code sees libpv's image at the same addresses (Mica and Xen
 * set U/S in every guest entry), made read-only, then installed with
 * MMUEXT_NEW_USER_BASEPTR. Entries from user mode land on the kernel
 * stack registered with stack_switch, which pv_user_init() also sets.
 *
 * pv_user_run(fn, arg) saves the kernel's callee-saved registers and
 * stack pointer, and irets to user mode at pv_user_start (head.S), which
 * calls fn(arg) on libpv's user stack. When fn returns, pv_user_start
 * issues a `syscall` with RAX = PV_USER_EXIT: the hypervisor bounces it
 * to libpv's syscall callback, and pv_user_exit() turns that frame into a
 * return to kernel mode at pv_user_resume (head.S), which restores the
 * saved registers and returns fn's result from pv_user_run.
 */
#include <string.h>

#include "internal.h"

#define USER_STACK_SIZE (16 * 1024)
#define KERNEL_STACK_SIZE (16 * 1024)
#define L4_HYPERVISOR_FIRST 256
#define L4_HYPERVISOR_LAST 271

static uint64_t user_l4[512] __attribute__((aligned(4096)));
static uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t entry_stack[KERNEL_STACK_SIZE] __attribute__((aligned(16)));
static bool user_ready;

/* Set by pv_user_enter: the kernel RSP to resume on (saved RFLAGS, then RBX..R15). */
uint64_t pv_user_kernel_rsp;

uint64_t pv_user_stack_top(void)
{
	return (uint64_t)(uintptr_t)user_stack + USER_STACK_SIZE;
}

uint64_t pv_user_kernel_stack_top(void)
{
	return (uint64_t)(uintptr_t)entry_stack + KERNEL_STACK_SIZE;
}

uint64_t pv_user_root_mfn(void)
{
	return pv_virt_to_mfn(user_l4);
}

long pv_user_init(void)
{
	const uint64_t *kernel_l4 = (const uint64_t *)(uintptr_t)pv_start_info->pt_base;
	struct mmuext_op op;
	long rc;

	if (user_ready)
		return 0;
	memset(user_l4, 0, sizeof(user_l4));
	for (unsigned int i = 0; i < 512; i++)
		if (i < L4_HYPERVISOR_FIRST || i > L4_HYPERVISOR_LAST)
			user_l4[i] = kernel_l4[i];
	/* A page table may not be mapped writable: read-only first, as Linux does. */
	rc = pv_map_mfn(user_l4, pv_user_root_mfn(), PV_PTE_P | PV_PTE_A | PV_PTE_NX);
	if (rc)
		return rc;
	op = (struct mmuext_op){ .cmd = MMUEXT_NEW_USER_BASEPTR, .arg1 = pv_user_root_mfn() };
	rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	if (rc) {
		pv_map_mfn(user_l4, pv_user_root_mfn(), PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D |
			   PV_PTE_NX);
		return rc;
	}
	rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, pv_user_kernel_stack_top());
	if (rc == 0)
		user_ready = true;
	return rc;
}

long pv_user_run(long (*fn)(long), long arg)
{
	const struct vcpu_info *vi = pv_vcpu_info();
	uint64_t rflags = 0x2 | ((vi && !vi->evtchn_upcall_mask) ? 0x200 : 0);

	if (!user_ready)
		return -XEN_EINVAL;
	return pv_user_enter(fn, arg, pv_user_stack_top(), rflags);
}

bool pv_user_exit(struct pv_regs *regs)
{
	const uint64_t *saved = (const uint64_t *)(uintptr_t)pv_user_kernel_rsp;

	if (regs->rax != PV_USER_EXIT || !pv_user_kernel_rsp || (regs->cs & 3) != 3)
		return false;
	pv_user_kernel_rsp = 0;
	regs->rax = regs->rdi;                /* fn's result */
	regs->rip = (uint64_t)(uintptr_t)pv_user_resume;
	regs->cs = FLAT_KERNEL_CS & ~3UL;     /* RPL 0: the iret stays in kernel mode */
	regs->rsp = (uint64_t)(uintptr_t)saved;
	regs->ss = FLAT_KERNEL_SS;
	regs->rflags = saved[0];              /* IF: the event mask pv_user_run had */
	return true;
}
