/*
 * Exceptions taken in the hypervisor. Until guests exist every exception
 * here is a hypervisor bug: report it in full (vector, error code, CR2,
 * registers, backtrace) and stop the machine.
 */
#include <asm/arch.h>
#include <asm/fixup.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/regs.h>
#include <asm/x86.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/lib.h>
#include <mica/symbols.h>

static const char *const exception_names[32][2] = {
	[0] = { "DE", "divide error" },
	[1] = { "DB", "debug" },
	[2] = { "NMI", "non-maskable interrupt" },
	[3] = { "BP", "breakpoint" },
	[4] = { "OF", "overflow" },
	[5] = { "BR", "bound range" },
	[6] = { "UD", "invalid opcode" },
	[7] = { "NM", "device not available" },
	[8] = { "DF", "double fault" },
	[9] = { "CSO", "coprocessor segment overrun" },
	[10] = { "TS", "invalid TSS" },
	[11] = { "NP", "segment not present" },
	[12] = { "SS", "stack fault" },
	[13] = { "GP", "general protection" },
	[14] = { "PF", "page fault" },
	[16] = { "MF", "x87 floating point" },
	[17] = { "AC", "alignment check" },
	[18] = { "MC", "machine check" },
	[19] = { "XM", "SIMD floating point" },
	[20] = { "VE", "virtualization" },
	[21] = { "CP", "control protection" },
	[29] = { "VC", "VMM communication" },
	[30] = { "SX", "security" },
};

static void print_symbol_line(const char *prefix, u64 addr)
{
	u64 off;
	const char *name = symbol_lookup(addr, &off);

	/* u64 is unsigned long here (LP64): %lx prints it. */
	if (name)
		printk(LOG_ERR, "%s[<%#018lx>] %s+%#lx", prefix, addr, name, off);
	else
		printk(LOG_ERR, "%s[<%#018lx>] ?", prefix, addr);
}

/*
 * Follows the frame-pointer chain from rbp while it stays inside the
 * stack block it started in, so a corrupt chain cannot fault here.
 */
static void backtrace(u64 rip, u64 rbp)
{
	u64 block = rbp & ~(u64)(STACK_SIZE - 1);

	printk(LOG_ERR, "backtrace:");
	print_symbol_line("  ", rip);
	for (int depth = 0; depth < 32; depth++) {
		const u64 *frame = (const u64 *)(uintptr_t)rbp;

		if (!rbp || (rbp & 7) || (rbp & ~(u64)(STACK_SIZE - 1)) != block ||
		    rbp + 16 > block + STACK_SIZE)
			break;
		if (!frame[1])
			break;
		print_symbol_line("  ", frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
}

static void describe_error_code(const struct cpu_regs *regs, char *buf, size_t size)
{
	u64 e = regs->error_code;

	buf[0] = '\0';
	if (regs->vector == 14)
		snprintf(buf, size, " [%s, %s, %s%s%s]", e & 1 ? "protection" : "not present",
			 e & 2 ? "write" : "read", e & 4 ? "user" : "supervisor",
			 e & 8 ? ", reserved bit" : "", e & 16 ? ", instruction fetch" : "");
	else if (e && (regs->vector == 10 || regs->vector == 11 || regs->vector == 12 ||
		       regs->vector == 13))
		snprintf(buf, size, " [%s selector %#lx%s]", e & 2 ? "IDT" : e & 4 ? "LDT" : "GDT",
			 e & ~7UL, e & 1 ? ", external" : "");
}

static void __noreturn fatal_exception(const struct cpu_regs *regs)
{
	unsigned int v = (unsigned int)regs->vector;
	const char *mnemonic = exception_names[v][0] ? exception_names[v][0] : "??";
	const char *name = exception_names[v][1] ? exception_names[v][1] : "reserved";
	char detail[96];

	describe_error_code(regs, detail, sizeof(detail));
	console_lock_for_report();
	printk(LOG_ERR, "*** EXCEPTION #%s (%s, vector %u) on CPU%d", mnemonic, name, v,
	       arch_cpu_id());
	printk(LOG_ERR, "error code: %#lx%s", regs->error_code, detail);
	printk(LOG_ERR, "CR2: %#018lx", read_cr2());
	printk(LOG_ERR, "RIP=%016lx RFLAGS=%016lx CS=%04lx SS=%04lx RSP=%016lx", regs->rip,
	       regs->rflags, regs->cs, regs->ss, regs->rsp);
	printk(LOG_ERR, "RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx", regs->rax, regs->rbx,
	       regs->rcx, regs->rdx);
	printk(LOG_ERR, "RSI=%016lx RDI=%016lx RBP=%016lx R8=%016lx", regs->rsi, regs->rdi,
	       regs->rbp, regs->r8);
	printk(LOG_ERR, "R9=%016lx R10=%016lx R11=%016lx R12=%016lx", regs->r9, regs->r10,
	       regs->r11, regs->r12);
	printk(LOG_ERR, "R13=%016lx R14=%016lx R15=%016lx", regs->r13, regs->r14, regs->r15);
	printk(LOG_ERR, "CR0=%016lx CR3=%016lx CR4=%016lx", read_cr0(), read_cr3(), read_cr4());
	backtrace(regs->rip, regs->rbp);
	console_unlock_for_report();
	arch_halt_all();
}

/* The resume address for a fault at rip, or 0 if rip has no fixup. */
static u64 fixup_lookup(u64 rip)
{
	extern const u64 __fixup_start[], __fixup_end[];

	for (const u64 *f = __fixup_start; f < __fixup_end; f += 2)
		if (f[0] == rip)
			return f[1];
	return 0;
}

void do_trap(struct cpu_regs *regs)
{
	u64 fixup;

	if (regs->vector == PV_SYSCALL_VECTOR) {
		pv_do_syscall(regs);
		return;
	}
	if (regs->vector >= 32) {
		do_irq(regs, (unsigned int)regs->vector);
		return;
	}
	if (regs->vector == 2) {
		pr_warn("NMI on CPU%d (reason port 0x61: %#x)", arch_cpu_id(), inb(0x61));
		return;
	}
	if ((regs->cs & 3) == 3 && regs->vector != 8 && regs->vector != 18) {
		pv_do_exception(regs);
		return;
	}
	/* Guest memory accesses with a fixup fail softly. */
	if ((regs->vector >= 11 && regs->vector <= 14) && (fixup = fixup_lookup(regs->rip))) {
		regs->rip = fixup;
		return;
	}
	fatal_exception(regs);
}

/*
 * "test_fault=KIND" (tests only): provoke an exception in the hypervisor
 * to show that it is reported and stops the machine.
 */
static char opt_test_fault[8];
PARAM_STRING("test_fault", opt_test_fault);

void trigger_test_fault(void)
{
	volatile u64 *bad = (volatile u64 *)0xffff8000dead0000UL;
	u32 zero = 0;

	if (!opt_test_fault[0])
		return;
	pr_info("test_fault=%s: provoking an exception on purpose", opt_test_fault);
	if (!strcmp(opt_test_fault, "pf"))
		*bad = 1;
	else if (!strcmp(opt_test_fault, "ud"))
		__asm__ volatile("ud2");
	else if (!strcmp(opt_test_fault, "gp"))
		*(volatile u64 *)0x0000800000000000UL = 1; /* non-canonical */
	else if (!strcmp(opt_test_fault, "de"))
		__asm__ volatile("divl %0" : : "r"(zero), "a"(1), "d"(0));
	else if (!strcmp(opt_test_fault, "df"))
		/* Lose the stack, then fault: the #PF cannot be delivered. */
		__asm__ volatile("movq $0xffff8000dead0000, %%rsp\n\tpushq $0" ::: "memory");
	else
		pr_warn("test_fault=%s: unknown kind (use pf, ud, gp, de or df)", opt_test_fault);
}
