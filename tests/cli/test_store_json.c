/*
 * The store entries of a new domain (dom0-tools/mica/store.c), writing them
 * in a transaction that is redone on conflict, removing them; the JSON
 * writer (json.c); the monitor's decisions (monitor.c).
 */
/* tool-sources: dom0-tools/mica/store.c dom0-tools/mica/json.c dom0-tools/mica/monitor.c */
/* tool-sources: dom0-tools/mica/config.c dom0-tools/mica/domcfg.c dom0-tools/mica/devspec.c */
/* tool-sources: tests/cli/fake.c hypercall/libmica/xs_msg.c */
#include "check.h"

#include <errno.h>
#include <stdlib.h>

#include <pv/sched.h>

#include "fake.h"
#include "json.h"
#include "monitor.h"
#include "store.h"

static const struct store_domain web = {
	.domid = 7, .name = "web", .uuid = "01234567-89ab-4cde-8f01-23456789abcd",
	.memory_kib = 512 * 1024, .maxmem_kib = 1024 * 1024, .vcpus = 2, .store_mfn = 0x12345,
	.console_mfn = 0x12346, .store_port = 2, .console_port = 1, .config_path = "/etc/mica/web.cfg",
	.on_poweroff = ACTION_DESTROY, .on_reboot = ACTION_RESTART, .on_crash = ACTION_PRESERVE,
};

static const struct store_entry *entry(const struct store_entries *e, const char *path)
{
	for (unsigned int i = 0; i < e->nr; i++)
		if (!strcmp(e->v[i].path, path))
			return &e->v[i];
	return NULL;
}

#define CHECK_ENTRY(e, p_, v_, m_)                                                      \
	do {                                                                            \
		const struct store_entry *s_ = entry(e, p_);                            \
		if (CHECK_MSG(s_ != NULL, "no entry %s", p_)) {                         \
			CHECK_STR(s_->value, v_);                                       \
			CHECK_MSG(s_->perm == (m_), "%s: perm %d", p_, s_->perm);       \
		}                                                                       \
	} while (0)

static void entries_for_a_domain(void)
{
	struct store_entries e;

	REQUIRE_EQ(store_entries_for(&web, &e), 0);
	CHECK_ENTRY(&e, "/local/domain/7", "", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/domid", "7", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/name", "web", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/vm", "/vm/01234567-89ab-4cde-8f01-23456789abcd",
		    PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/cpu/0/availability", "online", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/cpu/1/availability", "online", PERM_GUEST_RO);
	CHECK(entry(&e, "/local/domain/7/cpu/2/availability") == NULL);
	CHECK_ENTRY(&e, "/local/domain/7/memory/static-max", "1048576", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/memory/target", "524288", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/control/shutdown", "", PERM_GUEST_RW);
	CHECK_ENTRY(&e, "/local/domain/7/control/feature-poweroff", "", PERM_GUEST_RW);
	CHECK_ENTRY(&e, "/local/domain/7/control/sysrq", "", PERM_GUEST_RW);
	CHECK_ENTRY(&e, "/local/domain/7/control/platform-feature-xs_reset_watches", "1",
		    PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/data", "", PERM_GUEST_RW);
	CHECK_ENTRY(&e, "/local/domain/7/device", "", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/store/port", "2", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/store/ring-ref", "74565", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/console/port", "1", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/console/ring-ref", "74566", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/local/domain/7/console/type", "xenconsoled", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/vm/01234567-89ab-4cde-8f01-23456789abcd/name", "web", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/vm/01234567-89ab-4cde-8f01-23456789abcd/uuid",
		    "01234567-89ab-4cde-8f01-23456789abcd", PERM_GUEST_RO);
	CHECK_ENTRY(&e, "/mica/domain/7/config", "/etc/mica/web.cfg", PERM_DOM0);
	CHECK_ENTRY(&e, "/mica/domain/7/on_poweroff", "destroy", PERM_DOM0);
	CHECK_ENTRY(&e, "/mica/domain/7/on_reboot", "restart", PERM_DOM0);
	CHECK_ENTRY(&e, "/mica/domain/7/on_crash", "preserve", PERM_DOM0);
	CHECK_ENTRY(&e, "/mica/name/web", "7", PERM_DOM0);
	/* Parents come before their children, so every node gets its permissions once made. */
	for (unsigned int i = 0; i < e.nr; i++) {
		char parent[256], *slash;
		bool found = false;

		snprintf(parent, sizeof(parent), "%s", e.v[i].path);
		slash = strrchr(parent, '/');
		*slash = '\0';
		if (!strcmp(parent, "/local/domain") || !strcmp(parent, "/vm") ||
		    !strcmp(parent, "/mica/domain") || !strcmp(parent, "/mica/name"))
			continue;
		for (unsigned int k = 0; k < i && !found; k++)
			found = !strcmp(e.v[k].path, parent);
		CHECK_MSG(found, "%s comes before its parent", e.v[i].path);
	}
	store_entries_free(&e);
}

static void permission_strings(void)
{
	char b[2][16];

	CHECK_EQ(store_perm_strings(PERM_GUEST_RO, 7, b), 2);
	CHECK_STR(b[0], "n0");
	CHECK_STR(b[1], "r7");
	CHECK_EQ(store_perm_strings(PERM_GUEST_RW, 7, b), 1);
	CHECK_STR(b[0], "n7");
	CHECK_EQ(store_perm_strings(PERM_DOM0, 7, b), 1);
	CHECK_STR(b[0], "n0");
}

static void write_retries_conflicts(void)
{
	struct store_entries e;
	struct mica_xs *xs;
	const char *perms;

	fake_reset(256);
	REQUIRE_EQ(mica_xs_open(&xs, NULL), 0);
	REQUIRE_EQ(store_entries_for(&web, &e), 0);
	fake.tx_conflicts = 2;
	CHECK_EQ(store_write_entries(xs, &e, 7), 0);
	CHECK_EQ(fake.tx_started, 3);
	CHECK_EQ(fake.tx_committed, 1);
	CHECK_STR(fake_store_get("/local/domain/7/name", &perms), "web");
	CHECK_STR(perms, "n0,r7");
	CHECK_STR(fake_store_get("/local/domain/7/control/shutdown", &perms), "");
	CHECK_STR(perms, "n7");
	CHECK_STR(fake_store_get("/mica/domain/7/uuid", &perms), web.uuid);
	CHECK_STR(perms, "n0");
	/* A store that conflicts forever gets a bounded number of attempts. */
	fake.tx_conflicts = 1000;
	CHECK_EQ(store_write_entries(xs, &e, 7), -EAGAIN);
	store_entries_free(&e);

	/* Reading back, and removing everything the domain had. */
	{
		char *name = store_domain_name(xs, 7), *uuid = store_read_private(xs, 7, "uuid");
		uint32_t id = 0;

		CHECK_STR(name, "web");
		CHECK_STR(uuid, web.uuid);
		free(name);
		free(uuid);
		/* The name index, checked against the domain's own name node. */
		CHECK_EQ(store_find_name(xs, "web", &id), 0);
		CHECK_EQ(id, 7);
		CHECK_EQ(store_find_name(xs, "db", &id), -ENOENT);
		CHECK_EQ(mica_xs_write(xs, MICA_XS_NO_TX, "/mica/name/stale", "7", 1), 0);
		CHECK_EQ(store_find_name(xs, "stale", &id), -ENOENT);
		CHECK_EQ(mica_xs_write(xs, MICA_XS_NO_TX, "/mica/name/junk", "7x", 2), 0);
		CHECK_EQ(store_find_name(xs, "junk", &id), -ENOENT);
	}
	CHECK_EQ(store_remove_domain(xs, 7), 0);
	CHECK(fake_store_get("/mica/name/web", NULL) == NULL);
	/* The stale entry names another domain's name: it is not ours to remove. */
	CHECK(fake_store_get("/mica/name/stale", NULL) != NULL);
	CHECK(fake_store_get("/local/domain/7", NULL) == NULL);
	CHECK(fake_store_get("/vm/01234567-89ab-4cde-8f01-23456789abcd", NULL) == NULL);
	CHECK(fake_store_get("/mica/domain/7", NULL) == NULL);
	CHECK(store_domain_name(xs, 7) == NULL);
	{
		char *d0 = store_domain_name(xs, 0);

		CHECK_STR(d0, "Domain-0");
		free(d0);
	}
	mica_xs_close(xs);
}

/* Runs fn with stdout going to a buffer; returns the buffer. */
static char json_buf[4096];

static const char *capture(void (*fn)(FILE *))
{
	FILE *f = fmemopen(json_buf, sizeof(json_buf), "w");

	fn(f);
	fclose(f);
	return json_buf;
}

static void doc(FILE *f)
{
	struct json j;

	json_init(&j, f);
	json_begin_object(&j, NULL);
	json_u64(&j, "id", 3);
	json_string(&j, "name", "we\"b\\\n\x01");
	json_string(&j, "none", NULL);
	json_bool(&j, "paused", true);
	json_s64(&j, "delta", -5);
	json_fixed(&j, "cpu_s", 12345678901ULL, 9, 3);
	json_begin_array(&j, "empty");
	json_end_array(&j);
	json_begin_array(&j, "list");
	json_u64(&j, NULL, 1);
	json_begin_object(&j, NULL);
	json_end_object(&j);
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void json_output(void)
{
	CHECK_STR(capture(doc), "{\n"
				"  \"id\": 3,\n"
				"  \"name\": \"we\\\"b\\\\\\n\\u0001\",\n"
				"  \"none\": null,\n"
				"  \"paused\": true,\n"
				"  \"delta\": -5,\n"
				"  \"cpu_s\": 12.345,\n"
				"  \"empty\": [],\n"
				"  \"list\": [\n"
				"    1,\n"
				"    {}\n"
				"  ]\n"
				"}\n");
}

static void monitor_decisions(void)
{
	struct domcfg c = { .on_poweroff = ACTION_DESTROY, .on_reboot = ACTION_RESTART,
			    .on_crash = ACTION_PRESERVE };
	int64_t t[MONITOR_MAX_RESTARTS];
	unsigned int n = 0;

	CHECK_EQ(monitor_action(&c, SHUTDOWN_poweroff), ACTION_DESTROY);
	CHECK_EQ(monitor_action(&c, SHUTDOWN_reboot), ACTION_RESTART);
	CHECK_EQ(monitor_action(&c, SHUTDOWN_soft_reset), ACTION_RESTART);
	CHECK_EQ(monitor_action(&c, SHUTDOWN_crash), ACTION_PRESERVE);
	CHECK_EQ(monitor_action(&c, SHUTDOWN_watchdog), ACTION_PRESERVE);
	CHECK_EQ(monitor_action(&c, SHUTDOWN_suspend), ACTION_PRESERVE);
	CHECK_EQ(monitor_action(&c, 99), ACTION_PRESERVE);
	/* Three restarts within a minute, then no more until the first is a minute old. */
	CHECK(monitor_may_restart(t, &n, 1000));
	CHECK(monitor_may_restart(t, &n, 2000));
	CHECK(monitor_may_restart(t, &n, 3000));
	CHECK(!monitor_may_restart(t, &n, 4000));
	CHECK(!monitor_may_restart(t, &n, 60999));
	CHECK(monitor_may_restart(t, &n, 61000));
	CHECK_EQ(n, 3);
	CHECK_STR(dom_action_name(ACTION_PRESERVE), "preserve");
}

int main(void)
{
	RUN(entries_for_a_domain);
	RUN(permission_strings);
	RUN(write_retries_conflicts);
	RUN(json_output);
	RUN(monitor_decisions);
	fake_reset(0);
	return check_done();
}
