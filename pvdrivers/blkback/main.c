/*
 * mica-blkback: serves the PV block devices of every guest from dom0
 * (blkif, so Linux's xen-blkfront works unchanged). The toolstack (mica
 * create, mica block-attach) writes each device's store directories; this
 * daemon finds them, opens the image or device named in params, and
 * serves the guest's requests until the device or the guest goes away.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkback.h"

#define DEFAULT_LOG "/var/log/mica/blkback.log"

static void usage(FILE *out)
{
	fprintf(out, "usage: mica-blkback [-d] [--log FILE] [--pidfile FILE]\n\n"
		     "Serves guests' PV block devices (backend/vbd in the store) from raw image\n"
		     "files and dom0 block devices. 'mica create' with disk = [...] and\n"
		     "'mica block-attach' start it when it is not running.\n\n"
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
		fprintf(stderr, "mica-blkback: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (vbd_buffers()) {
		fprintf(stderr, "mica-blkback: out of memory for the %u KiB data buffer\n",
			BLK_MAX_BYTES / 1024);
		return 1;
	}
	/* Everything is opened in the foreground, so a person sees what is missing. */
	if (pvb_open(&b, &vbd_ops, "mica-blkback"))
		return 1;
	if (pvb_start(b, background, log, pidfile)) {
		pvb_close(b);
		return 1;
	}
	fprintf(stderr, "mica-blkback: serving block devices\n");
	rc = pvb_run(b);
	pvb_close(b);
	fprintf(stderr, "mica-blkback: stopped\n");
	return rc ? 1 : 0;
}
