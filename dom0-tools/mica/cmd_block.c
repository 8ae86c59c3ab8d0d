/*
 * mica block-attach, block-detach, block-list: a guest's disks while it
 * runs, and attaching the disks of a new guest (vbd_attach, used by
 * create). mica-blkback serves them; it is started here when it is not
 * running (its pid file says whether it is).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pv/io/xenbus.h>

#include "json.h"
#include "libmica.h"
#include "mica.h"
#include "pvdev.h"
#include "vbd.h"

static const struct pvdev_backend blkback = {
	.prog = "mica-blkback", .env = "MICA_BLKBACK", .pidfile = "/run/mica-blkback.pid",
	.what = "block",
};
#define ATTACH_WAIT_MS 10000
#define DETACH_WAIT_MS 10000
#define POLL_MS 100

/* Checks the image as blkback will open it; *is_device says what it is. */
static int check_target(const struct disk_spec *d, bool *is_device, struct msgs *errors)
{
	struct stat st;

	if (!d->target || !*d->target) {
		msgs_add(errors, "%s: an empty drive (no target) cannot be attached", d->vdev);
		return -EINVAL;
	}
	if (stat(d->target, &st)) {
		msgs_add(errors, "%s: disk image %s: %s", d->vdev, d->target, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		msgs_add(errors, "%s: %s is neither an image file nor a block device", d->vdev,
			 d->target);
		return -EINVAL;
	}
	if (access(d->target, d->readonly ? R_OK : R_OK | W_OK)) {
		msgs_add(errors, "%s: %s is not %s: %s", d->vdev, d->target,
			 d->readonly ? "readable" : "readable and writable (or attach it with "
			 "access=ro)", strerror(errno));
		return -errno;
	}
	*is_device = S_ISBLK(st.st_mode);
	return 0;
}

int vbd_attach(struct mica_xs *xs, uint32_t domid, const struct disk_spec *d,
	       struct msgs *errors)
{
	struct store_entries e;
	enum xenbus_state st = XenbusStateUnknown;
	int64_t devid = vbd_devid(d->vdev), deadline;
	char be[96], fe[96], *v;
	bool is_device = false;
	int rc;

	if (devid < 0) {
		msgs_add(errors, "%s is not a guest device name (xvda, xvdb, ...)", d->vdev);
		return -EINVAL;
	}
	rc = check_target(d, &is_device, errors);
	if (rc)
		return rc;
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", domid, (uint32_t)devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%u", domid, (uint32_t)devid);
	v = pvdev_read(xs, be, "params");
	if (v || (v = pvdev_read(xs, fe, "backend"))) {
		msgs_add(errors, "the guest already has a disk %s (%s); detach it first with "
				 "'mica block-detach %u %s'", d->vdev, v, domid, d->vdev);
		free(v);
		return -EEXIST;
	}
	rc = pvdev_backend_ensure(&blkback, errors);
	if (rc)
		return rc;
	rc = vbd_entries_for(domid, d, (uint32_t)devid, is_device, &e);
	if (!rc) {
		rc = store_write_entries(xs, &e, domid);
		store_entries_free(&e);
	}
	if (rc) {
		msgs_add(errors, "cannot write %s's store entries: %s", d->vdev, strerror(-rc));
		pvdev_remove(xs, "vbd", domid, (uint32_t)devid);
		return rc;
	}
	/* blkback opens the image and moves to InitWait, or says why not in "error". */
	deadline = now_ms() + ATTACH_WAIT_MS;
	while (now_ms() < deadline) {
		if (!pvdev_state(xs, be, &st) && st >= XenbusStateInitWait && st <= XenbusStateConnected)
			return 0;
		v = pvdev_read(xs, be, "error");
		if (v || st == XenbusStateClosed) {
			msgs_add(errors, "%s: the block backend refused %s: %s", d->vdev, d->target,
				 v ? v : "closed");
			free(v);
			pvdev_remove(xs, "vbd", domid, (uint32_t)devid);
			return -EIO;
		}
		pvdev_sleep_ms(POLL_MS);
	}
	msgs_add(errors, "%s: the block backend did not take %s within %d s: is mica-blkback "
			 "running? (its log: /var/log/mica/blkback.log)", d->vdev, d->target,
		 ATTACH_WAIT_MS / 1000);
	pvdev_remove(xs, "vbd", domid, (uint32_t)devid);
	return -ETIMEDOUT;
}

int vbd_detach(struct mica_xs *xs, uint32_t domid, uint32_t devid, int timeout_ms, bool force)
{
	return pvdev_detach(xs, "vbd", domid, devid, timeout_ms, force);
}

/* ---- the commands ------------------------------------------------------------------------- */


int cmd_block_attach(int argc, char **argv)
{
	struct msgs errors = { 0 };
	struct disk_spec d;
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	char why[300], label[96];
	int rc, status = EXIT_FAIL;

	if (argc != 3)
		return usage_error("block-attach", "name a guest and one disk spec");
	rc = domcfg_parse_disk(argv[2], &d, why, sizeof(why));
	if (rc) {
		err_msg("disk '%s': %s", argv[2], why);
		return EXIT_USAGE;
	}
	if (!pvdev_open_guest(argv[1], "disks", &m, &xs, &domid)) {
		rc = vbd_attach(xs, domid, &d, &errors);
		if (rc) {
			for (unsigned int i = 0; i < errors.nr; i++)
				err_msg("%s", errors.v[i]);
		} else {
			info_msg("attached %s (%s, %s) to %s", d.vdev, d.target,
				 d.readonly ? "read-only" : "read-write",
				 domain_label(xs, domid, label, sizeof(label)));
			status = EXIT_OK;
		}
		mica_xs_close(xs);
		mica_close(m);
	}
	msgs_free(&errors);
	free(d.target);
	free(d.format);
	free(d.vdev);
	return status;
}

int cmd_block_detach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	bool force = false;
	char label[96];
	int64_t devid;
	int c, rc, status = EXIT_FAIL;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+f", longopts, NULL)) != -1) {
		if (c != 'f')
			return usage_error("block-detach", "unknown option");
		force = true;
	}
	if (argc - optind != 2)
		return usage_error("block-detach", "name a guest and one of its disks (xvdb)");
	devid = vbd_devid(argv[optind + 1]);
	if (devid < 0)
		return usage_error("block-detach", "'%s' is not a guest device name (xvdb, ...)",
				   argv[optind + 1]);
	if (pvdev_open_guest(argv[optind], "disks", &m, &xs, &domid))
		return EXIT_FAIL;
	domain_label(xs, domid, label, sizeof(label));
	rc = vbd_detach(xs, domid, (uint32_t)devid, DETACH_WAIT_MS, force);
	if (rc == -ENOENT)
		err_msg("%s has no disk %s; 'mica block-list %u' shows its disks", label,
			argv[optind + 1], domid);
	else if (rc == -ETIMEDOUT)
		err_msg("%s did not release %s within %d s (is it still mounted?); unmount it in the "
			"guest and try again, or use --force", label, argv[optind + 1],
			DETACH_WAIT_MS / 1000);
	else if (rc)
		err_msg("cannot detach %s from %s: %s", argv[optind + 1], label, strerror(-rc));
	else {
		info_msg("detached %s from %s", argv[optind + 1], label);
		status = EXIT_OK;
	}
	mica_xs_close(xs);
	mica_close(m);
	return status;
}

struct disk_row {
	char *vdev, *target, *mode, *error;
	uint32_t devid;
	enum xenbus_state be, fe;
};

static void list_one(struct mica_xs *xs, uint32_t domid, const char *dev, struct disk_row *r)
{
	char be[96], fe[96];

	r->devid = (uint32_t)strtoul(dev, NULL, 10);
	snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%s", domid, dev);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%s", domid, dev);
	r->vdev = pvdev_read(xs, be, "dev");
	r->target = pvdev_read(xs, be, "params");
	r->mode = pvdev_read(xs, be, "mode");
	r->error = pvdev_read(xs, be, "error");
	if (pvdev_state(xs, be, &r->be))
		r->be = XenbusStateUnknown;
	if (pvdev_state(xs, fe, &r->fe))
		r->fe = XenbusStateUnknown;
}

static const char *state_word(enum xenbus_state s)
{
	static const char *const names[] = { "unknown", "initialising", "initwait", "initialised",
					     "connected", "closing", "closed", "reconfiguring",
					     "reconfigured" };

	return (unsigned int)s < 9 ? names[s] : "unknown";
}

int cmd_block_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 },
	};
	char **devs = NULL, path[96];
	unsigned int n = 0;
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	bool json = false;
	struct json j;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'j')
			return usage_error("block-list", "unknown option");
		json = true;
	}
	if (argc - optind != 1)
		return usage_error("block-list", "name one guest");
	if (pvdev_open_guest(argv[optind], "disks", &m, &xs, &domid))
		return EXIT_FAIL;
	snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%u", domid);
	if (mica_xs_directory(xs, MICA_XS_NO_TX, path, &devs, &n))
		n = 0;
	if (json) {
		json_init(&j, stdout);
		json_begin_array(&j, NULL);
	} else {
		printf("%-8s %-9s %-12s %-12s %-4s %s\n", "Vdev", "Devid", "Backend", "Frontend",
		       "Mode", "Target");
	}
	for (unsigned int i = 0; i < n; i++) {
		struct disk_row r = { 0 };

		list_one(xs, domid, devs[i], &r);
		if (json) {
			json_begin_object(&j, NULL);
			json_string(&j, "vdev", r.vdev);
			json_u64(&j, "devid", r.devid);
			json_string(&j, "target", r.target);
			json_bool(&j, "readonly", r.mode && r.mode[0] == 'r');
			json_string(&j, "backend_state", state_word(r.be));
			json_string(&j, "frontend_state", state_word(r.fe));
			json_string(&j, "error", r.error);
			json_end_object(&j);
		} else {
			printf("%-8s %-9u %-12s %-12s %-4s %s%s%s\n", r.vdev ? r.vdev : "?", r.devid,
			       state_word(r.be), state_word(r.fe),
			       r.mode && r.mode[0] == 'r' ? "ro" : "rw", r.target ? r.target : "?",
			       r.error ? "  error: " : "", r.error ? r.error : "");
		}
		free(r.vdev);
		free(r.target);
		free(r.mode);
		free(r.error);
	}
	if (json) {
		json_end_array(&j);
		json_finish(&j);
	}
	mica_xs_free_list(devs, n);
	mica_xs_close(xs);
	mica_close(m);
	return EXIT_OK;
}
