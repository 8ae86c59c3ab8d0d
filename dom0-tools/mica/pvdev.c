/* A guest's split devices of any class, and their backend daemons (see pvdev.h). */
#include "pvdev.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libmica.h"
#include "mica.h"

#define POLL_MS 100

void pvdev_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int pvdev_state(struct mica_xs *xs, const char *dir, enum xenbus_state *out)
{
	char *v = pvdev_read(xs, dir, "state");

	if (!v)
		return -ENOENT;
	*out = (v[0] >= '0' && v[0] <= '8' && !v[1]) ? (enum xenbus_state)(v[0] - '0') :
						      XenbusStateUnknown;
	free(v);
	return 0;
}

char *pvdev_read(struct mica_xs *xs, const char *dir, const char *key)
{
	char path[192], *v = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return mica_xs_read(xs, MICA_XS_NO_TX, path, &v, NULL) ? NULL : v;
}

void pvdev_remove(struct mica_xs *xs, const char *cls, uint32_t domid, uint32_t devid)
{
	char path[96];

	snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%u", domid, cls, devid);
	mica_xs_rm(xs, MICA_XS_NO_TX, path);
	snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u/%u", cls, domid, devid);
	mica_xs_rm(xs, MICA_XS_NO_TX, path);
}

int pvdev_detach(struct mica_xs *xs, const char *cls, uint32_t domid, uint32_t devid,
		 int timeout_ms, bool force)
{
	enum xenbus_state st;
	char be[96], path[128];
	int64_t deadline;
	int rc;

	snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%u", cls, domid, devid);
	if (pvdev_state(xs, be, &st))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/online", be);
	rc = mica_xs_write(xs, MICA_XS_NO_TX, path, "0", 1);
	if (!rc && st != XenbusStateClosed) {
		snprintf(path, sizeof(path), "%s/state", be);
		rc = mica_xs_write(xs, MICA_XS_NO_TX, path, "5", 1);
	}
	if (rc)
		return rc;
	deadline = now_ms() + timeout_ms;
	while (!pvdev_state(xs, be, &st) && st != XenbusStateClosed && now_ms() < deadline)
		pvdev_sleep_ms(POLL_MS);
	if (st != XenbusStateClosed && !force)
		return -ETIMEDOUT;
	pvdev_remove(xs, cls, domid, devid);
	return 0;
}

int pvdev_open_guest(const char *arg, const char *what, struct mica **m, struct mica_xs **xs,
		     uint32_t *domid)
{
	*m = open_hypervisor();
	*xs = *m ? open_store() : NULL;
	if (!*xs || find_domain(*m, *xs, arg, domid)) {
		mica_xs_close(*xs);
		mica_close(*m);
		return -ENOENT;
	}
	if (*domid == 0) {
		err_msg("dom0 has no PV %s: name a guest", what);
		mica_xs_close(*xs);
		mica_close(*m);
		return -EINVAL;
	}
	return 0;
}

/* Whether the pid file names a live process of that name. */
static bool backend_running(const struct pvdev_backend *b)
{
	char buf[32], comm[64], path[64];
	FILE *f = fopen(b->pidfile, "r");
	long pid = 0;
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) && (pid = strtol(buf, NULL, 10)) > 0;
	fclose(f);
	if (!ok || kill((pid_t)pid, 0))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(comm, sizeof(comm), f) && !strncmp(comm, b->prog, strlen(b->prog));
	fclose(f);
	return ok;
}

int pvdev_backend_ensure(const struct pvdev_backend *b, struct msgs *errors)
{
	const char *prog = getenv(b->env);
	int status;
	pid_t pid;

	if (backend_running(b))
		return 0;
	if (!prog || !*prog)
		prog = b->prog;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0)
			dup2(null, 0);
		execlp(prog, prog, "--daemon", "--pidfile", b->pidfile, (char *)NULL);
		fprintf(stderr, "mica: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	/* With --daemon it returns once it has opened everything, or says why not. */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		msgs_add(errors, "the %s backend %s did not start (%s %d): install it in PATH "
				 "or set %s", b->what, prog, WIFEXITED(status) ? "status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), b->env);
		return -ENOEXEC;
	}
	return 0;
}
