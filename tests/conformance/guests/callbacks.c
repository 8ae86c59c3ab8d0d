/*
 * callback_op (30), set_callbacks (4), stack_switch (3) and
 * fpu_taskswitch (5). Expected answers are Xen's (xen/arch/x86/pv/
 * callback.c): a non-canonical address is -EINVAL, an unknown type
 * -ENOSYS; only the NMI callback may be unregistered. A set virtual TS
 * turns the next FPU/SSE instruction into a #NM, and that #NM clears it.
 */
#include "check.h"
#include "probes.h"

static long reg(unsigned int type, unsigned int flags, uint64_t address)
{
	struct callback_register cb = { .type = (uint16_t)type, .flags = (uint16_t)flags,
					.address = address };

	return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

static long unreg(unsigned int type)
{
	struct callback_unregister cb = { .type = (uint16_t)type };

	return HYPERVISOR_callback_op(CALLBACKOP_unregister, &cb);
}

/*
 * fpu_taskswitch(set), then at once one SSE instruction: the number of
 * #NM it raised. Nothing in between may touch the FPU (the conformance
 * code is built with -mgeneral-regs-only), or that would take the #NM.
 */
static unsigned int taskswitch_then_sse(int set, long *rc)
{
	trap_reset();
	trap_expect(7);
	*rc = HYPERVISOR_fpu_taskswitch(set);
	probe_sse();
	trap_unexpect(7);
	return trap_count;
}

static unsigned int sse_traps(void)
{
	trap_reset();
	trap_expect(7);
	probe_sse();
	trap_unexpect(7);
	return trap_count;
}

int main(void)
{
	uint64_t ev = pv_event_entry(), fs = pv_failsafe_entry(), sc = pv_syscall_entry();
	long rc;

	check_guest(GUEST_NAME);

	check_eq("callbacks.register.event", 0, reg(CALLBACKTYPE_event, CALLBACKF_mask_events, ev));
	check_eq("callbacks.register.failsafe", 0,
		 reg(CALLBACKTYPE_failsafe, CALLBACKF_mask_events, fs));
	check_eq("callbacks.register.syscall", 0,
		 reg(CALLBACKTYPE_syscall, CALLBACKF_mask_events, sc));
	check_eq("callbacks.register.syscall32", 0, reg(CALLBACKTYPE_syscall32, 0, sc));
	check_eq("callbacks.register.sysenter", 0, reg(CALLBACKTYPE_sysenter, 0, sc));
	check_eq("callbacks.register.nmi", 0, reg(CALLBACKTYPE_nmi, 0, pv_trap_entry(2)));
	check_eq("callbacks.unregister.nmi", 0, unreg(CALLBACKTYPE_nmi));

	check_eq("callbacks.register.sysenter_deprecated_enosys", -XEN_ENOSYS,
		 reg(CALLBACKTYPE_sysenter_deprecated, 0, sc));
	check_eq("callbacks.register.type6_enosys", -XEN_ENOSYS, reg(6, 0, sc));
	check_eq("callbacks.register.type_huge_enosys", -XEN_ENOSYS, reg(0xffff, 0, sc));
	check_eq("callbacks.register.event_noncanonical_einval", -XEN_EINVAL,
		 reg(CALLBACKTYPE_event, 0, ADDR_NONCANONICAL));
	check_eq("callbacks.register.syscall_noncanonical_einval", -XEN_EINVAL,
		 reg(CALLBACKTYPE_syscall, 0, ADDR_NONCANONICAL_LOW));
	check_eq("callbacks.register.nmi_noncanonical_einval", -XEN_EINVAL,
		 reg(CALLBACKTYPE_nmi, 0, ADDR_NONCANONICAL));

	check_eq("callbacks.unregister.event_einval", -XEN_EINVAL, unreg(CALLBACKTYPE_event));
	check_eq("callbacks.unregister.failsafe_einval", -XEN_EINVAL, unreg(CALLBACKTYPE_failsafe));
	check_eq("callbacks.unregister.syscall_einval", -XEN_EINVAL, unreg(CALLBACKTYPE_syscall));
	check_eq("callbacks.unregister.unknown_enosys", -XEN_ENOSYS, unreg(99));

	check_eq("callbacks.cmd2_enosys", -XEN_ENOSYS, HYPERVISOR_callback_op(2, NULL));
	check_eq("callbacks.register.null_efault", -XEN_EFAULT,
		 HYPERVISOR_callback_op(CALLBACKOP_register, NULL));
	check_eq("callbacks.register.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_callback_op(CALLBACKOP_register, (void *)ADDR_HYPERVISOR));
	check_eq("callbacks.unregister.unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_callback_op(CALLBACKOP_unregister, (void *)ADDR_UNMAPPED_LOW));

	/* The legacy call: always 0 (Xen ignores what it cannot register). */
	check_eq("callbacks.set_callbacks", 0, HYPERVISOR_set_callbacks(ev, fs, sc));
	check_eq("callbacks.set_callbacks.noncanonical_still_0", 0,
		 HYPERVISOR_set_callbacks(ev, fs, ADDR_NONCANONICAL));
	/* libpv's registrations again, with event masking. */
	reg(CALLBACKTYPE_event, CALLBACKF_mask_events, ev);
	reg(CALLBACKTYPE_failsafe, CALLBACKF_mask_events, fs);
	reg(CALLBACKTYPE_syscall, CALLBACKF_mask_events, sc);

	check_eq("callbacks.stack_switch", 0, HYPERVISOR_stack_switch(0x18, (uint64_t)(uintptr_t)&ev));

	/* fpu_taskswitch: TS set -> one #NM, which clears it; TS clear -> none. */
	check_eq("callbacks.fpu_taskswitch.clear_no_nm", 0, taskswitch_then_sse(0, &rc));
	check_eq("callbacks.fpu_taskswitch.clear", 0, rc);
	check_eq("callbacks.fpu_taskswitch.set_one_nm", 1, taskswitch_then_sse(1, &rc));
	check_eq("callbacks.fpu_taskswitch.set", 0, rc);
	check_eq("callbacks.fpu_taskswitch.nm_vector", 7, last_trap.vector);
	check_hex("callbacks.fpu_taskswitch.nm_rip", probe_at, last_trap.rip);
	check_eq("callbacks.fpu_taskswitch.nm_cleared_ts", 0, sse_traps());
	check_eq("callbacks.fpu_taskswitch.any_nonzero_sets", 1, taskswitch_then_sse(-5, &rc));
	return check_done();
}
