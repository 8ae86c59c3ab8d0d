/* mica shutdown, reboot, destroy, pause, unpause: a guest's life from dom0. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libmica.h"
#include "mica.h"
#include "store.h"

#define DEFAULT_TIMEOUT_S 60
#define POLL_MS 200
/* A guest that shut down is normally reaped by its monitor at once; after this, -w does it. */
#define REAP_GRACE_MS 3000

/* Opens both handles and finds the domain; on failure prints why and returns non-zero. */
static int open_target(const char *arg, struct mica **m, struct mica_xs **xs, uint32_t *domid,
		       bool need_store)
{
	*xs = NULL;
	*m = open_hypervisor();
	if (!*m)
		return -ENODEV;
	if (need_store) {
		*xs = open_store();
		if (!*xs)
			goto fail;
	} else if (mica_xs_open(xs, NULL)) {
		*xs = NULL; /* names need the store; ids do not */
	}
	if (!find_domain(*m, *xs, arg, domid))
		return 0;
fail:
	mica_xs_close(*xs);
	mica_close(*m);
	*xs = NULL;
	*m = NULL;
	return -ENOENT;
}

static void close_target(struct mica *m, struct mica_xs *xs)
{
	mica_xs_close(xs);
	mica_close(m);
}

static int one_arg(const char *cmd, int argc, char **argv)
{
	optind = 0;
	if (getopt_long(argc, argv, "+", (const struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1)
		return usage_error(cmd, "unknown option");
	if (optind != argc - 1)
		return usage_error(cmd, "name one domain (NAME or ID)");
	return EXIT_OK;
}

/* ---- shutdown and reboot ------------------------------------------------------------------- */

/*
 * Waits for the guest to go after a shutdown request. Its monitor normally
 * acts on the shutdown; if the guest stays shut down without being reaped
 * (no monitor), an on_* action of destroy is carried out here. At the
 * timeout the guest is destroyed.
 */
static int wait_gone(struct mica *m, struct mica_xs *xs, uint32_t domid, const char *label,
		     int timeout_s, const char *action_key)
{
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000, shut_since = 0;
	bool watching = !mica_xs_watch(xs, "@releaseDomain", "mica-wait");

	for (;;) {
		struct xen_domctl_getdomaininfo info;
		char *path, *token;
		int rc;

		rc = mica_domain_info(m, domid, &info);
		if (rc == -ESRCH) {
			info_msg("%s has shut down", label);
			return EXIT_OK;
		}
		if (!rc && (info.flags & XEN_DOMINF_shutdown) && !(info.flags & XEN_DOMINF_dying)) {
			char *action = store_read_private(xs, domid, action_key);
			bool preserve = action && !strcmp(action, "preserve");

			free(action);
			if (preserve) {
				info_msg("%s has shut down and is preserved ('mica destroy' removes it)",
					 label);
				return EXIT_OK;
			}
			if (!shut_since)
				shut_since = now_ms();
			if (now_ms() - shut_since > REAP_GRACE_MS) {
				rc = destroy_and_forget(m, xs, domid);
				if (rc) {
					err_msg("%s shut down but cannot be destroyed: %s", label,
						strerror(-rc));
					return EXIT_FAIL;
				}
				info_msg("%s has shut down", label);
				return EXIT_OK;
			}
		}
		if (now_ms() >= deadline) {
			rc = destroy_and_forget(m, xs, domid);
			if (rc) {
				err_msg("%s did not shut down within %d s, and destroying it failed: %s",
					label, timeout_s, strerror(-rc));
				return EXIT_FAIL;
			}
			err_msg("%s did not shut down within %d s: destroyed it", label, timeout_s);
			return EXIT_FORCED;
		}
		if (watching && !mica_xs_read_watch(xs, &path, &token, POLL_MS)) {
			free(path);
			free(token);
		} else if (!watching) {
			struct timespec ts = { 0, POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

static int request_shutdown(const char *cmd, const char *what, const char *verb,
			    const char *action_key, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, 'w' }, { "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t timeout = DEFAULT_TIMEOUT_S;
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	char path[64], label[96];
	bool wait = false;
	int c, rc, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+wt:", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			wait = true;
			break;
		case 't':
			if (!parse_uint(optarg, 86400, &timeout) || !timeout)
				return usage_error(cmd, "--timeout takes seconds, from 1 to 86400");
			break;
		default:
			return usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error(cmd, "name one domain (NAME or ID)");
	if (open_target(argv[optind], &m, &xs, &domid, true))
		return EXIT_FAIL;
	domain_label(xs, domid, label, sizeof(label));
	if (domid == 0) {
		err_msg("dom0 shuts down from inside: run poweroff or reboot in dom0");
		close_target(m, xs);
		return EXIT_FAIL;
	}
	/* The guest's xenbus watches control/shutdown, acts on it and clears it. */
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
	rc = mica_xs_write(xs, MICA_XS_NO_TX, path, what, strlen(what));
	if (rc) {
		err_msg("cannot ask %s to %s: writing %s failed: %s", label, verb, path, strerror(-rc));
		close_target(m, xs);
		return EXIT_FAIL;
	}
	{
		char key[32], *feature;

		snprintf(key, sizeof(key), "control/feature-%s", what);
		feature = store_read_dom(xs, domid, key);
		if (!feature || strcmp(feature, "1"))
			warn_msg("%s has not announced that it acts on %s requests (%s is not set): it "
				 "may still be booting, or have no PV drivers", label, what, key);
		free(feature);
	}
	status = EXIT_OK;
	if (wait)
		status = wait_gone(m, xs, domid, label, (int)timeout, action_key);
	else
		info_msg("asked %s to %s", label, verb);
	close_target(m, xs);
	return status;
}

int cmd_shutdown(int argc, char **argv)
{
	return request_shutdown("shutdown", "poweroff", "power off", "on_poweroff", argc, argv);
}

int cmd_reboot(int argc, char **argv)
{
	return request_shutdown("reboot", "reboot", "reboot", "on_reboot", argc, argv);
}

/* ---- destroy, pause, unpause ---------------------------------------------------------------- */

int cmd_destroy(int argc, char **argv)
{
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	char label[96];
	int rc = one_arg("destroy", argc, argv);

	if (rc)
		return rc;
	if (open_target(argv[optind], &m, &xs, &domid, false))
		return EXIT_FAIL;
	domain_label(xs, domid, label, sizeof(label));
	if (domid == 0) {
		err_msg("dom0 cannot be destroyed; it can only power off");
		close_target(m, xs);
		return EXIT_FAIL;
	}
	rc = destroy_and_forget(m, xs, domid);
	if (rc == -EBUSY)
		err_msg("%s is stopped, but a program in dom0 still maps its memory, so it stays "
			"listed as dying; run 'mica destroy %u' again once that program lets go",
			label, domid);
	else if (rc)
		err_msg("cannot destroy %s: %s", label, strerror(-rc));
	else
		info_msg("destroyed %s", label);
	close_target(m, xs);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int pause_or_unpause(const char *cmd, int argc, char **argv, bool pause)
{
	struct mica_xs *xs;
	struct mica *m;
	uint32_t domid;
	char label[96];
	int rc = one_arg(cmd, argc, argv);

	if (rc)
		return rc;
	if (open_target(argv[optind], &m, &xs, &domid, false))
		return EXIT_FAIL;
	domain_label(xs, domid, label, sizeof(label));
	if (domid == 0) {
		err_msg("dom0 cannot %s itself", cmd);
		close_target(m, xs);
		return EXIT_FAIL;
	}
	rc = pause ? mica_domain_pause(m, domid) : mica_domain_unpause(m, domid);
	if (rc == -EINVAL && !pause)
		err_msg("%s is not paused", label);
	else if (rc)
		err_msg("cannot %s %s: %s", cmd, label, strerror(-rc));
	else
		info_msg("%s %s", pause ? "paused" : "unpaused", label);
	close_target(m, xs);
	return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_pause(int argc, char **argv)
{
	return pause_or_unpause("pause", argc, argv, true);
}

int cmd_unpause(int argc, char **argv)
{
	return pause_or_unpause("unpause", argc, argv, false);
}
