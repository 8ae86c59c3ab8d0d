/* workout: shared declarations of the user-space stress test run inside a Linux guest. */
#ifndef WORKOUT_H
#define WORKOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_WORKERS 64
#define WHAT_LEN 240
#define PAGE 4096UL

/* What the command line chose (filled once by main, read-only afterwards). */
struct options {
	int seconds;		/* length of the stress phase */
	int quick;		/* smaller sizes and shorter benchmarks, for CI */
	long fill_mib;		/* RAM to fill and verify in total; -1: most of MemAvailable */
	int workers;		/* 0: one per online CPU */
	int bench;		/* run the timings before the stress phase */
	int avx;		/* the CPU and the kernel both enable AVX state */
};

extern struct options opt;

/* The counters one worker reports; the index is the test's number below. */
enum test_id {
	T_FORK, T_EXEC, T_PIPE, T_SIGNAL, T_THREAD, T_PROTECT, T_FAULTS, T_COW, T_VECTOR,
	T_ALARM, T_COUNT
};

/*
 * One worker's slot in memory shared by all processes (MAP_SHARED, made before
 * the first fork). A worker, its threads and its children write only their own
 * slot; the main process reads them after the worker has exited.
 */
struct slot {
	int cpu;
	int failed;			/* set once, atomically, by the first failure */
	int problems;			/* how many failures were reported (atomic) */
	char what[WHAT_LEN];		/* the first failure; written by its setter only */
	unsigned long count[T_COUNT];	/* completed rounds per test (atomic adds) */
	unsigned long fill_mib;		/* RAM filled and verified */
	unsigned long fill_ms;
};

/* The calling process's slot (NULL in the main process before workers start). */
extern struct slot *my_slot;

/*
 * Reports a failure: prints "workout: cpu N: <message>" at once with one
 * write(2) (safe in forked children and threads), and keeps the first message
 * in my_slot. Always returns -1 so that `return fail(...)` reads naturally.
 */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fail() with strerror(errno) appended, for a failed system call. */
int fail_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints one line with one write(2) to stdout; lines never interleave. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int failed(void);

uint64_t now_ns(void);
/* Restricts the calling thread to one CPU. */
int pin_to_cpu(int cpu);
void count(enum test_id id);

/* The 64-bit word of a fill pattern at index i (seeded). */
static inline uint64_t pattern(uint64_t seed, uint64_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
}

/* Waits for child `pid` and checks that it exited with `code`; names it `what`. */
int reap(pid_t pid, int code, const char *what);
/* Kills and reaps a child after a failure that was already reported. */
void kill_child(pid_t pid);

/* bench.c: the timings, printed as `bench <name> <ns>` lines. */
int run_benchmarks(const char *self);

/* proc.c: processes, pipes, signals and threads. */
int test_fork(void);
int test_exec(const char *self);
int test_pipe(uint64_t seed);
int test_signal(void);
int test_threads(void);
int exec_child(int argc, char **argv);

/* mem.c: mappings, protections, faults, copy-on-write, the RAM fill. */
int install_fault_handler(void);
/* Asks for 4 KiB pages (no THP) where the kernel can be asked; 0 or -1 (reported). */
int no_huge_pages(void *m, size_t len);
int test_protect(uint64_t seed);
int test_faults(uint64_t seed, size_t bytes);
int test_cow(uint64_t seed);
int fill_memory(uint64_t seed, size_t bytes);

/* vector.c: x87, SSE and AVX state across yields, syscalls and signals. */
int detect_avx(void);
int vector_start(int threads, uint64_t seed);
int vector_stop(void);

#endif
