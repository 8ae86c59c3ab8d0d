/*
 * Port I/O from the guest kernel: a #GP without I/O privilege; emulated
 * once PHYSDEVOP_set_iopl grants it (the virtual IOPL must cover the guest
 * kernel's privilege, 1). Ports the domain does not own (all of them, for
 * a dom0 without devices) read as all ones of the operand size, and a
 * 32-bit read zero-extends like a real IN; writes are dropped. Also the
 * set_iopl argument checks, and RFLAGS.IOPL in frames, which shows the
 * virtual IOPL only with vm_assist architectural_iopl.
 */
#include <pv/physdev.h>

#include "check.h"
#include "probes.h"

#define ABSENT_PORT 0x2e8 /* COM4: nothing there */
#define RAX_BEFORE 0x1122334455667788UL

static long set_iopl(unsigned int iopl)
{
	struct physdev_set_iopl s = { .iopl = iopl };

	return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, &s);
}

static void gp_expected(const char *name, uint64_t (*probe)(uint16_t), uint16_t port)
{
	trap_reset();
	trap_expect(13);
	probe(port);
	trap_unexpect(13);
	check_eq(name_of("ioport.%s.gp", name), 1, trap_count);
	check_hex(name_of("ioport.%s.gp_error_code", name), 0, last_trap.error_code);
	check_hex(name_of("ioport.%s.gp_rip", name), probe_at, last_trap.rip);
}

static uint64_t outb_probe(uint16_t port)
{
	probe_outb(port, 0x5a);
	return 0;
}

static uint64_t emulated(const char *name, uint64_t (*probe)(uint16_t), uint16_t port)
{
	uint64_t v;

	trap_reset();
	trap_expect(13);
	v = probe(port);
	trap_unexpect(13);
	check_eq(name_of("ioport.%s.no_gp", name), 0, trap_count);
	return v;
}

static uint64_t imm_probe(uint16_t port)
{
	(void)port;
	return probe_inb_imm();
}

int main(void)
{
	uint8_t buf[4] = { 0x11, 0x22, 0x33, 0x44 };
	uint64_t rdi;

	check_guest(GUEST_NAME);

	/* No I/O privilege yet: every access is the guest's #GP. */
	gp_expected("no_iopl.inb", probe_inb, ABSENT_PORT);
	gp_expected("no_iopl.inl", probe_inl, ABSENT_PORT);
	gp_expected("no_iopl.outb", outb_probe, ABSENT_PORT);

	check_eq("ioport.set_iopl.null_efault", -XEN_EFAULT,
		 HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, NULL));
	check_eq("ioport.set_iopl.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (void *)ADDR_HYPERVISOR));
	check_eq("ioport.set_iopl.4_einval", -XEN_EINVAL, set_iopl(4));
	check_eq("ioport.set_iopl.huge_einval", -XEN_EINVAL, set_iopl(0xffffffffu));
	check_eq("ioport.physdev_unknown_cmd_enosys", -XEN_ENOSYS,
		 HYPERVISOR_physdev_op(0x7fff, NULL));

	/* IOPL 1 covers the guest kernel. */
	check_eq("ioport.set_iopl.1", 0, set_iopl(1));
	check_hex("ioport.inb.all_ones", (RAX_BEFORE & ~0xffUL) | 0xff,
		  emulated("inb", probe_inb, ABSENT_PORT));
	check_hex("ioport.inw.all_ones", (RAX_BEFORE & ~0xffffUL) | 0xffff,
		  emulated("inw", probe_inw, ABSENT_PORT));
	check_hex("ioport.inl.all_ones_zero_extended", 0xffffffffUL,
		  emulated("inl", probe_inl, ABSENT_PORT));
	check_hex("ioport.inb_imm.all_ones", (RAX_BEFORE & ~0xffUL) | 0xff,
		  emulated("inb_imm", imm_probe, 0));
	emulated("outb", outb_probe, ABSENT_PORT);

	/* String input: one all-ones byte stored at RDI, which advances. */
	trap_reset();
	trap_expect(13);
	rdi = probe_insb(ABSENT_PORT, buf);
	trap_unexpect(13);
	check_eq("ioport.insb.no_gp", 0, trap_count);
	check_hex("ioport.insb.stored", 0xff, buf[0]);
	check_hex("ioport.insb.next_untouched", 0x22, buf[1]);
	check_hex("ioport.insb.rdi_advanced", (uint64_t)(uintptr_t)buf + 1, rdi);

	check_eq("ioport.set_iopl.3", 0, set_iopl(3));
	emulated("iopl3.inb", probe_inb, ABSENT_PORT);

	/* RFLAGS.IOPL in a bounce frame: 0, unless architectural_iopl is on. */
	trap_reset();
	trap_expect(3);
	probe_int3();
	check_bits("ioport.frame_iopl_hidden", 0x3000, 0, last_trap.rflags);
	check_eq("ioport.vm_assist_architectural_iopl", 0, HYPERVISOR_vm_assist(VMASST_CMD_enable, 4));
	set_iopl(1);
	trap_reset();
	probe_int3();
	check_bits("ioport.frame_iopl_architectural", 0x3000, 0x1000, last_trap.rflags);
	HYPERVISOR_vm_assist(VMASST_CMD_disable, 4);
	trap_unexpect(3);

	/* Taking the privilege back. */
	check_eq("ioport.set_iopl.0", 0, set_iopl(0));
	gp_expected("iopl0_again.inb", probe_inb, ABSENT_PORT);
	return check_done();
}
