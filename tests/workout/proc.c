/* workout: processes (fork, exec, wait), pipes, signals and threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workout.h"

#define EXEC_TOKEN "workout-exec-token"
#define EXEC_ENV "WORKOUT_EXEC"

/* -- fork, exit and wait ------------------------------------------------------ */

/*
 * Forks children that each touch some stack and heap and exit with their own
 * status, plus one that forks a grandchild; every status is checked.
 */
int test_fork(void)
{
	enum { CHILDREN = 6 };
	pid_t pids[CHILDREN];
	int started = 0, rc = 0;

	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			rc = fail_errno("fork (child %d of %d)", i + 1, CHILDREN);
			break;
		}
		if (pid == 0) {
			volatile char stack[8192];
			for (size_t j = 0; j < sizeof(stack); j += 512)
				stack[j] = (char)j;
			if (i == 0) {
				/* A grandchild: fork from a child. */
				pid_t g = fork();
				if (g < 0)
					_exit(90);
				if (g == 0)
					_exit(77);
				_exit(reap(g, 77, "grandchild") ? 91 : 40);
			}
			_exit(40 + i);
		}
		pids[started++] = pid;
	}
	for (int i = 0; i < started; i++) {
		char what[48];
		snprintf(what, sizeof(what), "fork child %d", i + 1);
		if (reap(pids[i], 40 + i, what))
			rc = -1;
	}
	return rc;
}

/* -- exec ---------------------------------------------------------------------- */

/*
 * The program a test_exec child runs: `workout --exec-child CODE TOKEN` must
 * see its arguments and environment intact, and exits with CODE.
 */
int exec_child(int argc, char **argv)
{
	const char *env = getenv(EXEC_ENV);
	if (argc != 4 || strcmp(argv[3], EXEC_TOKEN) || !env || strcmp(env, argv[2]))
		return 100;
	return atoi(argv[2]);
}

int test_exec(const char *self)
{
	enum { RUNS = 3 };
	for (int i = 0; i < RUNS; i++) {
		char code[16], env[48];
		snprintf(code, sizeof(code), "%d", 10 + i);
		snprintf(env, sizeof(env), EXEC_ENV "=%s", code);
		char *args[] = { "workout", "--exec-child", code, EXEC_TOKEN, NULL };
		char *envp[] = { env, "PATH=/bin", NULL };
		pid_t pid = fork();
		if (pid < 0)
			return fail_errno("fork for exec");
		if (pid == 0) {
			execve(self, args, envp);
			fail_errno("execve %s (is /proc mounted?)", self);
			_exit(101);
		}
		if (reap(pid, 10 + i, "fork+exec of workout --exec-child"))
			return -1;
	}
	return 0;
}

/* -- pipes --------------------------------------------------------------------- */

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static unsigned char pipe_byte(uint64_t seed, size_t i)
{
	return (unsigned char)(pattern(seed, i / 8) >> (8 * (i % 8)));
}

/* The child: echoes everything from `in` back on `out`, then streams BULK bytes. */
#define BULK (1UL << 20)
static int echo_child(int in, int out, uint64_t seed)
{
	static unsigned char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno("pipe child: read");
		if (n == 0)
			break;
		if (write_full(out, buf, (size_t)n))
			return fail_errno("pipe child: write back");
	}
	for (size_t block = 0; block < BULK; block += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pipe_byte(seed, block + i);
		if (write_full(out, buf, sizeof(buf)))
			return fail_errno("pipe child: bulk write at byte %zu", block);
	}
	return 0;
}

/*
 * Ping-pongs chunks of 1 byte to 8 KiB through a child that echoes them (each
 * checked), then reads 1 MiB that the child writes in 64 KiB blocks, with read
 * sizes that never line up with them.
 */
int test_pipe(uint64_t seed)
{
	int down[2], up[2];
	static unsigned char out[8192], in[8192];
	if (pipe(down))
		return fail_errno("pipe");
	if (pipe(up)) {
		int rc = fail_errno("pipe");
		close(down[0]);
		close(down[1]);
		return rc;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int rc = fail_errno("fork for the pipe test");
		close(down[0]), close(down[1]), close(up[0]), close(up[1]);
		return rc;
	}
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		_exit(echo_child(down[0], up[1], seed) ? 1 : 0);
	}
	close(down[0]);
	close(up[1]);

	int rc = 0;
	size_t offset = 0;
	for (size_t len = 1; len <= sizeof(out) && !rc; len = len * 3 + 1) {
		for (size_t i = 0; i < len; i++)
			out[i] = pipe_byte(seed, offset + i);
		if (write_full(down[1], out, len) || read_full(up[0], in, len))
			rc = fail_errno("pipe ping-pong of %zu bytes", len);
		else if (memcmp(in, out, len))
			rc = fail("pipe ping-pong of %zu bytes came back changed", len);
		offset += len;
	}
	close(down[1]);	/* the child's cue for the bulk transfer */
	size_t got = 0, step = 1000;
	while (!rc && got < BULK) {
		if (step > BULK - got)
			step = BULK - got;
		if (read_full(up[0], in, step)) {
			rc = fail_errno("pipe bulk read at byte %zu of %lu", got, BULK);
			break;
		}
		for (size_t i = 0; i < step && !rc; i++)
			if (in[i] != pipe_byte(seed, got + i))
				rc = fail("pipe bulk data wrong at byte %zu: %#x, expected %#x",
					  got + i, in[i], pipe_byte(seed, got + i));
		got += step;
		step = step * 7 % 8191 + 1;
	}
	close(up[0]);
	if (rc) {
		kill_child(pid);
		return rc;
	}
	return reap(pid, 0, "pipe echo child");
}

/* -- signals ------------------------------------------------------------------- */

static volatile sig_atomic_t got_usr1, got_usr2, got_chld;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1++;
	else if (sig == SIGUSR2)
		got_usr2++;
	else if (sig == SIGCHLD)
		got_chld++;
}

static int handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	if (sigemptyset(&sa.sa_mask) || sigaction(sig, &sa, NULL))
		return fail_errno("sigaction for signal %d", sig);
	return 0;
}

/*
 * Waits in sigsuspend, letting `sig` and SIGCHLD through, until *counter
 * exceeds `above`. Returns -1 if a SIGCHLD (a child's end) came first.
 */
static int await(volatile sig_atomic_t *counter, sig_atomic_t above, const sigset_t *base,
		 int sig)
{
	sigset_t wait_mask = *base;
	sig_atomic_t chld = got_chld;
	sigdelset(&wait_mask, sig);
	sigdelset(&wait_mask, SIGCHLD);
	while (*counter <= above) {
		if (got_chld != chld && sig != SIGCHLD)
			return -1;
		sigsuspend(&wait_mask);	/* always returns -1/EINTR after a handler */
	}
	return 0;
}

/*
 * Signals to self with kill() (each handled before kill returns), then a
 * SIGUSR2/SIGUSR1 handshake with a child, then the child's SIGCHLD.
 */
int test_signal(void)
{
	enum { SELF = 50, PINGS = 40 };
	sigset_t block, old;
	int rc = 0;

	if (handle(SIGUSR1) || handle(SIGUSR2) || handle(SIGCHLD))
		return -1;
	sig_atomic_t before = got_usr1;
	for (int i = 0; i < SELF; i++) {
		if (kill(getpid(), SIGUSR1))
			return fail_errno("kill(self, SIGUSR1)");
		if (got_usr1 != before + i + 1)
			return fail("kill(self, SIGUSR1) #%d: handler ran %d times, expected %d",
				    i + 1, (int)(got_usr1 - before), i + 1);
	}

	if (sigemptyset(&block) || sigaddset(&block, SIGUSR1) || sigaddset(&block, SIGUSR2) ||
	    sigaddset(&block, SIGCHLD))
		return fail_errno("sigset");
	if (sigprocmask(SIG_BLOCK, &block, &old))
		return fail_errno("sigprocmask");
	sigset_t base;
	if (sigprocmask(SIG_BLOCK, NULL, &base)) {
		rc = fail_errno("sigprocmask");
		goto out;
	}
	sig_atomic_t chld = got_chld, usr2 = got_usr2;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		rc = fail_errno("fork for the signal test");
		goto out;
	}
	if (pid == 0) {
		sig_atomic_t usr1 = got_usr1;
		/* If the parent is gone, SIGALRM's default action ends this orphan
		 * (the handler and the blocked mask inherited are vector.c's). */
		signal(SIGALRM, SIG_DFL);
		sigdelset(&base, SIGALRM);
		alarm(120);
		for (int i = 0; i < PINGS; i++) {
			if (kill(parent, SIGUSR2)) {
				fail_errno("signal child: kill(parent, SIGUSR2)");
				_exit(1);
			}
			await(&got_usr1, usr1 + i, &base, SIGUSR1);
		}
		_exit(0);
	}
	for (int i = 0; i < PINGS; i++) {
		if (await(&got_usr2, usr2 + i, &base, SIGUSR2)) {
			rc = fail("signal ping-pong: the child ended after %d of %d pings", i,
				  PINGS);
			break;
		}
		if (kill(pid, SIGUSR1)) {
			rc = fail_errno("kill(child, SIGUSR1)");
			break;
		}
	}
	if (rc) {
		kill_child(pid);
		goto out;
	}
	await(&got_chld, chld, &base, SIGCHLD);
	if (reap(pid, 0, "signal ping-pong child"))
		rc = -1;
	else if (got_usr2 != usr2 + PINGS)
		rc = fail("signal ping-pong: %d SIGUSR2 handled, expected %d",
			  (int)(got_usr2 - usr2), PINGS);
out:
	if (sigprocmask(SIG_SETMASK, &old, NULL))
		rc = fail_errno("sigprocmask restore");
	return rc;
}

/* -- threads ------------------------------------------------------------------- */

struct counter {
	pthread_mutex_t lock;
	pthread_cond_t turn_cv;
	long value;		/* guarded by lock */
	int turn;		/* guarded by lock: whose turn in the relay */
	int threads;
	long atomic;		/* updated with atomics only */
};

enum { THREADS = 4, INCREMENTS = 2000, RELAYS = 50 };

/* Reports a pthread call's error number; returns nonzero if there was one. */
static int pthread_failed(int err, const char *call)
{
	if (!err)
		return 0;
	errno = err;
	fail_errno("%s", call);
	return 1;
}

static void *counting_thread(void *arg)
{
	struct counter *c = arg;
	static __thread long mine;	/* each thread must see its own copy */
	mine = 0;
	for (int i = 0; i < INCREMENTS; i++) {
		if (pthread_failed(pthread_mutex_lock(&c->lock), "pthread_mutex_lock"))
			return (void *)1;
		c->value++;
		if (pthread_failed(pthread_mutex_unlock(&c->lock), "pthread_mutex_unlock"))
			return (void *)1;
		__atomic_add_fetch(&c->atomic, 1, __ATOMIC_RELAXED);
		mine++;
		if (i % 256 == 0)
			sched_yield();
	}
	if (mine != INCREMENTS) {
		fail("thread-local counter is %ld, expected %d", mine, INCREMENTS);
		return (void *)1;
	}
	return NULL;
}

struct relay_arg {
	struct counter *c;
	int me;
};

/* Passes a baton around the threads with a condition variable. */
static void *relay_thread(void *arg)
{
	struct relay_arg *r = arg;
	struct counter *c = r->c;
	for (int i = 0; i < RELAYS; i++) {
		if (pthread_failed(pthread_mutex_lock(&c->lock), "pthread_mutex_lock"))
			return (void *)1;
		while (c->turn != r->me)
			if (pthread_failed(pthread_cond_wait(&c->turn_cv, &c->lock),
					   "pthread_cond_wait"))
				return (void *)1;
		c->value++;
		c->turn = (c->turn + 1) % c->threads;
		if (pthread_failed(pthread_cond_broadcast(&c->turn_cv), "pthread_cond_broadcast") ||
		    pthread_failed(pthread_mutex_unlock(&c->lock), "pthread_mutex_unlock"))
			return (void *)1;
	}
	return NULL;
}

static int run_threads(void *(*fn)(void *), struct counter *c, struct relay_arg *args)
{
	pthread_t tids[THREADS];
	int started = 0, rc = 0;
	for (int i = 0; i < THREADS; i++) {
		void *arg = args ? (void *)&args[i] : (void *)c;
		int err = pthread_create(&tids[i], NULL, fn, arg);
		if (err) {
			errno = err;
			rc = fail_errno("pthread_create (thread %d of %d)", i + 1, THREADS);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		void *ret;
		int err = pthread_join(tids[i], &ret);
		if (err) {
			errno = err;
			rc = fail_errno("pthread_join");
		} else if (ret) {
			rc = -1;
		}
	}
	return rc;
}

/* Mutex and atomic counting in THREADS threads, then a baton relay among them. */
int test_threads(void)
{
	struct counter c = { .lock = PTHREAD_MUTEX_INITIALIZER,
			     .turn_cv = PTHREAD_COND_INITIALIZER, .threads = THREADS };
	struct relay_arg args[THREADS];
	if (run_threads(counting_thread, &c, NULL))
		return -1;
	if (c.value != THREADS * INCREMENTS || c.atomic != THREADS * INCREMENTS)
		return fail("threads: mutex counter %ld, atomic counter %ld, expected %d each",
			    c.value, c.atomic, THREADS * INCREMENTS);
	c.value = 0;
	for (int i = 0; i < THREADS; i++)
		args[i] = (struct relay_arg){ &c, i };
	if (run_threads(relay_thread, &c, args))
		return -1;
	if (c.value != THREADS * RELAYS)
		return fail("threads: relay counted %ld, expected %d", c.value, THREADS * RELAYS);
	return 0;
}
