/*
 * grant_table_op (20), version 1: setting the table up and mapping it,
 * its size and version, a copy through a grant of our own, and the
 * per-operation status codes for bad domains and references
 * (xen/common/grant_table.c).
 */
#include <string.h>

#include "check.h"

#define NO_DOMAIN 0x7fe0

static uint8_t src[4096] __attribute__((aligned(4096)));
static uint8_t dst[4096] __attribute__((aligned(4096)));

static void table(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	struct gnttab_set_version sv = { .version = 1 };
	struct gnttab_setup_table st = { .dom = NO_DOMAIN, .nr_frames = 1 };
	pv_u64 frame;

	check_eq("grant.setup_table.libpv", 0, pv_gnttab_init(1));
	check_eq("grant.query_size.rc", 0, HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1));
	check_eq("grant.query_size.status", GNTST_okay, q.status);
	check_eq("grant.query_size.nr_frames", 1, q.nr_frames >= 1);
	check_eq("grant.query_size.max_at_least_nr", 1, q.max_nr_frames >= q.nr_frames);
	check_eq("grant.set_version.1", 0, HYPERVISOR_grant_table_op(GNTTABOP_set_version, &sv, 1));
	check_eq("grant.set_version.1_in_force", 1, sv.version);
	check_eq("grant.get_version.rc", 0, HYPERVISOR_grant_table_op(GNTTABOP_get_version, &gv, 1));
	check_eq("grant.get_version.1", 1, gv.version);

	st.frame_list = PV_GVA(&frame);
	check_eq("grant.setup_table.no_such_domain.rc", 0,
		 HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1));
	check_eq("grant.setup_table.no_such_domain.status", GNTST_bad_domain, st.status);
	st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1, .frame_list = 0 };
	check_eq("grant.setup_table.frame_list_null_efault", -XEN_EFAULT,
		 HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1));

	check_eq("grant.unknown_cmd_enosys", -XEN_ENOSYS, HYPERVISOR_grant_table_op(99, &q, 1));
	check_eq("grant.query_size.null_efault", -XEN_EFAULT,
		 HYPERVISOR_grant_table_op(GNTTABOP_query_size, NULL, 1));
}

static void copy(void)
{
	long ref;
	struct gnttab_copy c;

	memset(src, 0x5c, sizeof(src));
	memset(dst, 0, sizeof(dst));
	ref = pv_gnttab_grant(0, pv_virt_to_mfn(src), true);
	check_eq("grant.grant_access.ref_past_reserved", 1, ref >= GNTTAB_NR_RESERVED_ENTRIES);
	if (ref < 0)
		return;

	c = (struct gnttab_copy){
		.source = { .u.ref = (grant_ref_t)ref, .domid = DOMID_SELF, .offset = 16 },
		.dest = { .u.gmfn = pv_virt_to_mfn(dst), .domid = DOMID_SELF, .offset = 32 },
		.len = 64,
		.flags = GNTCOPY_source_gref,
	};
	check_eq("grant.copy.rc", 0, HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1));
	check_eq("grant.copy.status", GNTST_okay, c.status);
	check_hex("grant.copy.copied", 0x5c, dst[32]);
	check_hex("grant.copy.copied_last", 0x5c, dst[95]);
	check_hex("grant.copy.not_past_len", 0, dst[96]);

	/* Crossing the end of the page is a bad copy argument. */
	c.status = 0;
	c.source.offset = 4000;
	c.len = 200;
	check_eq("grant.copy.crossing_page.rc", 0, HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1));
	check_eq("grant.copy.crossing_page.status", GNTST_bad_copy_arg, c.status);

	/* A reference past the table. */
	c.source.offset = 0;
	c.len = 8;
	c.source.u.ref = 1 << 20;
	check_eq("grant.copy.bad_ref.rc", 0, HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1));
	check_eq("grant.copy.bad_ref.status", GNTST_bad_gntref, c.status);

	check_eq("grant.end_access", 0, pv_gnttab_end((grant_ref_t)ref));
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
	copy();
	return check_done();
}
