/*
 * The system calls newlib needs, for a kernel with one console and no
 * files: stdout and stderr go to the domain's console and stdin reads
 * its input (console_io for dom0, the console ring for a domU: see
 * console_ring.c), the heap is a fixed region of .bss, and exit shuts
 * the domain down (status 0: poweroff; anything else: crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>

#include "internal.h"

#define HEAP_SIZE (1024 * 1024)

static uint8_t heap[HEAP_SIZE] __attribute__((aligned(16)));
static size_t heap_used;

int write(int fd, const void *buf, size_t n)
{
	if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
		errno = EBADF;
		return -1;
	}
	if (pv_console_print(buf, n) < 0) {
		errno = EIO;
		return -1;
	}
	return (int)n;
}

int read(int fd, void *buf, size_t n)
{
	long rc;

	if (fd != STDIN_FILENO) {
		errno = EBADF;
		return -1;
	}
	rc = pv_console_read(buf, n);
	return rc < 0 ? 0 : (int)rc; /* no console input: end of file */
}

void *sbrk(ptrdiff_t incr)
{
	size_t old = heap_used;

	if (incr < 0 ? (size_t)-incr > heap_used : (size_t)incr > HEAP_SIZE - heap_used) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_used += incr;
	return heap + old;
}

void _exit(int status)
{
	if (status == 0) {
		pv_shutdown(SHUTDOWN_poweroff);
		pv_crash("SCHEDOP_shutdown(poweroff) returned");
	}
	pv_crash("exit status %d", status);
}

int close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int open(const char *path, int flags, ...)
{
	(void)path;
	(void)flags;
	errno = ENOENT;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR;
	return 0;
}

int isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)fd;
	(void)off;
	(void)whence;
	errno = ESPIPE;
	return -1;
}

pid_t getpid(void)
{
	return 1;
}

/* raise()/abort() end here: there is no one else to signal. */
int kill(pid_t pid, int sig)
{
	if (pid == 1)
		pv_crash("signal %d (abort)", sig);
	errno = ESRCH;
	return -1;
}

/* The wall clock: shared_info's boot time plus the system time. */
int gettimeofday(struct timeval *tv, void *tz)
{
	const struct shared_info *s = pv_shared_info;
	uint64_t ns, sec;
	uint32_t ver, nsec;

	(void)tz;
	if (!s) {
		errno = ENOSYS;
		return -1;
	}
	do {
		ver = __atomic_load_n(&s->wc_version, __ATOMIC_ACQUIRE);
		sec = ((uint64_t)s->wc_sec_hi << 32) | s->wc_sec;
		nsec = s->wc_nsec;
		pv_barrier();
	} while ((ver & 1) || ver != __atomic_load_n(&s->wc_version, __ATOMIC_ACQUIRE));
	ns = pv_time_ns() + nsec;
	tv->tv_sec = (time_t)(sec + ns / 1000000000);
	tv->tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
	return 0;
}

clock_t times(struct tms *buf)
{
	(void)buf;
	errno = ENOSYS;
	return (clock_t)-1;
}
