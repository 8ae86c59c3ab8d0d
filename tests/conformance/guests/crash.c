/*
 * Ways for dom0 to end, one per boot: the scenario is the dom0 command
 * line (scenario=NAME). run.py (CRASH_RUNS) knows how each must end: the
 * QEMU exit status (1 poweroff, 3 crash or other stop, 0 reboot) and the
 * console lines. None of them may fault the hypervisor itself.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "probes.h"

#define UNMAPPED 0x100000000UL

/* Switches to stack sp and executes UD2 there: the #UD frame cannot be written. */
static void __attribute__((noreturn)) ud2_on_stack(uint64_t sp)
{
	__asm__ __volatile__("mov %0, %%rsp\n\tud2" : : "r"(sp) : "memory");
	__builtin_unreachable();
}

/* The iret hypercall with the frame at sp (possibly unreadable). */
static void __attribute__((noreturn)) iret_on_stack(uint64_t sp)
{
	__asm__ __volatile__("mov %0, %%rsp\n\tmov %1, %%eax\n\tsyscall"
			     : : "r"(sp), "i"(PV_HC_iret) : "memory");
	__builtin_unreachable();
}

/* iret to a non-canonical RIP, in guest kernel mode. */
static void __attribute__((noreturn)) iret_to_sel(uint64_t rip, uint64_t cs, uint64_t ss)
{
	static uint64_t frame[9] __attribute__((aligned(16)));

	frame[4] = rip;
	frame[5] = cs;
	frame[6] = 0x2;
	frame[7] = (uint64_t)(uintptr_t)&frame[8];
	frame[8] = ss;
	iret_on_stack((uint64_t)(uintptr_t)frame);
}

static void __attribute__((noreturn)) iret_to(uint64_t rip)
{
	static uint64_t frame[9] __attribute__((aligned(16)));

	frame[0] = 0;                 /* RAX */
	frame[1] = 0;                 /* R11 */
	frame[2] = 0;                 /* RCX */
	frame[3] = 0;                 /* flags */
	frame[4] = rip;
	frame[5] = 0xe030;            /* CS, kernel */
	frame[6] = 0x2;               /* RFLAGS: events stay masked */
	frame[7] = (uint64_t)(uintptr_t)&frame[8]; /* RSP: anything readable */
	frame[8] = 0xe02b;            /* SS */
	iret_on_stack((uint64_t)(uintptr_t)frame);
}

static const char *scenario(void)
{
	const char *s = strstr(pv_start_info->cmd_line, "scenario=");

	return s ? s + 9 : "";
}

static bool is(const char *name)
{
	const char *s = scenario();
	size_t n = strlen(name);

	return !strncmp(s, name, n) && (s[n] == '\0' || s[n] == ' ');
}

int main(void)
{
	check_guest(GUEST_NAME);
	printf("crash: scenario '%s'\n", scenario());

	if (is("exit3"))
		return 3;
	if (is("shutdown_crash"))
		pv_shutdown(SHUTDOWN_crash);
	if (is("shutdown_watchdog"))
		pv_shutdown(SHUTDOWN_watchdog);
	if (is("shutdown_reboot"))
		pv_shutdown(SHUTDOWN_reboot);
	if (is("ud2"))
		__asm__ __volatile__("ud2");
	if (is("pf"))
		*(volatile uint64_t *)UNMAPPED = 0;
	if (is("no_trap_table")) {
		check_eq("crash.no_trap_table.cleared", 0, HYPERVISOR_set_trap_table(NULL));
		__asm__ __volatile__("ud2");
	}
	if (is("unmapped_stack"))
		ud2_on_stack(UNMAPPED + 0x1000);
	if (is("hypervisor_stack"))
		ud2_on_stack(ADDR_HYPERVISOR + 0x100000);
	if (is("iret_user"))
		iret_with(0x202, 0xe033, 0); /* RPL 3: to user mode, which has no page table */
	if (is("iret_unmapped_frame"))
		iret_on_stack(UNMAPPED + 0x800);
	if (is("iret_noncanonical"))
		iret_to(ADDR_NONCANONICAL);
	/*
	 * Kernel-mode iret frames with selectors the CPU refuses when the
	 * hypervisor returns to the guest: a code selector in the guest's GDT
	 * (it has none: the descriptor read faults) and the hypervisor's ring-0
	 * data selector as SS (with RPL 3 forced on it: #GP).
	 */
	if (is("iret_bad_cs"))
		iret_to_sel((uint64_t)(uintptr_t)main, 0x1000, 0xe02b);
	if (is("iret_bad_ss"))
		iret_to_sel((uint64_t)(uintptr_t)main, 0xe030, 0xe008);
	if (is("noncanonical_handler")) {
		struct trap_info t[2] = {
			{ .vector = 3, .flags = 3, .cs = FLAT_KERNEL_CS, .address = ADDR_NONCANONICAL },
			{ 0 },
		};
		long rc = HYPERVISOR_set_trap_table(t);

		check_eq("crash.noncanonical_handler.einval", -XEN_EINVAL, rc);
		if (rc == -XEN_EINVAL)
			return check_done();
		/* Accepted: what happens when it is used must hurt this domain only. */
		__asm__ __volatile__("int3");
	}
	printf("crash: scenario '%s' did not end the domain\n", scenario());
	return 1;
}
