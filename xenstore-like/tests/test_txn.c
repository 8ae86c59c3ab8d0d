/* mica-store: transactions: isolation, read-your-writes, commit, abort, and conflicts (EAGAIN). */
#include "harness.h"

static void isolation_and_commit(void)
{
	struct hclient *a, *b;
	uint32_t t;

	h_init();
	a = h_client(0);
	b = h_client(0);
	REQUIRE(h_write(a, "/v", "old") == 0);
	t = h_tstart(a);
	REQUIRE(t != 0);
	CHECK_EQ(a->reply.h.len, strlen(a->reply.body) + 1); /* "<id>\0" */
	CHECK_EQ(h_write_tx(a, t, "/v", "new"), 0);
	CHECK_EQ(h_write_tx(a, t, "/n/deep", "made"), 0);
	CHECK_STR(h_value(a, t, "/v"), "new");          /* the transaction sees its writes */
	CHECK_STR(h_value(a, t, "/n/deep"), "made");
	CHECK_STR(h_value(a, 0, "/v"), "old");          /* nobody else does, yet */
	CHECK_STR(h_value(b, 0, "/n/deep"), "<ENOENT>");
	CHECK_STR(h_dir(a, t, "/"), "v,n");
	CHECK_STR(h_dir(b, 0, "/"), "v");
	CHECK_EQ(h_tend(a, t, true), 0);
	CHECK_STR(h_value(b, 0, "/v"), "new");
	CHECK_STR(h_value(b, 0, "/n/deep"), "made");
	CHECK_EQ(h_tend(a, t, true), -ENOENT); /* ended */
	h_fini();
}

static void abort_discards(void)
{
	struct hclient *a;
	uint32_t t;

	h_init();
	a = h_client(0);
	REQUIRE(h_write(a, "/keep", "1") == 0);
	t = h_tstart(a);
	CHECK_EQ(h_write_tx(a, t, "/gone", "x"), 0);
	CHECK_EQ(h_call(a, XS_RM, t, "/keep", NULL), 0);
	CHECK_STR(h_value(a, t, "/keep"), "<ENOENT>");
	CHECK_EQ(h_tend(a, t, false), 0);
	CHECK_STR(h_value(a, 0, "/keep"), "1");
	CHECK_STR(h_value(a, 0, "/gone"), "<ENOENT>");
	h_fini();
}

static void conflicts(void)
{
	struct hclient *a, *b;
	uint32_t t1, t2;

	h_init();
	a = h_client(0);
	b = h_client(0);
	REQUIRE(h_write(a, "/c/x", "0") == 0);

	/* Read, then someone else writes it: EAGAIN, nothing applied. */
	t1 = h_tstart(a);
	CHECK_STR(h_value(a, t1, "/c/x"), "0");
	CHECK_EQ(h_write_tx(a, t1, "/c/y", "from-t1"), 0);
	CHECK_EQ(h_write(b, "/c/x", "1"), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);
	CHECK_STR(a->reply.body, "EAGAIN");
	CHECK_STR(h_value(a, 0, "/c/y"), "<ENOENT>");

	/* Two transactions write the same node: the second to commit loses. */
	t1 = h_tstart(a);
	t2 = h_tstart(b);
	CHECK(t1 != 0 && t2 != 0);
	CHECK_EQ(h_write_tx(a, t1, "/c/x", "a"), 0);
	CHECK_EQ(h_write_tx(b, t2, "/c/x", "b"), 0);
	CHECK_EQ(h_tend(b, t2, true), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);
	CHECK_STR(h_value(a, 0, "/c/x"), "b");

	/* A node the transaction saw missing appears meanwhile. */
	t1 = h_tstart(a);
	CHECK_STR(h_value(a, t1, "/c/z"), "<ENOENT>");
	CHECK_EQ(h_write(b, "/c/z", "now"), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);

	/* A node it read is removed meanwhile. */
	t1 = h_tstart(a);
	CHECK_STR(h_value(a, t1, "/c/z"), "now");
	CHECK_EQ(h_call(b, XS_RM, 0, "/c/z", NULL), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);

	/* Permission changes count as changes. */
	t1 = h_tstart(a);
	CHECK_EQ(h_call(a, XS_GET_PERMS, t1, "/c/x", NULL), 0);
	CHECK_EQ(h_call(b, XS_SET_PERMS, 0, "/c/x", "r0", NULL), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);
	CHECK(h_st.stats.conflicts >= 5);
	h_fini();
}

static void directory_conflicts(void)
{
	struct hclient *a, *b;
	uint32_t t1, t2;

	h_init();
	a = h_client(0);
	b = h_client(0);
	REQUIRE(h_write(a, "/dev/existing", "") == 0);

	/* Listing the children, then a child appears: conflict. */
	t1 = h_tstart(a);
	CHECK_STR(h_dir(a, t1, "/dev"), "existing");
	CHECK_EQ(h_write(b, "/dev/other", ""), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);

	/* Two transactions each add a sibling without listing: no conflict. */
	t1 = h_tstart(a);
	t2 = h_tstart(b);
	CHECK_EQ(h_write_tx(a, t1, "/dev/vbd-1/state", "1"), 0);
	CHECK_EQ(h_write_tx(b, t2, "/dev/vif-0/state", "1"), 0);
	CHECK_EQ(h_tend(a, t1, true), 0);
	CHECK_EQ(h_tend(b, t2, true), 0);
	CHECK_STR(h_dir(a, 0, "/dev"), "existing,other,vbd-1,vif-0");

	/* Removing a subtree while someone adds below it: conflict. */
	t1 = h_tstart(a);
	CHECK_EQ(h_call(a, XS_RM, t1, "/dev/vbd-1", NULL), 0);
	CHECK_EQ(h_write(b, "/dev/vbd-1/new", "x"), 0);
	CHECK_EQ(h_tend(a, t1, true), -EAGAIN);
	CHECK_STR(h_value(a, 0, "/dev/vbd-1/new"), "x");
	h_fini();
}

static void views_inside(void)
{
	struct hclient *a;
	uint32_t t;

	h_init();
	a = h_client(0);
	REQUIRE(h_write(a, "/t/a/1", "") == 0);
	REQUIRE(h_write(a, "/t/a/2", "") == 0);
	REQUIRE(h_write(a, "/t/b", "") == 0);
	t = h_tstart(a);
	/* Remove a subtree, recreate part of it, list and read through the view. */
	CHECK_EQ(h_call(a, XS_RM, t, "/t/a", NULL), 0);
	CHECK_STR(h_dir(a, t, "/t"), "b");
	CHECK_STR(h_value(a, t, "/t/a/1"), "<ENOENT>");
	CHECK_EQ(h_write_tx(a, t, "/t/a/3", "three"), 0);
	CHECK_STR(h_dir(a, t, "/t"), "a,b");
	CHECK_STR(h_dir(a, t, "/t/a"), "3");
	CHECK_EQ(h_call(a, XS_MKDIR, t, "/t/c", NULL), 0);
	CHECK_EQ(h_call(a, XS_RM, t, "/t/c", NULL), 0);
	CHECK_STR(h_dir(a, t, "/t"), "a,b");
	CHECK_EQ(h_call(a, XS_SET_PERMS, t, "/t/b", "n0", "r3", NULL), 0);
	CHECK_EQ(h_call(a, XS_GET_PERMS, t, "/t/b", NULL), 0);
	CHECK_STR(h_joined(a, ','), "n0,r3");
	CHECK_STR(h_perms(a, "/t/b"), "n0"); /* outside: unchanged */
	CHECK_EQ(h_tend(a, t, true), 0);
	CHECK_STR(h_dir(a, 0, "/t"), "a,b");  /* /t/a was recreated as the same live node */
	CHECK_STR(h_dir(a, 0, "/t/a"), "3");
	CHECK_STR(h_value(a, 0, "/t/a/3"), "three");
	CHECK_STR(h_perms(a, "/t/b"), "n0,r3");
	CHECK_EQ(h_st.nnodes, 5);
	h_fini();
}

static void protocol_rules(void)
{
	struct hclient *a, *b;
	uint32_t t, t2;

	h_init();
	a = h_client(0);
	b = h_client(0);
	t = h_tstart(a);
	CHECK_EQ(h_call(a, XS_TRANSACTION_START, t, "", NULL), -EBUSY); /* no nesting */
	CHECK_EQ(h_call(a, XS_TRANSACTION_END, t, "X", NULL), -EINVAL);
	CHECK_EQ(h_call(a, XS_TRANSACTION_END, t, "TT", NULL), -EINVAL);
	CHECK_EQ(h_call(a, XS_TRANSACTION_END, 0, "T", NULL), -ENOENT);
	/* Transaction ids belong to their connection. */
	CHECK_STR(h_value(b, t, "/"), "<ENOENT>");
	t2 = h_tstart(a);
	CHECK(t2 != t);
	/* RESET_WATCHES ends them all. */
	CHECK_EQ(h_call(a, XS_RESET_WATCHES, 0, "", NULL), 0);
	CHECK_EQ(a->c->ntxns, 0);
	CHECK_EQ(h_tend(a, t2, true), -ENOENT);
	/* Closing a connection drops its transactions. */
	t = h_tstart(b);
	REQUIRE(h_write_tx(b, t, "/never", "x") == 0);
	conn_close(b->c);
	CHECK_EQ(h_st.ntxns, 0);
	CHECK_STR(h_value(a, 0, "/never"), "<ENOENT>");
	h_fini();
}

static void watches_fire_on_commit(void)
{
	char ev[256];
	struct hclient *a, *w;
	uint32_t t;

	h_init();
	a = h_client(0);
	w = h_client(0);
	REQUIRE(h_watch(w, "/wt", "tok") == 0);
	CHECK(h_event(w, ev, sizeof(ev)));
	CHECK_STR(ev, "/wt|tok");
	t = h_tstart(a);
	REQUIRE(h_write_tx(a, t, "/wt/x", "1") == 0);
	CHECK(!h_event(w, ev, sizeof(ev)));
	REQUIRE(h_tend(a, t, true) == 0);
	CHECK_STR(h_events(w), "/wt/x|tok");
	/* An aborted or conflicting transaction fires nothing. */
	t = h_tstart(a);
	REQUIRE(h_write_tx(a, t, "/wt/y", "1") == 0);
	REQUIRE(h_tend(a, t, false) == 0);
	CHECK_STR(h_events(w), "");
	h_fini();
}

static void retry_loop_like_libxenstore(void)
{
	struct hclient *a, *b;
	int attempts = 0, rc;

	h_init();
	a = h_client(0);
	b = h_client(0);
	REQUIRE(h_write(a, "/counter", "0") == 0);
	/* Increment in a transaction, with a competing write on the first try. */
	do {
		uint32_t t = h_tstart(a);
		const char *v = h_value(a, t, "/counter");
		char next[16];

		snprintf(next, sizeof(next), "%d", atoi(v) + 1);
		REQUIRE(h_write_tx(a, t, "/counter", next) == 0);
		if (!attempts)
			REQUIRE(h_write(b, "/counter", "10") == 0);
		rc = h_tend(a, t, true);
		attempts++;
	} while (rc == -EAGAIN && attempts < 5);
	CHECK_EQ(rc, 0);
	CHECK_EQ(attempts, 2);
	CHECK_STR(h_value(a, 0, "/counter"), "11");
	h_fini();
}

int main(void)
{
	RUN(isolation_and_commit);
	RUN(abort_discards);
	RUN(conflicts);
	RUN(directory_conflicts);
	RUN(views_inside);
	RUN(protocol_rules);
	RUN(watches_fire_on_commit);
	RUN(retry_loop_like_libxenstore);
	return check_done();
}
