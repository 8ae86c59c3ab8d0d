/*
 * Bringing a vCPU up, and the ways to get it wrong (run with 2 vCPUs).
 * Xen's answers (common/domain.c common_vcpu_op, arch/x86/domain.c
 * arch_set_info_guest): VCPUOP_up of a vCPU never initialised is -EINVAL;
 * VCPUOP_initialise with an unreadable context is -EFAULT, with no kernel
 * root, a root that is not a valid L4 (a page mapped writable, a frame
 * not ours) or a non-canonical address (RIP, kernel stack, a callback, a
 * trap handler) -EINVAL, and each refusal leaves the vCPU as it was
 * (still not startable); a second initialise is -EEXIST (also for vCPU 0,
 * which the builder started). A good one starts the vCPU on VCPUOP_up;
 * up again is harmless. VCPUOP_down of another vCPU stops it where it is
 * and up resumes it there; its vcpu_info may be registered for it only
 * while it is down. Ids past the last vCPU are -ENOENT; the one-shot timer
 * of another vCPU is not ours to set (-EINVAL).
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

#define MS 1000000ULL

static struct vcpu_guest_context ctx;
static uint8_t data_page[PAGE] __attribute__((aligned(PAGE)));
static volatile uint64_t counter;
static struct vcpu_info vi1 __attribute__((aligned(64)));

static void count_forever(void *arg)
{
	(void)arg;
	for (;;)
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
}

static long initialise(void)
{
	return HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx);
}

/* Spoils one field of a good context; initialise must say want and leave vCPU 1 alone. */
#define REFUSED(name, want, field, value)                                               \
	do {                                                                              \
		pv_vcpu_context(1, &ctx, count_forever, NULL);                            \
		field = value;                                                            \
		check_eq("smp_bringup.initialise." name, want, initialise());             \
		check_eq("smp_bringup.initialise." name ".still_not_startable", -XEN_EINVAL, \
			 HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL));                         \
	} while (0)

static bool counting(void)
{
	uint64_t before = counter, give_up = pv_time_ns() + 10000 * MS;

	while (counter == before && pv_time_ns() < give_up)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	return counter != before;
}

int main(void)
{
	check_guest(GUEST_NAME);
	if (!check_eq("smp_bringup.two_vcpus", 2, pv_nr_vcpus()))
		return check_done();
	check_eq("smp_bringup.is_up.vcpu1_down", 0, HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL));
	check_eq("smp_bringup.up_uninitialised_einval", -XEN_EINVAL,
		 HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL));
	check_eq("smp_bringup.initialise_null_efault", -XEN_EFAULT,
		 HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, NULL));
	check_eq("smp_bringup.initialise_hypervisor_ptr_efault", -XEN_EFAULT,
		 HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, (void *)ADDR_HYPERVISOR));

	REFUSED("no_kernel_root_einval", -XEN_EINVAL, ctx.ctrlreg[3], 0);
	REFUSED("root_is_writable_page_einval", -XEN_EINVAL, ctx.ctrlreg[3], mfn_of(data_page) << 12);
	REFUSED("root_not_ours_einval", -XEN_EINVAL, ctx.ctrlreg[3], foreign_ram_mfn() << 12);
	REFUSED("rip_noncanonical_einval", -XEN_EINVAL, ctx.user_regs.rip, ADDR_NONCANONICAL);
	REFUSED("kernel_sp_noncanonical_einval", -XEN_EINVAL, ctx.kernel_sp, ADDR_NONCANONICAL);
	REFUSED("event_callback_noncanonical_einval", -XEN_EINVAL, ctx.event_callback_eip,
		ADDR_NONCANONICAL_LOW);
	REFUSED("trap_handler_noncanonical_einval", -XEN_EINVAL, ctx.trap_ctxt[14].address,
		ADDR_NONCANONICAL);
	REFUSED("no_user_root_outside_kernel_mode_einval", -XEN_EINVAL, ctx.flags, 0);
	check_eq("smp_bringup.still_down", 0, HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL));

	/* Register vCPU 1's vcpu_info while it is down: allowed. */
	{
		struct vcpu_register_vcpu_info r = {
			.mfn = mfn_of(&vi1), .offset = (uint32_t)(va_of(&vi1) & (PAGE - 1)),
		};

		check_eq("smp_bringup.register_vcpu_info_while_down", 0,
			 HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &r));
	}

	pv_vcpu_context(1, &ctx, count_forever, NULL);
	check_eq("smp_bringup.initialise", 0, initialise());
	check_eq("smp_bringup.initialise_again_eexist", -XEN_EEXIST, initialise());
	check_eq("smp_bringup.initialise_vcpu0_eexist", -XEN_EEXIST,
		 HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, &ctx));
	check_eq("smp_bringup.initialised_not_yet_up", 0, HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL));
	check_eq("smp_bringup.not_counting_before_up", 0, counter);
	check_eq("smp_bringup.up", 0, HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL));
	check_eq("smp_bringup.is_up", 1, HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL));
	check_eq("smp_bringup.runs", 1, counting());
	check_eq("smp_bringup.up_again_harmless", 0, HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL));

	/* Down from vCPU 0: it stops; up: it goes on from there. */
	check_eq("smp_bringup.down_other", 0, HYPERVISOR_vcpu_op(VCPUOP_down, 1, NULL));
	check_eq("smp_bringup.is_up_after_down", 0, HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL));
	{
		uint64_t settle = pv_time_ns() + 20 * MS, a, b;

		while (pv_time_ns() < settle)
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		a = counter;
		settle = pv_time_ns() + 50 * MS;
		while (pv_time_ns() < settle)
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		b = counter;
		check_eq("smp_bringup.down_stops_it", 0, b - a);
	}
	check_eq("smp_bringup.up_resumes", 0, HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL));
	check_eq("smp_bringup.runs_again", 1, counting());

	/* Things only a vCPU itself (or a down one) may have done to it. */
	{
		struct vcpu_register_vcpu_info r = { .mfn = mfn_of(data_page), .offset = 0 };
		struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = pv_time_ns() + MS };

		check_eq("smp_bringup.register_vcpu_info_twice_refused", 1,
			 HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &r) < 0);
		check_eq("smp_bringup.singleshot_of_other_vcpu_einval", -XEN_EINVAL,
			 HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 1, &t));
	}
	check_eq("smp_bringup.is_up.past_last_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_is_up, 2, NULL));
	check_eq("smp_bringup.up.past_last_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_up, 2, NULL));
	check_eq("smp_bringup.initialise.past_last_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &ctx));
	check_eq("smp_bringup.down.huge_id_enoent", -XEN_ENOENT,
		 HYPERVISOR_vcpu_op(VCPUOP_down, 0xffffffffu, NULL));

	/* Leave vCPU 1 down; vCPU 0 ends the domain. */
	check_eq("smp_bringup.down_at_end", 0, HYPERVISOR_vcpu_op(VCPUOP_down, 1, NULL));
	return check_done();
}
