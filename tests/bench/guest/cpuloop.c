/*
 * cpuloop: a CPU-bound loop for the benchmarks, timed by the guest's own clock.
 *
 * usage: cpuloop MILLIONS
 * Runs MILLIONS x 10^6 rounds of integer mixing (xorshift64* and a multiply-add
 * chain: no memory traffic, no system calls) and prints
 *     cpuloop: start                  just before the loop, so the host can time it too
 *     bench cpu_loop <nanoseconds for the whole loop>
 *     cpuloop: checksum <the result, so the loop cannot be optimised away>
 * A hypervisor should not slow this down at all: its ratio to native is ~1.0, and
 * what it costs beyond that is timer interrupts and scheduling.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long millions = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 2 || *end || millions == 0 || millions > 100000) {
		fprintf(stderr, "usage: cpuloop MILLIONS (1 to 100000 million rounds)\n");
		return 2;
	}
	uint64_t x = 0x9e3779b97f4a7c15ULL, acc = 1;
	uint64_t rounds = (uint64_t)millions * 1000000ULL;
	printf("cpuloop: start\n");
	fflush(stdout);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < rounds; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		acc = acc * 0x2545f4914f6cdd1dULL + (x ^ i);
	}
	uint64_t ns = now_ns() - t0;
	printf("bench cpu_loop %" PRIu64 "\n", ns);
	fflush(stdout);
	printf("cpuloop: checksum %016" PRIx64 "\n", acc ^ x);
	return 0;
}
