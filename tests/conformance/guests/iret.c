/*
 * The iret hypercall (23) back to guest kernel mode: RAX, RCX and R11
 * come back from the frame; CS and SS get RPL 3; RFLAGS keeps the real IF
 * on and IOPL 0 whatever the frame says; the event mask becomes
 * !RFLAGS.IF of the frame, and an event pending when that unmasks is
 * delivered at once, on the way out of the hypercall.
 */
#include "check.h"
#include "probes.h"

#define KERNEL_CS_RPL0 0xe030UL

/* The mask as a trap sees it (frame CS bits 39:32), no shared_info needed. */
static uint64_t mask_seen_by_trap(void)
{
	trap_reset();
	trap_expect(3);
	probe_int3();
	trap_unexpect(3);
	return (last_trap.cs >> 32) & 0xff;
}

int main(void)
{
	struct vcpu_info *vi = pv_vcpu_info();
	uint64_t before;

	check_guest(GUEST_NAME);

	check_hex("iret.rax_restored", 0x1234567890abcdefUL,
		  iret_with(0x2, KERNEL_CS_RPL0, 0x1234567890abcdefUL));
	check_hex("iret.rcx_r11_restored", 0, iret_keeps_rcx_r11());

	iret_with(0x2, KERNEL_CS_RPL0, 0);
	check_hex("iret.cs_rpl3", 0xe033, read_cs());
	check_hex("iret.ss_rpl3", 0xe02b, read_ss());

	/* IF=0 in the frame: events masked; IF=1: unmasked. */
	iret_with(0x2, KERNEL_CS_RPL0, 0);
	check_eq("iret.if_clear_masks", 1, mask_seen_by_trap());
	if (vi)
		check_eq("iret.if_clear_masks.vcpu_info", 1, vi->evtchn_upcall_mask);
	iret_with(0x202, KERNEL_CS_RPL0, 0);
	check_eq("iret.if_set_unmasks", 0, mask_seen_by_trap());
	if (vi)
		check_eq("iret.if_set_unmasks.vcpu_info", 0, vi->evtchn_upcall_mask);

	/* The real RFLAGS: IF always on (the guest cannot disable interrupts), IOPL 0. */
	iret_with(0x3002, KERNEL_CS_RPL0, 0);
	check_bits("iret.real_if_on", 0x200, 0x200, read_rflags());
	check_bits("iret.real_iopl0", 0x3000, 0, read_rflags());
	check_eq("iret.iopl_frame_masks_events", 1, mask_seen_by_trap());

	/* An event pending while masked is delivered by the iret that unmasks. */
	if (vi) {
		iret_set_mask(1);
		vi->evtchn_upcall_pending = 1;
		before = pv_upcalls;
		iret_with(0x202, KERNEL_CS_RPL0, 0);
		check_eq("iret.unmask_delivers_pending", 1, pv_upcalls - before);
		check_eq("iret.upcall_cleared_pending", 0, vi->evtchn_upcall_pending);
		/* Masked again: setting pending delivers nothing until unmasked. */
		iret_set_mask(1);
		vi->evtchn_upcall_pending = 1;
		before = pv_upcalls;
		HYPERVISOR_xen_version(XENVER_version, NULL);
		check_eq("iret.masked_pending_not_delivered", 0, pv_upcalls - before);
		/* Linux's sti: clear the mask, then any hypercall delivers. */
		vi->evtchn_upcall_mask = 0;
		HYPERVISOR_xen_version(XENVER_version, NULL);
		check_eq("iret.hypercall_after_unmask_delivers", 1, pv_upcalls - before);
		iret_set_mask(1);
	} else {
		check_skip("iret.unmask_delivers_pending", "shared_info not mapped");
	}
	iret_set_mask(1);
	return check_done();
}
