/*
 * workout: x87, SSE and AVX register state across context switches.
 *
 * Each vector thread loads its own pattern into all sixteen vector registers
 * (ymm with AVX, else xmm), the eight x87 registers, MXCSR and the x87
 * control word, then yields, makes system calls and spins while the other
 * threads and processes on its CPU run (vec.S), and compares what it holds
 * afterwards. An interval timer sends SIGALRM, which only these threads
 * accept, to a handler that scrambles every register: the kernel must give
 * the interrupted code its state back at sigreturn.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

#include "workout.h"

struct vec_regs {
	uint8_t ymm[16][32];
	uint8_t x87[8][16];
	uint32_t mxcsr;
	uint16_t fcw;
	uint16_t pad[5];
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct vec_regs, x87) == 512, "vec.S expects x87 at 512");
_Static_assert(offsetof(struct vec_regs, mxcsr) == 640, "vec.S expects mxcsr at 640");
_Static_assert(offsetof(struct vec_regs, fcw) == 644, "vec.S expects fcw at 644");

void vec_hold(const struct vec_regs *in, struct vec_regs *out, long rounds, long spin, int avx);
void vec_scramble(int avx);

enum { MAX_VEC_THREADS = 8, ALARM_US = 2000 };

struct vec_thread {
	pthread_t tid;
	int index;
	uint64_t seed;
};

static struct vec_thread vthreads[MAX_VEC_THREADS];
static int nthreads;
static volatile int stopping;

/* AVX state is usable if the CPU has AVX and OSXSAVE and the kernel enabled
 * the SSE and AVX components in XCR0. */
int detect_avx(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static void make_pattern(struct vec_regs *r, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(r->ymm) / 8; i++) {
		uint64_t v = pattern(seed, i);
		memcpy((uint8_t *)r->ymm + 8 * i, &v, 8);
	}
	for (int i = 0; i < 8; i++) {
		long double v = (long double)(int64_t)(pattern(seed, 100 + (uint64_t)i) >> 12) / 3.0L;
		memcpy(r->x87[i], &v, 10);
	}
	/* All exceptions masked; rounding mode and flush-to-zero vary. */
	r->mxcsr = 0x1f80 | (uint32_t)(seed & 3) << 13 | (uint32_t)(seed >> 2 & 1) << 15;
	/* Precision 64 bits, all exceptions masked; rounding varies. */
	r->fcw = (uint16_t)(0x037f | (seed >> 3 & 3) << 10);
}

static int compare(const struct vec_regs *want, const struct vec_regs *got, int index)
{
	size_t width = opt.avx ? 32 : 16;
	const char *name = opt.avx ? "ymm" : "xmm";
	for (int r = 0; r < 16; r++)
		for (size_t b = 0; b < width; b++)
			if (want->ymm[r][b] != got->ymm[r][b])
				return fail("vector thread %d: %s%d byte %zu is %#x, expected %#x "
					    "after yields, syscalls and signals", index, name, r, b,
					    got->ymm[r][b], want->ymm[r][b]);
	for (int r = 0; r < 8; r++)
		if (memcmp(want->x87[r], got->x87[r], 10))
			return fail("vector thread %d: x87 st(%d) changed after yields, syscalls "
				    "and signals", index, r);
	if (want->mxcsr != got->mxcsr)
		return fail("vector thread %d: MXCSR is %#x, expected %#x", index, got->mxcsr,
			    want->mxcsr);
	if (want->fcw != got->fcw)
		return fail("vector thread %d: x87 control word is %#x, expected %#x", index,
			    got->fcw, want->fcw);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	vec_scramble(opt.avx);
	count(T_ALARM);
}

static void *vector_thread(void *arg)
{
	struct vec_thread *t = arg;
	struct vec_regs want, got;
	sigset_t only_alarm;
	sigfillset(&only_alarm);
	sigdelset(&only_alarm, SIGALRM);
	int err = pthread_sigmask(SIG_SETMASK, &only_alarm, NULL);
	if (err) {
		errno = err;
		fail_errno("vector thread %d: pthread_sigmask", t->index);
		return NULL;
	}
	for (uint64_t round = 0; !stopping && !failed(); round++) {
		make_pattern(&want, t->seed ^ round * 0x100000001b3ULL);
		memset(&got, 0, sizeof(got));
		vec_hold(&want, &got, 8, 5000 + (long)(round % 7) * 1000, opt.avx);
		if (compare(&want, &got, t->index))
			break;
		count(T_VECTOR);
	}
	return NULL;
}

/*
 * Starts `threads` vector threads and the SIGALRM timer. The calling thread
 * (and so the threads and children it makes later) blocks SIGALRM.
 */
int vector_start(int threads, uint64_t seed)
{
	sigset_t alarm_set;
	struct sigaction sa;
	if (threads > MAX_VEC_THREADS)
		threads = MAX_VEC_THREADS;
	if (sigemptyset(&alarm_set) || sigaddset(&alarm_set, SIGALRM) ||
	    sigprocmask(SIG_BLOCK, &alarm_set, NULL))
		return fail_errno("blocking SIGALRM");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	if (sigemptyset(&sa.sa_mask) || sigaction(SIGALRM, &sa, NULL))
		return fail_errno("sigaction for SIGALRM");
	stopping = 0;
	for (nthreads = 0; nthreads < threads; nthreads++) {
		struct vec_thread *t = &vthreads[nthreads];
		t->index = nthreads;
		t->seed = seed ^ (uint64_t)(nthreads + 1) * 0x9e3779b9ULL;
		int err = pthread_create(&t->tid, NULL, vector_thread, t);
		if (err) {
			errno = err;
			fail_errno("pthread_create of vector thread %d", nthreads);
			vector_stop();
			return -1;
		}
	}
	struct itimerval it = { { 0, ALARM_US }, { 0, ALARM_US } };
	if (setitimer(ITIMER_REAL, &it, NULL)) {
		fail_errno("setitimer");
		vector_stop();
		return -1;
	}
	return 0;
}

/* Stops the timer and the vector threads; returns -1 if any reported a problem. */
int vector_stop(void)
{
	struct itimerval off;
	memset(&off, 0, sizeof(off));
	if (setitimer(ITIMER_REAL, &off, NULL))
		fail_errno("setitimer (off)");
	stopping = 1;
	for (int i = 0; i < nthreads; i++) {
		int err = pthread_join(vthreads[i].tid, NULL);
		if (err) {
			errno = err;
			fail_errno("pthread_join of vector thread %d", i);
		}
	}
	nthreads = 0;
	return failed() ? -1 : 0;
}
