/*
 * workout: a user-space stress test for a Linux guest, run as a system test.
 *
 * Theory of operation. The main process first times the basic operations a
 * hypervisor makes expensive (bench.c) and prints them as `bench <name> <ns>`.
 * It then forks one worker process per online CPU, each pinned to its CPU.
 * A worker fills and verifies its share of the free RAM (mem.c), starts
 * threads that hold known patterns in the x87, SSE and AVX registers across
 * yields, system calls and signals (vector.c), and then runs rounds of the
 * process, pipe, signal, thread, protection, fault and copy-on-write tests
 * (proc.c, mem.c) until the time is up. Workers report through a slot each in
 * shared memory; a worker that dies or hangs is named by the main process.
 * The last line printed is `workout: PASS` or `workout: FAIL <what>`, and the
 * exit status is 0 or 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workout.h"

struct options opt = { .seconds = 60, .fill_mib = -1, .bench = 1 };
struct slot *my_slot;

static struct slot *slots;	/* MAP_SHARED, one per worker */
static char main_what[WHAT_LEN];	/* the main process's own first failure */
static int main_failed;

static const char *const test_names[T_COUNT] = {
	[T_FORK] = "fork", [T_EXEC] = "exec", [T_PIPE] = "pipe", [T_SIGNAL] = "signal",
	[T_THREAD] = "thread", [T_PROTECT] = "protect", [T_FAULTS] = "faults",
	[T_COW] = "cow", [T_VECTOR] = "vector", [T_ALARM] = "vector-signal",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: workout [--seconds N] [--quick] [--mem-mib N] [--workers N] [--no-bench]\n"
		"\n"
		"Stress test for a Linux guest: fork/exec/wait, threads, pipes, signals,\n"
		"mmap/mprotect with caught faults, page-fault storms, copy-on-write, x87/SSE/AVX\n"
		"register state across context switches, and a fill-and-verify of free RAM, on\n"
		"every online CPU at once (one pinned worker each). Timings come first, as\n"
		"`bench <name> <ns>` lines. The last line is `workout: PASS` or\n"
		"`workout: FAIL <what>`; the exit status is 0 or 1.\n"
		"\n"
		"  --seconds N   length of the stress phase (default 60; 3 with --quick)\n"
		"  --quick       smaller sizes and short timings, for CI\n"
		"  --mem-mib N   MiB of RAM to fill and verify in total (default: MemAvailable\n"
		"                less max(64 MiB, 1/8 of it)); 0 skips the fill\n"
		"  --workers N   number of workers (default: one per online CPU)\n"
		"  --no-bench    skip the timings\n");
}

/* -- reporting ---------------------------------------------------------------- */

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* nowhere left to report to */
		buf += n;
		len -= (size_t)n;
	}
}

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s", prefix);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line)) {
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	write_all(STDOUT_FILENO, line, (size_t)n);
}

void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

static void record(const char *msg)
{
	char prefix[32];
	if (my_slot)
		snprintf(prefix, sizeof(prefix), "cpu %d: ", my_slot->cpu);
	else
		prefix[0] = 0;
	say("workout: problem: %s%s", prefix, msg);
	if (!my_slot) {
		if (!main_failed++)
			snprintf(main_what, sizeof(main_what), "%s", msg);
		return;
	}
	__atomic_add_fetch(&my_slot->problems, 1, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&my_slot->failed, 1, __ATOMIC_ACQ_REL) == 0)
		snprintf(my_slot->what, sizeof(my_slot->what), "cpu %d: %s", my_slot->cpu, msg);
}

int fail(const char *fmt, ...)
{
	char msg[WHAT_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	record(msg);
	return -1;
}

int fail_errno(const char *fmt, ...)
{
	char msg[WHAT_LEN];
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	record(msg);
	return -1;
}

int failed(void)
{
	if (my_slot)
		return __atomic_load_n(&my_slot->failed, __ATOMIC_ACQUIRE);
	return main_failed;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void count(enum test_id id)
{
	if (my_slot)
		__atomic_add_fetch(&my_slot->count[id], 1, __ATOMIC_RELAXED);
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %#x", (unsigned)status);
}

int reap(pid_t pid, int code, const char *what)
{
	int status;
	pid_t got;
	do
		got = waitpid(pid, &status, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return fail_errno("%s: waitpid(%d)", what, (int)pid);
	if (got != pid)
		return fail("%s: waitpid(%d) returned pid %d", what, (int)pid, (int)got);
	if (WIFEXITED(status) && WEXITSTATUS(status) == code)
		return 0;
	char how[96];
	describe_status(how, sizeof(how), status);
	return fail("%s: child %s, expected exit status %d", what, how, code);
}

void kill_child(pid_t pid)
{
	int status;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* -- options and the machine ------------------------------------------------- */

static int parse_long(const char *name, const char *text, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = text ? strtol(text, &end, 10) : 0;
	if (!text) {
		fprintf(stderr, "workout: %s needs a value\n", name);
		return -1;
	}
	if (errno || end == text || *end || v < min || v > max) {
		fprintf(stderr, "workout: %s needs a whole number from %ld to %ld, not '%s'\n",
			name, min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv)
{
	int seconds_given = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long v;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--quick")) {
			opt.quick = 1;
		} else if (!strcmp(a, "--no-bench")) {
			opt.bench = 0;
		} else if (!strcmp(a, "--seconds")) {
			if (parse_long(a, i + 1 < argc ? argv[++i] : NULL, 0, 86400, &v))
				return -1;
			opt.seconds = (int)v;
			seconds_given = 1;
		} else if (!strcmp(a, "--mem-mib")) {
			if (parse_long(a, i + 1 < argc ? argv[++i] : NULL, 0, 1L << 30, &v))
				return -1;
			opt.fill_mib = v;
		} else if (!strcmp(a, "--workers")) {
			if (parse_long(a, i + 1 < argc ? argv[++i] : NULL, 1, MAX_WORKERS, &v))
				return -1;
			opt.workers = (int)v;
		} else {
			fprintf(stderr, "workout: unknown option '%s' (see workout --help)\n", a);
			return -1;
		}
	}
	if (opt.quick && !seconds_given)
		opt.seconds = 3;
	return 0;
}

/* MemAvailable from /proc/meminfo, in KiB; -1 if it cannot be read. */
static long mem_available_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f) {
		fail_errno("cannot open /proc/meminfo (is /proc mounted?)");
		return -1;
	}
	char line[256];
	long kib = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	if (kib < 0)
		fail("/proc/meminfo has no MemAvailable line");
	return kib;
}

/* The CPUs this process may run on, in order; returns how many (0 on error). */
static int allowed_cpus(int *cpus, int max)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set)) {
		fail_errno("sched_getaffinity");
		return 0;
	}
	int n = 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0)
		fail("sched_getaffinity gave an empty CPU set");
	return n;
}

int pin_to_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return fail_errno("sched_setaffinity to CPU %d", cpu);
	return 0;
}

/* -- a worker ------------------------------------------------------------------ */

static int worker(const char *self, int index, size_t fill_bytes)
{
	uint64_t seed = 0x5eed0000ULL + (uint64_t)index * 0x1000193ULL;
	if (pin_to_cpu(my_slot->cpu) || install_fault_handler())
		return 1;
	if (fill_bytes) {
		uint64_t t0 = now_ns();
		if (fill_memory(seed, fill_bytes))
			return 1;
		my_slot->fill_mib = fill_bytes >> 20;
		my_slot->fill_ms = (now_ns() - t0) / 1000000;
	}
	if (vector_start(2, seed))
		return 1;

	uint64_t deadline = now_ns() + (uint64_t)opt.seconds * 1000000000ULL;
	size_t storm = (opt.quick ? 4UL : 16UL) << 20;
	uint64_t round = 0;
	do {
		uint64_t s = seed ^ (round++ << 32);
		if (test_fork() == 0)
			count(T_FORK);
		if (!failed() && test_exec(self) == 0)
			count(T_EXEC);
		if (!failed() && test_pipe(s) == 0)
			count(T_PIPE);
		if (!failed() && test_signal() == 0)
			count(T_SIGNAL);
		if (!failed() && test_threads() == 0)
			count(T_THREAD);
		if (!failed() && test_protect(s) == 0)
			count(T_PROTECT);
		if (!failed() && test_faults(s, storm) == 0)
			count(T_FAULTS);
		if (!failed() && test_cow(s) == 0)
			count(T_COW);
	} while (!failed() && now_ns() < deadline);

	vector_stop();
	return failed() ? 1 : 0;
}

static void worker_summary(const struct slot *s)
{
	char text[400];
	size_t n = 0;
	for (int t = 0; t < T_COUNT && n < sizeof(text); t++) {
		int m = snprintf(text + n, sizeof(text) - n, "%s%s %lu", t ? ", " : "",
				 test_names[t], s->count[t]);
		if (m < 0)
			break;
		n += (size_t)m;
	}
	if (s->fill_mib)
		say("workout: cpu %d: filled and verified %lu MiB in %lu ms; rounds: %s", s->cpu,
		    s->fill_mib, s->fill_ms, text);
	else
		say("workout: cpu %d: rounds: %s", s->cpu, text);
}

/*
 * Runs the workers and waits for them; kills any still running `limit_s`
 * seconds after the start. Returns the number of workers that failed.
 */
static int run_workers(const char *self, const int *cpus, int ncpus, int nworkers,
		       size_t fill_each, uint64_t limit_s)
{
	pid_t pids[MAX_WORKERS];
	int done[MAX_WORKERS] = { 0 };
	int bad = 0, running = 0;

	slots = mmap(NULL, sizeof(struct slot) * MAX_WORKERS, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		fail_errno("mmap of the workers' shared slots");
		return nworkers;
	}
	memset(slots, 0, sizeof(struct slot) * MAX_WORKERS);
	fflush(NULL);
	for (int i = 0; i < nworkers; i++) {
		slots[i].cpu = cpus[i % ncpus];
		pids[i] = fork();
		if (pids[i] < 0) {
			fail_errno("fork of worker %d", i);
			done[i] = 1;
			bad++;
			continue;
		}
		if (pids[i] == 0) {
			my_slot = &slots[i];
			_exit(worker(self, i, fill_each));
		}
		running++;
	}

	uint64_t limit = now_ns() + limit_s * 1000000000ULL;
	while (running > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno != EINTR) {
			fail_errno("waitpid for the workers");
			break;
		}
		if (pid <= 0) {
			if (now_ns() > limit) {
				for (int i = 0; i < nworkers; i++) {
					if (done[i])
						continue;
					fail("cpu %d: worker hung: no result %llu s after the start; killed",
					     slots[i].cpu, (unsigned long long)limit_s);
					kill(pids[i], SIGKILL);
				}
				limit = UINT64_MAX;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		for (int i = 0; i < nworkers; i++) {
			if (pids[i] != pid || done[i])
				continue;
			done[i] = 1;
			running--;
			struct slot *s = &slots[i];
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !s->failed)
				break;
			bad++;
			if (!s->failed) {
				char how[96];
				describe_status(how, sizeof(how), status);
				fail("cpu %d: worker %s without reporting why", s->cpu, how);
			}
			break;
		}
	}
	for (int i = 0; i < nworkers; i++)
		worker_summary(&slots[i]);
	return bad;
}

/* The verdict: the first problem of the main process, then of each worker. */
static int verdict(int nworkers)
{
	int problems = main_failed;
	const char *first = main_failed ? main_what : NULL;
	for (int i = 0; slots && i < nworkers; i++) {
		problems += slots[i].problems;
		if (!first && slots[i].failed)
			first = slots[i].what;
	}
	if (!problems && !first) {
		say("workout: PASS");
		return 0;
	}
	if (!first)
		first = "a worker failed without a message";
	if (problems > 1)
		say("workout: FAIL %s (and %d more problems above)", first, problems - 1);
	else
		say("workout: FAIL %s", first);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argc, argv);
	if (parse_options(argc, argv)) {
		say("workout: FAIL bad command line");
		return 1;
	}
	/* Children are forked often: nothing may sit in a stdio buffer then. */
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *self = "/proc/self/exe";
	opt.avx = detect_avx();

	int cpus[MAX_WORKERS];
	int ncpus = allowed_cpus(cpus, MAX_WORKERS);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	long avail_kib = mem_available_kib();
	if (ncpus == 0 || avail_kib < 0)
		return verdict(0);
	if (online < 1) {
		fail_errno("sysconf(_SC_NPROCESSORS_ONLN)");
		return verdict(0);
	}
	int nworkers = opt.workers ? opt.workers : (int)(online < MAX_WORKERS ? online : MAX_WORKERS);

	long avail_mib = avail_kib / 1024;
	long fill_mib = opt.fill_mib;
	if (fill_mib < 0) {
		long margin = avail_mib / 8 > 64 ? avail_mib / 8 : 64;
		fill_mib = avail_mib > margin ? avail_mib - margin : 0;
	} else if (fill_mib > avail_mib) {
		fail("--mem-mib %ld is more than MemAvailable (%ld MiB)", fill_mib, avail_mib);
		return verdict(0);
	}
	size_t fill_each = ((size_t)fill_mib << 20) / (size_t)nworkers & ~(PAGE - 1);

	say("workout: %ld CPUs online, %d workers, AVX %s, MemAvailable %ld MiB, filling %ld MiB, "
	    "stress for %d s%s", online, nworkers, opt.avx ? "yes" : "no", avail_mib, fill_mib,
	    opt.seconds, opt.quick ? " (quick)" : "");

	uint64_t t0 = now_ns();
	if (opt.bench) {
		if (pin_to_cpu(cpus[0]))
			return verdict(0);
		run_benchmarks(self);
		/* Workers pin themselves; let them fork from an unpinned parent. */
		cpu_set_t all;
		CPU_ZERO(&all);
		for (int i = 0; i < ncpus; i++)
			CPU_SET(cpus[i], &all);
		if (sched_setaffinity(0, sizeof(all), &all))
			fail_errno("sched_setaffinity back to all CPUs");
	}
	if (!failed()) {
		/* Generous: a stuck worker is reported long before a harness gives up on us. */
		uint64_t limit_s = 2ULL * (uint64_t)opt.seconds + 120 + (uint64_t)fill_mib / 4;
		run_workers(self, cpus, ncpus, nworkers, fill_each, limit_s);
	}
	say("workout: finished in %llu ms", (unsigned long long)((now_ns() - t0) / 1000000));
	return verdict(nworkers);
}
