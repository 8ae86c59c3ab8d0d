/*
 * mica-rngback: serves the PV entropy devices (pv/io/rngif.h) of every
 * guest from dom0's getrandom(). The toolstack writes each device's store
 * directories (mica device-attach DOMAIN rng); this daemon finds them
 * through libpvback and answers the guests' requests until the device or
 * the guest goes away.
 */
#include "rngback.h"

static const struct pvb_program rngback = {
	.name = "mica-rngback",
	.about = "Serves guests' PV entropy devices (backend/rng in the store) with random\n"
		 "bytes from dom0's getrandom(). Attach one to a guest with\n"
		 "'mica device-attach DOMAIN rng'.",
	.default_log = "/var/log/mica/rngback.log",
	.serving = "entropy devices",
	.ops = &rngback_ops,
};

int main(int argc, char **argv)
{
	return pvb_main(argc, argv, &rngback);
}
