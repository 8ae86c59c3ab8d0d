/* mica-store: watches: the initial event, prefix matching, removals, relative paths, permissions, special paths. */
#include "harness.h"

#include "watch.h"

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

static void initial_event_after_reply(void)
{
	struct hclient *w;
	struct hmsg m;

	h_init();
	w = h_client(0);
	h_send_raw(w, XS_WATCH, 0, "/nowhere\0tok\0", 13);
	/* The reply comes first, then the event, with the path as given. */
	REQUIRE(h_pop(w->c, &m));
	CHECK_EQ(m.h.type, XS_WATCH);
	CHECK_STR(m.body, "OK");
	REQUIRE(h_pop(w->c, &m));
	CHECK_EQ(m.h.type, XS_WATCH_EVENT);
	CHECK_EQ(m.h.req_id, 0);
	CHECK_EQ(m.h.len, 13);
	CHECK(!memcmp(m.body, "/nowhere\0tok\0", 13));
	CHECK(!h_pop(w->c, &m));
	h_fini();
}

static void prefix_matching(void)
{
	struct hclient *a, *w;

	h_init();
	a = h_client(0);
	w = h_client(0);
	REQUIRE(h_watch(w, "/a", "A") == 0);
	REQUIRE(h_watch(w, "/a/b/c", "C") == 0);
	REQUIRE(h_watch(w, "/", "ROOT") == 0);
	CHECK_STR(h_events(w), "/a|A;/a/b/c|C;/|ROOT");
	REQUIRE(h_write(a, "/ab", "x") == 0);            /* not below /a */
	CHECK_STR(h_events(w), "/ab|ROOT");
	REQUIRE(h_write(a, "/a/b/c/d", "x") == 0);       /* parents made quietly */
	CHECK_STR(h_events(w), "/a/b/c/d|ROOT;/a/b/c/d|A;/a/b/c/d|C");
	REQUIRE(h_write(a, "/a/b", "v") == 0);
	CHECK_STR(h_events(w), "/a/b|ROOT;/a/b|A");
	REQUIRE(h_call(a, XS_SET_PERMS, 0, "/a/b/c", "n0", "r1", NULL) == 0);
	CHECK_STR(h_events(w), "/a/b/c|ROOT;/a/b/c|A;/a/b/c|C");
	REQUIRE(h_call(a, XS_MKDIR, 0, "/a/b", NULL) == 0); /* exists: no change, no event */
	CHECK_STR(h_events(w), "");
	h_fini();
}

static void removal_fires_below(void)
{
	struct hclient *a, *w;

	h_init();
	a = h_client(0);
	w = h_client(0);
	REQUIRE(h_write(a, "/r/x/y", "1") == 0);
	REQUIRE(h_watch(w, "/r/x/y", "Y") == 0);
	REQUIRE(h_watch(w, "/r/x/never/made", "N") == 0);
	REQUIRE(h_watch(w, "/r", "R") == 0);
	REQUIRE(h_watch(w, "/other", "O") == 0);
	h_events(w);
	REQUIRE(h_call(a, XS_RM, 0, "/r/x", NULL) == 0);
	/* The removed path for watches above; each watch's own path for those below. */
	CHECK_STR(h_events(w), "/r/x|R;/r/x/never/made|N;/r/x/y|Y");
	h_fini();
}

static void unwatch_and_duplicates(void)
{
	struct hclient *a, *w;
	unsigned long base;

	h_init();
	a = h_client(0);
	w = h_client(0);
	base = h_st.wnodes.count;
	REQUIRE(h_watch(w, "/u/v", "t1") == 0);
	CHECK_EQ(h_watch(w, "/u/v", "t1"), -EEXIST);
	CHECK_EQ(h_watch(w, "/u/v", "t2"), 0);      /* another token: another watch */
	CHECK_EQ(h_st.nwatches, 2);
	CHECK_EQ(h_call(w, XS_UNWATCH, 0, "/u/v", "t1", NULL), 0);
	CHECK_EQ(h_call(w, XS_UNWATCH, 0, "/u/v", "t1", NULL), -ENOENT);
	CHECK_EQ(h_call(w, XS_UNWATCH, 0, "/u/v", "nope", NULL), -ENOENT);
	CHECK_EQ(h_call(a, XS_UNWATCH, 0, "/u/v", "t2", NULL), -ENOENT); /* not a's */
	h_events(w);
	REQUIRE(h_write(a, "/u/v", "x") == 0);
	CHECK_STR(h_events(w), "/u/v|t2");
	CHECK_EQ(h_call(w, XS_UNWATCH, 0, "/u/v", "t2", NULL), 0);
	/* The trie is empty again: no node left behind. */
	CHECK_EQ(h_st.wnodes.count, base);
	CHECK_EQ(h_call(w, XS_WATCH, 0, "/bad//path", "t", NULL), -EINVAL);
	CHECK_EQ(h_call(w, XS_WATCH, 0, "/only-path", NULL), -EINVAL);
	h_fini();
}

static void relative_watch_paths(void)
{
	struct hclient *d0, *d3;

	h_init();
	d0 = h_client(0);
	d3 = guest(d0, 3);
	REQUIRE(h_watch(d3, "device", "dev") == 0);
	REQUIRE(h_watch(d3, "/local/domain/3/control", "ctl") == 0);
	CHECK_STR(h_events(d3), "device|dev;/local/domain/3/control|ctl");
	REQUIRE(h_write(d0, "/local/domain/3/device/vbd/51712/state", "1") == 0);
	CHECK_STR(h_events(d3), "device/vbd/51712/state|dev");
	REQUIRE(h_write(d0, "/local/domain/3/control/shutdown", "poweroff") == 0);
	CHECK_STR(h_events(d3), "/local/domain/3/control/shutdown|ctl");
	REQUIRE(h_call(d0, XS_RM, 0, "/local/domain/3", NULL) == 0);
	CHECK_STR(h_events(d3), "/local/domain/3/control|ctl;device|dev");
	h_fini();
}

static void events_follow_permissions(void)
{
	struct hclient *d0, *d1;

	h_init();
	d0 = h_client(0);
	d1 = guest(d0, 1);
	REQUIRE(h_watch(d1, "/backend", "b") == 0);
	h_events(d1);
	REQUIRE(h_write(d0, "/backend/secret", "x") == 0);  /* n0: not for domain 1 */
	CHECK_STR(h_events(d1), "");
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/backend/secret", "n0", "r1", NULL) == 0);
	CHECK_STR(h_events(d1), "/backend/secret|b");
	REQUIRE(h_call(d0, XS_RM, 0, "/backend/secret", NULL) == 0); /* as it was: readable */
	CHECK_STR(h_events(d1), "/backend/secret|b");
	h_fini();
}

static void special_events(void)
{
	struct hclient *d0, *w, *d2;

	h_init();
	d0 = h_client(0);
	w = h_client(0);
	REQUIRE(h_watch(w, "@introduceDomain", "intro") == 0);
	REQUIRE(h_watch(w, "@releaseDomain", "rel") == 0);
	CHECK_STR(h_events(w), "@introduceDomain|intro;@releaseDomain|rel");
	CHECK_EQ(h_call(w, XS_WATCH, 0, "@", "x", NULL), -EINVAL);
	d2 = guest(d0, 2);
	CHECK_STR(h_events(w), "@introduceDomain|intro");
	/* A domain does not see them until dom0 allows it. */
	REQUIRE(h_watch(d2, "@releaseDomain", "r2") == 0);
	CHECK_STR(h_events(d2), "@releaseDomain|r2"); /* the initial one always comes */
	guest(d0, 4);
	REQUIRE(h_release(d0, 4) == 0);
	CHECK_STR(h_events(w), "@introduceDomain|intro;@releaseDomain|rel");
	CHECK_STR(h_events(d2), "");
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "@releaseDomain", "n0", "r2", NULL) == 0);
	guest(d0, 5);
	REQUIRE(h_release(d0, 5) == 0);
	CHECK_STR(h_events(d2), "@releaseDomain|r2");
	h_events(w);
	/* Releasing a domain removes its watches. */
	REQUIRE(h_release(d0, 2) == 0);
	CHECK_EQ(h_st.nwatches, 2);
	h_fini();
}

static void reset_and_close(void)
{
	struct hclient *w;

	h_init();
	w = h_client(0);
	REQUIRE(h_watch(w, "/a", "1") == 0);
	REQUIRE(h_watch(w, "/b/c", "2") == 0);
	REQUIRE(h_watch(w, "@releaseDomain", "3") == 0);
	CHECK_EQ(h_call(w, XS_RESET_WATCHES, 0, "", NULL), 0);
	CHECK_EQ(h_st.nwatches, 0);
	CHECK_EQ(w->c->nwatches, 0);
	REQUIRE(h_watch(w, "/a", "1") == 0);
	conn_close(w->c);
	CHECK_EQ(h_st.nwatches, 0);
	h_check();
	h_fini();
}

static void many_watches_only_matching_visited(void)
{
	struct hclient *a, *w;
	unsigned long before;
	char path[64], tok[16];

	h_init();
	a = h_client(0);
	w = h_client(0);
	for (int i = 0; i < 2000; i++) {
		snprintf(path, sizeof(path), "/backend/vbd/%d/51712/state", i);
		snprintf(tok, sizeof(tok), "t%d", i);
		REQUIRE(h_watch(w, path, tok) == 0);
	}
	h_events(w);
	before = h_st.wnodes.probes;
	REQUIRE(h_write(a, "/backend/vbd/1234/51712/state", "4") == 0);
	/* One event, found by walking five path components, not by looking at 2000 watches. */
	CHECK_STR(h_events(w), "/backend/vbd/1234/51712/state|t1234");
	CHECK(h_st.wnodes.probes - before < 40);
	h_fini();
}

int main(void)
{
	RUN(initial_event_after_reply);
	RUN(prefix_matching);
	RUN(removal_fires_below);
	RUN(unwatch_and_duplicates);
	RUN(relative_watch_paths);
	RUN(events_follow_permissions);
	RUN(special_events);
	RUN(reset_and_close);
	RUN(many_watches_only_matching_visited);
	return check_done();
}
