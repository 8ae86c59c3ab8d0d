/* The monitor process: waits for its guest to shut down and acts (see monitor.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libmica.h"
#include "mica.h"
#include "monitor.h"
#include "store.h"

#define WATCH_TOKEN "mica-monitor"
#define POLL_MS 2000 /* also look without a watch event, in case one was missed */

static void mlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mlog(const char *fmt, ...)
{
	char stamp[32];
	time_t t = time(NULL);
	va_list ap;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&t));
	fprintf(stderr, "%s mica-monitor[%d]: ", stamp, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Points stdin at /dev/null and stdout/stderr at the guest's log file. */
static void redirect(const char *name)
{
	char path[256];
	int in, out;

	mkdir(MONITOR_LOG_DIR, 0755);
	snprintf(path, sizeof(path), "%s/%s.log", MONITOR_LOG_DIR, name);
	in = open("/dev/null", O_RDONLY);
	out = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0)
		out = open("/dev/null", O_WRONLY);
	if (in >= 0) {
		dup2(in, 0);
		close(in);
	}
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
		close(out);
	}
}

static void run(const struct domcfg *cfg, uint32_t domid)
{
	int64_t restarts[MONITOR_MAX_RESTARTS];
	unsigned int nr_restarts = 0;
	struct mica_xs *xs = NULL;
	struct mica *m = NULL;
	char why[300];
	int rc;

	if (mica_open(&m, why, sizeof(why))) {
		mlog("%s", why);
		return;
	}
	rc = mica_xs_open(&xs, NULL);
	if (!rc)
		rc = mica_xs_watch(xs, "@releaseDomain", WATCH_TOKEN);
	if (rc)
		mlog("no watch on the store (%s); checking every %d ms", strerror(-rc), POLL_MS);
	mlog("watching domain %u (%s)", domid, cfg->name);
	for (;;) {
		struct xen_domctl_getdomaininfo info;
		struct msgs errors = { 0 };
		enum dom_action action;
		uint32_t reason;
		char *path, *token;

		if (xs && !mica_xs_read_watch(xs, &path, &token, POLL_MS)) {
			free(path);
			free(token);
		} else if (!xs) {
			usleep(POLL_MS * 1000);
		}
		rc = mica_domain_info(m, domid, &info);
		if (rc == -ESRCH) {
			mlog("domain %u (%s) is gone", domid, cfg->name);
			if (xs)
				store_remove_domain(xs, domid);
			break;
		}
		if (rc || !(info.flags & XEN_DOMINF_shutdown) || (info.flags & XEN_DOMINF_dying))
			continue;
		reason = (info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
		action = monitor_action(cfg, reason);
		mlog("domain %u (%s) shut down (%s): %s", domid, cfg->name,
		     shutdown_reason_name(reason), dom_action_name(action));
		if (action == ACTION_PRESERVE)
			break;
		rc = destroy_and_forget(m, xs, domid);
		if (rc) {
			mlog("destroying domain %u failed: %s", domid, strerror(-rc));
			break;
		}
		if (action == ACTION_DESTROY)
			break;
		if (!monitor_may_restart(restarts, &nr_restarts, now_ms())) {
			mlog("%s restarted %d times within %d s: not again (fix it, then mica create)",
			     cfg->name, MONITOR_MAX_RESTARTS, MONITOR_RESTART_WINDOW_MS / 1000);
			break;
		}
		if (!xs) {
			mlog("cannot restart %s without the store", cfg->name);
			break;
		}
		rc = create_domain(m, xs, cfg, false, &domid, &errors);
		for (unsigned int i = 0; i < errors.nr; i++)
			mlog("%s", errors.v[i]);
		msgs_free(&errors);
		if (rc) {
			mlog("restarting %s failed", cfg->name);
			break;
		}
		mlog("restarted %s as domain %u", cfg->name, domid);
	}
	mica_xs_close(xs);
	mica_close(m);
}

int monitor_start(const struct domcfg *cfg, uint32_t domid)
{
	const char *off = getenv("MICA_NO_MONITOR");
	pid_t pid;

	if (off && !strcmp(off, "1"))
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	/* The child: its own session, no terminal, its output in the guest's log. */
	setsid();
	close_range(3, ~0U, 0); /* the parent's handles stay the parent's */
	redirect(cfg->name);
	run(cfg, domid);
	_exit(0);
}
