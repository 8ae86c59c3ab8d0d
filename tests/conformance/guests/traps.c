/*
 * set_trap_table (0) and exception delivery: for each kind of trap, the
 * bounce frame the guest kernel receives (PV ABI notes, section 3.4):
 * vector, error code, RIP (the instruction for faults, the next one for
 * traps), CS 0xe030 (RPL cleared: the kernel was interrupted) with the
 * saved event mask in bits 39:32, RFLAGS with IF = !mask and IOPL 0, the
 * interrupted RSP and SS, RCX and R11, a frame base rounded down to 16
 * bytes; CR2 in vcpu_info for #PF with the error code's user bit showing
 * guest kernel mode; INT n allowed or turned into #GP by the trap's DPL;
 * events masked in handlers that ask for it.
 */
#include "check.h"
#include "probes.h"

#define KERNEL_CS 0xe030UL
#define FLAT_SS 0xe02bUL
#define RFLAGS_IF 0x200UL
#define RFLAGS_IOPL 0x3000UL
#define UNMAPPED 0x100000000UL /* user half: nothing mapped there */
#define HYPERVISOR_PRIVATE 0xffff840000000000UL

/* Checks the common parts of last_trap for a trap at probe_at (fault) or probe_after (trap). */
static void frame(const char *what, uint64_t vector, uint64_t rip, unsigned int mask)
{
	check_eq(name_of("traps.%s.delivered_once", what), 1, trap_count);
	check_eq(name_of("traps.%s.vector", what), vector, last_trap.vector);
	check_hex(name_of("traps.%s.rip", what), rip, last_trap.rip);
	check_hex(name_of("traps.%s.cs_rpl0_and_saved_mask", what), KERNEL_CS | (uint64_t)mask << 32,
		  last_trap.cs);
	check_bits(name_of("traps.%s.rflags_if_is_not_mask", what), RFLAGS_IF,
		   mask ? 0 : RFLAGS_IF, last_trap.rflags);
	check_bits(name_of("traps.%s.rflags_iopl0", what), RFLAGS_IOPL, 0, last_trap.rflags);
	check_hex(name_of("traps.%s.ss", what), FLAT_SS, last_trap.ss);
}

static void frame_stack(const char *what, uint64_t rsp)
{
	check_hex(name_of("traps.%s.rsp", what), rsp, last_trap.rsp);
	check_hex(name_of("traps.%s.frame_base_aligned_16", what), rsp & ~15UL, last_trap.frame_top);
	check_hex(name_of("traps.%s.rcx", what), PROBE_RCX, last_trap.rcx);
	check_hex(name_of("traps.%s.r11", what), PROBE_R11, last_trap.r11);
}

static void expect(unsigned int vector)
{
	trap_reset();
	trap_expect(vector);
}

static void cr2(const char *what, uint64_t addr)
{
	if (pv_shared_info)
		check_hex(name_of("traps.%s.cr2_in_vcpu_info", what), addr, last_trap.cr2);
	else
		check_skip(name_of("traps.%s.cr2_in_vcpu_info", what), "shared_info not mapped");
}

static void breakpoints(void)
{
	expect(3);
	probe_int3();
	frame("int3", 3, probe_after, 1);
	frame_stack("int3", probe_rsp);

	expect(3);
	probe_int3_aligned();
	frame("int3_aligned_stack", 3, probe_after, 1);
	frame_stack("int3_aligned_stack", probe_rsp);

	/* INT $3 in its two-byte form resumes after both bytes. */
	expect(3);
	probe_int_cd03();
	frame("int_cd03", 3, probe_after, 1);
	trap_unexpect(3);
}

static void faults(void)
{
	expect(6);
	probe_ud2();
	frame("ud2", 6, probe_at, 1);
	frame_stack("ud2", probe_rsp);
	expect(6);
	probe_forced_not_cpuid();
	frame("forced_prefix_not_cpuid", 6, probe_at, 1);
	trap_unexpect(6);

	expect(0);
	probe_div0();
	frame("divide_error", 0, probe_at, 1);
	trap_unexpect(0);

	expect(13);
	probe_load(ADDR_NONCANONICAL);
	frame("gp_noncanonical_load", 13, probe_at, 1);
	frame_stack("gp_noncanonical_load", probe_rsp);
	check_hex("traps.gp_noncanonical_load.error_code", 0, last_trap.error_code);
	expect(13);
	probe_hlt();
	frame("gp_hlt", 13, probe_at, 1);
	check_hex("traps.gp_hlt.error_code", 0, last_trap.error_code);
	expect(13);
	probe_cli();
	frame("gp_cli", 13, probe_at, 1);
	check_hex("traps.gp_cli.error_code", 0, last_trap.error_code);
	trap_unexpect(13);
}

static void page_faults(void)
{
	expect(14);
	probe_load(UNMAPPED);
	frame("pf_read", 14, probe_at, 1);
	frame_stack("pf_read", probe_rsp);
	/* Not present, read, and "supervisor": the guest kernel faulted, not a user. */
	check_hex("traps.pf_read.error_code", 0, last_trap.error_code);
	cr2("pf_read", UNMAPPED);

	expect(14);
	probe_store(UNMAPPED + 0x1238);
	frame("pf_write", 14, probe_at, 1);
	check_hex("traps.pf_write.error_code", 2, last_trap.error_code);
	cr2("pf_write", UNMAPPED + 0x1238);

	/* Jumping into nothing: the fault is at the target, with the return address pushed. */
	expect(14);
	probe_call(UNMAPPED + 0x40);
	frame("pf_fetch", 14, UNMAPPED + 0x40, 1);
	check_hex("traps.pf_fetch.error_code_instruction_fetch", 0x10, last_trap.error_code);
	check_hex("traps.pf_fetch.rsp", probe_rsp - 8, last_trap.rsp);
	cr2("pf_fetch", UNMAPPED + 0x40);

	/* The hypervisor's own memory is out of reach, and says so with a #PF there. */
	expect(14);
	probe_load(HYPERVISOR_PRIVATE);
	check_eq("traps.pf_hypervisor_memory.vector", 14, last_trap.vector);
	check_bits("traps.pf_hypervisor_memory.error_code_user_clear", 4, 0, last_trap.error_code);
	cr2("pf_hypervisor_memory", HYPERVISOR_PRIVATE);
	trap_unexpect(14);
}

static void software_interrupts(void)
{
	/* Installed with DPL 3: INT $0x80 reaches it, after the instruction, no error code. */
	check_eq("traps.install_0x80_dpl3", 0, pv_trap_install(0x80, 3 | TI_MASK_EVENTS));
	expect(0x80);
	probe_int80();
	frame("int80_dpl3", 0x80, probe_after, 1);
	frame_stack("int80_dpl3", probe_rsp);
	trap_unexpect(0x80);

	/* Not installed: #GP with the IDT-entry error code (vector << 3) | 2, at the INT. */
	expect(13);
	probe_int81();
	frame("int81_not_installed", 13, probe_at, 1);
	check_hex("traps.int81_not_installed.error_code", (0x81 << 3) | 2, last_trap.error_code);

	/* Installed with DPL 0: nobody may raise it, so #GP as well. */
	check_eq("traps.install_0x82_dpl0", 0, pv_trap_install(0x82, TI_MASK_EVENTS));
	expect(13);
	probe_int82();
	frame("int82_dpl0", 13, probe_at, 1);
	check_hex("traps.int82_dpl0.error_code", (0x82 << 3) | 2, last_trap.error_code);
	trap_unexpect(13);

	/* DPL 1 admits the guest kernel. */
	check_eq("traps.install_0x82_dpl1", 0, pv_trap_install(0x82, 1 | TI_MASK_EVENTS));
	expect(0x82);
	probe_int82();
	frame("int82_dpl1", 0x82, probe_after, 1);
	trap_unexpect(0x82);

	/* INT3 when vector 3 has DPL 0: #GP too (error code 0x1a). */
	check_eq("traps.install_3_dpl0", 0, pv_trap_install(3, TI_MASK_EVENTS));
	expect(13);
	probe_int3();
	frame("int3_dpl0", 13, probe_at, 1);
	check_hex("traps.int3_dpl0.error_code", (3 << 3) | 2, last_trap.error_code);
	trap_unexpect(13);
	check_eq("traps.reinstall_libpv_table", 0, pv_traps_reset());
}

/* Vector 3 hook that raises a nested INT3 and records that frame's saved mask. */
static volatile uint64_t nested_cs, nested_rflags;
static volatile int nesting;

static bool nested_hook(struct pv_regs *r)
{
	(void)r;
	if (nesting == 0) {
		nesting = 1;
		__asm__ __volatile__("int3" ::: "memory");
		nesting = 0;
	} else {
		nested_cs = r->cs;
		nested_rflags = r->rflags;
	}
	return true; /* INT3 frames already point after the instruction */
}

static void event_masking(void)
{
	/* Events unmasked by an iret with IF set; a masking trap masks inside its handler. */
	iret_set_mask(0);
	expect(3);
	probe_int3();
	frame("int3_unmasked", 3, probe_after, 0);
	if (pv_shared_info)
		check_eq("traps.int3_unmasked.masked_in_handler", 1, last_trap.mask);
	else
		check_skip("traps.int3_unmasked.masked_in_handler", "shared_info not mapped");
	trap_unexpect(3);

	/* The same seen from a nested trap: its frame holds the handler's mask. */
	pv_set_trap_hook(3, nested_hook);
	nested_cs = 0;
	__asm__ __volatile__("int3" ::: "memory");
	check_hex("traps.nested.mask_events_flag_masks", KERNEL_CS | 1UL << 32, nested_cs);
	check_bits("traps.nested.mask_events_flag_if_clear", RFLAGS_IF, 0, nested_rflags);

	/* Without TI_MASK_EVENTS the handler runs with events as they were (unmasked). */
	pv_trap_install(3, 3);
	nested_cs = 0;
	__asm__ __volatile__("int3" ::: "memory");
	check_hex("traps.nested.no_mask_flag_keeps_unmasked", KERNEL_CS, nested_cs);
	check_bits("traps.nested.no_mask_flag_if_set", RFLAGS_IF, RFLAGS_IF, nested_rflags);
	pv_set_trap_hook(3, NULL);
	pv_trap_install(3, 3 | TI_MASK_EVENTS);

	/* And the iret at the end of a handler restored the interrupted mask (0). */
	expect(3);
	probe_int3();
	check_hex("traps.mask_restored_by_iret", KERNEL_CS, last_trap.cs);
	trap_unexpect(3);
	iret_set_mask(1);
}

static void table_arguments(void)
{
	uint64_t ok = pv_trap_entry(0x80);
	long rc;
	struct trap_info t[3] = {
		{ .vector = 0x80, .flags = 3, .cs = FLAT_KERNEL_CS, .address = ok },
		{ .vector = 0x81, .flags = 3, .cs = FLAT_KERNEL_CS, .address = ADDR_NONCANONICAL },
		{ 0 },
	};

	check_eq("traps.table.libpv", 0, pv_traps_reset());
	check_eq("traps.table.null_clears_all", 0, HYPERVISOR_set_trap_table(NULL));
	check_eq("traps.table.reinstall", 0, pv_traps_reset());
	check_eq("traps.table.unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_set_trap_table((void *)ADDR_UNMAPPED_LOW));
	check_eq("traps.table.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_set_trap_table((void *)ADDR_HYPERVISOR));
	check_eq("traps.table.noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_set_trap_table((void *)ADDR_NONCANONICAL));

	/* A non-canonical handler is refused; entries before it are already in force. */
	rc = HYPERVISOR_set_trap_table(t);
	check_eq("traps.table.noncanonical_handler_einval", -XEN_EINVAL, rc);
	if (rc != -XEN_EINVAL) {
		/* Accepted: take the bad vector out again before anything raises it. */
		HYPERVISOR_set_trap_table(NULL);
		pv_traps_reset();
		pv_trap_install(0x80, 3);
	}
	expect(0x80);
	probe_int80();
	check_eq("traps.table.entry_before_bad_one_installed", 0x80, last_trap.vector);
	trap_unexpect(0x80);
	expect(13);
	probe_int81();
	check_eq("traps.table.bad_entry_not_installed", 13, last_trap.vector);
	trap_unexpect(13);

	/* Only the listed vectors change: #UD still reaches libpv's stub. */
	t[0] = (struct trap_info){ .vector = 0x90, .flags = 3, .cs = 0, .address = pv_trap_entry(0x90) };
	t[1] = (struct trap_info){ 0 };
	check_eq("traps.table.one_entry", 0, HYPERVISOR_set_trap_table(t));
	expect(6);
	probe_ud2();
	check_eq("traps.table.other_vectors_kept", 6, last_trap.vector);
	trap_unexpect(6);
}

int main(void)
{
	check_guest(GUEST_NAME);
	breakpoints();
	faults();
	page_faults();
	software_interrupts();
	event_masking();
	table_arguments();
	return check_done();
}
