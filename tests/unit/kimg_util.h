/* Helpers for the kernel-image and decompressor tests: temp files, host tools, skips, data. */
#ifndef UNIT_KIMG_UTIL_H
#define UNIT_KIMG_UTIL_H

#include "check.h"

#pragma GCC visibility push(default)
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#pragma GCC visibility pop

#include "host_lib.h"

/*
 * A case that cannot run (a host tool or a kernel image is missing)
 * prints "SKIP name: why" instead of PASS/FAIL; run.py counts neither.
 */
#define SKIP(name, ...)                                                        \
	do {                                                                   \
		printf("SKIP %s: ", name);                                     \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		fflush(stdout);                                                \
	} while (0)

/*
 * Abandons the case when ret (a negative errno) is not 0, reporting it
 * with the reason the code under test left in the file's `err`.
 */
#define REQUIRE_OK(ret, what)                                                  \
	do {                                                                   \
		int r_ = (ret);                                                \
		if (r_) {                                                      \
			CHECK_MSG(0, "%s: %d %s", what, r_, err.msg);          \
			check_abandon();                                       \
		}                                                              \
	} while (0)

static char kimg_tmpdir[256];

/* A private temporary directory for this test binary, removed by tmp_cleanup. */
static inline const char *tmp_dir(void)
{
	if (!kimg_tmpdir[0]) {
		snprintf(kimg_tmpdir, sizeof(kimg_tmpdir), "/tmp/mica-kimg-XXXXXX");
		if (!mkdtemp(kimg_tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return kimg_tmpdir;
}

static inline void tmp_cleanup(void)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	if (!kimg_tmpdir[0] || !(d = opendir(kimg_tmpdir)))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", kimg_tmpdir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(kimg_tmpdir);
}

static inline void tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmp_dir(), name);
}

static inline bool write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(p, 1, len, f) == len;

	if (f && fclose(f))
		ok = false;
	return ok;
}

/* The whole file in a malloc'd buffer (plus 1 spare byte), or NULL. */
static inline unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (cap - n < 65536) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 1 << 20;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

/* Whether a host program is on PATH. */
static inline bool have_tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* Runs a shell command; true if it exited 0. */
static inline bool run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline bool run_cmd(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/*
 * Compresses data with a host command line reading stdin and writing
 * stdout (e.g. "xz -c --check=crc32"); returns a malloc'd buffer or NULL.
 */
static inline unsigned char *host_compress(const char *cmd, const void *data, size_t len,
					   size_t *out_len)
{
	char in_path[512], out_path[512];

	tmp_path(in_path, sizeof(in_path), "in");
	tmp_path(out_path, sizeof(out_path), "out");
	if (!write_file(in_path, data, len) ||
	    !run_cmd("%s < %s > %s 2>/dev/null", cmd, in_path, out_path))
		return NULL;
	return read_file(out_path, out_len);
}

/* A small deterministic generator for test data (xorshift64*). */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Kinds of test data with different compression behaviour. */
enum data_kind { DATA_ZERO, DATA_RANDOM, DATA_TEXT, DATA_MIXED };

/* Fills buf[0..len) with data of a kind; the same seed gives the same bytes. */
static inline void gen_data(unsigned char *buf, size_t len, enum data_kind kind, uint64_t seed)
{
	static const char *const words[] = {
		"hypervisor ", "page ", "table ", "grant ", "event ", "channel ", "domain ",
		"xen ", "mica ", "frame ", "\n", "0x1000 ", "static ", "int ", "return ",
	};
	uint64_t s = seed * 2654435761u + 1;
	size_t i = 0;

	switch (kind) {
	case DATA_ZERO:
		memset(buf, 0, len);
		return;
	case DATA_RANDOM:
		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)rng_next(&s);
		return;
	case DATA_TEXT:
		while (i < len) {
			const char *w = words[rng_next(&s) % (sizeof(words) / sizeof(words[0]))];

			while (*w && i < len)
				buf[i++] = (unsigned char)*w++;
		}
		return;
	case DATA_MIXED:
		while (i < len) {
			size_t run = 1 + rng_next(&s) % 3000;
			uint64_t r = rng_next(&s) % 4;

			if (run > len - i)
				run = len - i;
			if (r == 0 && i > 0) {
				size_t back = 1 + rng_next(&s) % (i < 40000 ? i : 40000);

				for (size_t k = 0; k < run; k++, i++)
					buf[i] = buf[i - back];
			} else if (r == 1) {
				gen_data(buf + i, run, DATA_RANDOM, rng_next(&s));
				i += run;
			} else {
				gen_data(buf + i, run, DATA_TEXT, rng_next(&s));
				i += run;
			}
		}
		return;
	}
}

#endif
