/*
 * mica-netback: the network backend daemon of Mica's dom0 (see netback.h).
 * The options, and the callbacks libpvback runs its loop with.
 */
#include "netback.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char *nb_default_bridge = "micabr0";

/* The frontend kicked us (port >= 0), or libpvback asks for another round (-1). */
static void service(struct pvb_dev *d, int port)
{
	struct vif *v = pvb_priv(d);

	(void)port;
	vif_rx_resume(v);
	vif_tx(v);
	vif_rx(v);
}

/* The TAP has frames for the guest. */
static void fd_ready(struct pvb_dev *d, int fd, short revents)
{
	(void)fd;
	(void)revents;
	vif_rx(pvb_priv(d));
}

static const struct pvb_ops netback_ops = {
	.type = "vif",
	.priv_size = sizeof(struct vif),
	.probe = vif_probe,
	.connect = vif_connect,
	.service = service,
	.disconnect = vif_disconnect,
	.fd_ready = fd_ready,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mica-netback [-d] [-l FILE] [-p FILE] [-b BRIDGE]\n\n"
		"Serve the network interfaces (vifs) of Mica's guests from dom0: each gets a TAP\n"
		"device vifD.N joined to a bridge (created if missing). mica-store must run;\n"
		"'mica create' with vif = [...] and 'mica network-attach' start it if it is not\n"
		"running.\n\n"
		"  -d, --daemon         run in the background, messages appended to the log\n"
		"  -l, --log FILE       where -d sends messages (default /var/log/mica/netback.log)\n"
		"  -p, --pidfile FILE   write the process id to FILE once serving\n"
		"  -b, --bridge NAME    bridge of vifs that name none (default micabr0)\n"
		"  -h, --help           this text\n\n"
		"Exit status: 0 after SIGTERM or SIGINT, 1 if it cannot start or the store goes away,\n"
		"2 for a bad command line.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },   { "log", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'p' }, { "bridge", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },     { NULL, 0, NULL, 0 },
	};
	const char *log = "/var/log/mica/netback.log", *pidfile = NULL;
	bool daemon_mode = false;
	struct pvb *b;
	char why[256];
	int c, rc;

	while ((c = getopt_long(argc, argv, "dl:p:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': daemon_mode = true; break;
		case 'l': log = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'b': nb_default_bridge = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mica-netback: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!*nb_default_bridge || strlen(nb_default_bridge) >= IFNAMSIZ) {
		fprintf(stderr, "mica-netback: a bridge name has 1 to %d characters\n", IFNAMSIZ - 1);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (pvb_open(&b, &netback_ops, "mica-netback"))
		return 1;
	if (pvb_start(b, daemon_mode, log, pidfile)) {
		pvb_close(b);
		return 1;
	}
	if (bridge_ensure(nb_default_bridge, why, sizeof(why)))
		fprintf(stderr, "mica-netback: %s (tried again when a vif connects)\n", why);
	fprintf(stderr, "mica-netback: serving vifs; default bridge %s\n", nb_default_bridge);
	rc = pvb_run(b);
	fprintf(stderr, "mica-netback: stopping\n");
	pvb_close(b);
	return rc ? 1 : 0;
}
