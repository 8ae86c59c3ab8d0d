/*
 * Mapping a grant that was never granted. Our own grant table, mapped
 * through a window of ours, holds entries we write by hand; mapping a
 * reference whose entry does not grant us access gets Xen's per-op status
 * (xen/common/grant_table.c, map_grant_ref and _set_status_v1):
 * GNTST_general_error for an entry that is empty, of another type
 * (accept_transfer, transitive), for another domain, or half-written
 * (domid and frame set, flags not yet); GNTST_bad_gntref for a reference
 * past the table. The hypercall itself returns 0 for each, no mapping
 * appears, and a correct grant of the same reference then maps.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

#define SELF 0
#define REF 300
#define OTHER_DOMAIN 7

static uint8_t win[PAGE] __attribute__((aligned(PAGE)));
static uint8_t page[PAGE] __attribute__((aligned(PAGE)));
static uint8_t table_window[PAGE] __attribute__((aligned(PAGE)));
static struct grant_entry_v1 *gt;

static long try_map(grant_ref_t ref, uint32_t flags, grant_handle_t *handle)
{
	struct gnttab_map_grant_ref m = { .host_addr = va_of(win), .flags = flags, .ref = ref,
					  .dom = SELF, .status = 99, .handle = ~0u };
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);

	*handle = m.handle;
	return rc ? 1000 + rc : m.status;
}

static void entry(uint16_t flags, domid_t domid, uint32_t frame)
{
	gt[REF].flags = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gt[REF].domid = domid;
	gt[REF].frame = frame;
	__atomic_store_n(&gt[REF].flags, flags, __ATOMIC_RELEASE);
}

static void refused(const char *what, grant_ref_t ref, long status)
{
	grant_handle_t h;

	check_eq(name_of("gntmap_ungranted.%s", what), status, try_map(ref, GNTMAP_host_map, &h));
	check_eq(name_of("gntmap_ungranted.%s.ro_too", what), status,
		 try_map(ref, GNTMAP_host_map | GNTMAP_readonly, &h));
	check_hex(name_of("gntmap_ungranted.%s.nothing_mapped", what), 0,
		  l1e_of(va_of(win)) & PTE_P);
}

int main(void)
{
	uint32_t frame = (uint32_t)mfn_of(page);
	pv_u64 frames[1];
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1,
					 .frame_list = PV_GVA(frames) };
	struct gnttab_query_size qs = { .dom = DOMID_SELF };
	grant_handle_t h;
	long rc;

	check_guest(GUEST_NAME);
	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (!check_eq("gntmap_ungranted.setup", 0, rc ? rc : st.status))
		return check_done();
	HYPERVISOR_grant_table_op(GNTTABOP_query_size, &qs, 1);
	uvm(table_window, (frames[0] << 12) | PTE_RW_FLAGS);
	gt = (struct grant_entry_v1 *)table_window;
	memset(page, 0x77, sizeof(page));
	uvm(win, 0);

	entry(0, SELF, frame);
	refused("empty_entry", REF, GNTST_general_error);
	entry(0, 0, 0);
	refused("zero_entry", REF, GNTST_general_error);
	/* Half-written: domid and frame, but the flags that make it valid not yet. */
	gt[REF].domid = SELF;
	gt[REF].frame = frame;
	refused("flags_not_yet_written", REF, GNTST_general_error);
	entry(GTF_accept_transfer, SELF, frame);
	refused("accept_transfer_entry", REF, GNTST_general_error);
	entry(GTF_transitive, SELF, frame);
	refused("transitive_entry", REF, GNTST_general_error);
	entry(GTF_permit_access, OTHER_DOMAIN, frame);
	refused("granted_to_another_domain", REF, GNTST_general_error);
	entry(GTF_reading | GTF_writing, SELF, frame);
	refused("only_status_bits", REF, GNTST_general_error);
	/* Past the table: the reference does not exist. */
	refused("ref_past_table", qs.nr_frames * GRANT_ENTRIES_V1_PER_FRAME, GNTST_bad_gntref);
	refused("ref_huge", 0xffffffffu, GNTST_bad_gntref);
	check_hex("gntmap_ungranted.entry_untouched_by_refusals", GTF_reading | GTF_writing,
		  gt[REF].flags);

	/* The same reference, granted properly: it maps, and shows the page. */
	entry(GTF_permit_access, SELF, frame);
	check_eq("gntmap_ungranted.granted_maps", GNTST_okay, try_map(REF, GNTMAP_host_map, &h));
	check_hex("gntmap_ungranted.granted_reads_page", 0x77, *(volatile uint8_t *)win);
	{
		struct gnttab_unmap_grant_ref u = { .host_addr = va_of(win), .handle = h };

		HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);
		check_eq("gntmap_ungranted.unmap", GNTST_okay, u.status);
	}
	entry(0, 0, 0);
	uvm(win, (mfn_of(win) << 12) | PTE_RW_FLAGS);
	return check_done();
}
