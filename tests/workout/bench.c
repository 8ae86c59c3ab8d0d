/*
 * workout: timings of the operations a paravirtualizing hypervisor makes
 * expensive, printed as `bench <name> <ns per operation>`.
 *
 * Each benchmark repeats its operation until a time budget is spent (0.1 s
 * with --quick, 1 s otherwise) and reports the mean. The process is pinned to
 * one CPU by the caller, and the pipe partner shares that CPU, so a pipe
 * round trip is two context switches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workout.h"

/* One timed batch: returns the ns it took and sets *ops, or -1 on failure. */
typedef int64_t (*batch_fn)(void *ctx, unsigned *ops);

static int measure(const char *name, batch_fn batch, void *ctx)
{
	uint64_t budget = opt.quick ? 100000000ULL : 1000000000ULL;
	uint64_t spent = 0, ops = 0, start = now_ns();
	do {
		unsigned n = 0;
		int64_t ns = batch(ctx, &n);
		if (ns < 0)
			return -1;
		spent += (uint64_t)ns;
		ops += n;
	} while (now_ns() - start < budget);
	say("bench %s %llu", name, (unsigned long long)(ops ? spent / ops : 0));
	return 0;
}

static int64_t null_syscall(void *ctx, unsigned *ops)
{
	(void)ctx;
	uint64_t t0 = now_ns();
	for (int i = 0; i < 1000; i++)
		if (syscall(SYS_getppid) < 0)
			return fail_errno("getppid");
	*ops = 1000;
	return (int64_t)(now_ns() - t0);
}

static int64_t fork_exit(void *ctx, unsigned *ops)
{
	(void)ctx;
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno("fork");
	if (pid == 0)
		_exit(0);
	if (reap(pid, 0, "fork+exit"))
		return -1;
	*ops = 1;
	return (int64_t)(now_ns() - t0);
}

static int64_t fork_exec(void *ctx, unsigned *ops)
{
	const char *self = ctx;
	char *args[] = { "workout", "--exec-child", "0", "workout-exec-token", NULL };
	char *envp[] = { "WORKOUT_EXEC=0", NULL };
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		return fail_errno("fork");
	if (pid == 0) {
		execve(self, args, envp);
		fail_errno("execve %s", self);
		_exit(101);
	}
	if (reap(pid, 0, "fork+exec"))
		return -1;
	*ops = 1;
	return (int64_t)(now_ns() - t0);
}

/* Time of first-touch faults on 256 fresh 4 KiB pages (mmap and munmap not counted). */
static int64_t page_fault(void *ctx, unsigned *ops)
{
	enum { PAGES = 256 };
	(void)ctx;
	char *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (m == MAP_FAILED)
		return fail_errno("mmap");
	if (no_huge_pages(m, PAGES * PAGE)) {
		munmap(m, PAGES * PAGE);
		return -1;
	}
	uint64_t t0 = now_ns();
	for (size_t p = 0; p < PAGES; p++)
		((volatile char *)m)[p * PAGE] = 1;
	uint64_t ns = now_ns() - t0;
	if (munmap(m, PAGES * PAGE))
		return fail_errno("munmap");
	*ops = PAGES;
	return (int64_t)ns;
}

static int64_t mmap_munmap(void *ctx, unsigned *ops)
{
	(void)ctx;
	uint64_t t0 = now_ns();
	for (int i = 0; i < 100; i++) {
		void *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED)
			return fail_errno("mmap");
		if (munmap(m, PAGE))
			return fail_errno("munmap");
	}
	*ops = 100;
	return (int64_t)(now_ns() - t0);
}

struct pipe_pair {
	int to_child, from_child;
};

static int64_t pipe_roundtrip(void *ctx, unsigned *ops)
{
	struct pipe_pair *p = ctx;
	char c = 'p';
	uint64_t t0 = now_ns();
	for (int i = 0; i < 100; i++) {
		if (write(p->to_child, &c, 1) != 1)
			return fail_errno("pipe round trip: write");
		if (read(p->from_child, &c, 1) != 1)
			return fail_errno("pipe round trip: read");
	}
	*ops = 100;
	return (int64_t)(now_ns() - t0);
}

static int bench_pipe(void)
{
	int down[2], up[2];
	if (pipe(down))
		return fail_errno("pipe");
	if (pipe(up)) {
		fail_errno("pipe");
		close(down[0]);
		close(down[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail_errno("fork");
		close(down[0]), close(down[1]), close(up[0]), close(up[1]);
		return -1;
	}
	if (pid == 0) {
		char c;
		close(down[1]);
		close(up[0]);
		while (read(down[0], &c, 1) == 1)
			if (write(up[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	struct pipe_pair p = { down[1], up[0] };
	int rc = measure("pipe_roundtrip", pipe_roundtrip, &p);
	close(down[1]);	/* the child sees end of file and exits */
	close(up[0]);
	if (reap(pid, 0, "pipe round trip partner"))
		rc = -1;
	return rc;
}

/* Prints every timing; returns -1 if an operation failed (already reported). */
int run_benchmarks(const char *self)
{
	int rc = 0;
	rc |= measure("null_syscall", null_syscall, NULL);
	rc |= measure("fork_exit", fork_exit, NULL);
	rc |= measure("fork_exec", fork_exec, (void *)self);
	rc |= measure("page_fault", page_fault, NULL);
	rc |= measure("mmap_munmap", mmap_munmap, NULL);
	rc |= bench_pipe();
	return rc;
}
