/*
 * The virtual IDT (set_trap_table), the callbacks (callback_op), and what
 * happens to a trap: the event upcall goes to events.c, an exception to
 * the guest's hook for that vector if it has one, everything else to a
 * report on the console and a crash of the domain.
 */
#include "internal.h"

/* Vectors 0-255, then the failsafe and syscall callbacks (PV_VECTOR_*). */
static pv_trap_hook_t hooks[PV_VECTOR_SYSCALL + 1];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved (15)", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

/*
 * trap_info flags for libpv's own table: every vector masks events while
 * its handler runs, like an interrupt gate; INT3 and INTO may be raised
 * from any mode (DPL 3), as on Linux; the others not at all by INT n
 * (DPL 0), so INT n for a vector with an error code becomes a #GP.
 */
static unsigned int default_flags(unsigned int vector)
{
	return TI_MASK_EVENTS | ((vector == 3 || vector == 4) ? 3 : 0);
}

uint64_t pv_trap_entry(unsigned int vector)
{
	return pv_trap_stubs[vector & 0xff];
}

uint64_t pv_event_entry(void)
{
	return (uint64_t)(uintptr_t)pv_event_callback;
}

uint64_t pv_failsafe_entry(void)
{
	return (uint64_t)(uintptr_t)pv_failsafe_callback;
}

uint64_t pv_syscall_entry(void)
{
	return (uint64_t)(uintptr_t)pv_syscall_callback;
}

long pv_trap_install(unsigned int vector, unsigned int flags)
{
	struct trap_info t[2] = {
		{ .vector = (uint8_t)vector, .flags = (uint8_t)flags, .cs = FLAT_KERNEL_CS,
		  .address = pv_trap_entry(vector) },
		{ 0 },
	};

	return HYPERVISOR_set_trap_table(t);
}

struct trap_info pv_trap_info(unsigned int vector)
{
	return (struct trap_info){ .vector = (uint8_t)vector, .flags = (uint8_t)default_flags(vector),
				   .cs = FLAT_KERNEL_CS, .address = pv_trap_entry(vector) };
}

long pv_traps_reset(void)
{
	struct trap_info t[33] = { { 0 } }; /* vectors 0-31, then the terminator */

	for (unsigned int v = 0; v < 32; v++)
		t[v] = pv_trap_info(v);
	return HYPERVISOR_set_trap_table(t);
}

static long register_callback(unsigned int type, uint64_t address)
{
	struct callback_register cb = {
		.type = (uint16_t)type,
		.flags = CALLBACKF_mask_events,
		.address = address,
	};

	return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

void pv_traps_init(void)
{
	long rc = pv_traps_reset();

	if (rc)
		pv_crash("set_trap_table refused libpv's table: %ld", rc);
	if ((rc = register_callback(CALLBACKTYPE_event, pv_event_entry())) ||
	    (rc = register_callback(CALLBACKTYPE_failsafe, pv_failsafe_entry())) ||
	    (rc = register_callback(CALLBACKTYPE_syscall, pv_syscall_entry())))
		pv_crash("callback_op(register) refused: %ld", rc);
}

void pv_set_trap_hook(unsigned int vector, pv_trap_hook_t hook)
{
	if (vector < 256 || vector == PV_VECTOR_FAILSAFE || vector == PV_VECTOR_SYSCALL)
		hooks[vector] = hook;
}

static const char *trap_name(uint64_t vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	switch (vector) {
	case PV_VECTOR_EVENT: return "event upcall";
	case PV_VECTOR_FAILSAFE: return "failsafe callback";
	case PV_VECTOR_SYSCALL: return "system call from user mode";
	default: return "software interrupt";
	}
}

void pv_trap_report(const struct pv_regs *r)
{
	const struct vcpu_info *vi = pv_vcpu_info();

	pv_printk("libpv: unexpected trap: vector %llu (%s) error %#llx at RIP %#llx\n",
		  (unsigned long long)r->vector, trap_name(r->vector),
		  (unsigned long long)r->error_code, (unsigned long long)r->rip);
	if (r->vector == 14 && vi)
		pv_printk("libpv:   CR2 %#llx\n", (unsigned long long)vi->arch.cr2);
	else if (r->vector == 14)
		pv_printk("libpv:   CR2 unknown (shared_info not mapped)\n");
	pv_printk("libpv:   CS %#llx (event mask %llu) RFLAGS %#llx RSP %#llx SS %#llx\n",
		  (unsigned long long)(r->cs & 0xffff), (unsigned long long)((r->cs >> 32) & 0xff),
		  (unsigned long long)r->rflags, (unsigned long long)r->rsp,
		  (unsigned long long)r->ss);
	pv_printk("libpv:   RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
		  (unsigned long long)r->rax, (unsigned long long)r->rbx,
		  (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	pv_printk("libpv:   RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n",
		  (unsigned long long)r->rsi, (unsigned long long)r->rdi,
		  (unsigned long long)r->rbp, (unsigned long long)r->r8);
	pv_printk("libpv:   R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n",
		  (unsigned long long)r->r9, (unsigned long long)r->r10,
		  (unsigned long long)r->r11, (unsigned long long)r->r12);
	pv_printk("libpv:   R13 %016llx R14 %016llx R15 %016llx\n",
		  (unsigned long long)r->r13, (unsigned long long)r->r14,
		  (unsigned long long)r->r15);
}

void pv_trap_dispatch(struct pv_regs *regs)
{
	uint64_t v = regs->vector;

	if (v == PV_VECTOR_EVENT) {
		pv_evtchn_upcall();
		return;
	}
	if (v == PV_VECTOR_SYSCALL && pv_user_exit(regs))
		return;
	if (v <= PV_VECTOR_SYSCALL && v != PV_VECTOR_EVENT && hooks[v] && hooks[v](regs))
		return;
	pv_trap_report(regs);
	pv_crash("unhandled trap %llu (%s) at RIP %#llx", (unsigned long long)v, trap_name(v),
		 (unsigned long long)regs->rip);
}
