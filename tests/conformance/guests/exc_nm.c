/*
 * Vector 7, #NM: with the guest's virtual CR0.TS set (fpu_taskswitch(1),
 * or an emulated MOV to CR0 with TS), the first x87, SSE or WAIT
 * instruction is a fault without error code at that instruction; the
 * hypervisor clears the virtual TS as it delivers it (Xen's rule), so the
 * instruction then runs when the handler returns to it. The emulated CR0
 * read shows TS while it is set.
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

#define CR0_TS 0x8UL

/* x87 FLD1/FSTP and FWAIT with the probe layout: each raises #NM under TS. */
void probe_x87(void);
void probe_fwait(void);
__asm__(".text\n.globl probe_x87\nprobe_x87:\n"
	"	lea 2f(%rip), %rax\n	mov %rax, probe_after(%rip)\n"
	"	lea 1f(%rip), %rax\n	mov %rax, probe_at(%rip)\n"
	"	movabs $0x1111111111111111, %rcx\n	movabs $0x2222222222222222, %r11\n"
	"	mov %rsp, probe_rsp(%rip)\n"
	"1:	fld1\n"
	"2:	fstp %st(0)\n"
	"	ret\n"
	".globl probe_fwait\nprobe_fwait:\n"
	"	lea 2f(%rip), %rax\n	mov %rax, probe_after(%rip)\n"
	"	lea 1f(%rip), %rax\n	mov %rax, probe_at(%rip)\n"
	"	movabs $0x1111111111111111, %rcx\n	movabs $0x2222222222222222, %r11\n"
	"	mov %rsp, probe_rsp(%rip)\n"
	"1:	fwait\n"
	"2:	ret\n");

static uint64_t cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/*
 * Under TS nothing may touch the FPU, and the checks print through
 * newlib (which uses SSE): everything is recorded first, checked after.
 */
static void under_ts(const char *name, void (*probe)(void))
{
	long rc = HYPERVISOR_fpu_taskswitch(1);
	uint64_t cr0_set = cr0(), cr0_after;
	unsigned int again;
	struct trap_record first;

	frame_expect(7);
	probe();
	trap_unexpect(7);
	first = last_trap;
	cr0_after = cr0();
	trap_reset();
	trap_expect(7);
	probe();
	trap_unexpect(7);
	again = trap_count;

	check_eq(name_of("exc_nm.%s.taskswitch_set", name), 0, rc);
	check_bits(name_of("exc_nm.%s.cr0_ts_set", name), CR0_TS, CR0_TS, cr0_set);
	last_trap = first;
	trap_count = 1;
	frame_check(name_of("exc_nm.%s", name), 7, 0, FRAME_FAULT, 1);
	check_bits(name_of("exc_nm.%s.ts_cleared_by_delivery", name), CR0_TS, 0, cr0_after);
	/* TS was clear then: the same instruction ran. */
	check_eq(name_of("exc_nm.%s.runs_after", name), 0, again);
}

int main(void)
{
	check_guest(GUEST_NAME);
	under_ts("x87", probe_x87);
	under_ts("sse", probe_sse);
	under_ts("fwait", probe_fwait);
	/* TS through the emulated MOV to CR0. */
	{
		uint64_t set;

		__asm__ volatile("mov %0, %%cr0" : : "r"(cr0() | CR0_TS));
		set = cr0();
		frame_expect(7);
		probe_x87();
		trap_unexpect(7);
		check_bits("exc_nm.mov_cr0.ts_set", CR0_TS, CR0_TS, set);
		trap_expect(7);
		frame_check("exc_nm.mov_cr0", 7, 0, FRAME_FAULT, 1);
	}
	check_eq("exc_nm.taskswitch_clear", 0, HYPERVISOR_fpu_taskswitch(0));
	check_bits("exc_nm.cr0_ts_clear", CR0_TS, 0, cr0());
	return check_done();
}
