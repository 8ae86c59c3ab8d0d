/*
 * Unit tests of single-entry updates (the core of mmu_update,
 * update_va_mapping and ptwr), foreign page owners, PRESERVE_AD, the
 * reserved L4 slots, the address walk, TLB-flush stamps and descriptor
 * validation (hypervisor/arch/x86/pv/mm/validate.c, page_type.c).
 */
/* unit-sources: hypervisor/arch/x86/pv/mm/page_type.c hypervisor/arch/x86/pv/mm/validate.c */
/* unit-sources: hypervisor/common/frame_alloc.c */
#include "test_pv_mm_fixture.h"

static int set_entry(mfn_t table, unsigned int level, unsigned int idx, u64 val,
		     struct pt_ctx *c)
{
	u64 old;
	int rc;

	REQUIRE_EQ(pt_get_type_in_use(F(table), level), 0);
	rc = pt_modify_entry(F(table), level, idx, pt_rmw_set, &val, c, &old);
	pt_put_type(F(table));
	return rc;
}

static mfn_t pinned_l1(u16 dom)
{
	mfn_t l1 = new_frame(dom);
	struct pt_ctx c = ctx_of(dom);

	REQUIRE_EQ(pt_pin(F(l1), PGT_L1, &c), 0);
	return l1;
}

/* ---- L1 updates ---- */

static void test_l1_update_moves_references(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU), a = new_frame(DOMU), b = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(set_entry(l1, 1, 4, pte(a, PG_P | PG_RW), &c), 0);
	CHECK_EQ(fake_mem[l1][4], pte(a, PG_P | PG_RW | PG_US));
	CHECK_EQ(gcount(a), 2);
	CHECK_EQ(tcount(a), 1);
	CHECK_EQ(set_entry(l1, 1, 4, pte(a, PG_P), &c), 0); /* write access dropped */
	CHECK_EQ(gcount(a), 2);
	CHECK_EQ(tcount(a), 0);
	CHECK_EQ(set_entry(l1, 1, 4, pte(b, PG_P | PG_G), &c), 0);
	CHECK_EQ(fake_mem[l1][4], pte(b, PG_P | PG_US)); /* G cleared */
	CHECK_EQ(gcount(a), 1);
	CHECK_EQ(gcount(b), 2);
	CHECK_EQ(set_entry(l1, 1, 4, 0, &c), 0);
	CHECK_EQ(gcount(b), 1);
	CHECK_EQ(fake_mem[l1][4], 0);
	no_bugs();
}

static void test_l1_update_refusals_leave_entry(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU), a = new_frame(DOMU), other = pinned_l1(DOMU);
	mfn_t theirs = new_frame(DOMU2);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(set_entry(l1, 1, 0, pte(a, PG_P), &c), 0);
	CHECK_EQ(set_entry(l1, 1, 0, pte(a, PG_P | PG_PCD), &c), -EINVAL);
	CHECK_EQ(set_entry(l1, 1, 0, pte(other, PG_P | PG_RW), &c), -EBUSY);
	CHECK_EQ(set_entry(l1, 1, 0, pte(theirs, PG_P), &c), -EBUSY);
	CHECK_EQ(set_entry(l1, 1, 0, pte(3, PG_P), &c), -EPERM);
	CHECK_EQ(fake_mem[l1][0], pte(a, PG_P | PG_US));
	CHECK_EQ(gcount(a), 2);
	CHECK_EQ(gcount(other), 2); /* its pin only */
	CHECK_EQ(tcount(other), 1);
	CHECK_EQ(gcount(theirs), 1);
	no_bugs();
}

static void test_writable_mapping_of_own_table_in_same_update(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	/* An L1 cannot map itself writable, but may map itself read-only. */
	CHECK_EQ(set_entry(l1, 1, 1, pte(l1, PG_P | PG_RW), &c), -EBUSY);
	CHECK_EQ(set_entry(l1, 1, 1, pte(l1, PG_P), &c), 0);
	CHECK_EQ(gcount(l1), 3);
	CHECK_EQ(set_entry(l1, 1, 1, 0, &c), 0);
	no_bugs();
}

static void test_preserve_ad(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU), a = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);
	u64 old, val = pte(a, PG_P);

	CHECK_EQ(set_entry(l1, 1, 2, pte(a, PG_P | PG_RW), &c), 0);
	fake_mem[l1][2] |= PG_A | PG_D; /* the CPU used it */
	REQUIRE_EQ(pt_get_type_in_use(F(l1), PGT_L1), 0);
	CHECK_EQ(pt_modify_entry(F(l1), 1, 2, pt_rmw_set_keep_ad, &val, &c, &old), 0);
	CHECK_EQ(old, pte(a, PG_P | PG_RW | PG_US | PG_A | PG_D));
	CHECK_EQ(fake_mem[l1][2], pte(a, PG_P | PG_US | PG_A | PG_D));
	CHECK_EQ(pt_modify_entry(F(l1), 1, 2, pt_rmw_set, &val, &c, &old), 0);
	CHECK_EQ(fake_mem[l1][2], pte(a, PG_P | PG_US));
	pt_put_type(F(l1));
	no_bugs();
}

static void test_foreign_page_owner(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOM0), theirs = new_frame(DOMU), mine = new_frame(DOM0);
	struct pt_ctx c = ctx_of(DOM0);

	/* dom0 maps a domU frame by naming domU as FD (privcmd). */
	c.pg_owner = DOMU;
	c.pg_priv = false;
	CHECK_EQ(set_entry(l1, 1, 0, pte(theirs, PG_P | PG_RW), &c), 0);
	CHECK_EQ(gcount(theirs), 2);
	CHECK_EQ(tcount(theirs), 1);
	/* With FD = domU, dom0's own frames are not what it asked for. */
	CHECK_EQ(set_entry(l1, 1, 1, pte(mine, PG_P), &c), -EBUSY);
	/* A privileged FD other than the table owner may map anyone's. */
	{
		mfn_t l1u = pinned_l1(DOMU), other = new_frame(DOMU2);
		struct pt_ctx cu = ctx_of(DOMU);

		cu.pg_owner = DOM0;
		cu.pg_priv = true;
		CHECK_EQ(set_entry(l1u, 1, 0, pte(other, PG_P), &cu), 0);
		cu.pg_owner = DOMU2;
		cu.pg_priv = false;
		CHECK_EQ(set_entry(l1u, 1, 1, pte(other, PG_P), &cu), 0);
		cu.pg_owner = DOMU;
		CHECK_EQ(set_entry(l1u, 1, 2, pte(other, PG_P), &cu), -EBUSY);
	}
	/* FD = DOMID_IO: I/O memory only, and only with privilege on both sides. */
	c.pg_owner = PT_DOMID_IO;
	c.pg_priv = true;
	CHECK_EQ(set_entry(l1, 1, 2, pte(4, PG_P | PG_PCD), &c), 0);
	CHECK_EQ(set_entry(l1, 1, 3, pte(theirs, PG_P), &c), -EBUSY);
	c.pg_priv = false;
	CHECK_EQ(set_entry(l1, 1, 4, pte(4, PG_P), &c), -EPERM);
	/* Removing the foreign mapping returns the reference to its owner. */
	c = ctx_of(DOM0);
	CHECK_EQ(set_entry(l1, 1, 0, 0, &c), 0);
	CHECK_EQ(gcount(theirs), 1);
	CHECK_EQ(tcount(theirs), 0);
	no_bugs();
}

/* ---- L2-L4 updates ---- */

static void test_l2_update_validates_child(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = l1_with(DOMU, data, PG_P | PG_RW);
	mfn_t l1b = l1_with(DOMU, data, PG_P), l2 = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(pt_pin(F(l2), PGT_L2, &c), 0);
	CHECK_EQ(set_entry(l2, 2, 10, pte(l1, PG_P | PG_RW), &c), 0);
	CHECK_EQ(ptype(l1), PGT_L1);
	CHECK_EQ(tcount(l1), 1);
	CHECK_EQ(tcount(data), 1);
	CHECK_EQ(set_entry(l2, 2, 10, pte(l1b, PG_P | PG_RW), &c), 0);
	CHECK_EQ(tcount(l1), 0);
	CHECK_EQ(tcount(l1b), 1);
	/* l1 lost its last reference: devalidated, data is no longer mapped writable. */
	CHECK(!validated(l1));
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(set_entry(l2, 2, 11, pte(l1b, PG_P | PG_PSE), &c), -EINVAL);
	{
		mfn_t busy = new_frame(DOMU);

		CHECK_EQ(get_type(busy, PGT_WRITABLE), 0);
		CHECK_EQ(set_entry(l2, 2, 11, pte(busy, PG_P), &c), -EINVAL); /* mapped writable */
		pt_put_type(F(busy));
	}
	/* An update in the name of another page owner cannot touch an L2 (mmu_update refuses). */
	CHECK_EQ(set_entry(l2, 2, 10, 0, &c), 0);
	CHECK_EQ(tcount(l1b), 0);
	no_bugs();
}

static void test_l4_reserved_slots_refused(void)
{
	setup();
	mfn_t l4 = new_frame(DOMU), l3 = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(pt_pin(F(l4), PGT_L4, &c), 0);
	for (unsigned int s = PT_HV_SLOT_FIRST; s <= PT_HV_SLOT_LAST; s++) {
		CHECK_EQ(set_entry(l4, 4, s, pte(l3, PG_P), &c), -EINVAL);
		CHECK_EQ(set_entry(l4, 4, s, 0, &c), -EINVAL);
		CHECK_EQ(fake_mem[l4][s], HV_SLOT_MARK | s);
	}
	CHECK_EQ(set_entry(l4, 4, 255, pte(l3, PG_P), &c), 0);
	CHECK_EQ(set_entry(l4, 4, 272, pte(l3, PG_P), &c), 0);
	CHECK_EQ(set_entry(l4, 4, 511, pte(l3, PG_P), &c), 0);
	CHECK_EQ(tcount(l3), 3);
	CHECK_EQ(set_entry(l4, 4, 512, 0, &c), -EINVAL);
	no_bugs();
}

/* An rmw function that refuses to write, like a failed cmpxchg. */
static bool rmw_keep(u64 old, u64 *new_entry, void *arg)
{
	(*(int *)arg)++;
	return false;
}

/* Simulates the CPU setting A/D between the read and the swap, once. */
static mfn_t race_table;
static bool rmw_racing(u64 old, u64 *new_entry, void *arg)
{
	int *calls = arg;

	if ((*calls)++ == 0)
		fake_mem[race_table][0] |= PG_A | PG_D;
	*new_entry = 0;
	return true;
}

static void test_rmw_retries_and_declines(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU), a = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);
	int calls = 0;
	u64 old;

	CHECK_EQ(set_entry(l1, 1, 0, pte(a, PG_P | PG_RW), &c), 0);
	REQUIRE_EQ(pt_get_type_in_use(F(l1), PGT_L1), 0);
	CHECK_EQ(pt_modify_entry(F(l1), 1, 0, rmw_keep, &calls, &c, &old), 0);
	CHECK_EQ(calls, 1);
	CHECK_EQ(old, pte(a, PG_P | PG_RW | PG_US));
	race_table = l1;
	calls = 0;
	CHECK_EQ(pt_modify_entry(F(l1), 1, 0, rmw_racing, &calls, &c, &old), 0);
	CHECK_EQ(calls, 2);
	CHECK_EQ(old, pte(a, PG_P | PG_RW | PG_US | PG_A | PG_D));
	CHECK_EQ(fake_mem[l1][0], 0);
	CHECK_EQ(gcount(a), 1);
	CHECK_EQ(tcount(a), 0);
	pt_put_type(F(l1));
	no_bugs();
}

/* ---- the walk ---- */

static void test_walk_l1(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l3, l2, l1, found;
	mfn_t l4 = tree_with(DOMU, data, &l3, &l2, &l1);
	unsigned int idx;
	u64 va = (0UL << 39) | (0UL << 30) | (0UL << 21) | (7UL << 12) | 0x123;

	CHECK_EQ(pt_walk_l1(l4, va, &found, &idx), 0);
	CHECK_EQ(found, l1);
	CHECK_EQ(idx, 7);
	CHECK_EQ(pt_walk_l1(l4, va | (1UL << 21), &found, &idx), -EINVAL); /* no L1 there */
	CHECK_EQ(pt_walk_l1(l4, 0x0000800000000000UL, &found, &idx), -EINVAL);
	CHECK_EQ(pt_walk_l1(l4, 0xffff800000001000UL, &found, &idx), -EINVAL); /* hypervisor */
	fake_mem[l2][0] |= PG_PSE;
	CHECK_EQ(pt_walk_l1(l4, va, &found, &idx), -EINVAL);
	fake_mem[l2][0] = pte(5, PG_P); /* not RAM */
	CHECK_EQ(pt_walk_l1(l4, va, &found, &idx), -EINVAL);
	/* Upper half, below and above the hypervisor's slots. */
	fake_mem[l4][511] = pte(l3, PG_P);
	fake_mem[l2][0] = pte(l1, PG_P);
	CHECK_EQ(pt_walk_l1(l4, 0xffffff8000000000UL | (3UL << 12), &found, &idx), 0);
	CHECK_EQ(idx, 3);
	no_bugs();
}

/* ---- TLB flush stamps ---- */

static void test_retype_flushes_stale_writable_mappings(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU), a = new_frame(DOMU), b = new_frame(DOMU);
	mfn_t fresh = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	/* Typing a fresh frame needs no flush. */
	CHECK_EQ(get_type(fresh, PGT_L1), 0);
	pt_put_type(F(fresh));
	CHECK_EQ(flushes, 0);
	/* a and b were mapped writable, then the mappings went (Linux making them read-only). */
	CHECK_EQ(set_entry(l1, 1, 0, pte(a, PG_P | PG_RW), &c), 0);
	CHECK_EQ(set_entry(l1, 1, 1, pte(b, PG_P | PG_RW), &c), 0);
	CHECK_EQ(set_entry(l1, 1, 0, pte(a, PG_P), &c), 0);
	CHECK_EQ(set_entry(l1, 1, 1, pte(b, PG_P), &c), 0);
	CHECK_EQ(flushes, 0);
	/* Pinning them: one flush covers both. */
	CHECK_EQ(pt_pin(F(a), PGT_L1, &c), 0);
	CHECK_EQ(flushes, 1);
	CHECK_EQ(pt_pin(F(b), PGT_L1, &c), 0);
	CHECK_EQ(flushes, 1);
	/* A table given up and mapped writable again: its old stamp predates the flush. */
	CHECK_EQ(pt_unpin(F(b), DOMU), 0);
	CHECK_EQ(get_type(b, PGT_WRITABLE), 0);
	CHECK_EQ(flushes, 2); /* dropped after the last flush */
	pt_put_type(F(b));
	CHECK_EQ(get_type(b, PGT_L1), 0);
	CHECK_EQ(flushes, 3);
	pt_put_type(F(b));
	/* The same type again needs nothing. */
	CHECK_EQ(get_type(b, PGT_L1), 0);
	CHECK_EQ(flushes, 3);
	pt_put_type(F(b));
	no_bugs();
}

static void test_release_flushes_stale_mappings(void)
{
	setup();
	mfn_t l1 = pinned_l1(DOMU), a = new_frame(DOMU), quiet = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	int before;

	/* Never mapped since the last flush (or ever): nothing to flush, bar the very first. */
	pt_flush_if_stale(pt_flush_clock());
	before = flushes;
	CHECK_EQ(pv_page_release(F(quiet)), 0);
	CHECK_EQ(flushes, before);
	CHECK_EQ(set_entry(l1, 1, 0, pte(a, PG_P), &c), 0); /* read-only is enough to leak */
	CHECK_EQ(set_entry(l1, 1, 0, 0, &c), 0);
	CHECK_EQ(pv_page_release(F(a)), 0);
	CHECK_EQ(flushes, before + 1);
	no_bugs();
}

static void test_flush_clock_wraps_safely(void)
{
	setup();
	u32 now;

	/* Bring every started flush to completion: the stamp "now" is then not covered. */
	pt_flush_if_stale(pt_flush_clock());
	now = pt_flush_clock();
	flushes = 0;
	pt_flush_if_stale(now);
	CHECK_EQ(flushes, 1);
	pt_flush_if_stale(now); /* covered by the flush just made */
	CHECK_EQ(flushes, 1);
	pt_flush_if_stale(now + 1);
	CHECK_EQ(flushes, 2);
	/* Stamps ahead of the last completed flush (flushes in flight) are never trusted. */
	pt_flush_if_stale(now + 9);
	CHECK_EQ(flushes, 3);
	/* More than 2^31 flushes old (wrapped): an extra flush, never a missed one. */
	pt_flush_if_stale(now - 0x90000000u);
	CHECK_EQ(flushes, 4);
	pt_flush_if_stale(now - 5);
	CHECK_EQ(flushes, 4);
	no_bugs();
}

/* ---- descriptors ---- */

static u64 desc(u32 lo, u32 hi)
{
	return lo | ((u64)hi << 32);
}

static void test_check_descriptor(void)
{
	u64 d;

	/* Linux's __KERNEL_CS: DPL 0 code, becomes DPL 3. */
	d = 0x00af9b000000ffffUL;
	CHECK(pt_check_descriptor(&d));
	CHECK_EQ(d, 0x00affb000000ffffUL);
	/* Data, not accessed: DPL 3 and the accessed bit. */
	d = 0x00cf92000000ffffUL;
	CHECK(pt_check_descriptor(&d));
	CHECK_EQ(d, 0x00cff3000000ffffUL);
	/* Not present: untouched, whatever it holds. */
	d = 0x0000090000000000UL | 0x1234;
	CHECK(pt_check_descriptor(&d));
	CHECK_EQ(d, 0x0000090000001234UL);
	/* Type 0 system descriptor (upper half of a gate): untouched. */
	d = desc(0xffffffff, 0x00008000);
	CHECK(pt_check_descriptor(&d));
	CHECK_EQ(d, desc(0xffffffff, 0x00008000));
	/* LDT (2), TSS (9, 11), interrupt (14) and trap (15) gates: refused. */
	const u32 refused[] = { 0x2, 0x9, 0xb, 0xe, 0xf, 0x1, 0x3 };
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		d = desc(0x00100000, 0x8000 | (refused[i] << 8));
		CHECK_MSG(!pt_check_descriptor(&d), "system type %#x accepted", refused[i]);
	}
	/* A call gate to a guest selector: DPL 0 so it traps, the DPL in the RPL. */
	d = desc(0x00101000, 0x0000ec00);
	CHECK(pt_check_descriptor(&d));
	CHECK_EQ(d, desc(0x00131000, 0x00008c00));
	/* ... to the flat kernel code selector or an LDT selector. */
	d = desc(0xe0330000, 0x00008c00);
	CHECK(pt_check_descriptor(&d));
	d = desc(0xe0040000, 0x00008c00);
	CHECK(pt_check_descriptor(&d));
	/* ... but not to the hypervisor's own selectors. */
	d = desc(0xe0080000, 0x00008c00);
	CHECK(!pt_check_descriptor(&d));
	/* Reserved bits of a 64-bit gate. */
	d = desc(0x00101000, 0x00008c01);
	CHECK(!pt_check_descriptor(&d));
}

static void test_descriptor_pages(void)
{
	setup();
	mfn_t g = new_frame(DOMU), bad = new_frame(DOMU), l1 = pinned_l1(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	fake_mem[g][2] = 0x00af9b000000ffffUL;
	fake_mem[g][3] = 0x00cf93000000ffffUL;
	CHECK_EQ(get_type(g, PGT_SEG_DESC), 0);
	CHECK_EQ(fake_mem[g][2], 0x00affb000000ffffUL);
	CHECK_EQ(fake_mem[g][3], 0x00cff3000000ffffUL);
	/* A GDT page cannot be mapped writable, nor a writable page become one. */
	CHECK_EQ(set_entry(l1, 1, 0, pte(g, PG_P | PG_RW), &c), -EBUSY);
	CHECK_EQ(set_entry(l1, 1, 0, pte(g, PG_P), &c), 0);
	pt_put_type(F(g));
	fake_mem[bad][511] = desc(0, 0x8000 | (0x9 << 8)); /* a TSS */
	CHECK_EQ(get_type(bad, PGT_SEG_DESC), -EINVAL);
	CHECK_EQ(tcount(bad), 0);
	CHECK_EQ(get_type(bad, PGT_WRITABLE), 0);
	CHECK_EQ(get_type(bad, PGT_SEG_DESC), -EINVAL);
	pt_put_type(F(bad));
	no_bugs();
}

int main(void)
{
	RUN(test_l1_update_moves_references);
	RUN(test_l1_update_refusals_leave_entry);
	RUN(test_writable_mapping_of_own_table_in_same_update);
	RUN(test_preserve_ad);
	RUN(test_foreign_page_owner);
	RUN(test_l2_update_validates_child);
	RUN(test_l4_reserved_slots_refused);
	RUN(test_rmw_retries_and_declines);
	RUN(test_walk_l1);
	RUN(test_retype_flushes_stale_writable_mappings);
	RUN(test_release_flushes_stale_mappings);
	RUN(test_flush_clock_wraps_safely);
	RUN(test_check_descriptor);
	RUN(test_descriptor_pages);
	return check_done();
}
