/* mica-store: the tree through the wire protocol: READ, WRITE, MKDIR, RM, DIRECTORY(_PART), paths, errors. */
#include "harness.h"

#include "path.h"
#include "tree.h"

static void write_read_and_parents(void)
{
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	CHECK_EQ(h_write(d0, "/a/b/c", "hello"), 0);
	CHECK_STR(h_value(d0, 0, "/a/b/c"), "hello");
	CHECK_STR(h_value(d0, 0, "/a/b"), ""); /* parents made, empty */
	CHECK_STR(h_value(d0, 0, "/a"), "");
	CHECK_STR(h_value(d0, 0, "/nope"), "<ENOENT>");
	CHECK_EQ(h_write(d0, "/a/b/c", ""), 0);
	CHECK_STR(h_value(d0, 0, "/a/b/c"), "");
	CHECK_EQ(h_write(d0, "/", "rootval"), 0);
	CHECK_STR(h_value(d0, 0, "/"), "rootval");
	CHECK_EQ(h_st.nnodes, 4);
	h_fini();
}

static void binary_values(void)
{
	static const char val[] = "a\0b\0\xff";
	char buf[64];
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	memcpy(buf, "/bin", 5);
	memcpy(buf + 5, val, sizeof(val) - 1);
	CHECK_EQ(h_call_raw(d0, XS_WRITE, 0, buf, 5 + sizeof(val) - 1), 0);
	CHECK_EQ(h_read(d0, "/bin"), 0);
	CHECK_EQ(d0->reply.h.len, sizeof(val) - 1);
	CHECK(!memcmp(d0->reply.body, val, sizeof(val) - 1));
	/* The largest value that fits a request with its path. */
	{
		static char big[XENSTORE_PAYLOAD_MAX];
		size_t vl = XENSTORE_PAYLOAD_MAX - 5;

		memcpy(big, "/big", 5);
		memset(big + 5, 'x', vl);
		CHECK_EQ(h_call_raw(d0, XS_WRITE, 0, big, XENSTORE_PAYLOAD_MAX), 0);
		CHECK_EQ(h_read(d0, "/big"), 0);
		CHECK_EQ(d0->reply.h.len, vl);
	}
	h_fini();
}

static void mkdir_semantics(void)
{
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	CHECK_EQ(h_call(d0, XS_MKDIR, 0, "/m/n", NULL), 0);
	CHECK_STR(h_value(d0, 0, "/m/n"), "");
	CHECK_EQ(h_write(d0, "/m/n", "keep"), 0);
	CHECK_EQ(h_call(d0, XS_MKDIR, 0, "/m/n", NULL), 0); /* exists: value unchanged */
	CHECK_STR(h_value(d0, 0, "/m/n"), "keep");
	CHECK_STR(d0->reply.body, "keep");
	h_fini();
}

static void rm_semantics(void)
{
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	CHECK_EQ(h_write(d0, "/r/a/x", "1"), 0);
	CHECK_EQ(h_write(d0, "/r/a/y/z", "2"), 0);
	CHECK_EQ(h_write(d0, "/r/b", "3"), 0);
	CHECK_EQ(h_call(d0, XS_RM, 0, "/r/a", NULL), 0);
	CHECK_STR(h_value(d0, 0, "/r/a/y/z"), "<ENOENT>");
	CHECK_STR(h_value(d0, 0, "/r/a"), "<ENOENT>");
	CHECK_STR(h_dir(d0, 0, "/r"), "b");
	CHECK_EQ(h_call(d0, XS_RM, 0, "/r/a", NULL), 0);          /* gone, parent there: OK */
	CHECK_EQ(h_call(d0, XS_RM, 0, "/r/a/q", NULL), -ENOENT);  /* parent missing too */
	CHECK_EQ(h_call(d0, XS_RM, 0, "/", NULL), -EINVAL);        /* the root stays */
	CHECK_EQ(h_st.nnodes, 3);
	h_fini();
}

static void directory_order_and_errors(void)
{
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	CHECK_EQ(h_write(d0, "/d/zeta", ""), 0);
	CHECK_EQ(h_write(d0, "/d/alpha", ""), 0);
	CHECK_EQ(h_write(d0, "/d/mid/x", ""), 0);
	CHECK_STR(h_dir(d0, 0, "/d"), "zeta,alpha,mid"); /* creation order */
	CHECK_STR(h_dir(d0, 0, "/d/zeta"), "");
	CHECK_EQ(d0->reply.h.len, 0);
	CHECK_STR(h_dir(d0, 0, "/none"), "<ENOENT>");
	CHECK_EQ(h_call(d0, XS_RM, 0, "/d/alpha", NULL), 0);
	CHECK_STR(h_dir(d0, 0, "/d"), "zeta,mid");
	h_fini();
}

/* Reassembles DIRECTORY_PART the way libxenstore 4.17 does. */
static int dir_part_all(struct hclient *t, const char *path, char *out, size_t *outlen)
{
	char gen[32] = "", off_s[16];
	size_t off = 0;

	for (;;) {
		size_t glen, clen;
		int rc;

		snprintf(off_s, sizeof(off_s), "%zu", off);
		rc = h_call(t, XS_DIRECTORY_PART, 0, path, off_s, NULL);
		if (rc)
			return rc;
		glen = strlen(t->reply.body);
		if (off && strcmp(gen, t->reply.body))
			return -EAGAIN;
		snprintf(gen, sizeof(gen), "%s", t->reply.body);
		clen = t->reply.h.len - glen - 1;
		memcpy(out + off, t->reply.body + glen + 1, clen);
		off += clen;
		if (off <= 1 || out[off - 2] == '\0')
			break;
	}
	*outlen = off > 1 ? off - 1 : off;
	return 0;
}

static void directory_part_large(void)
{
	static char all[65536];
	struct hclient *d0;
	size_t len = 0, expect = 0;
	char path[64];

	h_init();
	d0 = h_client(0);
	for (int i = 0; i < 1500; i++) {
		snprintf(path, sizeof(path), "/big/child-number-%04d", i);
		REQUIRE(h_write(d0, path, "") == 0);
		expect += strlen(path) - strlen("/big/") + 1;
	}
	CHECK_EQ(h_call(d0, XS_DIRECTORY, 0, "/big", NULL), -E2BIG);
	CHECK_EQ(dir_part_all(d0, "/big", all, &len), 0);
	CHECK_EQ(len, expect);
	CHECK(!strcmp(all, "child-number-0000"));
	CHECK(!strcmp(all + expect - strlen("child-number-1499") - 1, "child-number-1499"));
	/* Offsets must fall on a name boundary and within the list. */
	CHECK_EQ(h_call(d0, XS_DIRECTORY_PART, 0, "/big", "3", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_DIRECTORY_PART, 0, "/big", "999999", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_DIRECTORY_PART, 0, "/big", NULL), -EINVAL);
	/* The generation changes when the child list does. */
	CHECK_EQ(h_call(d0, XS_DIRECTORY_PART, 0, "/big", "0", NULL), 0);
	{
		char g1[32];

		snprintf(g1, sizeof(g1), "%s", d0->reply.body);
		REQUIRE(h_write(d0, "/big/new", "") == 0);
		CHECK_EQ(h_call(d0, XS_DIRECTORY_PART, 0, "/big", "0", NULL), 0);
		CHECK(strcmp(g1, d0->reply.body) != 0);
	}
	/* A small directory in one part, with the end marker. */
	REQUIRE(h_write(d0, "/small/a", "") == 0);
	CHECK_EQ(h_call(d0, XS_DIRECTORY_PART, 0, "/small", "0", NULL), 0);
	{
		size_t gl = strlen(d0->reply.body) + 1;

		CHECK_EQ(d0->reply.h.len, gl + 3);
		CHECK(!memcmp(d0->reply.body + gl, "a\0\0", 3));
	}
	h_fini();
}

static void path_syntax(void)
{
	static char longp[XENSTORE_ABS_PATH_MAX + 8];
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	CHECK_EQ(h_write(d0, "/a//b", "x"), -EINVAL);
	CHECK_EQ(h_write(d0, "/a/b/", "x"), -EINVAL);
	CHECK_EQ(h_write(d0, "/a b", "x"), -EINVAL);
	CHECK_EQ(h_write(d0, "/a.b", "x"), -EINVAL);
	CHECK_EQ(h_write(d0, "", "x"), -EINVAL);
	CHECK_EQ(h_write(d0, "@special", "x"), -EINVAL);
	CHECK_EQ(h_write(d0, "/ok-_@/Z9", "x"), 0);
	longp[0] = '/';
	memset(longp + 1, 'a', XENSTORE_ABS_PATH_MAX);
	longp[XENSTORE_ABS_PATH_MAX + 1] = '\0';
	CHECK_EQ(h_write(d0, longp, "x"), -EINVAL); /* 3073 bytes */
	longp[XENSTORE_ABS_PATH_MAX] = '\0';
	CHECK_EQ(h_call(d0, XS_MKDIR, 0, longp, NULL), 0); /* 3072 is the limit */
	/* Unit checks of the helpers. */
	CHECK(path_valid("/", 1));
	CHECK(!path_valid("a", 1));
	CHECK_EQ(path_parent_len("/a/b", 4), 2);
	CHECK_EQ(path_parent_len("/a", 2), 1);
	CHECK_EQ(path_parent_len("/", 1), 0);
	CHECK_EQ(path_name_offset("/a/bc", 5), 3);
	CHECK_EQ(path_quota_len("/local/domain/12/data/x"), 6);
	CHECK_EQ(path_quota_len("/vm/12"), 6);
	CHECK(path_is_below("/a/b", 4, "/a", 2));
	CHECK(!path_is_below("/ab", 3, "/a", 2));
	CHECK(path_is_below("/x", 2, "/", 1));
	h_fini();
}

static void relative_paths(void)
{
	struct hclient *d0, *d5;

	h_init();
	d0 = h_client(0);
	REQUIRE(h_write(d0, "/local/domain/5", "") == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL) == 0);
	d5 = h_client(5);
	CHECK_EQ(h_write(d5, "data/x", "rel"), 0);
	CHECK_STR(h_value(d0, 0, "/local/domain/5/data/x"), "rel");
	CHECK_STR(h_value(d5, 0, "data/x"), "rel");
	CHECK_STR(h_dir(d5, 0, "data"), "x");
	CHECK_EQ(h_call(d0, XS_GET_DOMAIN_PATH, 0, "5", NULL), 0);
	CHECK_STR(d0->reply.body, "/local/domain/5");
	CHECK_EQ(d0->reply.h.len, strlen("/local/domain/5") + 1);
	CHECK_EQ(h_call(d0, XS_GET_DOMAIN_PATH, 0, "x5", NULL), -EINVAL);
	/* dom0's relative paths are under /local/domain/0. */
	CHECK_EQ(h_write(d0, "name", "Domain-0"), 0);
	CHECK_STR(h_value(d0, 0, "/local/domain/0/name"), "Domain-0");
	h_fini();
}

static void malformed_requests(void)
{
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	CHECK_EQ(h_call_raw(d0, XS_READ, 0, "/a", 2), -EINVAL);         /* no NUL */
	CHECK_EQ(h_call_raw(d0, XS_READ, 0, "", 0), -EINVAL);           /* nothing */
	CHECK_EQ(h_call_raw(d0, XS_WRITE, 0, "/novalue", 8), -EINVAL);
	CHECK_EQ(h_call_raw(d0, XS_WATCH_EVENT, 0, "", 0), -EINVAL);
	CHECK_EQ(h_call_raw(d0, XS_ERROR, 0, "", 0), -EINVAL);
	CHECK_EQ(h_call_raw(d0, 20, 0, "", 0), -EINVAL);                /* retired */
	CHECK_EQ(h_call_raw(d0, 999, 0, "", 0), -EINVAL);
	CHECK_EQ(h_call(d0, XS_READ, 77, "/", NULL), -ENOENT);          /* no such transaction */
	CHECK_STR(d0->reply.body, "ENOENT");
	/* A header over the size limit is a protocol error for the transport. */
	{
		struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
		void *dst;
		size_t want = conn_in_want(d0->c, &dst);

		CHECK_EQ(want, sizeof(h));
		memcpy(dst, &h, sizeof(h));
		CHECK_EQ(conn_in_got(d0->c, sizeof(h)), -EPROTO);
	}
	h_fini();
}

static void error_names(void)
{
	CHECK_STR(store_errname(-ENOENT), "ENOENT");
	CHECK_STR(store_errname(EACCES), "EACCES");
	CHECK_STR(store_errname(-E2BIG), "E2BIG");
	CHECK_STR(store_errname(-ENOSPC), "ENOSPC");
	CHECK_STR(store_errname(-EAGAIN), "EAGAIN");
	CHECK_STR(store_errname(-EPROTO), "EIO"); /* not in the wire list */
}

static void deep_tree_and_teardown(void)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];
	struct hclient *d0;
	size_t len = 0;

	h_init();
	d0 = h_client(0);
	/* 1000 levels deep: deletion and teardown must not recurse. */
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "/x");
	CHECK_EQ(h_write(d0, path, "deep"), 0);
	CHECK_EQ(h_st.nnodes, 1001);
	CHECK_EQ(h_call(d0, XS_RM, 0, "/x", NULL), 0);
	CHECK_EQ(h_st.nnodes, 1);
	CHECK_EQ(h_write(d0, path, "again"), 0);
	h_fini(); /* frees the deep tree */
}

static void tree_primitives(void)
{
	struct xs_perm p = { 0, PERM_NONE };
	struct node *a, *b;

	h_init();
	a = tree_create(&h_st, h_st.root, "/a", 2, "v", 1, &p, 1);
	REQUIRE(a);
	b = tree_create(&h_st, a, "/a/bb", 5, "", 0, &p, 1);
	REQUIRE(b);
	CHECK_EQ(a->nchildren, 1);
	CHECK_EQ(a->child_bytes, 3);
	CHECK(tree_lookup(&h_st, "/a/bb", 5) == b);
	CHECK(tree_lookup(&h_st, "/a/b", 4) == NULL);
	CHECK(a->cgen == b->gen);
	tree_delete(&h_st, a);
	CHECK(tree_lookup(&h_st, "/a", 2) == NULL);
	CHECK_EQ(h_st.root->nchildren, 0);
	CHECK_EQ(h_st.root->child_bytes, 0);
	h_fini();
}

int main(void)
{
	RUN(write_read_and_parents);
	RUN(binary_values);
	RUN(mkdir_semantics);
	RUN(rm_semantics);
	RUN(directory_order_and_errors);
	RUN(directory_part_large);
	RUN(path_syntax);
	RUN(relative_paths);
	RUN(malformed_requests);
	RUN(error_names);
	RUN(deep_tree_and_teardown);
	RUN(tree_primitives);
	return check_done();
}
