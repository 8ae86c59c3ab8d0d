/*
 * follow: relays a domU's console log (written by the console daemon in dom0)
 * to dom0's console as it grows, so the benchmark harness sees the domU's
 * lines with host times a few tens of milliseconds late.
 *
 * usage: follow FILE FROM UNTIL SECONDS
 * Prints each line of FILE from line number FROM (1 = the first) as
 * "domU| LINE" (carriage returns dropped), checking for more every 20 ms,
 * until it has printed a line that contains UNTIL: then prints
 * "follow: next LINE-NUMBER" (where a later follow can go on) and exits 0.
 * Exits 1 after SECONDS without that line, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 20000000L

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const struct timespec pause = { 0, POLL_NS };
	char line[4096];
	size_t len = 0;
	unsigned long lineno = 1, from;
	double deadline;
	char *end;
	FILE *f = NULL;

	if (argc != 5 || !(from = strtoul(argv[2], &end, 10)) || *end || !*argv[3] ||
	    strtod(argv[4], &end) <= 0 || *end) {
		fprintf(stderr, "usage: follow FILE FROM UNTIL SECONDS (FROM counts from 1)\n");
		return 2;
	}
	deadline = now_s() + strtod(argv[4], NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (now_s() < deadline) {
		int c;

		if (!f && !(f = fopen(argv[1], "r"))) {
			nanosleep(&pause, NULL);
			continue;
		}
		while ((c = getc(f)) != EOF) {
			if (c == '\r')
				continue;
			if (c != '\n' && len < sizeof(line) - 1) {
				line[len++] = (char)c;
				continue;
			}
			if (c != '\n')
				continue; /* an overlong line: the rest of it is dropped */
			line[len] = 0;
			len = 0;
			if (lineno++ < from)
				continue;
			printf("domU| %s\n", line);
			if (strstr(line, argv[3])) {
				printf("follow: next %lu\n", lineno);
				return 0;
			}
		}
		clearerr(f); /* the file grows: read on from here */
		nanosleep(&pause, NULL);
	}
	printf("follow: failed: no line with \"%s\" in %s within %s s%s\n", argv[3], argv[1],
	       argv[4], f ? "" : " (the file never appeared)");
	return 1;
}
