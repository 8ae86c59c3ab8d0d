/*
 * iobench: the I/O rows of the benchmarks, run in the measured Linux.
 *
 * usage: iobench blk PATH MB IOS
 *            writes MB MiB to PATH from its start in 1 MiB requests and syncs, reads them
 *            back, then reads IOS blocks of 4 KiB at random 4 KiB-aligned offsets within
 *            those MB. A block device is opened with O_DIRECT (no page cache: every request
 *            goes to the driver); a regular file (natively, where our kernel has no ram disk
 *            or loop driver) without it, and the line `iobench: PATH is a file: through the
 *            page cache` says so.
 *            Prints `bench blk_seq_write KB/S`, `bench blk_seq_read KB/S` and
 *            `bench blk_rand_4k_iops IOPS` (KB = 1000 bytes).
 *        iobench tcp-recv PORT
 *            accepts one TCP connection on PORT, reads until the sender shuts its side down,
 *            then closes: the sender's EOF says every byte reached this program.
 *        iobench tcp-send ADDRESS PORT MB NAME
 *            connects to ADDRESS:PORT (retrying for 120 s while nobody listens), sends MB MiB,
 *            shuts its side down and waits for the receiver's close; prints `bench NAME KB/S`
 *            for the whole transfer, from the connection up to the close.
 * Exits 1 on a failure (said on stderr), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MIB (1024 * 1024)
#define BLOCK 4096
#define CONNECT_TRIES 1200      /* of 100 ms each */

static int fail(const char *what)
{
	fprintf(stderr, "iobench: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Kilobytes (1000 bytes) per second of `bytes` moved in `ns`. */
static uint64_t kb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000000u / ns : 0;
}

/* Moves `count` bytes at `offset` in requests of whatever size the kernel takes. */
static int transfer(int fd, char *buf, size_t count, off_t offset, int write_it)
{
	while (count) {
		ssize_t n = write_it ? pwrite(fd, buf, count, offset) : pread(fd, buf, count, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		count -= (size_t)n;
		offset += n;
	}
	return 0;
}

static int blk(const char *path, unsigned long mib, unsigned long ios)
{
	struct stat st;
	char *buf;
	uint64_t t0, t, state = 0x9e3779b97f4a7c15u;
	unsigned long i, blocks = mib * (MIB / BLOCK);
	int fd, flags = O_RDWR;

	if (stat(path, &st))
		return fail(path);
	if (S_ISBLK(st.st_mode))
		flags |= O_DIRECT;
	else
		printf("iobench: %s is a file: through the page cache\n", path);
	fd = open(path, flags);
	if (fd < 0)
		return fail(path);
	if (posix_memalign((void **)&buf, BLOCK, MIB))
		return fail("allocating the buffer");
	for (i = 0; i < MIB; i++)
		buf[i] = (char)(i * 31 + 7);

	t0 = now_ns();
	for (i = 0; i < mib; i++)
		if (transfer(fd, buf, MIB, (off_t)i * MIB, 1))
			return fail("sequential write");
	if (fsync(fd))
		return fail("fsync");
	t = now_ns() - t0;
	printf("bench blk_seq_write %" PRIu64 "\n", kb_per_s((uint64_t)mib * MIB, t));

	t0 = now_ns();
	for (i = 0; i < mib; i++)
		if (transfer(fd, buf, MIB, (off_t)i * MIB, 0))
			return fail("sequential read");
	t = now_ns() - t0;
	printf("bench blk_seq_read %" PRIu64 "\n", kb_per_s((uint64_t)mib * MIB, t));
	if (buf[MIB - 1] != (char)((MIB - 1) * 31 + 7)) {
		fprintf(stderr, "iobench: %s read back other bytes than were written\n", path);
		return 1;
	}

	t0 = now_ns();
	for (i = 0; i < ios; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		if (transfer(fd, buf, BLOCK, (off_t)(state % blocks) * BLOCK, 0))
			return fail("random read");
	}
	t = now_ns() - t0;
	printf("bench blk_rand_4k_iops %" PRIu64 "\n", t ? (uint64_t)ios * 1000000000u / t : 0);
	close(fd);
	return 0;
}

static int tcp_recv(unsigned long port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char buf[256 * 1024];
	uint64_t total = 0;
	int one = 1, ls, fd;
	ssize_t n;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return fail("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		return fail("listening");
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("reading the stream");
		total += (uint64_t)n;
	}
	close(fd);
	close(ls);
	printf("iobench: received %" PRIu64 " bytes on port %lu\n", total, port);
	return 0;
}

static int tcp_send(const char *address, unsigned long port, unsigned long mib,
		    const char *name)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char buf[256 * 1024];
	uint64_t left = (uint64_t)mib * MIB, t0 = 0;
	int fd = -1, tries;
	ssize_t n;

	if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
		fprintf(stderr, "iobench: %s is not an IPv4 address\n", address);
		return 2;
	}
	memset(buf, 0x5a, sizeof(buf));
	for (tries = 0; tries < CONNECT_TRIES; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return fail("socket");
		t0 = now_ns();
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0)
		return fail("connecting to the receiver");
	while (left) {
		n = write(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("sending");
		left -= (uint64_t)n;
	}
	if (shutdown(fd, SHUT_WR))
		return fail("shutdown");
	while ((n = read(fd, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			return fail("waiting for the receiver's close");
	printf("bench %s %" PRIu64 "\n", name, kb_per_s((uint64_t)mib * MIB, now_ns() - t0));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long a, b;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "blk")) {
		a = number(argv[3], 1u << 20);
		b = number(argv[4], 100000000);
		if (a && b)
			return blk(argv[2], a, b);
	} else if (argc == 3 && !strcmp(argv[1], "tcp-recv")) {
		a = number(argv[2], 65535);
		if (a)
			return tcp_recv(a);
	} else if (argc == 6 && !strcmp(argv[1], "tcp-send")) {
		a = number(argv[3], 65535);
		b = number(argv[4], 1u << 20);
		if (a && b)
			return tcp_send(argv[2], a, b, argv[5]);
	}
	fprintf(stderr, "usage: iobench blk PATH MB IOS | iobench tcp-recv PORT | "
		"iobench tcp-send ADDRESS PORT MB NAME\n");
	return 2;
}
