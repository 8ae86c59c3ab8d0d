/*
 * workout: mappings and protections with caught faults, page-fault storms,
 * copy-on-write after fork, and the fill-and-verify of free RAM.
 *
 * Faults that a test provokes on purpose are caught by a SIGSEGV/SIGBUS
 * handler that jumps back to the probe (per thread: sigsetjmp state is
 * thread-local). A fault outside a probe is reported with its address, and
 * the handler then restores the default action so the process dies of it
 * and the main process names the signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workout.h"

static __thread sigjmp_buf probe_env;
static __thread volatile int probing;
static __thread void *volatile fault_addr;
static __thread volatile int fault_code, fault_sig;

static void on_fault(int sig, siginfo_t *si, void *context)
{
	(void)context;
	if (!probing) {
		char msg[160];
		const char *name = sig == SIGSEGV ? "SIGSEGV" : "SIGBUS";
		int n;
		if (si->si_code <= 0)
			n = snprintf(msg, sizeof(msg), "workout: %s sent to pid %d by pid %d\n",
				     name, (int)getpid(), (int)si->si_pid);
		else
			n = snprintf(msg, sizeof(msg), "workout: unexpected %s at address %p "
				     "(si_code %d) in pid %d\n", name, si->si_addr, si->si_code,
				     (int)getpid());
		if (n > 0 && write(STDOUT_FILENO, msg, (size_t)n) < 0)
			n = 0;
		/* Die of it: a faulting access repeats; a sent signal is sent again. */
		signal(sig, SIG_DFL);
		if (si->si_code <= 0)
			raise(sig);
		return;
	}
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	fault_sig = sig;
	probing = 0;
	siglongjmp(probe_env, 1);
}

int install_fault_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	if (sigemptyset(&sa.sa_mask) || sigaction(SIGSEGV, &sa, NULL) ||
	    sigaction(SIGBUS, &sa, NULL))
		return fail_errno("sigaction for SIGSEGV/SIGBUS");
	return 0;
}

/* Reads (or writes) one byte at p; returns 1 if that faulted, 0 if not. */
static __attribute__((noinline)) int probe(volatile char *p, int write)
{
	if (sigsetjmp(probe_env, 1))
		return 1;
	probing = 1;
	if (write)
		*p = 0x5a;
	else
		(void)*p;
	probing = 0;
	return 0;
}

static const char *code_name(int code)
{
	return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

/* Checks that an access at p faults with SIGSEGV, the given si_code and p as si_addr. */
static int expect_fault(char *p, int write, int code, const char *when)
{
	const char *access = write ? "write" : "read";
	if (!probe(p, write))
		return fail("%s of %p %s did not fault", access, (void *)p, when);
	if (fault_sig != SIGSEGV || fault_code != code || fault_addr != p)
		return fail("%s of %p %s: signal %d, si_code %d (%s), si_addr %p; expected "
			    "SIGSEGV, %s, %p", access, (void *)p, when, fault_sig, fault_code,
			    code_name(fault_code), fault_addr, code_name(code), (void *)p);
	return 0;
}

static int expect_no_fault(char *p, int write, const char *when)
{
	if (probe(p, write))
		return fail("%s of %p %s faulted (si_code %d, si_addr %p)",
			    write ? "write" : "read", (void *)p, when, fault_code, fault_addr);
	return 0;
}

static void fill_words(uint64_t *w, size_t n, uint64_t seed, size_t first)
{
	for (size_t i = 0; i < n; i++)
		w[i] = pattern(seed, first + i);
}

/* Verifies words written by fill_words; names the first bad one. */
static int check_words(const uint64_t *w, size_t n, uint64_t seed, size_t first,
		       const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] != pattern(seed, first + i))
			return fail("%s: word %zu at %p is %#llx, expected %#llx", what, first + i,
				    (const void *)&w[i], (unsigned long long)w[i],
				    (unsigned long long)pattern(seed, first + i));
	return 0;
}

static int check_zero(const char *p, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return fail("%s: byte %zu at %p is %#x, expected 0", what, i,
				    (const void *)&p[i], (unsigned char)p[i]);
	return 0;
}

/* -- protections --------------------------------------------------------------- */

/*
 * 16 pages: read-only (writes fault with SEGV_ACCERR), four of them PROT_NONE
 * (reads fault), back to read-write with the content intact, two unmapped
 * (SEGV_MAPERR), and a PROT_NONE mapping opened up reads zeros.
 */
int test_protect(uint64_t seed)
{
	enum { PAGES = 16 };
	const size_t len = PAGES * PAGE, words = len / 8;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return fail_errno("mmap of %d pages", PAGES);
	uint64_t *w = (uint64_t *)m;
	int rc = -1;
	fill_words(w, words, seed, 0);

	if (mprotect(m, len, PROT_READ)) {
		fail_errno("mprotect PROT_READ");
		goto out;
	}
	if (check_words(w, words, seed, 0, "after mprotect PROT_READ") ||
	    expect_fault(m + 3 * PAGE + 100, 1, SEGV_ACCERR, "in a PROT_READ page"))
		goto out;
	if (mprotect(m + 4 * PAGE, 4 * PAGE, PROT_NONE)) {
		fail_errno("mprotect PROT_NONE");
		goto out;
	}
	if (expect_fault(m + 5 * PAGE + 8, 0, SEGV_ACCERR, "in a PROT_NONE page") ||
	    expect_fault(m + 7 * PAGE + PAGE - 1, 1, SEGV_ACCERR, "in a PROT_NONE page") ||
	    expect_no_fault(m + 8 * PAGE, 0, "in a PROT_READ page next to PROT_NONE"))
		goto out;
	if (mprotect(m, len, PROT_READ | PROT_WRITE)) {
		fail_errno("mprotect PROT_READ|PROT_WRITE");
		goto out;
	}
	if (check_words(w, words, seed, 0, "after PROT_NONE and back to read-write"))
		goto out;
	fill_words(w, words, ~seed, 0);
	if (check_words(w, words, ~seed, 0, "rewritten after mprotect"))
		goto out;

	if (munmap(m + 10 * PAGE, 2 * PAGE)) {
		fail_errno("munmap of 2 pages inside a mapping");
		goto out;
	}
	if (expect_fault(m + 10 * PAGE, 0, SEGV_MAPERR, "in an unmapped hole") ||
	    expect_fault(m + 11 * PAGE + 4000, 1, SEGV_MAPERR, "in an unmapped hole") ||
	    check_words(w + 12 * PAGE / 8, 4 * PAGE / 8, ~seed, 12 * PAGE / 8,
			"after a hole was unmapped before it"))
		goto out;

	char *z = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z == MAP_FAILED) {
		fail_errno("mmap PROT_NONE");
		goto out;
	}
	if (expect_fault(z + PAGE, 0, SEGV_ACCERR, "in a fresh PROT_NONE mapping"))
		rc = -1;
	else if (mprotect(z, 4 * PAGE, PROT_READ | PROT_WRITE))
		rc = fail_errno("mprotect of a PROT_NONE mapping to read-write");
	else
		rc = check_zero(z, 4 * PAGE, "a PROT_NONE mapping made read-write");
	if (munmap(z, 4 * PAGE))
		rc = fail_errno("munmap");
out:
	/* Unmapping a range with a hole in it is allowed. */
	if (munmap(m, len))
		rc = fail_errno("munmap of the protection test's pages");
	return rc;
}

/* -- page-fault storm ---------------------------------------------------------- */

int no_huge_pages(void *m, size_t len)
{
	/* ENOSYS: no madvise (a kernel without ADVISE_SYSCALLS); EINVAL: no THP. */
	if (madvise(m, len, MADV_NOHUGEPAGE) && errno != ENOSYS && errno != EINVAL)
		return fail_errno("madvise MADV_NOHUGEPAGE");
	return 0;
}

/* Drops pages: MADV_DONTNEED, or where there is no madvise, a fresh mapping over them. */
static int drop_pages(char *m, size_t len)
{
	if (!madvise(m, len, MADV_DONTNEED))
		return 0;
	if (errno != ENOSYS)
		return fail_errno("madvise MADV_DONTNEED");
	if (mmap(m, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
	    m)
		return fail_errno("mmap MAP_FIXED over pages to drop");
	return 0;
}

/*
 * Touches every page of a fresh mapping (huge pages refused, so each 4 KiB page
 * faults), checks them, drops the second half (it must read zeros), and faults
 * it in again.
 */
int test_faults(uint64_t seed, size_t bytes)
{
	size_t pages = bytes / PAGE, half = pages / 2;
	char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return fail_errno("mmap of %zu KiB for the fault storm", bytes >> 10);
	int rc = no_huge_pages(m, bytes);
	for (size_t p = 0; p < pages && !rc; p++) {
		uint64_t *w = (uint64_t *)(m + p * PAGE);
		w[0] = pattern(seed, p);
		w[PAGE / 8 - 1] = ~pattern(seed, p);
	}
	for (size_t p = 0; p < pages && !rc; p++) {
		uint64_t *w = (uint64_t *)(m + p * PAGE);
		if (w[0] != pattern(seed, p) || w[PAGE / 8 - 1] != ~pattern(seed, p))
			rc = fail("fault storm: page %zu of %zu at %p holds %#llx/%#llx", p, pages,
				  (void *)w, (unsigned long long)w[0],
				  (unsigned long long)w[PAGE / 8 - 1]);
	}
	if (!rc)
		rc = drop_pages(m + half * PAGE, (pages - half) * PAGE);
	for (size_t p = 0; p < pages && !rc; p++) {
		uint64_t *w = (uint64_t *)(m + p * PAGE);
		uint64_t want = p < half ? pattern(seed, p) : 0;
		if (w[0] != want)
			rc = fail("fault storm: after dropping the second half, page %zu "
				  "holds %#llx, expected %#llx", p, (unsigned long long)w[0],
				  (unsigned long long)want);
		w[1] = pattern(seed ^ 1, p);
	}
	for (size_t p = 0; p < pages && !rc; p++)
		if (((uint64_t *)(m + p * PAGE))[1] != pattern(seed ^ 1, p))
			rc = fail("fault storm: page %zu lost a write after the drop", p);
	if (munmap(m, bytes))
		rc = fail_errno("munmap of the fault storm");
	return rc;
}

/* -- copy-on-write ------------------------------------------------------------- */

static int sync_read(int fd, const char *who)
{
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return n < 0 ? fail_errno("copy-on-write: %s: read of the sync pipe", who)
			     : fail("copy-on-write: %s: the other side closed the sync pipe", who);
	return 0;
}

static int sync_write(int fd, const char *who)
{
	ssize_t n;
	do
		n = write(fd, "x", 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return fail_errno("copy-on-write: %s: write of the sync pipe", who);
	return 0;
}

static int cow_child(uint64_t *w, size_t words, uint64_t seed, int in, int out)
{
	if (check_words(w, words, seed, 0, "copy-on-write: the child's view after fork"))
		return -1;
	fill_words(w, words, seed ^ 0xc0c0, 0);
	if (sync_write(out, "child") || sync_read(in, "child"))
		return -1;
	return check_words(w, words, seed ^ 0xc0c0, 0,
			   "copy-on-write: the child's own writes after the parent wrote");
}

/*
 * After fork, child and parent each write the shared private pages while the
 * other is alive; neither may see the other's writes.
 */
int test_cow(uint64_t seed)
{
	enum { PAGES = 64 };
	const size_t len = PAGES * PAGE, words = len / 8, page_words = PAGE / 8;
	int down[2], up[2], rc = 0;
	uint64_t *w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return fail_errno("mmap for copy-on-write");
	fill_words(w, words, seed, 0);
	if (pipe(down)) {
		rc = fail_errno("pipe");
		goto unmap;
	}
	if (pipe(up)) {
		rc = fail_errno("pipe");
		goto close_down;
	}
	pid_t pid = fork();
	if (pid < 0) {
		rc = fail_errno("fork for copy-on-write");
		goto close_up;
	}
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		_exit(cow_child(w, words, seed, down[0], up[1]) ? 1 : 0);
	}
	if (sync_read(up[0], "parent") ||
	    check_words(w, words, seed, 0, "copy-on-write: the parent's view after the child wrote"))
		rc = -1;
	for (size_t p = 0; p < PAGES && !rc; p += 2)
		fill_words(w + p * page_words, page_words, seed ^ 0xbeef, p * page_words);
	if (!rc)
		rc = sync_write(down[1], "parent");
	if (rc)
		kill_child(pid);
	else if (reap(pid, 0, "copy-on-write child"))
		rc = -1;
	for (size_t p = 0; p < PAGES && !rc; p++)
		rc = check_words(w + p * page_words, page_words, p % 2 ? seed : seed ^ 0xbeef,
				 p * page_words, "copy-on-write: the parent's pages after the child");
close_up:
	close(up[0]);
	close(up[1]);
close_down:
	close(down[0]);
	close(down[1]);
unmap:
	if (munmap(w, len))
		rc = fail_errno("munmap after copy-on-write");
	return rc;
}

/* -- RAM fill -------------------------------------------------------------------- */

/* Writes every word of `bytes` of fresh memory, then reads them all back. */
int fill_memory(uint64_t seed, size_t bytes)
{
	uint64_t *w = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w == MAP_FAILED)
		return fail_errno("mmap of %zu MiB for the RAM fill", bytes >> 20);
	size_t words = bytes / 8, bad = 0, first = 0;
	fill_words(w, words, seed, 0);
	for (size_t i = 0; i < words; i++) {
		if (w[i] == pattern(seed, i))
			continue;
		if (!bad++)
			first = i;
	}
	int rc = 0;
	if (bad)
		rc = fail("RAM fill of %zu MiB: %zu words wrong; the first, word %zu at %p, is "
			  "%#llx, expected %#llx", bytes >> 20, bad, first, (void *)&w[first],
			  (unsigned long long)w[first], (unsigned long long)pattern(seed, first));
	if (munmap(w, bytes))
		rc = fail_errno("munmap after the RAM fill");
	return rc;
}
