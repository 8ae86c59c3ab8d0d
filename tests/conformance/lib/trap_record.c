/* The trap hook behind trap_expect(): record the frame, resume after the probe. */
#include "probes.h"

volatile struct trap_record last_trap;
volatile unsigned int trap_count;

static bool record(struct pv_regs *r)
{
	const struct vcpu_info *vi = pv_vcpu_info();

	last_trap.vector = r->vector;
	last_trap.error_code = r->error_code;
	last_trap.rip = r->rip;
	last_trap.cs = r->cs;
	last_trap.rflags = r->rflags;
	last_trap.rsp = r->rsp;
	last_trap.ss = r->ss;
	last_trap.rcx = r->rcx;
	last_trap.r11 = r->r11;
	last_trap.frame_top = (uint64_t)(uintptr_t)&r->ss + 8;
	last_trap.cr2 = vi ? vi->arch.cr2 : ~0ULL;
	last_trap.mask = vi ? vi->evtchn_upcall_mask : ~0ULL;
	trap_count++;
	r->rip = probe_after;
	r->rsp = probe_rsp;
	r->rflags &= ~0x100UL; /* no single-stepping on into the test */
	return true;
}

void trap_expect(unsigned int vector)
{
	pv_set_trap_hook(vector, record);
}

void trap_unexpect(unsigned int vector)
{
	pv_set_trap_hook(vector, NULL);
}

void trap_reset(void)
{
	last_trap = (struct trap_record){ 0 };
	trap_count = 0;
}

/* Sets the event mask through the iret hypercall's RFLAGS.IF. */
void iret_set_mask(unsigned int mask)
{
	iret_with(mask ? 0x2 : 0x202, 0xe030, 0);
}
