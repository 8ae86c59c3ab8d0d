/*
 * The xl configuration file format, as a syntax (config.c) and as a
 * domain's settings (domcfg.c). Both are pure and host-tested.
 *
 * Syntax (xl.cfg(5), libxlu's grammar): a file is a sequence of settings
 *
 *     KEY = VALUE        or        KEY += VALUE
 *
 * each ended by a newline or ';'. KEY is [A-Za-z_][A-Za-z0-9_.]*. VALUE is
 * a string in double or single quotes (escapes \\ \" \' \a \b \f \n \r
 * \t \v \xHH \OOO), a number (decimal or 0x hex), or a list
 * [ VALUE, VALUE, ... ] of strings and numbers, which may span lines and
 * end with a comma. '#' starts a comment to the end of the line. "+="
 * appends to a list or a string set earlier. A key set twice keeps its
 * last value (with a warning).
 */
#ifndef MICA_CONFIG_H
#define MICA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Messages for a person: each "FILE:LINE: KEY: what is wrong". */
struct msgs {
	char **v;
	unsigned int nr;
};
void msgs_add(struct msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msgs_free(struct msgs *m);

enum cfg_kind { CFG_STRING, CFG_NUMBER, CFG_LIST };

struct cfg_value {
	enum cfg_kind kind;
	char *text;                 /* STRING: the unquoted bytes; NUMBER: as written */
	size_t len;                 /* of text (a string may hold a NUL from \0) */
	struct cfg_value *items;    /* LIST: nr_items strings and numbers */
	unsigned int nr_items;
	unsigned int line;
};

struct cfg_setting {
	char *key;
	struct cfg_value value;
	unsigned int line;          /* where the key was (last) set */
};

struct cfg_file {
	char *path;                 /* as given, for messages */
	struct cfg_setting *settings;
	unsigned int nr;
	struct msgs warnings;
};

/*
 * Parses text[0..len) of the file named path. Returns 0, or -EINVAL with
 * every syntax error in errors (each names the file and line); out must
 * then still be freed. -ENOMEM if memory runs out.
 */
int cfg_parse(const char *path, const char *text, size_t len, struct cfg_file *out,
	      struct msgs *errors);
void cfg_free(struct cfg_file *f);

/* What to do when the guest powers off, reboots or crashes. */
enum dom_action { ACTION_DESTROY, ACTION_RESTART, ACTION_PRESERVE };
const char *dom_action_name(enum dom_action a);

struct disk_spec {
	char *target;               /* image file or device */
	char *format;               /* "raw" */
	char *vdev;                 /* "xvda" */
	bool readonly;
	bool cdrom;
	unsigned int line;
};

struct vif_spec {
	char mac[18];               /* "00:16:3e:xx:xx:xx", or "" for one chosen at creation */
	char *bridge, *ip, *vifname, *script, *model;
	unsigned int line;
};

/* A domain's settings, with the defaults of xl for what the file leaves out. */
struct domcfg {
	char *path;
	char *name;
	char *kernel, *ramdisk;     /* ramdisk NULL: none */
	char *cmdline;              /* composed from cmdline, or root and extra; never NULL */
	uint64_t memory_mib;        /* default 128 */
	uint64_t maxmem_mib;        /* default memory_mib */
	unsigned int vcpus;         /* default 1 */
	struct disk_spec *disks;
	unsigned int nr_disks;
	struct vif_spec *vifs;
	unsigned int nr_vifs;
	enum dom_action on_poweroff, on_reboot, on_crash; /* destroy, restart, destroy */
	/* Lines of the keys checked later, when the domain is built (0: not in the file). */
	unsigned int name_line, kernel_line, ramdisk_line, memory_line;
	struct msgs warnings;
};

#define DOMCFG_MAX_VCPUS 64
#define DOMCFG_MAX_MEMORY_MIB (1024ULL * 1024) /* 1 TiB */
#define DOMCFG_NAME_MAX 63
#define MAX_GUEST_CMDLINE_BYTES 1024 /* start_info.cmd_line, NUL included */

/*
 * Interprets a parsed file. Every problem goes to errors as
 * "FILE:LINE: KEY: ..." (unknown keys, values of the wrong type or out of
 * range, keys that are missing); returns 0 or -EINVAL (then, as on
 * success, out must be freed).
 */
int domcfg_from_file(const struct cfg_file *f, struct domcfg *out, struct msgs *errors);

/* Reads, parses and interprets the file at path; errors as above, or the file's own. */
int domcfg_load(const char *path, struct domcfg *out, struct msgs *errors);
void domcfg_free(struct domcfg *c);

/* Whether s is a usable domain name (1-63 of [A-Za-z0-9_.-], not all digits, no leading '-'). */
bool domcfg_name_ok(const char *s);

/* Parses a disk spec (xl-disk-configuration) or a vif spec; errors name file, line and key. */
int domcfg_parse_disk(const char *spec, struct disk_spec *d, char *why, size_t whysz);
int domcfg_parse_vif(const char *spec, struct vif_spec *v, char *why, size_t whysz);

#endif
