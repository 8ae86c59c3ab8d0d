/*
 * Bad guest pointers as hypercall inputs. Every hypercall that reads a
 * structure from guest memory gets -EFAULT (Xen's copy_from_guest and
 * guest_handle_okay) for a pointer that is NULL, unmapped, inside the
 * hypervisor's slots (start, middle, last page: even the part the guest
 * can read, the M2P, is not guest memory to a hypercall), non-canonical
 * (both sides of the hole), or a page of ours that was just unmapped;
 * nothing else happens (no shutdown, no binding, no timer), and the
 * hypervisor carries on. (set_trap_table(NULL) is the one NULL that means
 * something: it clears the table.)
 */
#include <pv/memory.h>
#include <pv/physdev.h>

#include "check.h"
#include "mmu.h"

static uint8_t hole[PAGE] __attribute__((aligned(PAGE)));

static const struct {
	const char *name;
	uint64_t addr;
} bad[] = {
	{ "null", 0 },
	{ "unmapped_low", 0x100000000UL },
	{ "last_user_page", 0x00007ffffffff000UL },
	{ "hypervisor_start", 0xffff800000000000UL },
	{ "hypervisor_mid", 0xffff830000000000UL },
	{ "hypervisor_last", 0xffff87fffffff000UL },
	{ "noncanonical_low", 0x0000800000000000UL },
	{ "noncanonical_high", 0xfffe000000000000UL },
	{ "unmapped_page_of_ours", 0 }, /* filled in: hole, unmapped */
};

static void all(uint64_t p, const char *where)
{
	struct {
		const char *name;
		long rc;
	} r[] = {
		/* NULL is "clear the table" there, checked in main. */
		{ "set_trap_table", p ? HYPERVISOR_set_trap_table((void *)p) : -XEN_EFAULT },
		{ "mmu_update", HYPERVISOR_mmu_update((void *)p, 1, NULL, DOMID_SELF) },
		{ "mmuext_op", HYPERVISOR_mmuext_op((void *)p, 1, NULL, DOMID_SELF) },
		{ "set_gdt", HYPERVISOR_set_gdt((void *)p, 16) },
		{ "multicall", HYPERVISOR_multicall((void *)p, 1) },
		{ "memory_op.machphys_mapping", HYPERVISOR_memory_op(XENMEM_machphys_mapping, (void *)p) },
		{ "memory_op.current_reservation",
		  HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)p) },
		{ "xen_version.get_features", HYPERVISOR_xen_version(XENVER_get_features, (void *)p) },
		{ "console_io.write", HYPERVISOR_console_io(CONSOLEIO_write, 8, (void *)p) },
		{ "event_channel_op.send", HYPERVISOR_event_channel_op(EVTCHNOP_send, (void *)p) },
		{ "event_channel_op.bind_ipi", HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, (void *)p) },
		{ "event_channel_op.alloc_unbound",
		  HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, (void *)p) },
		{ "sched_op.shutdown", HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)p) },
		{ "sched_op.poll", HYPERVISOR_sched_op(SCHEDOP_poll, (void *)p) },
		{ "vcpu_op.set_singleshot_timer",
		  HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, (void *)p) },
		{ "vcpu_op.register_vcpu_info",
		  HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, (void *)p) },
		{ "vcpu_op.initialise", HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, (void *)p) },
		{ "callback_op.register", HYPERVISOR_callback_op(CALLBACKOP_register, (void *)p) },
		{ "physdev_op.set_iopl", HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (void *)p) },
		{ "grant_table_op.query_size",
		  HYPERVISOR_grant_table_op(GNTTABOP_query_size, (void *)p, 1) },
	};

	for (unsigned int i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		check_eq(name_of("pointers_in.%s.%s", where, r[i].name), -XEN_EFAULT, r[i].rc);
}

int main(void)
{
	check_guest(GUEST_NAME);
	check_eq("pointers_in.unmap_hole", 0, uvm(hole, 0));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		all(bad[i].addr ? bad[i].addr : (i ? va_of(hole) : 0), bad[i].name);
	check_eq("pointers_in.remap_hole", 0, uvm(hole, (mfn_of(hole) << 12) | PTE_RW_FLAGS));
	check_eq("pointers_in.null.set_trap_table_clears", 0, HYPERVISOR_set_trap_table(NULL));
	check_eq("pointers_in.libpv_table_again", 0, pv_traps_reset());
	/* Nothing was bound, nothing scheduled: still running, still answering. */
	check_hex("pointers_in.still_works", 0x40011,
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL));
	return check_done();
}
