/* mica-store: log destinations and levels. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static FILE *log_fp;          /* NULL: stderr (or syslog) */
static char *log_path;
static bool log_syslog;
static enum log_level log_level = SLOG_INFO;
static void (*log_sink)(enum log_level level, const char *msg);

void log_set_sink(void (*sink)(enum log_level level, const char *msg))
{
	log_sink = sink;
}

int log_open(const char *file, bool use_syslog)
{
	FILE *fp = NULL;
	char *path = NULL;

	if (file) {
		fp = fopen(file, "a");
		if (!fp)
			return -errno;
		path = strdup(file);
		if (!path) {
			fclose(fp);
			return -ENOMEM;
		}
		setvbuf(fp, NULL, _IOLBF, 0);
	}
	log_close();
	log_fp = fp;
	log_path = path;
	log_syslog = !file && use_syslog;
	if (log_syslog)
		openlog("mica-store", LOG_PID, LOG_DAEMON);
	return 0;
}

void log_close(void)
{
	if (log_fp)
		fclose(log_fp);
	if (log_syslog)
		closelog();
	free(log_path);
	log_fp = NULL;
	log_path = NULL;
	log_syslog = false;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

const char *log_file(void)
{
	return log_path;
}

void slog(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024];
	va_list ap;

	if (level > log_level && !log_sink)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_sink) {
		log_sink(level, msg);
	} else if (log_syslog) {
		syslog(prio[level], "%s", msg);
	} else {
		FILE *fp = log_fp ? log_fp : stderr;
		struct timespec ts;
		struct tm tm;
		char stamp[32] = "";

		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm))
			strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(fp, "%s.%03ld mica-store %s: %s\n", stamp, ts.tv_nsec / 1000000,
			names[level], msg);
	}
}
