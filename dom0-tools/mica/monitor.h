/*
 * The monitor: one background process per guest, started by `mica create`
 * (as xl does), that waits for the guest to shut down and carries out its
 * on_poweroff, on_reboot or on_crash action: destroy it, restart it (build
 * it again from the same settings; given up after MONITOR_MAX_RESTARTS
 * within MONITOR_RESTART_WINDOW_MS, a guest that crashes at boot), or
 * preserve it (leave it shut down for inspection; `mica destroy` removes it).
 * It logs to /var/log/mica/NAME.log.
 */
#ifndef MICA_MONITOR_H
#define MICA_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define MONITOR_MAX_RESTARTS 3
#define MONITOR_RESTART_WINDOW_MS 60000
#define MONITOR_LOG_DIR "/var/log/mica"

/*
 * The action for a shutdown reason (SHUTDOWN_*): poweroff -> on_poweroff,
 * reboot and soft_reset -> on_reboot, crash and watchdog -> on_crash,
 * suspend -> preserve (Mica cannot save a guest). Pure.
 */
enum dom_action monitor_action(const struct domcfg *cfg, uint32_t reason);

/*
 * Whether another restart is allowed now (ms), given the times of the last
 * restarts (times[0..*nr), oldest first; updated). Pure.
 */
bool monitor_may_restart(int64_t *times, unsigned int *nr, int64_t now);

/* Starts the monitor of domain domid (fork); 0 or -errno. MICA_NO_MONITOR=1 skips it. */
int monitor_start(const struct domcfg *cfg, uint32_t domid);

#endif
