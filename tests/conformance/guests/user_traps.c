/*
 * Exceptions raised in guest user mode (PV ABI notes 3.2 and 3.4): the
 * hypervisor switches the vCPU to kernel mode (kernel page tables and GS
 * base) and writes the bounce frame on the kernel stack registered with
 * stack_switch (rounded down to 16), not on the user stack; the frame's
 * CS is the user selector with RPL 3, RSP and SS the user's. #PF reports
 * the user bit (4) in its error code. INT n follows the trap_info DPL
 * with user mode counting as 3: DPL 3 admits it, DPL 1 (the kernel may)
 * is #GP((n << 3) | 2) from user mode. CLI in user mode without I/O
 * privilege is #GP(0). The user GS base is the one set with
 * SEGBASE_GS_USER, the kernel's stays the kernel's.
 */
#include "check.h"
#include "probes.h"

#define USER_CS 0xe033UL
#define USER_SS 0xe02bUL

static volatile uint64_t gs_word = 0x6565656565656565UL, kernel_gs_word = 0x4b4b4b4b4b4b4b4bUL;

static void expect(unsigned int v)
{
	trap_reset();
	trap_expect(v);
}

static void user_frame(const char *what, unsigned int vector, uint64_t error, uint64_t rip)
{
	trap_unexpect(vector);
	check_eq(name_of("user_traps.%s.delivered_once", what), 1, trap_count);
	check_eq(name_of("user_traps.%s.vector", what), vector, last_trap.vector);
	check_hex(name_of("user_traps.%s.error_code", what), error, last_trap.error_code);
	check_hex(name_of("user_traps.%s.rip", what), rip, last_trap.rip);
	check_hex(name_of("user_traps.%s.cs_user_rpl3", what), USER_CS, last_trap.cs & 0xffff);
	check_hex(name_of("user_traps.%s.rsp_user", what), probe_rsp, last_trap.rsp);
	check_hex(name_of("user_traps.%s.ss_user", what), USER_SS, last_trap.ss);
	check_hex(name_of("user_traps.%s.frame_on_kernel_stack", what),
		  pv_user_kernel_stack_top() & ~15UL, last_trap.frame_top);
	check_hex(name_of("user_traps.%s.rcx", what), PROBE_RCX, last_trap.rcx);
}

static long u_int3(long a) { (void)a; probe_int3(); return 0; }
static long u_ud2(long a) { (void)a; probe_ud2(); return 0; }
static long u_load(long a) { probe_load((uint64_t)a); return 0; }
static long u_store(long a) { probe_store((uint64_t)a); return 0; }
static long u_int80(long a) { (void)a; probe_int80(); return 0; }
static long u_int82(long a) { (void)a; probe_int82(); return 0; }
static long u_cli(long a) { (void)a; probe_cli(); return 0; }
static long u_read_gs(long a) { (void)a; return (long)read_gs0(); }

int main(void)
{
	uint64_t kernel_gs_before;

	check_guest(GUEST_NAME);
	if (!check_eq("user_traps.init", 0, pv_user_init()))
		return check_done();

	expect(3);
	pv_user_run(u_int3, 0);
	user_frame("int3", 3, 0, probe_after);
	expect(6);
	pv_user_run(u_ud2, 0);
	user_frame("ud2", 6, 0, probe_at);

	expect(14);
	pv_user_run(u_load, 0x100000000L);
	user_frame("pf_read", 14, 4, probe_at);
	if (pv_shared_info)
		check_hex("user_traps.pf_read.cr2", 0x100000000UL, last_trap.cr2);
	expect(14);
	pv_user_run(u_store, 0x100000040L);
	user_frame("pf_write", 14, 6, probe_at);

	check_eq("user_traps.install_0x80_dpl3", 0, pv_trap_install(0x80, 3 | TI_MASK_EVENTS));
	expect(0x80);
	pv_user_run(u_int80, 0);
	user_frame("int80_dpl3", 0x80, 0, probe_after);
	check_eq("user_traps.install_0x82_dpl1", 0, pv_trap_install(0x82, 1 | TI_MASK_EVENTS));
	expect(13);
	pv_user_run(u_int82, 0);
	user_frame("int82_dpl1_from_user", 13, (0x82 << 3) | 2, probe_at);

	expect(13);
	pv_user_run(u_cli, 0);
	user_frame("cli", 13, 0, probe_at);

	/* GS bases: the user one in user mode, the kernel one back in kernel mode. */
	check_eq("user_traps.set_gs_kernel", 0,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (uint64_t)(uintptr_t)&kernel_gs_word));
	kernel_gs_before = read_gs0();
	check_eq("user_traps.set_gs_user", 0,
		 HYPERVISOR_set_segment_base(SEGBASE_GS_USER, (uint64_t)(uintptr_t)&gs_word));
	check_hex("user_traps.user_gs_in_user_mode", gs_word, (uint64_t)pv_user_run(u_read_gs, 0));
	check_hex("user_traps.kernel_gs_after", kernel_gs_before, read_gs0());
	check_hex("user_traps.kernel_gs_is_kernels", kernel_gs_word, kernel_gs_before);
	check_hex("user_traps.kernel_cs_after", 0xe033, read_cs());
	HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0);
	return check_done();
}
