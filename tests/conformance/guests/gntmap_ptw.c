/*
 * Making a page table writable, route 4: a grant map. We grant our own
 * frames to ourselves (dom0 maps its own grants by its real id, 0) and
 * map them the ways GNTTABOP_map_grant_ref offers. Xen refuses every
 * writable mapping of a frame that is a page table with
 * GNTST_general_error: host_map at a VA, host_map through a PTE address
 * (GNTMAP_contains_pte) and device_map all need the frame's writable type
 * (xen/common/grant_table.c, map_grant_ref: "could_not_pin"). A
 * read-only host mapping is allowed, and the frame stays a page table.
 * Live tables (our L1 and L4) and an L1 pinned on its own are tried.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

#define SELF 0

static uint8_t win[PAGE] __attribute__((aligned(PAGE)));
static uint8_t spare[PAGE] __attribute__((aligned(PAGE)));
static uint64_t lone_l1[512] __attribute__((aligned(PAGE)));

static long map1(struct gnttab_map_grant_ref *op)
{
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, op, 1);

	return rc ? 1000 + rc : op->status;
}

static long unmap1(uint64_t addr, uint64_t dev, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op = { .host_addr = addr, .dev_bus_addr = dev,
					     .handle = handle, .status = 99 };
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);

	return rc ? 1000 + rc : op.status;
}

static struct gnttab_map_grant_ref op(uint64_t addr, uint32_t flags, grant_ref_t ref)
{
	return (struct gnttab_map_grant_ref){ .host_addr = addr, .flags = flags, .ref = ref,
					      .dom = SELF, .status = 99, .handle = ~0u };
}

static void table(const char *what, uint64_t *t)
{
	long ref = pv_gnttab_grant(SELF, mfn_of(t), false);
	uint64_t pte = l1e_maddr(va_of(win));
	struct gnttab_map_grant_ref m;

	if (!check_eq(name_of("gntmap_ptw.%s.granted", what), 1, ref >= GNTTAB_NR_RESERVED_ENTRIES))
		return;
	uvm(win, 0); /* an empty slot to map into */
	m = op(va_of(win), GNTMAP_host_map, ref);
	check_eq(name_of("gntmap_ptw.%s.host_map_rw_refused", what), GNTST_general_error, map1(&m));
	m = op(pte, GNTMAP_host_map | GNTMAP_contains_pte, ref);
	check_eq(name_of("gntmap_ptw.%s.pte_map_rw_refused", what), GNTST_general_error, map1(&m));
	m = op(0, GNTMAP_device_map, ref);
	check_eq(name_of("gntmap_ptw.%s.device_map_rw_refused", what), GNTST_general_error,
		 map1(&m));
	check_hex(name_of("gntmap_ptw.%s.slot_still_empty", what), 0, l1e_of(va_of(win)) & PTE_P);

	/* Read-only: fine, and the frame's entries can be read through it. */
	m = op(va_of(win), GNTMAP_host_map | GNTMAP_readonly, ref);
	check_eq(name_of("gntmap_ptw.%s.host_map_ro", what), GNTST_okay, map1(&m));
	if (m.status == GNTST_okay) {
		check_hex(name_of("gntmap_ptw.%s.ro_reads_entry0", what), t[0],
			  *(volatile uint64_t *)win);
		/* Still a table: a writable mapping elsewhere is refused meanwhile. */
		check_eq(name_of("gntmap_ptw.%s.still_table_uvm_ebusy", what), -XEN_EBUSY,
			 uvm(spare, (mfn_of(t) << 12) | PTE_RW_FLAGS));
		check_eq(name_of("gntmap_ptw.%s.unmap", what), GNTST_okay,
			 unmap1(va_of(win), 0, m.handle));
	}
	check_eq(name_of("gntmap_ptw.%s.end_access", what), 0, pv_gnttab_end((grant_ref_t)ref));
	uvm(win, (mfn_of(win) << 12) | PTE_RW_FLAGS);
}

int main(void)
{
	long rc;

	check_guest(GUEST_NAME);
	rc = pv_gnttab_init(1);
	if (!check_eq("gntmap_ptw.setup", 0, rc) || !l1e_maddr(va_of(win)))
		return check_done();
	table("live_l1", live_table(va_of(win), 1));
	table("live_l4", boot_l4());

	memset(lone_l1, 0, sizeof(lone_l1));
	pt_make_ro(lone_l1);
	check_eq("gntmap_ptw.lone_l1.pin", 0, mmuext1(MMUEXT_PIN_L1_TABLE, mfn_of(lone_l1), 0));
	table("lone_l1", lone_l1);
	check_eq("gntmap_ptw.lone_l1.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(lone_l1), 0));
	check_eq("gntmap_ptw.lone_l1.rw_after_unpin", 0, pt_make_rw(lone_l1));

	/* And the same frame once it is an ordinary page again: writable maps work. */
	{
		long ref = pv_gnttab_grant(SELF, mfn_of(lone_l1), false);
		struct gnttab_map_grant_ref m = op(va_of(win), GNTMAP_host_map, ref);

		uvm(win, 0);
		check_eq("gntmap_ptw.ordinary_page.host_map_rw", GNTST_okay, map1(&m));
		if (m.status == GNTST_okay) {
			*(volatile uint64_t *)win = 0x600d;
			check_hex("gntmap_ptw.ordinary_page.written_through", 0x600d, lone_l1[0]);
			check_eq("gntmap_ptw.ordinary_page.unmap", GNTST_okay,
				 unmap1(va_of(win), 0, m.handle));
		}
		pv_gnttab_end((grant_ref_t)ref);
		uvm(win, (mfn_of(win) << 12) | PTE_RW_FLAGS);
	}
	return check_done();
}
