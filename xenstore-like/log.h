/*
 * mica-store: the daemon's log. Lines go to a file (--log), to stderr (in the
 * foreground), or to syslog (in the background without --log). Each line
 * names its subject ("domain 5: ...") so a person can act on it.
 */
#ifndef STORE_LOG_H
#define STORE_LOG_H

#include <stdbool.h>

enum log_level { SLOG_ERROR, SLOG_WARN, SLOG_INFO, SLOG_DEBUG };

/*
 * Sends the log to file (appending), or to stderr when file is NULL and
 * use_syslog is false. Returns 0, or -errno if the file cannot be opened
 * (the previous destination is kept).
 */
int log_open(const char *file, bool use_syslog);
void log_close(void);
/* Messages above this level are dropped (SLOG_INFO by default, SLOG_DEBUG with --verbose). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* The file given to log_open, or NULL. */
const char *log_file(void);

/* Tests: send every message (whatever the level) to sink instead; NULL restores. */
void log_set_sink(void (*sink)(enum log_level level, const char *msg));

void slog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) slog(SLOG_ERROR, __VA_ARGS__)
#define log_warn(...) slog(SLOG_WARN, __VA_ARGS__)
#define log_info(...) slog(SLOG_INFO, __VA_ARGS__)
#define log_debug(...) slog(SLOG_DEBUG, __VA_ARGS__)

#endif
