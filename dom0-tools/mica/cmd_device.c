/*
 * mica device-attach, device-detach: any split device's two store
 * directories, for device types the toolstack has no command of its own
 * for (the driver kit's example rng, a device being developed). As libxl
 * writes them, for device DEV of type TYPE of domain N:
 *
 *   /local/domain/0/backend/TYPE/N/DEV  owned by dom0, readable by the guest:
 *       frontend, frontend-id, online 1, state 1, and any KEY=VALUE given
 *   /local/domain/N/device/TYPE/DEV     owned by the guest:
 *       backend, backend-id 0, state 1
 *
 * The backend daemon of TYPE finds the first, the guest's frontend the
 * second (docs/pv-driver-guide.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmica.h"
#include "mica.h"
#include "store.h"

#define WAIT_MS 10000
#define POLL_MS 100

/* Keys the toolstack writes itself; a KEY=VALUE may not name them. */
static const char *const reserved[] = { "frontend", "frontend-id", "online", "state" };

/* A store path component: lowercase letters, digits, '-' and '_', 1-32 characters. */
static bool good_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_");

	return n > 0 && n <= 32 && !s[n];
}

struct device_ref {
	uint32_t domid;
	const char *type;
	uint64_t devid;
	char be[128], fe[128];
};

/*
 * Parses NAME|ID TYPE [DEV] (argv[first] is the domain, TYPE already
 * checked); prints why not and returns non-zero.
 */
static int parse_ref(const char *cmd, struct mica *m, struct mica_xs *xs, int argc, char **argv,
		     int first, struct device_ref *r)
{
	r->type = argv[first + 1];
	r->devid = 0;
	if (argc - first > 2 && !strchr(argv[first + 2], '=') &&
	    !parse_uint(argv[first + 2], UINT32_MAX, &r->devid))
		return usage_error(cmd, "device number '%s' is not a number", argv[first + 2]);
	if (find_domain(m, xs, argv[first], &r->domid))
		return EXIT_FAIL;
	if (r->domid == 0) {
		err_msg("%s: dom0 serves the devices; attach them to a guest", cmd);
		return EXIT_FAIL;
	}
	snprintf(r->be, sizeof(r->be), "/local/domain/0/backend/%s/%u/%u", r->type, r->domid,
		 (unsigned int)r->devid);
	snprintf(r->fe, sizeof(r->fe), "/local/domain/%u/device/%s/%u", r->domid, r->type,
		 (unsigned int)r->devid);
	return EXIT_OK;
}

/* The backend's state node, or -1 when it cannot be read. */
static int backend_state(struct mica_xs *xs, const struct device_ref *r)
{
	char path[160], *v = NULL;
	int s = -1;

	snprintf(path, sizeof(path), "%s/state", r->be);
	if (!mica_xs_read(xs, MICA_XS_NO_TX, path, &v, NULL) && v[0] >= '0' && v[0] <= '8' && !v[1])
		s = v[0] - '0';
	free(v);
	return s;
}

/*
 * Waits up to WAIT_MS for the backend's state to reach at least min (a
 * device may go on to Connected at once); returns the last one read.
 */
static int wait_state(struct mica_xs *xs, const struct device_ref *r, int min)
{
	int s = backend_state(xs, r);

	for (int64_t end = now_ms() + WAIT_MS; s < min && now_ms() < end;) {
		usleep(POLL_MS * 1000);
		s = backend_state(xs, r);
	}
	return s;
}

static int remove_both(struct mica_xs *xs, const struct device_ref *r)
{
	int rc = mica_xs_rm(xs, MICA_XS_NO_TX, r->be), rc2 = mica_xs_rm(xs, MICA_XS_NO_TX, r->fe);

	rc = rc == -ENOENT ? 0 : rc;
	return rc ? rc : rc2 == -ENOENT ? 0 : rc2;
}

static int attach(struct mica_xs *xs, const struct device_ref *r, int nkv, char **kv)
{
	struct store_entries e = { 0 };
	char *v = NULL, dom[16];
	int rc = 0, s;

	if (!mica_xs_read(xs, MICA_XS_NO_TX, r->be, &v, NULL)) {
		free(v);
		err_msg("the guest already has a %s device %u; detach it first (mica device-detach)",
			r->type, (unsigned int)r->devid);
		return EXIT_FAIL;
	}
	snprintf(dom, sizeof(dom), "%u", r->domid);
	rc = store_entry_add(&e, PERM_GUEST_RO, "", "%s", r->be);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RO, r->fe, "%s/frontend", r->be);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RO, dom, "%s/frontend-id", r->be);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RO, "1", "%s/online", r->be);
	for (int i = 0; !rc && i < nkv; i++) {
		char *eq = strchr(kv[i], '=');

		*eq = '\0';
		rc = store_entry_add(&e, PERM_GUEST_RO, eq + 1, "%s/%s", r->be, kv[i]);
		*eq = '=';
	}
	/* state last: the backend starts with everything else in place. */
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RO, "1", "%s/state", r->be);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RW, "", "%s", r->fe);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RW, r->be, "%s/backend", r->fe);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RW, "0", "%s/backend-id", r->fe);
	if (!rc)
		rc = store_entry_add(&e, PERM_GUEST_RW, "1", "%s/state", r->fe);
	if (!rc)
		rc = store_write_entries(xs, &e, r->domid);
	store_entries_free(&e);
	if (rc) {
		err_msg("cannot write the device's store directories: %s", strerror(-rc));
		return EXIT_FAIL;
	}
	s = wait_state(xs, r, 2);
	if (s == 6) {
		char path[160];

		snprintf(path, sizeof(path), "%s/error", r->be);
		v = NULL;
		mica_xs_read(xs, MICA_XS_NO_TX, path, &v, NULL);
		err_msg("the %s backend refused the device: %s", r->type, v ? v : "(no reason given)");
		free(v);
		remove_both(xs, r);
		return EXIT_FAIL;
	}
	if (s < 2)
		warn_msg("no %s backend has taken the device within %d s; start its daemon (for "
			 "rng: mica-rngback -d), it will find the device", r->type, WAIT_MS / 1000);
	info_msg("attached %s device %u to domain %u", r->type, (unsigned int)r->devid, r->domid);
	return EXIT_OK;
}

static int detach(struct mica_xs *xs, const struct device_ref *r, bool force)
{
	char path[160], *v = NULL;
	int s;

	if (mica_xs_read(xs, MICA_XS_NO_TX, r->be, &v, NULL)) {
		err_msg("the guest has no %s device %u", r->type, (unsigned int)r->devid);
		return EXIT_FAIL;
	}
	free(v);
	/* online 0 asks the backend to close; the frontend follows it down to Closed. */
	snprintf(path, sizeof(path), "%s/online", r->be);
	mica_xs_write(xs, MICA_XS_NO_TX, path, "0", 1);
	s = wait_state(xs, r, 6);
	if (s != 6 && !force) {
		err_msg("the guest has not let go of its %s device %u within %d s (backend state "
			"%d); try again, or use --force to remove it anyway", r->type,
			(unsigned int)r->devid, WAIT_MS / 1000, s);
		return EXIT_FAIL;
	}
	if (remove_both(xs, r)) {
		err_msg("cannot remove the device's store directories");
		return EXIT_FAIL;
	}
	info_msg("detached %s device %u from domain %u", r->type, (unsigned int)r->devid,
		 r->domid);
	return EXIT_OK;
}

static int run(const char *cmd, int argc, char **argv, bool attaching)
{
	static const struct option longopts[] = { { "force", no_argument, NULL, 'f' },
						  { NULL, 0, NULL, 0 } };
	struct device_ref r;
	struct mica *m = NULL;
	struct mica_xs *xs = NULL;
	bool force = false;
	int c, rc, nkv, kv_at;

	optind = 0;
	while ((c = getopt_long(argc, argv, attaching ? "+" : "+f", longopts, NULL)) != -1) {
		if (c == 'f' && !attaching)
			force = true;
		else
			return usage_error(cmd, "unknown option");
	}
	if (argc - optind < 2)
		return usage_error(cmd, "name a domain and a device type");
	if (!good_name(argv[optind + 1]))
		return usage_error(cmd, "device type '%s' is not a name of lowercase letters, "
				   "digits, '-' and '_'", argv[optind + 1]);
	/* KEY=VALUE items come after NAME|ID TYPE [DEV]. */
	kv_at = optind + 2 + (argc - optind > 2 && !strchr(argv[optind + 2], '='));
	nkv = argc > kv_at ? argc - kv_at : 0;
	if (!attaching && nkv)
		return usage_error(cmd, "unexpected argument '%s'", argv[kv_at]);
	for (int i = 0; i < nkv; i++) {
		char *eq = strchr(argv[kv_at + i], '=');
		bool bad = !eq;

		if (eq) {
			*eq = '\0';
			bad = !good_name(argv[kv_at + i]);
			for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]) && !bad; k++)
				bad = !strcmp(argv[kv_at + i], reserved[k]);
			*eq = '=';
		}
		if (bad)
			return usage_error(cmd, "'%s' is not KEY=VALUE with a key of lowercase "
					   "letters, digits, '-' and '_' (not frontend, "
					   "frontend-id, online or state)", argv[kv_at + i]);
	}
	m = open_hypervisor();
	if (m)
		xs = open_store();
	if (!m || !xs) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = parse_ref(cmd, m, xs, argc, argv, optind, &r);
	if (!rc)
		rc = attaching ? attach(xs, &r, nkv, argv + kv_at) : detach(xs, &r, force);
out:
	mica_xs_close(xs);
	mica_close(m);
	return rc;
}

int cmd_device_attach(int argc, char **argv)
{
	return run("device-attach", argc, argv, true);
}

int cmd_device_detach(int argc, char **argv)
{
	return run("device-detach", argc, argv, false);
}
