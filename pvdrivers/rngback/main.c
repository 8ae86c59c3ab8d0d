/*
 * mica-rngback: serves the PV entropy devices (pv/io/rngif.h) of every
 * guest from dom0's getrandom(). The toolstack writes each device's store
 * directories (mica device-attach DOMAIN rng); this daemon finds them
 * through libpvback and answers the guests' requests until the device or
 * the guest goes away.
 */
#include <getopt.h>
#include <stdio.h>

#include "rngback.h"

#define DEFAULT_LOG "/var/log/mica/rngback.log"

static void usage(FILE *out)
{
	fprintf(out, "usage: mica-rngback [-d] [--log FILE] [--pidfile FILE]\n\n"
		     "Serves guests' PV entropy devices (backend/rng in the store) with random\n"
		     "bytes from dom0's getrandom(). Attach one to a guest with\n"
		     "'mica device-attach DOMAIN rng'.\n\n"
		     "  -d, --daemon        run in the background, messages appended to FILE\n"
		     "  -l, --log FILE      where -d sends messages (default %s)\n"
		     "  -p, --pidfile FILE  write the process id to FILE once serving\n"
		     "  -h, --help          this text\n\n"
		     "Exit status: 0 stopped by SIGTERM/SIGINT, 1 could not start or lost the store,\n"
		     "2 bad command line.\n", DEFAULT_LOG);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' }, { "log", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *log = DEFAULT_LOG, *pidfile = NULL;
	bool background = false;
	struct pvb *b;
	int c, rc;

	while ((c = getopt_long(argc, argv, "dl:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': background = true; break;
		case 'l': log = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mica-rngback: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Everything is opened in the foreground, so a person sees what is missing. */
	if (pvb_open(&b, &rngback_ops, "mica-rngback"))
		return 1;
	if (pvb_start(b, background, log, pidfile)) {
		pvb_close(b);
		return 1;
	}
	fprintf(stderr, "mica-rngback: serving entropy devices\n");
	rc = pvb_run(b);
	pvb_close(b);
	fprintf(stderr, "mica-rngback: stopped\n");
	return rc ? 1 : 0;
}
