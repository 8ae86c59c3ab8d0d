/*
 * Grant tables, version 1: the guest's table of (domain, frame, flags)
 * entries through which it lets another domain map or copy one of its
 * pages. Writing an entry: domid and frame first, then (after a write
 * barrier) the flags that make it valid. Revoking it: compare-and-swap the
 * flags to 0, but only while the hypervisor shows neither GTF_reading nor
 * GTF_writing (the other side still has it mapped or is copying).
 */
#include "internal.h"

#define MAX_FRAMES 4

static uint8_t window[MAX_FRAMES][LIBPV_PAGE_SIZE] __attribute__((aligned(4096)));
static struct grant_entry_v1 *table;
static unsigned int nr_entries;
static uint8_t in_use[MAX_FRAMES * GRANT_ENTRIES_V1_PER_FRAME];

long pv_gnttab_init(unsigned int nr_frames)
{
	pv_u64 frames[MAX_FRAMES];
	struct gnttab_setup_table st = {
		.dom = DOMID_SELF,
		.nr_frames = nr_frames,
		.frame_list = PV_GVA(frames),
	};
	long rc;

	if (nr_frames == 0 || nr_frames > MAX_FRAMES)
		return -XEN_EINVAL;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc)
		return rc;
	if (st.status != GNTST_okay)
		return st.status;
	for (unsigned int i = 0; i < nr_frames; i++) {
		rc = pv_map_mfn(window[i], frames[i], PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D |
				PV_PTE_NX);
		if (rc)
			return rc;
	}
	table = (struct grant_entry_v1 *)window;
	nr_entries = nr_frames * GRANT_ENTRIES_V1_PER_FRAME;
	return 0;
}

long pv_gnttab_grant(domid_t domid, uint64_t mfn, bool readonly)
{
	if (mfn >> 32)
		return -XEN_EINVAL; /* a v1 entry holds a 32-bit frame number */
	for (unsigned int ref = GNTTAB_NR_RESERVED_ENTRIES; ref < nr_entries; ref++) {
		struct grant_entry_v1 *e = &table[ref];

		if (in_use[ref])
			continue;
		in_use[ref] = 1;
		e->domid = domid;
		e->frame = (pv_u32)mfn;
		__atomic_store_n(&e->flags,
				 (pv_u16)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
				 __ATOMIC_RELEASE);
		return ref;
	}
	return -XEN_ENOSPC;
}

long pv_gnttab_end(grant_ref_t ref)
{
	struct grant_entry_v1 *e;
	pv_u16 flags;

	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nr_entries || !in_use[ref])
		return -XEN_EINVAL;
	e = &table[ref];
	flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
	do {
		if (flags & (GTF_reading | GTF_writing))
			return -XEN_EBUSY;
	} while (!__atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_ACQUIRE));
	in_use[ref] = 0;
	return 0;
}
