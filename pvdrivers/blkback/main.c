/*
 * mica-blkback: serves the PV block devices of every guest from dom0
 * (blkif, so Linux's xen-blkfront works unchanged). The toolstack (mica
 * create, mica block-attach) writes each device's store directories; this
 * daemon finds them, opens the image or device named in params, and
 * serves the guest's requests until the device or the guest goes away.
 */
#include <stdio.h>

#include "blkback.h"

/* The data buffer is allocated before anything else is opened. */
static int prepare(void)
{
	if (!vbd_buffers())
		return 0;
	fprintf(stderr, "mica-blkback: out of memory for the %u KiB data buffer\n",
		BLK_MAX_BYTES / 1024);
	return 1;
}

static const struct pvb_program blkback = {
	.name = "mica-blkback",
	.about = "Serves guests' PV block devices (backend/vbd in the store) from raw image\n"
		 "files and dom0 block devices. 'mica create' with disk = [...] and\n"
		 "'mica block-attach' start it when it is not running.",
	.default_log = "/var/log/mica/blkback.log",
	.serving = "block devices",
	.ops = &vbd_ops,
	.prepare = prepare,
};

int main(int argc, char **argv)
{
	return pvb_main(argc, argv, &blkback);
}
