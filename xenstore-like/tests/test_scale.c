/*
 * mica-store: the cost of creating a domain's store entries stays flat as
 * domains accumulate. Work is measured as hash-table entries examined (not
 * time, which a loaded test machine makes noisy), over the requests a
 * toolstack makes for one domain, with dom0 watchers like a real dom0's.
 */
#include "harness.h"

#pragma GCC visibility push(default)
#include <time.h>
#pragma GCC visibility pop

static unsigned long probes(void)
{
	return h_st.nodes.probes + h_st.wnodes.probes + h_st.wkeys.probes;
}

/* What a toolstack writes for one PV domain with a disk and a NIC, then INTRODUCE. */
static void create_domain(struct hclient *d0, unsigned id)
{
	static const char *const fe_keys[] = { "backend-id", "state", "virtual-device",
					       "device-type", "ring-ref", "event-channel" };
	static const char *const be_keys[] = { "frontend-id", "online", "state", "params",
					       "mode", "type", "dev", "removable" };
	char p[128], perm[16], v[32];
	uint32_t t;

	snprintf(perm, sizeof(perm), "n%u", id);
	snprintf(p, sizeof(p), "/local/domain/%u", id);
	REQUIRE(h_call(d0, XS_MKDIR, 0, p, NULL) == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, p, perm, NULL) == 0);
	t = h_tstart(d0);
	REQUIRE(t);
	snprintf(v, sizeof(v), "guest-%u", id);
	snprintf(p, sizeof(p), "/local/domain/%u/name", id);
	REQUIRE(h_write_tx(d0, t, p, v) == 0);
	snprintf(p, sizeof(p), "/local/domain/%u/memory/target", id);
	REQUIRE(h_write_tx(d0, t, p, "524288") == 0);
	snprintf(p, sizeof(p), "/local/domain/%u/store/ring-ref", id);
	REQUIRE(h_write_tx(d0, t, p, "1") == 0);
	snprintf(p, sizeof(p), "/local/domain/%u/console/port", id);
	REQUIRE(h_write_tx(d0, t, p, "2") == 0);
	snprintf(p, sizeof(p), "/vm/00000000-0000-0000-0000-%012u/name", id);
	REQUIRE(h_write_tx(d0, t, p, v) == 0);
	for (unsigned i = 0; i < ARRAY_SIZE(fe_keys); i++) {
		snprintf(p, sizeof(p), "/local/domain/%u/device/vbd/51712/%s", id, fe_keys[i]);
		REQUIRE(h_write_tx(d0, t, p, "x") == 0);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(be_keys); i++) {
		snprintf(p, sizeof(p), "/local/domain/0/backend/vbd/%u/51712/%s", id, be_keys[i]);
		REQUIRE(h_write_tx(d0, t, p, "y") == 0);
	}
	snprintf(p, sizeof(p), "/local/domain/0/backend/vbd/%u", id);
	REQUIRE(h_call(d0, XS_SET_PERMS, t, p, "n0", perm, NULL) == 0);
	REQUIRE(h_tend(d0, t, true) == 0);
	REQUIRE(h_introduce(d0, id) == 0);
}

static void creation_cost_is_flat(void)
{
	struct hclient *d0, *watcher;
	unsigned long small, large;
	unsigned id = 1;
	struct timespec a, b;
	double ms_small, ms_large;

	h_init();
	d0 = h_client(0);
	watcher = h_client(0);
	/* dom0's daemons: a toolstack and a block backend watching. */
	REQUIRE(h_watch(watcher, "@introduceDomain", "intro") == 0);
	REQUIRE(h_watch(watcher, "@releaseDomain", "rel") == 0);
	REQUIRE(h_watch(watcher, "/local/domain/0/backend/vbd", "blkback") == 0);
	for (; id <= 200; id++)
		create_domain(d0, id);
	small = probes();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned k = 0; k < 20; k++, id++)
		create_domain(d0, id);
	clock_gettime(CLOCK_MONOTONIC, &b);
	small = probes() - small;
	ms_small = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	for (; id <= 6000; id++) {
		create_domain(d0, id);
		if (!(id % 64))
			h_events(watcher); /* a real watcher reads its events */
	}
	h_events(watcher);
	large = probes();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned k = 0; k < 20; k++, id++)
		create_domain(d0, id);
	clock_gettime(CLOCK_MONOTONIC, &b);
	large = probes() - large;
	ms_large = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("  info: 20 domains at 200 existing: %lu probes, %.1f ms; at 6000: %lu probes, "
	       "%.1f ms; store has %lu nodes\n", small, ms_small, large, ms_large, h_st.nnodes);
	/* 30 times the domains, and each new one costs about the same. */
	CHECK(large < small * 3 / 2);
	CHECK(h_st.nnodes > 6000 * 20);
	h_fini();
}

static void release_cost_is_flat(void)
{
	struct hclient *d0;
	unsigned long small, large;
	char p[64];

	h_init();
	d0 = h_client(0);
	for (unsigned id = 1; id <= 3000; id++)
		create_domain(d0, id);
	small = probes();
	for (unsigned id = 1; id <= 10; id++) {
		REQUIRE(h_release(d0, id) == 0);
		snprintf(p, sizeof(p), "/local/domain/%u", id);
		REQUIRE(h_call(d0, XS_RM, 0, p, NULL) == 0);
	}
	small = probes() - small;
	for (unsigned id = 11; id <= 2990; id++)
		REQUIRE(h_release(d0, id) == 0);
	large = probes();
	for (unsigned id = 2991; id <= 3000; id++) {
		REQUIRE(h_release(d0, id) == 0);
		snprintf(p, sizeof(p), "/local/domain/%u", id);
		REQUIRE(h_call(d0, XS_RM, 0, p, NULL) == 0);
	}
	large = probes() - large;
	CHECK(large < small * 3 / 2 + 10);
	CHECK_EQ(h_st.ndomains, 1);
	h_fini();
}

int main(void)
{
	RUN(creation_cost_is_flat);
	RUN(release_cost_is_flat);
	return check_done();
}
