/*
 * Hypercall outputs into memory the guest may not write. The hypervisor
 * writes results with the guest's own permissions (Xen's copy_to_guest
 * runs with CR0.WP and faults on read-only mappings): a result aimed at a
 * read-only page is -EFAULT and the page is unchanged. The page that
 * matters most is a page table: a hypercall must never become a way to
 * write one. Cases: a read-only data page, one of our L1 tables (pinned
 * on its own; a write there would plant an unchecked entry), the live L4,
 * and the read-only M2P; each for xen_version (a string and a struct),
 * memory_op machphys_mapping (a struct out), event_channel_op
 * alloc_unbound (a port written back into its struct) and vcpu_op
 * get_runstate_info.
 */
#include <string.h>

#include <pv/memory.h>

#include "check.h"
#include "mmu.h"

static uint8_t ro_page[PAGE] __attribute__((aligned(PAGE)));
static uint64_t lone_l1[512] __attribute__((aligned(PAGE)));
static uint8_t before[PAGE];

static void outputs(const char *where, uint8_t *p, bool compare)
{
	struct evtchn_alloc_unbound *au = (void *)(p + 64);
	long rc;

	if (compare)
		memcpy(before, p, PAGE);
	check_eq(name_of("pointers_out.%s.extraversion", where), -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_extraversion, p + 8));
	check_eq(name_of("pointers_out.%s.get_features", where), -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features, p + 16));
	check_eq(name_of("pointers_out.%s.machphys_mapping", where), -XEN_EFAULT,
		 HYPERVISOR_memory_op(XENMEM_machphys_mapping, p + 32));
	check_eq(name_of("pointers_out.%s.get_runstate_info", where), -XEN_EFAULT,
		 HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, p + 128));
	/* alloc_unbound reads its struct, allocates, then cannot write the port: -EFAULT. */
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, au);
	check_eq(name_of("pointers_out.%s.alloc_unbound", where), -XEN_EFAULT, rc);
	if (compare)
		check_eq(name_of("pointers_out.%s.unchanged", where), 0, memcmp(before, p, PAGE));
}

int main(void)
{
	check_guest(GUEST_NAME);
	memset(ro_page, 0, sizeof(ro_page));
	/* alloc_unbound's input: dom SELF, remote SELF (both 0x7ff0). */
	((struct evtchn_alloc_unbound *)(ro_page + 64))->dom = DOMID_SELF;
	((struct evtchn_alloc_unbound *)(ro_page + 64))->remote_dom = DOMID_SELF;
	check_eq("pointers_out.make_ro", 0, pt_make_ro(ro_page));
	outputs("read_only_page", ro_page, true);

	memset(lone_l1, 0, sizeof(lone_l1));
	((struct evtchn_alloc_unbound *)((uint8_t *)lone_l1 + 64))->dom = DOMID_SELF;
	((struct evtchn_alloc_unbound *)((uint8_t *)lone_l1 + 64))->remote_dom = DOMID_SELF;
	pt_make_ro(lone_l1);
	check_eq("pointers_out.pin_l1", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(lone_l1), 0));
	outputs("pinned_l1", (uint8_t *)lone_l1, true);
	outputs("live_l4", (uint8_t *)boot_l4(), true);
	outputs("m2p", (uint8_t *)MACH2PHYS_VIRT_START, false);

	/* The table is still a sound table: unpin and release it cleanly. */
	check_eq("pointers_out.unpin_l1", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(lone_l1), 0));
	check_eq("pointers_out.l1_rw_again", 0, pt_make_rw(lone_l1));
	check_eq("pointers_out.ro_page_rw_again", 0, pt_make_rw(ro_page));
	return check_done();
}
