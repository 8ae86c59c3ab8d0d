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

#include "libmica.h"
#include "mica.h"
#include "pvdev.h"
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
};

/* The backend's state, or -1 when it cannot be read. */
static int backend_state(struct mica_xs *xs, const struct device_ref *r)
{
	char dir[128];
	enum xenbus_state s;

	snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u/%u", r->type, r->domid,
		 (unsigned int)r->devid);
	return pvdev_state(xs, dir, &s) ? -1 : (int)s;
}

static int attach(struct mica_xs *xs, const struct device_ref *r, int nkv, char **kv)
{
	struct store_entries e = { 0 };
	char be[96], fe[96], *v;
	int rc, s = backend_state(xs, r);

	if (s >= 0) {
		err_msg("the guest already has a %s device %u; detach it first (mica device-detach)",
			r->type, (unsigned int)r->devid);
		return EXIT_FAIL;
	}
	rc = store_device_entries(&e, r->type, r->domid, (uint32_t)r->devid, be, fe);
	for (int i = 0; !rc && i < nkv; i++) {
		char *eq = strchr(kv[i], '=');

		*eq = '\0';
		rc = store_entry_add(&e, PERM_GUEST_RO, eq + 1, "%s/%s", be, kv[i]);
		*eq = '=';
	}
	if (!rc)
		rc = store_write_entries(xs, &e, r->domid);
	store_entries_free(&e);
	if (rc) {
		err_msg("cannot write the device's store directories: %s", strerror(-rc));
		return EXIT_FAIL;
	}
	/* Any state past Initialising: the backend took it (it may be Connected already). */
	for (int64_t end = now_ms() + WAIT_MS; (s = backend_state(xs, r)) < 2 && now_ms() < end;)
		pvdev_sleep_ms(POLL_MS);
	if (s == XenbusStateClosed) {
		v = pvdev_read(xs, be, "error");
		err_msg("the %s backend refused the device: %s", r->type, v ? v : "(no reason given)");
		free(v);
		pvdev_remove(xs, r->type, r->domid, (uint32_t)r->devid);
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
	int rc = pvdev_detach(xs, r->type, r->domid, (uint32_t)r->devid, WAIT_MS, force);

	if (rc == -ENOENT) {
		err_msg("the guest has no %s device %u", r->type, (unsigned int)r->devid);
		return EXIT_FAIL;
	}
	if (rc) {
		err_msg("the guest has not let go of its %s device %u within %d s; try again, or "
			"use --force to remove it anyway", r->type, (unsigned int)r->devid,
			WAIT_MS / 1000);
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
	r.type = argv[optind + 1];
	r.devid = 0;
	if (argc - optind > 2 && !strchr(argv[optind + 2], '=') &&
	    !parse_uint(argv[optind + 2], UINT32_MAX, &r.devid))
		return usage_error(cmd, "device number '%s' is not a number", argv[optind + 2]);
	if (pvdev_open_guest(argv[optind], "devices", &m, &xs, &r.domid))
		return EXIT_FAIL;
	rc = attaching ? attach(xs, &r, nkv, argv + kv_at) : detach(xs, &r, force);
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
