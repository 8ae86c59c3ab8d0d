/*
 * mica-netback: the network backend daemon of Mica's dom0 (see netback.h).
 * The options, and the callbacks libpvback runs its loop with.
 */
#include "netback.h"

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

/* -b NAME: the bridge of vifs whose spec names none. */
static int set_bridge(const char *name)
{
	if (!*name || strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "mica-netback: a bridge name has 1 to %d characters\n", IFNAMSIZ - 1);
		return 1;
	}
	nb_default_bridge = name;
	return 0;
}

/* The default bridge is made at once if it can be (again when a vif connects). */
static void started(void)
{
	char why[256];

	if (bridge_ensure(nb_default_bridge, why, sizeof(why)))
		fprintf(stderr, "mica-netback: %s (tried again when a vif connects)\n", why);
	fprintf(stderr, "mica-netback: default bridge %s\n", nb_default_bridge);
}

static const struct pvb_program netback = {
	.name = "mica-netback",
	.about = "Serve the network interfaces (vifs) of Mica's guests from dom0: each gets a TAP\n"
		 "device vifD.N joined to a bridge (created if missing). mica-store must run;\n"
		 "'mica create' with vif = [...] and 'mica network-attach' start it if it is not\n"
		 "running.",
	.default_log = "/var/log/mica/netback.log",
	.serving = "vifs",
	.ops = &netback_ops,
	.extra_opt = 'b',
	.extra_long = "bridge",
	.extra_arg = "NAME",
	.extra_help = "bridge of vifs that name none (default micabr0)",
	.extra = set_bridge,
	.started = started,
};

int main(int argc, char **argv)
{
	return pvb_main(argc, argv, &netback);
}
