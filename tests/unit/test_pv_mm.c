/*
 * Unit tests of the PV memory manager's reference counts, page types,
 * table validation, pins, recursion, preemption and frame release
 * (hypervisor/arch/x86/pv/mm/page_type.c and validate.c) on a fake
 * frame table and fake memory.
 */
/* unit-sources: hypervisor/arch/x86/pv/mm/page_type.c hypervisor/arch/x86/pv/mm/validate.c */
/* unit-sources: hypervisor/common/frame_alloc.c */
#include "test_pv_mm_fixture.h"

/* ---- general references ---- */

static void test_get_page_owner_and_assignment(void)
{
	setup();
	mfn_t a = new_frame(DOMU);
	struct frame *raw = alloc_frames(0, DOMU); /* allocated, never assigned */

	CHECK_EQ(gcount(a), 1);
	CHECK(pt_get_page(F(a), DOMU));
	CHECK_EQ(gcount(a), 2);
	CHECK(!pt_get_page(F(a), DOMU2));
	CHECK_EQ(gcount(a), 2);
	pt_put_page(F(a));
	CHECK_EQ(gcount(a), 1);
	CHECK(!pt_get_page(raw, DOMU));
	CHECK_EQ(raw->count, 0);
	/* Not RAM, and RAM nobody owns. */
	CHECK(!pt_get_page(F(3), DOMU));
	CHECK_EQ(pt_get_page_any(F(3)), FRAME_OWNER_NONE);
	no_bugs();
	/* The owner's own reference cannot be put. */
	pt_put_page(F(a));
	CHECK_EQ(bugs, 1);
	CHECK_EQ(gcount(a), 1);
}

static void test_count_overflow_refused(void)
{
	setup();
	mfn_t a = new_frame(DOMU);

	F(a)->count = 0xffffffffu;
	CHECK(!pt_get_page(F(a), DOMU));
	CHECK_EQ(gcount(a), 0xffffffffu);
	F(a)->count = 1;
	F(a)->type_info = ((u64)PGT_WRITABLE << PGT_TYPE_SHIFT) | PGT_VALIDATED | PGT_COUNT_MAX;
	CHECK_EQ(get_type(a, PGT_WRITABLE), -EINVAL);
	no_bugs();
}

static void test_release_and_reassign(void)
{
	setup();
	mfn_t a = new_frame(DOMU);

	CHECK(pt_get_page(F(a), DOMU));
	CHECK_EQ(pv_page_release(F(a)), -EBUSY);
	pt_put_page(F(a));
	CHECK_EQ(pv_page_release(F(a)), 0);
	CHECK_EQ(gcount(a), 0);
	CHECK_EQ(F(a)->type_info, 0);
	/* Released: no reference can be taken any more, even by the old owner. */
	CHECK(!pt_get_page(F(a), DOMU));
	free_frames(F(a), 0);
	no_bugs();
}

/* ---- types ---- */

static void test_writable_type(void)
{
	setup();
	mfn_t a = new_frame(DOMU);

	CHECK_EQ(get_type(a, PGT_WRITABLE), 0);
	CHECK_EQ(get_type(a, PGT_WRITABLE), 0);
	CHECK_EQ(ptype(a), PGT_WRITABLE);
	CHECK_EQ(tcount(a), 2);
	CHECK(validated(a));
	/* Mapped writable: cannot become a table or a descriptor page. */
	CHECK_EQ(get_type(a, PGT_L1), -EINVAL);
	CHECK_EQ(get_type(a, PGT_SEG_DESC), -EINVAL);
	pt_put_type(F(a));
	pt_put_type(F(a));
	CHECK_EQ(tcount(a), 0);
	CHECK_EQ(get_type(a, PGT_L1), 0);
	CHECK_EQ(ptype(a), PGT_L1);
	/* A table in use cannot be mapped writable. */
	CHECK_EQ(get_type(a, PGT_WRITABLE), -EINVAL);
	CHECK_EQ(get_type(a, PGT_NONE), -EINVAL);
	CHECK_EQ(get_type(a, 7), -EINVAL);
	pt_put_type(F(a));
	no_bugs();
}

static void test_get_type_in_use(void)
{
	setup();
	mfn_t a = new_frame(DOMU);

	CHECK_EQ(pt_get_type_in_use(F(a), PGT_L1), -EINVAL); /* no type yet */
	CHECK_EQ(get_type(a, PGT_L1), 0);
	CHECK_EQ(pt_get_type_in_use(F(a), PGT_L1), 0);
	CHECK_EQ(pt_get_type_in_use(F(a), PGT_L2), -EINVAL);
	CHECK_EQ(tcount(a), 2);
	pt_put_type(F(a));
	pt_put_type(F(a));
	/* Validated but unused: not "in use". */
	CHECK_EQ(pt_get_type_in_use(F(a), PGT_L1), -EINVAL);
	no_bugs();
}

/* ---- L1 entry rules ---- */

static int validate_l1_entry(u16 dom, u64 e)
{
	mfn_t l1 = new_frame(dom);
	int rc;

	fake_mem[l1][7] = e;
	rc = get_type(l1, PGT_L1);
	if (!rc)
		pt_put_type(F(l1));
	return rc;
}

static void test_l1_flag_rules(void)
{
	setup();
	mfn_t data = new_frame(DOMU), d0 = new_frame(DOM0);
	const u64 ok[] = { PG_P, PG_P | PG_RW, PG_P | PG_US | PG_A | PG_D, PG_P | PG_G,
			   PG_P | (7UL << 9), PG_P | (0x7ffUL << 52), PG_P | PG_NX };
	const u64 bad[] = { PG_PWT, PG_PCD, PG_PAT };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		CHECK_MSG(validate_l1_entry(DOMU, pte(data, ok[i])) == 0, "flags %#llx refused",
			  (unsigned long long)ok[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_MSG(validate_l1_entry(DOMU, pte(data, PG_P | bad[i])) == -EINVAL,
			  "domU: flag %#llx accepted", (unsigned long long)bad[i]);
		CHECK_MSG(validate_l1_entry(DOM0, pte(d0, PG_P | bad[i])) == 0,
			  "dom0: flag %#llx refused", (unsigned long long)bad[i]);
	}
	/* Not present: anything goes, nothing is taken. */
	CHECK_EQ(validate_l1_entry(DOMU, 0xfffffffffffffffeUL), 0);
	no_bugs();
}

static void test_l1_entries_adjusted(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = new_frame(DOMU);

	fake_mem[l1][0] = pte(data, PG_P | PG_G);
	fake_mem[l1][1] = pte(data, PG_P | PG_RW | PG_US);
	fake_mem[l1][2] = pte(data, PG_G); /* not present: left alone */
	CHECK_EQ(get_type(l1, PGT_L1), 0);
	CHECK_EQ(fake_mem[l1][0], pte(data, PG_P | PG_US));
	CHECK_EQ(fake_mem[l1][1], pte(data, PG_P | PG_RW | PG_US));
	CHECK_EQ(fake_mem[l1][2], pte(data, PG_G));
	/* Two mappings: two general references; one writable: one type reference. */
	CHECK_EQ(gcount(data), 3);
	CHECK_EQ(ptype(data), PGT_WRITABLE);
	CHECK_EQ(tcount(data), 1);
	pt_put_type(F(l1));
	no_bugs();
}

static void test_l1_frame_ownership(void)
{
	setup();
	mfn_t mine = new_frame(DOMU), theirs = new_frame(DOMU2), d0 = new_frame(DOM0);
	mfn_t table = new_frame(DOMU);

	CHECK_EQ(validate_l1_entry(DOMU, pte(mine, PG_P)), 0);
	CHECK_EQ(validate_l1_entry(DOMU, pte(theirs, PG_P)), -EBUSY);
	CHECK_EQ(validate_l1_entry(DOMU, pte(d0, PG_P)), -EBUSY);
	/* Validation is in the table owner's name: even dom0 maps others' frames only via FD. */
	CHECK_EQ(validate_l1_entry(DOM0, pte(theirs, PG_P)), -EBUSY);
	/* Free RAM and hypervisor RAM. */
	CHECK_EQ(validate_l1_entry(DOMU, pte(NR_FRAMES - 1, PG_P)), -EBUSY);
	/* A page table may be mapped, but only read-only. */
	CHECK_EQ(get_type(table, PGT_L1), 0);
	CHECK_EQ(validate_l1_entry(DOMU, pte(table, PG_P)), 0);
	CHECK_EQ(validate_l1_entry(DOMU, pte(table, PG_P | PG_RW)), -EBUSY);
	CHECK_EQ(gcount(theirs), 1);
	/* Each test L1 was devalidated when its last type reference went. */
	CHECK_EQ(gcount(table), 1);
	pt_put_type(F(table));
	no_bugs();
}

static void test_l1_io_memory(void)
{
	setup();
	CHECK_EQ(validate_l1_entry(DOMU, pte(3, PG_P)), -EPERM);
	CHECK_EQ(validate_l1_entry(DOM0, pte(3, PG_P | PG_RW | PG_PCD | PG_PWT)), 0);
	CHECK_EQ(validate_l1_entry(DOM0, pte(IO_DENIED, PG_P)), -EPERM);
	/* Beyond the frame table is I/O memory too. */
	CHECK_EQ(validate_l1_entry(DOM0, pte(0x100000, PG_P)), 0);
	CHECK_EQ(validate_l1_entry(DOMU, pte(0x100000, PG_P)), -EPERM);
	/* No reference counting on I/O frames. */
	CHECK_EQ(F(3)->count, 0);
	no_bugs();
}

static void test_l1_failure_rolls_back(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = new_frame(DOMU);

	fake_mem[l1][0] = pte(data, PG_P | PG_RW);
	fake_mem[l1][1] = pte(data, PG_P);
	fake_mem[l1][2] = pte(data, PG_P | PG_PCD);
	CHECK_EQ(get_type(l1, PGT_L1), -EINVAL);
	CHECK_EQ(gcount(data), 1);
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(tcount(l1), 0);
	CHECK(!validated(l1));
	/* Fixed, it validates. */
	fake_mem[l1][2] = 0;
	CHECK_EQ(get_type(l1, PGT_L1), 0);
	CHECK_EQ(gcount(data), 3);
	pt_put_type(F(l1));
	no_bugs();
}

/* ---- L2-L4 ---- */

static void test_upper_level_flag_rules(void)
{
	setup();
	const u64 bad[] = { PG_PSE, PG_G, PG_PWT, PG_PCD };

	for (unsigned int level = 2; level <= 4; level++) {
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			mfn_t child = new_frame(DOMU), t = new_frame(DOMU);

			fake_mem[t][3] = pte(child, PG_P | PG_RW | bad[i]);
			CHECK_MSG(get_type(t, level) == -EINVAL, "L%u accepted flag %#llx", level,
				  (unsigned long long)bad[i]);
			CHECK_EQ(tcount(child), 0);
			CHECK_EQ(gcount(child), 1);
		}
		{
			/* The base set, available bits and NX are fine. */
			mfn_t child = new_frame(DOMU), t = new_frame(DOMU);

			fake_mem[t][3] = pte(child, PG_P | PG_RW | PG_A | PG_D | (7UL << 9) |
						    (0x7ffUL << 52) | PG_NX);
			CHECK_EQ(get_type(t, level), 0);
			CHECK_EQ(ptype(child), level - 1);
			CHECK(fake_mem[t][3] & PG_US);
			pt_put_type(F(t));
		}
	}
	no_bugs();
}

static void test_upper_level_child_rules(void)
{
	setup();
	mfn_t theirs = new_frame(DOMU2), busy = new_frame(DOMU), t;

	/* Another domain's frame as a child: refused. */
	t = new_frame(DOMU);
	fake_mem[t][0] = pte(theirs, PG_P);
	CHECK_EQ(get_type(t, PGT_L2), -EINVAL);
	/* Non-RAM child. */
	t = new_frame(DOMU);
	fake_mem[t][0] = pte(5, PG_P);
	CHECK_EQ(get_type(t, PGT_L2), -EINVAL);
	/* A child mapped writable elsewhere cannot become a table. */
	CHECK_EQ(get_type(busy, PGT_WRITABLE), 0);
	t = new_frame(DOMU);
	fake_mem[t][0] = pte(busy, PG_P);
	CHECK_EQ(get_type(t, PGT_L2), -EINVAL);
	CHECK_EQ(gcount(busy), 1);
	pt_put_type(F(busy));
	/* A child of the wrong level. */
	t = new_frame(DOMU);
	{
		mfn_t l2 = new_frame(DOMU);

		CHECK_EQ(get_type(l2, PGT_L2), 0);
		fake_mem[t][0] = pte(l2, PG_P);
		CHECK_EQ(get_type(t, PGT_L2), -EINVAL); /* wants an L1 */
		CHECK_EQ(get_type(t, PGT_L3), 0);       /* fine as an L3 */
		CHECK_EQ(tcount(l2), 2);
		pt_put_type(F(t));
		pt_put_type(F(l2));
	}
	no_bugs();
}

static void test_self_references_refused(void)
{
	setup();
	mfn_t l4 = new_frame(DOMU), l2 = new_frame(DOMU);

	fake_mem[l4][0] = pte(l4, PG_P);
	CHECK_EQ(get_type(l4, PGT_L4), -EINVAL);
	CHECK_EQ(tcount(l4), 0);
	CHECK_EQ(gcount(l4), 1);
	fake_mem[l2][5] = pte(l2, PG_P);
	CHECK_EQ(get_type(l2, PGT_L2), -EINVAL);
	CHECK_EQ(gcount(l2), 1);
	no_bugs();
}

static void test_l4_hypervisor_slots(void)
{
	setup();
	mfn_t l4 = new_frame(DOMU), l3 = new_frame(DOMU);

	/* Whatever the guest left in slots 256-271 is ignored, then replaced. */
	for (unsigned int s = PT_HV_SLOT_FIRST; s <= PT_HV_SLOT_LAST; s++)
		fake_mem[l4][s] = pte(NR_FRAMES - 2, PG_P | PG_PSE);
	fake_mem[l4][255] = pte(l3, PG_P);
	fake_mem[l4][272] = pte(l3, PG_P);
	CHECK_EQ(get_type(l4, PGT_L4), 0);
	for (unsigned int s = PT_HV_SLOT_FIRST; s <= PT_HV_SLOT_LAST; s++)
		CHECK_EQ(fake_mem[l4][s], HV_SLOT_MARK | s);
	CHECK_EQ(tcount(l3), 2);
	pt_put_type(F(l4));
	no_bugs();
}

static void test_full_tree_counts(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l3, l2, l1;
	mfn_t l4 = tree_with(DOMU, data, &l3, &l2, &l1);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(pt_pin(F(l4), PGT_L4, &c), 0);
	CHECK(pinned(l4));
	CHECK_EQ(tcount(l4), 1);
	CHECK_EQ(gcount(l4), 2);
	CHECK_EQ(ptype(l3), PGT_L3);
	CHECK_EQ(ptype(l2), PGT_L2);
	CHECK_EQ(ptype(l1), PGT_L1);
	CHECK_EQ(tcount(l1), 1);
	CHECK_EQ(gcount(l1), 2);
	CHECK_EQ(ptype(data), PGT_WRITABLE);
	CHECK_EQ(tcount(data), 1);
	CHECK_EQ(c.progress, 4);
	CHECK_EQ(pt_unpin(F(l4), DOMU), 0);
	CHECK(!pinned(l4));
	CHECK_EQ(tcount(l4), 0);
	CHECK_EQ(gcount(l4), 1);
	/* The unpinned tree is devalidated all the way down, as on Xen. */
	mfn_t all[] = { l4, l3, l2, l1 };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		CHECK(!validated(all[i]));
		CHECK(!queued(all[i]));
		CHECK_EQ(tcount(all[i]), 0);
		CHECK_EQ(gcount(all[i]), 1);
	}
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(gcount(data), 1);
	no_bugs();
}

/* ---- pins ---- */

static void test_pin_rules(void)
{
	setup();
	mfn_t l1 = new_frame(DOMU), theirs = new_frame(DOMU2);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(pt_unpin(F(l1), DOMU), -EINVAL);     /* not pinned */
	CHECK_EQ(pt_pin(F(l1), PGT_L1, &c), 0);
	CHECK_EQ(pt_pin(F(l1), PGT_L1, &c), -EINVAL); /* already pinned */
	CHECK_EQ(tcount(l1), 1);
	CHECK_EQ(gcount(l1), 2);
	CHECK_EQ(pt_pin(F(l1), PGT_L2, &c), -EINVAL); /* it is an L1 */
	CHECK_EQ(pt_pin(F(theirs), PGT_L1, &c), -EINVAL);
	CHECK_EQ(pt_unpin(F(l1), DOMU2), -EINVAL);    /* not theirs */
	CHECK(pinned(l1));
	CHECK_EQ(pt_pin(F(l1), PGT_WRITABLE, &c), -EINVAL);
	CHECK_EQ(pt_unpin(F(l1), DOMU), 0);
	CHECK_EQ(pt_unpin(F(l1), DOMU), -EINVAL);
	CHECK_EQ(gcount(l1), 1);
	CHECK_EQ(tcount(l1), 0);
	/* A foreign pin in the owner's name (the toolstack building a domain). */
	c = ctx_of(DOMU2);
	CHECK_EQ(pt_pin(F(theirs), PGT_L1, &c), 0);
	CHECK_EQ(pt_unpin(F(theirs), DOMU2), 0);
	no_bugs();
}

static void test_l1_shared_by_two_l2s(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = l1_with(DOMU, data, PG_P);
	mfn_t a = new_frame(DOMU), b = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	fake_mem[a][0] = pte(l1, PG_P | PG_RW);
	fake_mem[a][1] = pte(l1, PG_P | PG_RW); /* twice in one L2 too */
	fake_mem[b][9] = pte(l1, PG_P | PG_RW);
	CHECK_EQ(pt_pin(F(a), PGT_L2, &c), 0);
	CHECK_EQ(pt_pin(F(b), PGT_L2, &c), 0);
	CHECK_EQ(tcount(l1), 3);
	CHECK_EQ(gcount(l1), 4);
	CHECK_EQ(gcount(data), 2); /* validated once */
	CHECK_EQ(pt_unpin(F(a), DOMU), 0);
	CHECK_EQ(tcount(l1), 1);
	CHECK(validated(l1));
	CHECK_EQ(pt_unpin(F(b), DOMU), 0);
	CHECK_EQ(tcount(l1), 0);
	CHECK_EQ(gcount(l1), 1);
	CHECK(!validated(l1)); /* the last L2 took it along */
	CHECK_EQ(gcount(data), 1);
	no_bugs();
}

static void test_pinned_l1s_inside_l4(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l3, l2, l1;
	mfn_t l4 = tree_with(DOMU, data, &l3, &l2, &l1);
	struct pt_ctx c = ctx_of(DOMU);

	/* Linux with split PTE locks: each L1 pinned on its own first. */
	CHECK_EQ(pt_pin(F(l1), PGT_L1, &c), 0);
	CHECK_EQ(pt_pin(F(l4), PGT_L4, &c), 0);
	CHECK_EQ(tcount(l1), 2);
	CHECK_EQ(gcount(data), 2);
	CHECK_EQ(pt_unpin(F(l4), DOMU), 0);
	CHECK_EQ(tcount(l1), 1); /* its own pin */
	CHECK(validated(l1));
	CHECK(!validated(l2));
	CHECK_EQ(pt_unpin(F(l1), DOMU), 0);
	CHECK_EQ(tcount(l1), 0);
	CHECK_EQ(gcount(data), 1);
	no_bugs();
}

static void test_unused_table_changes_type(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = l1_with(DOMU, data, PG_P | PG_RW);
	mfn_t l2 = new_frame(DOMU), l3 = new_frame(DOMU);

	/* A table left validated and unused: what a preempted validation leaves behind. */
	CHECK_EQ(get_type(l1, PGT_L1), 0);
	pt_put_type_mode(F(l1), PT_PUT_LAZY);
	CHECK(validated(l1));
	CHECK_EQ(tcount(data), 1);
	/* Reusing it costs no validation: its entries are not read again. */
	fake_mem[l1][1] = pte(data, PG_P | PG_PCD); /* only possible in a test */
	CHECK_EQ(pt_get_type_in_use(F(l1), PGT_L1), -EINVAL);
	CHECK_EQ(get_type(l1, PGT_L1), 0);
	pt_put_type_mode(F(l1), PT_PUT_LAZY);
	fake_mem[l1][1] = 0;
	/* As another type, its references go first. */
	CHECK_EQ(get_type(l1, PGT_WRITABLE), 0);
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(gcount(data), 1);
	pt_put_type(F(l1));

	/* An unused L3 retyped: the L2 below is queued, and a request for it helps drain. */
	fake_mem[l1][0] = pte(data, PG_P | PG_RW);
	fake_mem[l2][0] = pte(l1, PG_P);
	fake_mem[l3][0] = pte(l2, PG_P);
	CHECK_EQ(get_type(l3, PGT_L3), 0);
	pt_put_type_mode(F(l3), PT_PUT_LAZY);
	CHECK_EQ(get_type(l3, PGT_WRITABLE), 0);
	CHECK(queued(l2));
	CHECK_EQ(gcount(l2), 2); /* the queue's reference */
	CHECK_EQ(get_type(l2, PGT_WRITABLE), 0);
	CHECK(!queued(l2));
	CHECK(queued(l1));
	CHECK(pt_drain(PT_DRAIN_FRAMES));
	CHECK(!queued(l1));
	CHECK_EQ(gcount(l1), 1);
	CHECK_EQ(tcount(data), 0);
	pt_put_type(F(l2));
	pt_put_type(F(l3));
	no_bugs();
}

/* Linux's unpin: the top table unpinned, then each table made writable, top down. */
static void test_linux_unpin_sequence(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l3, l2, l1;
	mfn_t l4 = tree_with(DOMU, data, &l3, &l2, &l1);
	struct pt_ctx c = ctx_of(DOMU);

	CHECK_EQ(pt_pin(F(l1), PGT_L1, &c), 0); /* split PTE locks */
	CHECK_EQ(pt_pin(F(l4), PGT_L4, &c), 0);
	CHECK_EQ(pt_unpin(F(l4), DOMU), 0);
	CHECK_EQ(get_type(l3, PGT_WRITABLE), 0);
	CHECK_EQ(get_type(l2, PGT_WRITABLE), 0);
	CHECK_EQ(pt_unpin(F(l1), DOMU), 0);
	CHECK_EQ(get_type(l1, PGT_WRITABLE), 0);
	CHECK_EQ(get_type(l4, PGT_WRITABLE), 0);
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(gcount(data), 1);
	pt_put_type(F(l4));
	pt_put_type(F(l3));
	pt_put_type(F(l2));
	pt_put_type(F(l1));
	no_bugs();
}

/* Any order works once the top is unpinned (Xen's recursive devalidation). */
static void test_bottom_up_release(void)
{
	setup();
	for (unsigned int top = 2; top <= 4; top++) {
		mfn_t data = new_frame(DOMU), l3, l2, l1;
		mfn_t l4 = tree_with(DOMU, data, &l3, &l2, &l1);
		mfn_t t[5] = { 0, l1, l2, l3, l4 };
		struct pt_ctx c = ctx_of(DOMU);

		CHECK_EQ(pt_pin(F(t[top]), top, &c), 0);
		CHECK_EQ(pt_unpin(F(t[top]), DOMU), 0);
		for (unsigned int l = 1; l <= top; l++)
			CHECK_MSG(get_type(t[l], PGT_WRITABLE) == 0, "L%u tree: L%u stays a table",
				  top, l);
		for (unsigned int l = 1; l <= top; l++)
			pt_put_type(F(t[l]));
		CHECK_EQ(gcount(data), 1);
	}
	no_bugs();
}

/* A failed validation lets go of the tables it validated on the way. */
static void test_failed_validation_releases_tree(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = l1_with(DOMU, data, PG_P | PG_RW);
	mfn_t l2 = new_frame(DOMU), theirs = new_frame(DOMU2);

	fake_mem[l2][0] = pte(l1, PG_P);
	fake_mem[l2][1] = pte(theirs, PG_P);
	CHECK_EQ(get_type(l2, PGT_L2), -EINVAL);
	CHECK(pt_drain(PT_DRAIN_FRAMES));
	CHECK(!validated(l1));
	CHECK_EQ(gcount(l1), 1);
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(get_type(l1, PGT_WRITABLE), 0);
	pt_put_type(F(l1));
	no_bugs();
}

/* A big tree released: a few tables now, the rest on the queue, safe and drainable. */
static mfn_t wide_tree(unsigned int n, mfn_t data, mfn_t *l1s);

static void test_large_release_is_queued(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1s[40];
	mfn_t l4 = wide_tree(40, data, l1s);
	struct pt_ctx c = ctx_of(DOMU);
	unsigned int waiting = 0;

	CHECK_EQ(pt_pin(F(l4), PGT_L4, &c), 0);
	CHECK_EQ(pt_unpin(F(l4), DOMU), 0);
	for (unsigned int i = 0; i < 40; i++)
		waiting += queued(l1s[i]);
	CHECK_MSG(waiting > 0 && waiting < 40, "%u of 40 L1s still queued", waiting);
	/* A queued table cannot be used, but asking for it drains the way to it. */
	for (unsigned int i = 0; i < 40; i++) {
		if (!queued(l1s[i]))
			continue;
		CHECK_EQ(pt_get_type_in_use(F(l1s[i]), PGT_L1), -EINVAL);
		CHECK_EQ(get_type(l1s[i], PGT_WRITABLE), 0);
		CHECK(!queued(l1s[i]));
		pt_put_type(F(l1s[i]));
		break;
	}
	/* Releasing a queued frame drains it first. */
	for (unsigned int i = 0; i < 40; i++) {
		if (!queued(l1s[i]))
			continue;
		CHECK_EQ(pv_page_release(F(l1s[i])), 0);
		break;
	}
	CHECK(pt_drain(PT_DRAIN_FRAMES));
	for (unsigned int i = 0; i < 40; i++)
		CHECK(!queued(l1s[i]));
	CHECK_EQ(gcount(data), 1);
	no_bugs();
}

/* ---- preemption ---- */

/* An L4 -> L3 -> L2 with n L1s, each mapping data read-only in every entry. */
static mfn_t wide_tree(unsigned int n, mfn_t data, mfn_t *l1s)
{
	mfn_t l4 = new_frame(DOMU), l3 = new_frame(DOMU), l2 = new_frame(DOMU);

	fake_mem[l4][1] = pte(l3, PG_P | PG_RW);
	fake_mem[l3][2] = pte(l2, PG_P | PG_RW);
	for (unsigned int i = 0; i < n; i++) {
		l1s[i] = new_frame(DOMU);
		for (unsigned int e = 0; e < PT_ENTRIES; e++)
			fake_mem[l1s[i]][e] = pte(data, PG_P);
		fake_mem[l2][i] = pte(l1s[i], PG_P | PG_RW);
	}
	return l4;
}

static void test_preempted_pin_makes_progress(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1s[40];
	mfn_t l4 = wide_tree(40, data, l1s);
	int attempts = 0, rc;

	do {
		struct pt_ctx c;

		pt_ctx_self(&c, DOMU, true);
		preempt_countdown = 0; /* work is always pending */
		rc = pt_pin(F(l4), PGT_L4, &c);
		attempts++;
		if (rc == -ERESTART) {
			/* Nothing is left half done. */
			CHECK_EQ(tcount(l4), 0);
			CHECK_EQ(gcount(l4), 1);
			CHECK(!pinned(l4));
		}
	} while (rc == -ERESTART && attempts < 100);
	CHECK_EQ(rc, 0);
	/* Each attempt finishes at least one table: 40 L1s + L2 + L3 + L4. */
	CHECK_MSG(attempts > 1 && attempts <= 43, "%d attempts", attempts);
	CHECK_EQ(gcount(data), 1 + 40 * PT_ENTRIES);
	for (unsigned int i = 0; i < 40; i++)
		CHECK_EQ(tcount(l1s[i]), 1);
	CHECK_EQ(pt_unpin(F(l4), DOMU), 0);
	no_bugs();
}

static void test_validation_budget_bounds_work(void)
{
	setup();
	/* More entries than one attempt may check, with no other work pending. */
	const unsigned int n = PT_VALIDATE_BUDGET / PT_ENTRIES + 4;
	mfn_t data = new_frame(DOMU), l1s[32];
	mfn_t l4 = wide_tree(n, data, l1s);
	struct pt_ctx c;
	int rc, attempts = 0;

	do {
		pt_ctx_self(&c, DOMU, true);
		rc = pt_pin(F(l4), PGT_L4, &c);
		attempts++;
	} while (rc == -ERESTART && attempts < 10);
	CHECK_EQ(rc, 0);
	CHECK_MSG(attempts >= 2, "a %u-table validation ran in one attempt", n);
	/* Not preemptible: one go, whatever the size. */
	CHECK_EQ(pt_unpin(F(l4), DOMU), 0);
	CHECK_EQ(get_type(l4, PGT_WRITABLE), 0); /* drop the cached validation of the L4 */
	pt_put_type(F(l4));
	no_bugs();
}

static void test_waiting_on_a_claimed_frame(void)
{
	setup();
	mfn_t l1 = new_frame(DOMU);
	struct pt_ctx c;

	/* Claimed for validation by "another CPU": count 1, not validated. */
	F(l1)->type_info = ((u64)PGT_L1 << PGT_TYPE_SHIFT) | 1;
	pt_ctx_self(&c, DOMU, true);
	preempt_countdown = 3;
	CHECK_EQ(pt_get_type(F(l1), PGT_L1, &c), -ERESTART);
	CHECK_EQ(relax_calls, 3);
	/* Another type fails at once. */
	CHECK_EQ(pt_get_type(F(l1), PGT_WRITABLE, &c), -EINVAL);
	F(l1)->type_info = 0;
	no_bugs();
}

/* ---- release and teardown ---- */

static void test_release_drops_pin_and_cache(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l1 = l1_with(DOMU, data, PG_P | PG_RW);
	mfn_t l2 = new_frame(DOMU);
	struct pt_ctx c = ctx_of(DOMU);

	fake_mem[l2][0] = pte(l1, PG_P);
	CHECK_EQ(pt_pin(F(l2), PGT_L2, &c), 0);
	/* l1 is referenced by l2: busy, but its (lack of) pin is fine. */
	CHECK_EQ(pv_page_release(F(l1)), -EBUSY);
	CHECK_EQ(pv_page_release(F(l2)), 0); /* unpinned, devalidated, released */
	CHECK_EQ(tcount(l1), 0);
	CHECK_EQ(gcount(l1), 1);
	CHECK_EQ(pv_page_release(F(l1)), 0);
	CHECK_EQ(tcount(data), 0);
	CHECK_EQ(gcount(data), 1);
	CHECK_EQ(pv_page_release(F(data)), 0);
	no_bugs();
}

static void test_dying_domain_teardown(void)
{
	setup();
	mfn_t data = new_frame(DOMU), l3, l2, l1, frames[8];
	mfn_t l4 = tree_with(DOMU, data, &l3, &l2, &l1);
	mfn_t l1b = l1_with(DOMU, data, PG_P);
	struct pt_ctx c = ctx_of(DOMU);
	unsigned int n = 0;

	fake_mem[l2][1] = pte(l1b, PG_P);
	CHECK_EQ(pt_pin(F(l4), PGT_L4, &c), 0);
	CHECK_EQ(pt_pin(F(l1b), PGT_L1, &c), 0);
	frames[n++] = data;
	frames[n++] = l1;
	frames[n++] = l1b;
	frames[n++] = l2;
	frames[n++] = l3;
	frames[n++] = l4;
	/* Any order: every frame drops its pin and what its entries hold. */
	for (unsigned int i = 0; i < n; i++)
		pv_page_relinquish(F(frames[i]));
	/* A dead table cannot be typed again. */
	CHECK_EQ(get_type(l2, PGT_L2), -EINVAL);
	for (unsigned int i = 0; i < n; i++) {
		CHECK_MSG(pv_page_release(F(frames[i])) == 0, "frame %u still referenced: count %u",
			  i, gcount(frames[i]));
		CHECK_EQ(F(frames[i])->type_info, 0);
	}
	no_bugs();
}

int main(void)
{
	RUN(test_get_page_owner_and_assignment);
	RUN(test_count_overflow_refused);
	RUN(test_release_and_reassign);
	RUN(test_writable_type);
	RUN(test_get_type_in_use);
	RUN(test_l1_flag_rules);
	RUN(test_l1_entries_adjusted);
	RUN(test_l1_frame_ownership);
	RUN(test_l1_io_memory);
	RUN(test_l1_failure_rolls_back);
	RUN(test_upper_level_flag_rules);
	RUN(test_upper_level_child_rules);
	RUN(test_self_references_refused);
	RUN(test_l4_hypervisor_slots);
	RUN(test_full_tree_counts);
	RUN(test_pin_rules);
	RUN(test_l1_shared_by_two_l2s);
	RUN(test_pinned_l1s_inside_l4);
	RUN(test_unused_table_changes_type);
	RUN(test_linux_unpin_sequence);
	RUN(test_bottom_up_release);
	RUN(test_failed_validation_releases_tree);
	RUN(test_large_release_is_queued);
	RUN(test_preempted_pin_makes_progress);
	RUN(test_validation_budget_bounds_work);
	RUN(test_waiting_on_a_claimed_frame);
	RUN(test_release_drops_pin_and_cache);
	RUN(test_dying_domain_teardown);
	return check_done();
}
