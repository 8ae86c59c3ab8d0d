/*
 * The main() every backend daemon shares: its options (-d, --log,
 * --pidfile, --help, and one option of the backend's own), opening
 * everything in the foreground so a person sees what is missing, going to
 * the background, and serving until stopped.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "pvback.h"

static void usage(FILE *out, const struct pvb_program *p)
{
	fprintf(out, "usage: %s [-d] [--log FILE] [--pidfile FILE]", p->name);
	if (p->extra_opt)
		fprintf(out, " [--%s %s]", p->extra_long, p->extra_arg);
	fprintf(out, "\n\n%s\n\n"
		     "  -d, --daemon        run in the background, messages appended to FILE\n"
		     "  -l, --log FILE      where -d sends messages (default %s)\n"
		     "  -p, --pidfile FILE  write the process id to FILE once serving\n",
		p->about, p->default_log);
	if (p->extra_opt)
		fprintf(out, "  -%c, --%s %-*s%s\n", p->extra_opt, p->extra_long,
			(int)(13 - strlen(p->extra_long)), p->extra_arg, p->extra_help);
	fprintf(out, "  -h, --help          this text\n\n"
		     "Exit status: 0 stopped by SIGTERM/SIGINT, 1 could not start or lost the store,\n"
		     "2 bad command line.\n");
}

int pvb_main(int argc, char **argv, const struct pvb_program *p)
{
	const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' }, { "log", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ p->extra_long, required_argument, NULL, p->extra_opt }, { NULL, 0, NULL, 0 },
	};
	char shortopts[16] = "dl:p:h";
	const char *log = p->default_log, *pidfile = NULL;
	bool background = false;
	struct pvb *b;
	int c, rc;

	/* Without an own option its longopts entry is { NULL, ... }: the end. */
	if (p->extra_opt)
		snprintf(shortopts, sizeof(shortopts), "dl:p:h%c:", p->extra_opt);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'd')
			background = true;
		else if (c == 'l')
			log = optarg;
		else if (c == 'p')
			pidfile = optarg;
		else if (p->extra_opt && c == p->extra_opt) {
			if (p->extra(optarg))
				return 2;
		} else {
			usage(c == 'h' ? stdout : stderr, p);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", p->name, argv[optind]);
		usage(stderr, p);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if ((p->prepare && p->prepare()) || pvb_open(&b, p->ops, p->name))
		return 1;
	if (pvb_start(b, background, log, pidfile)) {
		pvb_close(b);
		return 1;
	}
	if (p->started)
		p->started();
	fprintf(stderr, "%s: serving %s\n", p->name, p->serving);
	rc = pvb_run(b);
	fprintf(stderr, "%s: stopped\n", p->name);
	pvb_close(b);
	return rc ? 1 : 0;
}
