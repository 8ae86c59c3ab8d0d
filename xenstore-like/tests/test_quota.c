/* mica-store: per-domain quotas: each refusal gets the standard error and its quota's name in the log. */
#include "harness.h"

static struct hclient *guest(struct hclient *d0, unsigned domid)
{
	char home[32], perm[16];

	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	snprintf(perm, sizeof(perm), "n%u", domid);
	REQUIRE(h_call(d0, XS_MKDIR, 0, home, NULL) == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, home, perm, NULL) == 0);
	REQUIRE(h_introduce(d0, domid) == 0);
	return h_client(domid);
}

static void nodes(void)
{
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;
	char path[32];
	int i, rc = 0;

	q.nodes = 10;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);              /* owns its home: 1 node */
	for (i = 0; i < 20 && !rc; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		rc = h_write(d1, path, "");
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK_EQ(i, 10);                /* 9 more made, the 10th refused */
	CHECK(h_logged("quota 'nodes' (10)"));
	CHECK_EQ(h_st.dom[0][1]->nodes, 10);
	/* Several missing parents at once count them all. */
	REQUIRE(h_call(d1, XS_RM, 0, "n0", NULL) == 0);
	CHECK_EQ(h_write(d1, "deep/a/b", ""), -ENOSPC);
	CHECK_EQ(h_write(d1, "one", ""), 0);
	/* dom0 is exempt, even when the nodes go to the domain. */
	CHECK_EQ(h_write(d0, "/local/domain/1/by-dom0/x", ""), 0);
	CHECK_EQ(h_st.dom[0][1]->nodes, 12);
	REQUIRE(h_call(d0, XS_RM, 0, "/local/domain/1/by-dom0", NULL) == 0);
	CHECK_EQ(h_st.dom[0][1]->nodes, 10);
	/* Inside a transaction too. */
	{
		uint32_t t;

		REQUIRE(h_call(d1, XS_RM, 0, "one", NULL) == 0);
		t = h_tstart(d1);
		CHECK_EQ(h_write_tx(d1, t, "t1", ""), 0);
		CHECK_EQ(h_write_tx(d1, t, "t2", ""), -ENOSPC);
		CHECK_EQ(h_tend(d1, t, true), 0);
	}
	h_fini();
}

static void node_size(void)
{
	static char big[3000];
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;

	q.node_size = 100;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);
	memset(big, 'v', 101);
	big[101] = '\0';
	CHECK_EQ(h_write(d1, "big", big), -ENOSPC);
	CHECK(h_logged("quota 'node-size' (100)"));
	big[100] = '\0';
	CHECK_EQ(h_write(d1, "big", big), 0);
	CHECK_EQ(h_write(d1, "big", "small"), 0);
	/* Child names count toward the parent's size. */
	CHECK_EQ(h_write(d1, "dir/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""),
		 0);
	CHECK_EQ(h_write(d1, "dir/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", ""),
		 -ENOSPC);
	/* dom0 is exempt. */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(h_write(d0, "/local/domain/1/big", big), 0);
	h_fini();
}

static void perms_and_path_length(void)
{
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;
	char longrel[128];

	q.perms = 3;
	q.path_len = 64;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);
	REQUIRE(h_write(d1, "p", "") == 0);
	CHECK_EQ(h_call(d1, XS_SET_PERMS, 0, "p", "n1", "r2", "r3", "r4", NULL), -ENOSPC);
	CHECK(h_logged("quota 'permissions' (3)"));
	CHECK_EQ(h_call(d1, XS_SET_PERMS, 0, "p", "n1", "r2", "r3", NULL), 0);
	memset(longrel, 'x', 65);
	longrel[65] = '\0';
	CHECK_EQ(h_write(d1, longrel, ""), -EINVAL);
	CHECK(h_logged("quota 'path-length' (64)"));
	longrel[64] = '\0';
	CHECK_EQ(h_write(d1, longrel, ""), 0);
	/* The quota counts what follows the home, however the path is spelled. */
	{
		char abs[160];

		snprintf(abs, sizeof(abs), "/local/domain/1/%sy", longrel);
		CHECK_EQ(h_write(d1, abs, ""), -EINVAL);
	}
	h_fini();
}

static void watches_and_transactions(void)
{
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;
	char tok[16];
	int i;

	q.watches = 4;
	q.txns = 2;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);
	for (i = 0; i < 4; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		CHECK_EQ(h_watch(d1, "x", tok), 0);
	}
	CHECK_EQ(h_watch(d1, "x", "t4"), -E2BIG);
	CHECK(h_logged("quota 'watches' (4)"));
	CHECK_EQ(h_call(d1, XS_UNWATCH, 0, "x", "t0", NULL), 0);
	CHECK_EQ(h_watch(d1, "x", "t4"), 0);
	CHECK(h_tstart(d1) != 0);
	CHECK(h_tstart(d1) != 0);
	CHECK_EQ(h_call(d1, XS_TRANSACTION_START, 0, "", NULL), -ENOSPC);
	CHECK(h_logged("quota 'transactions' (2)"));
	/* dom0 is exempt. */
	for (i = 0; i < 6; i++) {
		snprintf(tok, sizeof(tok), "d%d", i);
		CHECK_EQ(h_watch(d0, "/x", tok), 0);
		CHECK(h_tstart(d0) != 0);
	}
	h_fini();
}

static void transaction_nodes(void)
{
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;
	char path[32];
	uint32_t t;
	int i, rc = 0;

	q.txn_nodes = 8;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);
	t = h_tstart(d1);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "k%d", i);
		rc = h_call(d1, XS_READ, t, path, NULL);
		if (rc != -ENOENT)
			break;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(i >= 6 && i <= 8);
	CHECK(h_logged("quota 'transaction-nodes' (8)"));
	/* Implicit transactions (single requests) are not limited by it. */
	CHECK_STR(h_value(d1, 0, "k99"), "<ENOENT>");
	h_fini();
}

/* A client that sends requests and never reads its replies stops being read. */
static void outstanding(void)
{
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;
	struct hmsg m;
	void *dst;
	int i;

	q.outstanding = 3;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);
	for (i = 0; i < 3; i++)
		h_send_raw(d1, XS_GET_DOMAIN_PATH, 0, "1", 2);
	CHECK_EQ(conn_in_want(d1->c, &dst), 0);        /* paused */
	CHECK_EQ(d1->c->out_replies, 3);
	REQUIRE(h_pop(d1->c, &m));
	CHECK(conn_in_want(d1->c, &dst) > 0);          /* resumes as replies drain */
	/* dom0 is not paused by it. */
	for (i = 0; i < 10; i++)
		h_send_raw(d0, XS_GET_DOMAIN_PATH, 0, "0", 2);
	CHECK(conn_in_want(d0->c, &dst) > 0);
	h_fini();
}

static void events(void)
{
	struct quota q = quota_defaults;
	struct hclient *d0, *d1;
	char path[32];

	q.events = 5;
	h_init_quota(&q);
	d0 = h_client(0);
	d1 = guest(d0, 1);
	REQUIRE(h_watch(d1, "w", "tok") == 0);
	h_events(d1);
	/* The same event, pending already, is sent once. */
	REQUIRE(h_write(d0, "/local/domain/1/w/same", "1") == 0);
	REQUIRE(h_write(d0, "/local/domain/1/w/same", "2") == 0);
	CHECK_EQ(d1->c->out_events, 1);
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/local/domain/1/w/%d", i);
		REQUIRE(h_write(d0, path, "x") == 0);
	}
	CHECK_EQ(d1->c->out_events, 5);
	CHECK(h_logged("quota 'events' reached"));
	CHECK(h_st.stats.events_dropped >= 6);
	CHECK_STR(h_events(d1), "w/same|tok;w/0|tok;w/1|tok;w/2|tok;w/3|tok");
	/* dom0 gets all its events. */
	REQUIRE(h_watch(d0, "/many", "m") == 0);
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/many/%d", i);
		REQUIRE(h_write(d0, path, "x") == 0);
	}
	h_events(d1);
	CHECK_EQ(d0->nev + d0->c->out_events, 21); /* the harness drains replies and events */
	h_fini();
}

static void control_quota(void)
{
	struct hclient *d0, *d1;

	h_init();
	d0 = h_client(0);
	d1 = guest(d0, 1);
	REQUIRE(h_write(d1, "a", "") == 0);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "quota", NULL), 0);
	CHECK(strstr(d0->reply.body, "nodes") && strstr(d0->reply.body, "1000"));
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "quota", "1", NULL), 0);
	CHECK(strstr(d0->reply.body, "nodes 2/1000") != NULL);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "quota-set", "nodes", "2", NULL), 0);
	CHECK_EQ(h_st.quota.nodes, 2);
	CHECK_EQ(h_write(d1, "b", ""), -ENOSPC);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "quota-set", "nosuch", "2", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "quota-set", "nodes", "x", NULL), -EINVAL);
	CHECK_EQ(h_call(d1, XS_CONTROL, 0, "quota", NULL), -EACCES);
	CHECK_EQ(h_call(d0, XS_CONTROL, 0, "quota", "77", NULL), -ENOENT);
	h_fini();
}

int main(void)
{
	RUN(nodes);
	RUN(node_size);
	RUN(perms_and_path_length);
	RUN(watches_and_transactions);
	RUN(transaction_nodes);
	RUN(outstanding);
	RUN(events);
	RUN(control_quota);
	return check_done();
}
