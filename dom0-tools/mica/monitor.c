/* The monitor's decisions (pure; see monitor.h). */
#include "monitor.h"

#include <pv/sched.h>

enum dom_action monitor_action(const struct domcfg *cfg, uint32_t reason)
{
	switch (reason) {
	case SHUTDOWN_poweroff:
		return cfg->on_poweroff;
	case SHUTDOWN_reboot:
	case SHUTDOWN_soft_reset:
		return cfg->on_reboot;
	case SHUTDOWN_suspend:
		return ACTION_PRESERVE;
	default:
		return cfg->on_crash;
	}
}

bool monitor_may_restart(int64_t *times, unsigned int *nr, int64_t now)
{
	unsigned int keep = 0;

	for (unsigned int i = 0; i < *nr; i++)
		if (now - times[i] < MONITOR_RESTART_WINDOW_MS)
			times[keep++] = times[i];
	*nr = keep;
	if (keep >= MONITOR_MAX_RESTARTS)
		return false;
	times[(*nr)++] = now;
	return true;
}
