/*
 * grant_table_op (20), version 1, as Xen answers it (xen/common/grant_table.c,
 * xen/arch/x86/pv/grant_table.c): the table's setup, size and version;
 * mapping a grant of our own (a domain may grant to itself, naming its
 * real id: DOMID_SELF is no domain to map from) at a VA and through a PTE
 * address, read-only and read-write, as a device; GTF_reading/GTF_writing
 * while mapped; unmapping; copies between our own pages through grants;
 * and the per-operation status of every hostile request.
 *
 * The guest keeps its own window on grant frame 0 and writes entries from
 * FIRST_REF up directly; libpv's allocator (pv_gnttab_grant) hands out
 * references from 8, far below.
 */
#include <string.h>

#include "check.h"
#include "probes.h"

#define SELF 0                  /* we boot as dom0 */
#define NO_DOMAIN 0x7fe0
#define FIRST_REF 400
#define NOT_RAM_MFN 0xfffffff0u /* a frame number far beyond any RAM */

#define PTE_P 0x1UL
#define PTE_RW 0x2UL
#define PTE_A 0x20UL
#define PTE_D 0x40UL
#define PTE_NX (1UL << 63)
#define PTE_MFN(e) (((e) >> 12) & 0xffffffffffUL)
#define PTE_RW_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)

static uint8_t table_window[4096] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t win[4096] __attribute__((aligned(4096)));   /* where grants get mapped */
static uint8_t win2[4096] __attribute__((aligned(4096)));

static struct grant_entry_v1 *gt; /* our window on grant frame 0 */

static uint64_t va_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t mfn_of(const void *p)
{
	return pv_virt_to_mfn(p);
}

/* Writes entry ref the way Linux does: domid and frame, a barrier, then the flags. */
static void grant(grant_ref_t ref, domid_t domid, uint32_t frame, uint16_t flags)
{
	gt[ref].flags = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gt[ref].domid = domid;
	gt[ref].frame = frame;
	__atomic_store_n(&gt[ref].flags, flags, __ATOMIC_RELEASE);
}

static uint16_t flags_of(grant_ref_t ref)
{
	return __atomic_load_n(&gt[ref].flags, __ATOMIC_ACQUIRE);
}

static long gnttab(unsigned int cmd, void *ops, unsigned int count)
{
	return HYPERVISOR_grant_table_op(cmd, ops, count);
}

static long uvm(const void *va, uint64_t pte)
{
	return HYPERVISOR_update_va_mapping(va_of(va), pte, UVMF_INVLPG);
}

/* Takes page p out of its VA, so a mapping there starts from an empty slot. */
static void clear_slot(const void *p)
{
	uvm(p, 0);
}

/* Puts page p back at its own VA. */
static void restore_slot(const void *p)
{
	uvm(p, (mfn_of(p) << 12) | PTE_RW_FLAGS);
}

/* A load from addr: 0 if it worked, else the #PF error code | 0x100. */
static uint64_t load_fault(uint64_t addr)
{
	trap_reset();
	trap_expect(14);
	probe_load(addr);
	trap_unexpect(14);
	return trap_count ? (last_trap.error_code | 0x100) : 0;
}

static uint64_t store_fault(uint64_t addr)
{
	trap_reset();
	trap_expect(14);
	probe_store(addr);
	trap_unexpect(14);
	return trap_count ? (last_trap.error_code | 0x100) : 0;
}

/* The VA of a bootstrap page-table frame (they sit in the 1:1 map, read-only), or NULL. */
static const uint64_t *table_va(uint64_t mfn)
{
	for (uint64_t i = 0; i < pv_start_info->nr_pt_frames; i++) {
		const void *va = (const void *)(uintptr_t)(pv_start_info->pt_base + i * 4096);

		if (mfn_of(va) == mfn)
			return va;
	}
	return NULL;
}

/* Machine address of the L1 entry for va in the bootstrap tables (0: none), and its VA. */
static uint64_t l1e_maddr(uint64_t va, const uint64_t **entry)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)pv_start_info->pt_base;

	for (int level = 4; level > 1; level--) {
		uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P) || !(t = table_va(PTE_MFN(e))))
			return 0;
	}
	*entry = &t[(va >> 12) & 511];
	return (mfn_of(t) << 12) | (((va >> 12) & 511) * 8);
}

static struct gnttab_map_grant_ref map_op(uint64_t addr, uint32_t flags, grant_ref_t ref,
					  domid_t dom)
{
	return (struct gnttab_map_grant_ref){ .host_addr = addr, .flags = flags, .ref = ref,
					      .dom = dom, .status = 99, .handle = ~0u };
}

/* One map; returns its status (the op keeps handle and dev_bus_addr). */
static long map1(struct gnttab_map_grant_ref *op)
{
	long rc = gnttab(GNTTABOP_map_grant_ref, op, 1);

	return rc ? 1000 + rc : op->status;
}

static long unmap1(uint64_t addr, uint64_t dev_bus_addr, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref op = { .host_addr = addr, .dev_bus_addr = dev_bus_addr,
					     .handle = handle, .status = 99 };
	long rc = gnttab(GNTTABOP_unmap_grant_ref, &op, 1);

	return rc ? 1000 + rc : op.status;
}

/* ---- the table ---- */

static void table(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	struct gnttab_set_version sv = { .version = 1 };
	struct gnttab_setup_table st;
	pv_u64 frames[3] = { 0, 0, 0 }, first;
	long rc;

	check_eq("grant.query_size.rc", 0, gnttab(GNTTABOP_query_size, &q, 1));
	check_eq("grant.query_size.status", GNTST_okay, q.status);
	check_eq("grant.query_size.initial_nr_frames", 1, q.nr_frames);
	check_eq("grant.query_size.max_nr_frames", 32, q.max_nr_frames);

	check_eq("grant.setup_table.libpv", 0, pv_gnttab_init(1));

	st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1,
					  .frame_list = PV_GVA(frames), .status = 99 };
	check_eq("grant.setup_table.rc", 0, gnttab(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.status", GNTST_okay, st.status);
	check_eq("grant.setup_table.frame_is_ram_mfn", 1, frames[0] != 0);
	/* Frame 0 is ours to map read-write. */
	first = frames[0];
	rc = pv_map_mfn(table_window, frames[0], PTE_RW_FLAGS);
	check_eq("grant.setup_table.frame_mappable_rw", 0, rc);
	if (rc)
		return;
	gt = (struct grant_entry_v1 *)table_window;

	/* Growing on demand: the first frame stays, a second appears. */
	st = (struct gnttab_setup_table){ .dom = SELF, .nr_frames = 2, .frame_list = PV_GVA(frames),
					  .status = 99 };
	frames[2] = 0x5a5a;
	check_eq("grant.setup_table.grow.rc", 0, gnttab(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.grow.status", GNTST_okay, st.status);
	check_hex("grant.setup_table.grow.first_frame_kept", first, frames[0]);
	check_eq("grant.setup_table.grow.second_frame_new", 1,
		 frames[1] != 0 && frames[1] != frames[0]);
	check_hex("grant.setup_table.grow.list_not_written_past_nr", 0x5a5a, frames[2]);
	q = (struct gnttab_query_size){ .dom = SELF };
	check_eq("grant.query_size.after_grow.rc", 0, gnttab(GNTTABOP_query_size, &q, 1));
	check_eq("grant.query_size.after_grow.nr_frames", 2, q.nr_frames);
	/* Asking for fewer frames than exist shrinks nothing. */
	st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1,
					  .frame_list = PV_GVA(frames), .status = 99 };
	gnttab(GNTTABOP_setup_table, &st, 1);
	q = (struct gnttab_query_size){ .dom = DOMID_SELF };
	gnttab(GNTTABOP_query_size, &q, 1);
	check_eq("grant.setup_table.smaller_keeps_size", 2, q.nr_frames);

	st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 33,
					  .frame_list = PV_GVA(frames), .status = 99 };
	check_eq("grant.setup_table.over_max.rc", 0, gnttab(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.over_max.status", GNTST_general_error, st.status);
	st = (struct gnttab_setup_table){ .dom = NO_DOMAIN, .nr_frames = 1,
					  .frame_list = PV_GVA(frames), .status = 99 };
	check_eq("grant.setup_table.no_such_domain.rc", 0, gnttab(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.no_such_domain.status", GNTST_bad_domain, st.status);
	st = (struct gnttab_setup_table){ .dom = DOMID_XEN, .nr_frames = 1,
					  .frame_list = PV_GVA(frames), .status = 99 };
	gnttab(GNTTABOP_setup_table, &st, 1);
	check_eq("grant.setup_table.domid_xen.status", GNTST_bad_domain, st.status);
	/* An unwritable list passes the range check (NULL is a user address): its status says so. */
	st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1, .frame_list = 0,
					  .status = 99 };
	check_eq("grant.setup_table.frame_list_null.rc", 0, gnttab(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.frame_list_null.status", GNTST_bad_virt_addr, st.status);
	st.frame_list = ADDR_HYPERVISOR;
	check_eq("grant.setup_table.frame_list_hypervisor_efault", -XEN_EFAULT,
		 gnttab(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.count2_einval", -XEN_EINVAL, gnttab(GNTTABOP_setup_table, &st, 2));
	check_eq("grant.setup_table.null_efault", -XEN_EFAULT,
		 gnttab(GNTTABOP_setup_table, NULL, 1));

	q = (struct gnttab_query_size){ .dom = NO_DOMAIN, .status = 99 };
	check_eq("grant.query_size.no_such_domain.rc", 0, gnttab(GNTTABOP_query_size, &q, 1));
	check_eq("grant.query_size.no_such_domain.status", GNTST_bad_domain, q.status);
	check_eq("grant.query_size.count0_einval", -XEN_EINVAL, gnttab(GNTTABOP_query_size, &q, 0));
	check_eq("grant.query_size.null_efault", -XEN_EFAULT, gnttab(GNTTABOP_query_size, NULL, 1));

	check_eq("grant.set_version.1", 0, gnttab(GNTTABOP_set_version, &sv, 1));
	check_eq("grant.set_version.1_in_force", 1, sv.version);
	sv.version = 2;
	check_eq("grant.set_version.2_enosys", -XEN_ENOSYS, gnttab(GNTTABOP_set_version, &sv, 1));
	check_eq("grant.set_version.2_reports_1", 1, sv.version);
	sv.version = 3;
	check_eq("grant.set_version.3_einval", -XEN_EINVAL, gnttab(GNTTABOP_set_version, &sv, 1));
	check_eq("grant.get_version.rc", 0, gnttab(GNTTABOP_get_version, &gv, 1));
	check_eq("grant.get_version.1", 1, gv.version);
	gv.dom = NO_DOMAIN;
	check_eq("grant.get_version.no_such_domain_esrch", -XEN_ESRCH,
		 gnttab(GNTTABOP_get_version, &gv, 1));

	check_eq("grant.unknown_cmd_enosys", -XEN_ENOSYS, gnttab(99, &q, 1));
	check_eq("grant.dump_table_enosys", -XEN_ENOSYS, gnttab(GNTTABOP_dump_table, &q, 1));
	check_eq("grant.transfer_enosys", -XEN_ENOSYS, gnttab(GNTTABOP_transfer, &q, 0));
	check_eq("grant.unmap_and_replace_enosys", -XEN_ENOSYS,
		 gnttab(GNTTABOP_unmap_and_replace, &q, 0));
	check_eq("grant.cmd_high_bits_einval", -XEN_EINVAL,
		 gnttab(GNTTABOP_query_size | (1 << 12), &q, 1));
	check_eq("grant.count_negative_einval", -XEN_EINVAL,
		 gnttab(GNTTABOP_map_grant_ref, &q, 0x80000000u));
	check_eq("grant.map.count0", 0, gnttab(GNTTABOP_map_grant_ref, NULL, 0));
	check_eq("grant.map.null_efault", -XEN_EFAULT, gnttab(GNTTABOP_map_grant_ref, NULL, 1));
	check_eq("grant.unmap.hypervisor_efault", -XEN_EFAULT,
		 gnttab(GNTTABOP_unmap_grant_ref, (void *)ADDR_HYPERVISOR, 1));
	check_eq("grant.copy.null_efault", -XEN_EFAULT, gnttab(GNTTABOP_copy, NULL, 1));
}

/* ---- mapping our own grants ---- */

static void map_read_write(void)
{
	struct gnttab_map_grant_ref m;
	long lref;
	grant_ref_t ref;

	memset(page_a, 0x3c, sizeof(page_a));
	/* libpv's grant, revoked the guest's way below. */
	lref = pv_gnttab_grant(SELF, mfn_of(page_a), false);
	check_eq("grant.map.rw.libpv_ref", 1, lref >= GNTTAB_NR_RESERVED_ENTRIES && lref < FIRST_REF);
	if (lref < 0)
		return;
	ref = (grant_ref_t)lref;
	clear_slot(win);

	m = map_op(va_of(win), GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.rw.status", GNTST_okay, map1(&m));
	check_hex("grant.map.rw.dev_bus_addr", mfn_of(page_a) << 12, m.dev_bus_addr);
	check_bits("grant.map.rw.flags_reading_writing", GTF_reading | GTF_writing,
		   GTF_reading | GTF_writing, flags_of(ref));
	check_hex("grant.map.rw.reads_granted_page", 0x3c, *(volatile uint8_t *)win);
	win[100] = 0x77;
	check_hex("grant.map.rw.write_reaches_granted_page", 0x77,
		  *(volatile uint8_t *)&page_a[100]);
	check_eq("grant.map.rw.revoke_refused_while_mapped", -XEN_EBUSY, pv_gnttab_end(ref));

	/* Xen's quirk: without a host address the host mapping stays, and that is okay. */
	check_eq("grant.unmap.host_addr_zero_status", GNTST_okay, unmap1(0, 0, m.handle));
	check_hex("grant.unmap.host_addr_zero_keeps_mapping", 0x3c, *(volatile uint8_t *)win);
	check_eq("grant.unmap.wrong_dev_bus_addr", GNTST_general_error,
		 unmap1(va_of(win), (mfn_of(page_a) + 1) << 12, m.handle));
	check_eq("grant.unmap.rw.status", GNTST_okay, unmap1(va_of(win), 0, m.handle));
	check_hex("grant.unmap.rw.flags_cleared", 0, flags_of(ref) & (GTF_reading | GTF_writing));
	check_hex("grant.unmap.rw.pte_gone", 0x100, load_fault(va_of(win)));
	check_eq("grant.unmap.twice_bad_handle", GNTST_bad_handle, unmap1(va_of(win), 0, m.handle));
	check_eq("grant.unmap.handle_out_of_range", GNTST_bad_handle,
		 unmap1(va_of(win), 0, 0x7fffffff));
	check_eq("grant.unmap.rw.revoke_after_unmap", 0, pv_gnttab_end(ref));
}

static void map_read_only(void)
{
	grant_ref_t ref = FIRST_REF + 1;
	struct gnttab_map_grant_ref m;

	memset(page_b, 0x5e, sizeof(page_b));
	grant(ref, SELF, mfn_of(page_b), GTF_permit_access | GTF_readonly);
	clear_slot(win);

	/* A read-only grant refuses a writable mapping, and leaves no flag behind. */
	m = map_op(va_of(win), GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.ro_grant_rw_map_refused", GNTST_general_error, map1(&m));
	check_hex("grant.map.ro_grant_rw_map_no_flags", 0, flags_of(ref) & (GTF_reading | GTF_writing));

	m = map_op(va_of(win), GNTMAP_host_map | GNTMAP_readonly, ref, SELF);
	check_eq("grant.map.ro.status", GNTST_okay, map1(&m));
	check_hex("grant.map.ro.flags_reading_only", GTF_reading,
		  flags_of(ref) & (GTF_reading | GTF_writing));
	check_hex("grant.map.ro.reads", 0x5e, *(volatile uint8_t *)win);
	check_hex("grant.map.ro.write_faults_pw", 0x103, store_fault(va_of(win)));
	check_hex("grant.map.ro.page_unchanged", 0x5e, page_b[0]);
	check_eq("grant.unmap.ro.status", GNTST_okay, unmap1(va_of(win), 0, m.handle));
	check_hex("grant.unmap.ro.flags_cleared", 0, flags_of(ref) & (GTF_reading | GTF_writing));
	grant(ref, 0, 0, 0);
}

/* Two mappings of one grant: GTF_writing goes with the writable one, GTF_reading with the last. */
static void map_twice(void)
{
	grant_ref_t ref = FIRST_REF + 2;
	struct gnttab_map_grant_ref rw, ro;

	memset(page_a, 0x11, sizeof(page_a));
	grant(ref, SELF, mfn_of(page_a), GTF_permit_access);
	clear_slot(win);
	clear_slot(win2);
	ro = map_op(va_of(win2), GNTMAP_host_map | GNTMAP_readonly, ref, SELF);
	check_eq("grant.map.twice.ro", GNTST_okay, map1(&ro));
	rw = map_op(va_of(win), GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.twice.rw", GNTST_okay, map1(&rw));
	check_eq("grant.map.twice.handles_differ", 1, rw.handle != ro.handle);
	check_hex("grant.map.twice.both_flags", GTF_reading | GTF_writing,
		  flags_of(ref) & (GTF_reading | GTF_writing));
	win[0] = 0x22;
	check_hex("grant.map.twice.ro_sees_rw_write", 0x22, *(volatile uint8_t *)win2);
	check_eq("grant.unmap.twice.rw", GNTST_okay, unmap1(va_of(win), 0, rw.handle));
	check_hex("grant.unmap.twice.reading_stays", GTF_reading,
		  flags_of(ref) & (GTF_reading | GTF_writing));
	check_eq("grant.unmap.twice.ro", GNTST_okay, unmap1(va_of(win2), 0, ro.handle));
	check_hex("grant.unmap.twice.all_cleared", 0, flags_of(ref) & (GTF_reading | GTF_writing));
	restore_slot(win2);
	grant(ref, 0, 0, 0);
}

/* gntdev's way: the machine address of the PTE, application_map and a guest_avail bit. */
static void map_contains_pte(void)
{
	grant_ref_t ref = FIRST_REF + 3;
	struct gnttab_map_grant_ref m;
	const uint64_t *pte = NULL;
	uint64_t maddr;

	clear_slot(win);
	maddr = l1e_maddr(va_of(win), &pte);
	if (!maddr) {
		check_skip("grant.map.pte", "cannot find the L1 entry of the window");
		return;
	}
	memset(page_b, 0x6b, sizeof(page_b));
	grant(ref, SELF, mfn_of(page_b), GTF_permit_access);
	m = map_op(maddr, GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_application_map |
			  (1u << GNTMAP_guest_avail0_shift), ref, SELF);
	check_eq("grant.map.pte.status", GNTST_okay, map1(&m));
	check_hex("grant.map.pte.frame", mfn_of(page_b), PTE_MFN(*pte));
	check_bits("grant.map.pte.bits_p_rw_a_d_nx_avail", PTE_RW_FLAGS | (7UL << 9),
		   PTE_RW_FLAGS | (1UL << 9), *pte);
	check_hex("grant.map.pte.reads", 0x6b, *(volatile uint8_t *)win);
	check_eq("grant.unmap.pte.status", GNTST_okay, unmap1(maddr, 0, m.handle));
	check_hex("grant.unmap.pte.cleared", 0, *pte);
	check_hex("grant.unmap.pte.flags_cleared", 0, flags_of(ref) & (GTF_reading | GTF_writing));

	/* Misaligned, or not a page table of ours in use: the PTE address is refused. */
	m = map_op(maddr + 4, GNTMAP_host_map | GNTMAP_contains_pte, ref, SELF);
	check_eq("grant.map.pte.misaligned", GNTST_general_error, map1(&m));
	m = map_op(mfn_of(page_a) << 12, GNTMAP_host_map | GNTMAP_contains_pte, ref, SELF);
	check_eq("grant.map.pte.data_page", GNTST_general_error, map1(&m));
	m = map_op((uint64_t)NOT_RAM_MFN << 12, GNTMAP_host_map | GNTMAP_contains_pte, ref, SELF);
	check_eq("grant.map.pte.not_ram", GNTST_general_error, map1(&m));
	check_hex("grant.map.pte.refused_no_flags", 0, flags_of(ref) & (GTF_reading | GTF_writing));
	grant(ref, 0, 0, 0);
}

/* device_map: no PTE, the bus address is the machine address (no IOMMU). */
static void map_device(void)
{
	grant_ref_t ref = FIRST_REF + 4;
	struct gnttab_map_grant_ref m;

	grant(ref, SELF, mfn_of(page_a), GTF_permit_access);
	m = map_op(0, GNTMAP_device_map, ref, SELF);
	check_eq("grant.map.device.status", GNTST_okay, map1(&m));
	check_hex("grant.map.device.dev_bus_addr", mfn_of(page_a) << 12, m.dev_bus_addr);
	check_hex("grant.map.device.flags", GTF_reading | GTF_writing,
		  flags_of(ref) & (GTF_reading | GTF_writing));
	check_eq("grant.unmap.device.status", GNTST_okay, unmap1(0, m.dev_bus_addr, m.handle));
	check_hex("grant.unmap.device.flags_cleared", 0, flags_of(ref) & (GTF_reading | GTF_writing));
	grant(ref, 0, 0, 0);
}

/* Every map a hostile guest might try, each with Xen's status, none leaving a flag set. */
static void map_hostile(void)
{
	grant_ref_t ref = FIRST_REF + 5;
	uint64_t l4 = mfn_of((void *)(uintptr_t)pv_start_info->pt_base);
	struct gnttab_map_grant_ref m, batch[2];

	clear_slot(win);
	grant(ref, SELF, mfn_of(page_a), GTF_permit_access);

	m = map_op(va_of(win), GNTMAP_host_map, 1u << 20, SELF);
	check_eq("grant.map.ref_out_of_range", GNTST_bad_gntref, map1(&m));
	m = map_op(va_of(win), 0, ref, SELF);
	check_eq("grant.map.no_host_or_device_flag", GNTST_bad_gntref, map1(&m));
	m = map_op(va_of(win), GNTMAP_host_map, ref, DOMID_SELF);
	check_eq("grant.map.dom_self_bad_domain", GNTST_bad_domain, map1(&m));
	m = map_op(va_of(win), GNTMAP_host_map, ref, NO_DOMAIN);
	check_eq("grant.map.no_such_domain", GNTST_bad_domain, map1(&m));

	m = map_op(ADDR_UNMAPPED_LOW, GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.va_without_l1", GNTST_general_error, map1(&m));
	m = map_op(ADDR_HYPERVISOR, GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.va_hypervisor", GNTST_general_error, map1(&m));
	m = map_op(ADDR_NONCANONICAL, GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.va_noncanonical", GNTST_general_error, map1(&m));
	check_hex("grant.map.bad_va_no_flags", 0, flags_of(ref) & (GTF_reading | GTF_writing));

	grant(ref, SELF, mfn_of(page_a), 0);
	m = map_op(va_of(win), GNTMAP_host_map, ref, SELF);
	check_eq("grant.map.entry_not_permitted", GNTST_general_error, map1(&m));
	grant(ref, SELF, mfn_of(page_a), GTF_accept_transfer);
	check_eq("grant.map.entry_accept_transfer", GNTST_general_error, map1(&m));
	grant(ref, SELF, mfn_of(page_a), GTF_permit_access | GTF_sub_page);
	check_eq("grant.map.entry_sub_page", GNTST_general_error, map1(&m));
	grant(ref, 5, mfn_of(page_a), GTF_permit_access);
	check_eq("grant.map.entry_other_domid", GNTST_general_error, map1(&m));
	grant(ref, DOMID_SELF, mfn_of(page_a), GTF_permit_access);
	check_eq("grant.map.entry_domid_self", GNTST_general_error, map1(&m));
	grant(ref, SELF, NOT_RAM_MFN, GTF_permit_access);
	check_eq("grant.map.frame_not_ram_bad_page", GNTST_bad_page, map1(&m));
	check_hex("grant.map.bad_page_no_flags", 0, flags_of(ref) & (GTF_reading | GTF_writing));
	/* Our own L4: never writable, through a grant either; read-only is fine. */
	grant(ref, SELF, l4, GTF_permit_access);
	check_eq("grant.map.page_table_writable_refused", GNTST_general_error, map1(&m));
	check_hex("grant.map.page_table_refused_no_flags", 0,
		  flags_of(ref) & (GTF_reading | GTF_writing));
	m = map_op(va_of(win), GNTMAP_host_map | GNTMAP_readonly, ref, SELF);
	check_eq("grant.map.page_table_read_only", GNTST_okay, map1(&m));
	check_eq("grant.unmap.page_table_read_only", GNTST_okay, unmap1(va_of(win), 0, m.handle));

	/* A batch: each operation has its own status, the call succeeds. */
	grant(ref, SELF, mfn_of(page_a), GTF_permit_access);
	batch[0] = map_op(va_of(win), GNTMAP_host_map, ref, SELF);
	batch[1] = map_op(va_of(win2), GNTMAP_host_map, 1u << 20, SELF);
	check_eq("grant.map.batch.rc", 0, gnttab(GNTTABOP_map_grant_ref, batch, 2));
	check_eq("grant.map.batch.first_okay", GNTST_okay, batch[0].status);
	check_eq("grant.map.batch.second_bad_gntref", GNTST_bad_gntref, batch[1].status);
	check_eq("grant.unmap.batch_first", GNTST_okay, unmap1(va_of(win), 0, batch[0].handle));
	grant(ref, 0, 0, 0);
}

/* ---- copy ---- */

static struct gnttab_copy copy_op(uint64_t src, domid_t sdom, uint16_t soff, uint64_t dst,
				  domid_t ddom, uint16_t doff, uint16_t len, uint16_t flags)
{
	struct gnttab_copy c = { .len = len, .flags = flags, .status = 99 };

	if (flags & GNTCOPY_source_gref)
		c.source.u.ref = (grant_ref_t)src;
	else
		c.source.u.gmfn = src;
	if (flags & GNTCOPY_dest_gref)
		c.dest.u.ref = (grant_ref_t)dst;
	else
		c.dest.u.gmfn = dst;
	c.source.domid = sdom;
	c.source.offset = soff;
	c.dest.domid = ddom;
	c.dest.offset = doff;
	return c;
}

static long copy1(struct gnttab_copy *c)
{
	long rc = gnttab(GNTTABOP_copy, c, 1);

	return rc ? 1000 + rc : c->status;
}

static void copy(void)
{
	grant_ref_t src = FIRST_REF + 10, dst = FIRST_REF + 11, ro_dst = FIRST_REF + 12;
	uint64_t l4 = mfn_of((void *)(uintptr_t)pv_start_info->pt_base);
	struct gnttab_copy c, batch[3];
	long ref;

	memset(page_a, 0x5c, sizeof(page_a));
	memset(page_b, 0, sizeof(page_b));

	/* libpv's grant and a frame of our own. */
	ref = pv_gnttab_grant(SELF, mfn_of(page_a), true);
	check_eq("grant.grant_access.ref_past_reserved", 1, ref >= GNTTAB_NR_RESERVED_ENTRIES);
	if (ref < 0)
		return;
	c = copy_op(ref, DOMID_SELF, 16, mfn_of(page_b), DOMID_SELF, 32, 64, GNTCOPY_source_gref);
	check_eq("grant.copy.gref_to_gmfn", GNTST_okay, copy1(&c));
	check_hex("grant.copy.copied", 0x5c, page_b[32]);
	check_hex("grant.copy.copied_last", 0x5c, page_b[95]);
	check_hex("grant.copy.not_past_len", 0, page_b[96]);
	check_hex("grant.copy.not_before_offset", 0, page_b[31]);
	check_eq("grant.end_access", 0, pv_gnttab_end((grant_ref_t)ref));

	/* Grant to grant, both ours, naming ourselves by id; then the flags are clear again. */
	grant(src, SELF, mfn_of(page_a), GTF_permit_access | GTF_readonly);
	grant(dst, SELF, mfn_of(page_b), GTF_permit_access);
	memset(page_a, 0xa7, 256);
	c = copy_op(src, SELF, 0, dst, SELF, 1024, 256, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.gref_to_gref", GNTST_okay, copy1(&c));
	check_hex("grant.copy.gref_to_gref_first", 0xa7, page_b[1024]);
	check_hex("grant.copy.gref_to_gref_last", 0xa7, page_b[1279]);
	check_hex("grant.copy.flags_cleared_src", 0, flags_of(src) & (GTF_reading | GTF_writing));
	check_hex("grant.copy.flags_cleared_dst", 0, flags_of(dst) & (GTF_reading | GTF_writing));
	c = copy_op(src, SELF, 0, dst, SELF, 0, 0, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.len0", GNTST_okay, copy1(&c));

	/* Hostile copies. */
	grant(ro_dst, SELF, mfn_of(page_b), GTF_permit_access | GTF_readonly);
	c = copy_op(src, SELF, 0, ro_dst, SELF, 0, 8, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.dest_read_only_grant", GNTST_general_error, copy1(&c));
	c = copy_op(src, SELF, 4000, dst, SELF, 0, 200, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.source_crossing_page", GNTST_bad_copy_arg, copy1(&c));
	c = copy_op(src, SELF, 0, dst, SELF, 4095, 2, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.dest_crossing_page", GNTST_bad_copy_arg, copy1(&c));
	check_hex("grant.copy.crossing_no_flags", 0, flags_of(dst) & (GTF_reading | GTF_writing));
	c = copy_op(1u << 20, DOMID_SELF, 0, dst, SELF, 0, 8, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.bad_ref", GNTST_bad_gntref, copy1(&c));
	c = copy_op(src, NO_DOMAIN, 0, dst, SELF, 0, 8, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.no_such_domain", GNTST_bad_domain, copy1(&c));
	c = copy_op(mfn_of(page_a), SELF, 0, dst, SELF, 0, 8, GNTCOPY_dest_gref);
	check_eq("grant.copy.gmfn_needs_domid_self", GNTST_permission_denied, copy1(&c));
	c = copy_op(NOT_RAM_MFN, DOMID_SELF, 0, dst, SELF, 0, 8, GNTCOPY_dest_gref);
	check_eq("grant.copy.gmfn_not_ours_bad_page", GNTST_bad_page, copy1(&c));
	c = copy_op(src, SELF, 0, l4, DOMID_SELF, 0, 8, GNTCOPY_source_gref);
	check_eq("grant.copy.dest_page_table_refused", GNTST_general_error, copy1(&c));
	grant(dst, 5, mfn_of(page_b), GTF_permit_access);
	c = copy_op(src, SELF, 0, dst, SELF, 0, 8, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	check_eq("grant.copy.entry_other_domid", GNTST_general_error, copy1(&c));
	grant(dst, SELF, mfn_of(page_b), 0);
	check_eq("grant.copy.entry_not_permitted", GNTST_general_error, copy1(&c));
	check_hex("grant.copy.refused_no_flags_src", 0, flags_of(src) & (GTF_reading | GTF_writing));

	/* A batch of three: good, bad, good; every status its own. */
	grant(dst, SELF, mfn_of(page_b), GTF_permit_access);
	memset(page_b, 0, sizeof(page_b));
	batch[0] = copy_op(src, SELF, 0, dst, SELF, 0, 4, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	batch[1] = copy_op(src, SELF, 0, dst, SELF, 4094, 4, GNTCOPY_source_gref | GNTCOPY_dest_gref);
	batch[2] = copy_op(src, SELF, 0, mfn_of(page_b), DOMID_SELF, 8, 4, GNTCOPY_source_gref);
	check_eq("grant.copy.batch.rc", 0, gnttab(GNTTABOP_copy, batch, 3));
	check_eq("grant.copy.batch.0", GNTST_okay, batch[0].status);
	check_eq("grant.copy.batch.1", GNTST_bad_copy_arg, batch[1].status);
	check_eq("grant.copy.batch.2", GNTST_okay, batch[2].status);
	check_hex("grant.copy.batch.data", 0xa7a7a7a7, *(volatile uint32_t *)&page_b[8]);

	grant(src, 0, 0, 0);
	grant(dst, 0, 0, 0);
	grant(ro_dst, 0, 0, 0);
}

int main(void)
{
	check_guest(GUEST_NAME);
	if (skip_unless_implemented(IMPLEMENTED(grant_table_op), "grant",
				    HYPERVISOR_grant_table_op(GNTTABOP_query_size, NULL, 0), "all"))
		return check_done();
	if (!IMPLEMENTED(update_va_mapping)) {
		check_skip("grant.all", "update_va_mapping not implemented yet (the table is mapped with it)");
		return check_done();
	}
	table();
	if (!gt)
		return check_done();
	map_read_write();
	map_read_only();
	map_twice();
	map_contains_pte();
	map_device();
	map_hostile();
	copy();
	restore_slot(win);
	return check_done();
}
