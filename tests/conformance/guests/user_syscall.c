/*
 * SYSCALL from guest user mode (PV ABI notes 3.3). pv_user_init gives the
 * vCPU a user page-table root and a kernel stack (stack_switch); code run
 * in user mode (pv_user_run) that executes `syscall` is not making a
 * hypercall: the hypervisor switches to kernel mode and enters the
 * registered syscall callback with a frame on the kernel stack (at
 * kernel_sp, rounded down to 16) holding RCX = the user RIP after the
 * SYSCALL, R11 = the user RFLAGS, then RIP (the same), CS (the user
 * selector, RPL 3), RFLAGS, RSP (the user stack) and SS; RAX and the
 * other registers as user code left them; events masked, as the callback
 * was registered with CALLBACKF_mask_events. Even RAX = a hypercall
 * number does nothing but reach the callback. Without a syscall callback
 * (registered as address 0), SYSCALL in user mode is #UD at the
 * instruction, with the user frame (Xen's rule).
 */
#include "check.h"
#include "probes.h"

#define USER_CS 0xe033UL
#define USER_SS 0xe02bUL

static volatile struct {
	uint64_t rax, rcx, r11, rip, cs, rflags, rsp, ss, rdi, frame_top, mask;
	unsigned int count;
} sc;
static volatile uint64_t user_rsp_at, user_rip_after;

static bool on_syscall(struct pv_regs *r)
{
	const struct vcpu_info *vi = pv_vcpu_info();

	sc.count++;
	sc.rax = r->rax;
	sc.rcx = r->rcx;
	sc.r11 = r->r11;
	sc.rip = r->rip;
	sc.cs = r->cs;
	sc.rflags = r->rflags;
	sc.rsp = r->rsp;
	sc.ss = r->ss;
	sc.rdi = r->rdi;
	sc.frame_top = (uint64_t)(uintptr_t)&r->ss + 8;
	sc.mask = vi ? vi->evtchn_upcall_mask : ~0UL;
	r->rax = 0x5ca11ed;          /* what the "system call" returns to user mode */
	return true;                 /* the frame already points after the SYSCALL */
}

/* In user mode: syscall with RAX = nr and RDI = arg, recording RSP and the return point. */
static long user_syscall(long nr)
{
	long ret;

	__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
			 "mov %%rcx, %[after]\n\t"
			 "mov %%rsp, %[rsp]\n\t"
			 "mov $0xabcdef, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret), [after] "=m"(user_rip_after), [rsp] "=m"(user_rsp_at)
			 : "a"(nr)
			 : "rcx", "r11", "rdi", "memory");
	return ret;
}

static volatile struct ud_record {
	unsigned int count;
	uint64_t rip, cs, rsp;
} ud;

/* #UD from user mode: record it, put the syscall callback back, skip the SYSCALL. */
static bool on_ud(struct pv_regs *r)
{
	struct callback_register cb = { .type = CALLBACKTYPE_syscall,
					.flags = CALLBACKF_mask_events,
					.address = pv_syscall_entry() };

	ud.count++;
	ud.rip = r->rip;
	ud.cs = r->cs;
	ud.rsp = r->rsp;
	HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
	r->rip += 2;
	return true;
}

static long user_cs_and_flags(long unused)
{
	(void)unused;
	return (long)((read_cs() << 32) | (read_rflags() & 0xffffffff));
}

int main(void)
{
	long ret;

	check_guest(GUEST_NAME);
	if (!check_eq("user_syscall.init", 0, pv_user_init()))
		return check_done();
	pv_set_trap_hook(PV_VECTOR_SYSCALL, on_syscall);

	ret = pv_user_run(user_cs_and_flags, 0);
	check_hex("user_syscall.user_mode_cs", USER_CS, (uint64_t)ret >> 32);

	ret = pv_user_run(user_syscall, 1234);
	check_eq("user_syscall.reached_callback_once", 1, sc.count);
	check_hex("user_syscall.returned_to_user", 0x5ca11ed, (uint64_t)ret);
	check_hex("user_syscall.rax_kept", 1234, sc.rax);
	check_hex("user_syscall.rdi_kept", 0xabcdef, sc.rdi);
	check_hex("user_syscall.rcx_user_rip_after", user_rip_after, sc.rcx);
	check_hex("user_syscall.rip_after", user_rip_after, sc.rip);
	check_hex("user_syscall.cs_user_rpl3_mask_saved", USER_CS | 1UL << 32, sc.cs);
	check_bits("user_syscall.r11_user_rflags", 0xcd5, sc.rflags & 0xcd5, sc.r11);
	check_hex("user_syscall.rsp_user", user_rsp_at, sc.rsp);
	check_hex("user_syscall.ss_user", USER_SS, sc.ss);
	check_hex("user_syscall.frame_on_kernel_stack", pv_user_kernel_stack_top() & ~15UL,
		  sc.frame_top);
	if (pv_shared_info)
		check_eq("user_syscall.events_masked_in_callback", 1, sc.mask);

	/* A hypercall number from user mode is just a system call number. */
	sc.count = 0;
	ret = pv_user_run(user_syscall, PV_HC_sched_op);
	check_eq("user_syscall.hypercall_nr_not_a_hypercall", 1, sc.count);
	check_hex("user_syscall.hypercall_nr_rax", PV_HC_sched_op, sc.rax);
	ret = pv_user_run(user_syscall, PV_HC_console_io);
	check_eq("user_syscall.console_io_nr_not_a_hypercall", 2, sc.count);

	/* Back in kernel mode, hypercalls work. */
	check_hex("user_syscall.kernel_hypercalls_work", 0x40011,
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL));
	check_hex("user_syscall.kernel_cs", 0xe033, read_cs());

	/* No syscall callback: #UD at the SYSCALL, in user mode. */
	{
		struct callback_register cb = { .type = CALLBACKTYPE_syscall, .address = 0 };

		check_eq("user_syscall.no_callback.unregister_by_zero", 0,
			 HYPERVISOR_callback_op(CALLBACKOP_register, &cb));
		pv_set_trap_hook(6, on_ud);
		ud = (struct ud_record){ 0 };
		ret = pv_user_run(user_syscall, 77);
		pv_set_trap_hook(6, NULL);
		check_eq("user_syscall.no_callback.ud_once", 1, ud.count);
		check_hex("user_syscall.no_callback.rip_at_syscall", user_rip_after - 2, ud.rip);
		check_hex("user_syscall.no_callback.cs_user", USER_CS, ud.cs & 0xffff);
		check_hex("user_syscall.no_callback.rsp_user", user_rsp_at, ud.rsp);
		check_hex("user_syscall.no_callback.rax_untouched", 77, (uint64_t)ret);
	}
	return check_done();
}
