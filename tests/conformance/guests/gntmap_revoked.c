/*
 * Mapping a grant that was revoked, and revoking one that is mapped. We
 * grant a page of ours to ourselves, map it, and then:
 *
 *  - revoking with the Linux protocol (compare-and-swap the flags to 0
 *    only while GTF_reading/GTF_writing are clear) fails while it is
 *    mapped: the hypervisor keeps those bits set (Xen: GTF_writing for a
 *    writable map, GTF_reading for any);
 *  - a guest that clears the flags anyway cannot take the page back from
 *    an existing mapping: it stays mapped and unmaps cleanly (Xen never
 *    revokes a mapping behind its holder's back);
 *  - once revoked, a new map of the reference is GNTST_general_error;
 *  - re-pointing a granted entry at another frame while it is mapped
 *    does not move the mapping, and a second map of the still-active
 *    grant gets the frame that was granted when it was first mapped
 *    (Xen pins the active entry's frame until the last unmap);
 *  - unmapping twice, or with a handle never issued, is GNTST_bad_handle.
 */
#include <string.h>

#include "check.h"
#include "mmu.h"

#define SELF 0
#define REF 310

static uint8_t win[PAGE] __attribute__((aligned(PAGE)));
static uint8_t win2[PAGE] __attribute__((aligned(PAGE)));
static uint8_t page_a[PAGE] __attribute__((aligned(PAGE)));
static uint8_t page_b[PAGE] __attribute__((aligned(PAGE)));
static uint8_t table_window[PAGE] __attribute__((aligned(PAGE)));
static struct grant_entry_v1 *gt;

static long map_at(void *va, uint32_t flags, grant_handle_t *handle)
{
	struct gnttab_map_grant_ref m = { .host_addr = va_of(va), .flags = flags, .ref = REF,
					  .dom = SELF, .status = 99, .handle = ~0u };
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);

	*handle = m.handle;
	return rc ? 1000 + rc : m.status;
}

static long unmap_at(void *va, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref u = { .host_addr = va_of(va), .handle = handle, .status = 99 };
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);

	return rc ? 1000 + rc : u.status;
}

static void grant(uint32_t frame)
{
	gt[REF].flags = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gt[REF].domid = SELF;
	gt[REF].frame = frame;
	__atomic_store_n(&gt[REF].flags, GTF_permit_access, __ATOMIC_RELEASE);
}

/* Linux's gnttab_end_foreign_access_ref: 0 if revoked, -EBUSY if still in use. */
static long revoke(void)
{
	uint16_t flags = __atomic_load_n(&gt[REF].flags, __ATOMIC_ACQUIRE);

	do {
		if (flags & (GTF_reading | GTF_writing))
			return -XEN_EBUSY;
	} while (!__atomic_compare_exchange_n(&gt[REF].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_ACQUIRE));
	return 0;
}

int main(void)
{
	pv_u64 frames[1];
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1,
					 .frame_list = PV_GVA(frames) };
	grant_handle_t h, h2;
	long rc;

	check_guest(GUEST_NAME);
	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (!check_eq("gntmap_revoked.setup", 0, rc ? rc : st.status))
		return check_done();
	uvm(table_window, (frames[0] << 12) | PTE_RW_FLAGS);
	gt = (struct grant_entry_v1 *)table_window;
	memset(page_a, 0xaa, sizeof(page_a));
	memset(page_b, 0xbb, sizeof(page_b));
	uvm(win, 0);
	uvm(win2, 0);

	/* Mapped read-write: GTF_writing and GTF_reading are up, revoking fails. */
	grant((uint32_t)mfn_of(page_a));
	check_eq("gntmap_revoked.map_rw", GNTST_okay, map_at(win, GNTMAP_host_map, &h));
	check_hex("gntmap_revoked.in_use_flags", GTF_permit_access | GTF_reading | GTF_writing,
		  gt[REF].flags);
	check_eq("gntmap_revoked.revoke_while_mapped_ebusy", -XEN_EBUSY, revoke());

	/* Re-pointed while mapped: neither the mapping nor a second map follows the entry. */
	gt[REF].frame = (uint32_t)mfn_of(page_b);
	check_hex("gntmap_revoked.repointed.mapping_kept", 0xaa, *(volatile uint8_t *)win);
	check_eq("gntmap_revoked.repointed.second_map", GNTST_okay,
		 map_at(win2, GNTMAP_host_map | GNTMAP_readonly, &h2));
	check_hex("gntmap_revoked.repointed.second_map_original_frame", 0xaa,
		  *(volatile uint8_t *)win2);
	check_eq("gntmap_revoked.repointed.second_unmap", GNTST_okay, unmap_at(win2, h2));

	/* Cleared by force while mapped: the mapping stays, and unmaps. */
	__atomic_store_n(&gt[REF].flags, 0, __ATOMIC_SEQ_CST);
	*(volatile uint8_t *)win = 0xa1;
	check_hex("gntmap_revoked.forced.mapping_still_works", 0xa1, page_a[0]);
	check_eq("gntmap_revoked.forced.unmap", GNTST_okay, unmap_at(win, h));
	h2 = h;                     /* the handle just unmapped */
	check_hex("gntmap_revoked.forced.unmapped", 0, l1e_of(va_of(win)) & PTE_P);
	check_hex("gntmap_revoked.forced.status_bits_cleared", 0,
		  gt[REF].flags & (GTF_reading | GTF_writing));
	check_eq("gntmap_revoked.forced.map_again_refused", GNTST_general_error,
		 map_at(win, GNTMAP_host_map, &h));
	check_eq("gntmap_revoked.unmap_twice_bad_handle", GNTST_bad_handle, unmap_at(win, h2));
	check_eq("gntmap_revoked.unmap_unknown_handle", GNTST_bad_handle, unmap_at(win, 0x7777));

	/* The ordinary way: unmap, revoke, then a map is refused. */
	grant((uint32_t)mfn_of(page_b));
	check_eq("gntmap_revoked.map_ro", GNTST_okay,
		 map_at(win, GNTMAP_host_map | GNTMAP_readonly, &h));
	check_hex("gntmap_revoked.ro_in_use_flags", GTF_permit_access | GTF_reading, gt[REF].flags);
	check_eq("gntmap_revoked.unmap_ro", GNTST_okay, unmap_at(win, h));
	check_eq("gntmap_revoked.revoke_after_unmap", 0, revoke());
	check_eq("gntmap_revoked.map_after_revoke_rw", GNTST_general_error,
		 map_at(win, GNTMAP_host_map, &h));
	check_eq("gntmap_revoked.map_after_revoke_ro", GNTST_general_error,
		 map_at(win, GNTMAP_host_map | GNTMAP_readonly, &h));
	check_hex("gntmap_revoked.nothing_mapped", 0, l1e_of(va_of(win)) & PTE_P);
	/* Granted anew, it maps again. */
	grant((uint32_t)mfn_of(page_b));
	check_eq("gntmap_revoked.granted_again_maps", GNTST_okay,
		 map_at(win, GNTMAP_host_map | GNTMAP_readonly, &h));
	check_hex("gntmap_revoked.granted_again_reads", 0xbb, *(volatile uint8_t *)win);
	check_eq("gntmap_revoked.final_unmap", GNTST_okay, unmap_at(win, h));
	revoke();
	uvm(win, (mfn_of(win) << 12) | PTE_RW_FLAGS);
	uvm(win2, (mfn_of(win2) << 12) | PTE_RW_FLAGS);
	return check_done();
}
