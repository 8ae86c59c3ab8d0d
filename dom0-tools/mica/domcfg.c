/* A domain's settings from a parsed xl configuration file (pure). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

const char *dom_action_name(enum dom_action a)
{
	switch (a) {
	case ACTION_RESTART:
		return "restart";
	case ACTION_PRESERVE:
		return "preserve";
	default:
		return "destroy";
	}
}

bool domcfg_name_ok(const char *s)
{
	size_t len = strlen(s);
	bool digits = true;

	if (!len || len > DOMCFG_NAME_MAX || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
		if (!isdigit((unsigned char)s[i]))
			digits = false;
	}
	return !digits;
}

/* ---- typed access to a setting, reporting "FILE:LINE: KEY: ..." ------------------ */

struct ctx {
	const struct cfg_file *f;
	struct msgs *errors;
	bool bad;
	bool nomem;
};

static void bad(struct ctx *c, const struct cfg_setting *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad(struct ctx *c, const struct cfg_setting *s, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	msgs_add(c->errors, "%s:%u: %s: %s", c->f->path, s->line, s->key, buf);
	c->bad = true;
}

static char *dup_or_flag(struct ctx *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		c->nomem = true;
	return d;
}

/* A string value (a number's text is accepted too, as xl does); NULL after reporting. */
static const char *string_of(struct ctx *c, const struct cfg_setting *s)
{
	const struct cfg_value *v = &s->value;

	if (v->kind == CFG_LIST) {
		bad(c, s, "expected a \"string\", not a list");
		return NULL;
	}
	if (strlen(v->text) != v->len) {
		bad(c, s, "the string contains a NUL byte (\\0 or \\x00)");
		return NULL;
	}
	return v->text;
}

/* A whole number, written bare or quoted (decimal or 0x hex); false after reporting. */
static bool number_of(struct ctx *c, const struct cfg_setting *s, const char *unit,
		      uint64_t *out)
{
	const struct cfg_value *v = &s->value;
	char *end;

	if (v->kind == CFG_LIST) {
		bad(c, s, "expected a number%s, not a list", unit);
		return false;
	}
	errno = 0;
	*out = strtoull(v->text, &end, 0);
	if (!v->len || !isdigit((unsigned char)v->text[0]) || *end || errno) {
		bad(c, s, "expected a number%s, found \"%s\"", unit, v->text);
		return false;
	}
	return true;
}

/* ---- the keys -------------------------------------------------------------------------- */

static void key_name(struct ctx *c, const struct cfg_setting *s, struct domcfg *d)
{
	const char *v = string_of(c, s);

	if (!v)
		return;
	if (!domcfg_name_ok(v)) {
		bad(c, s, "\"%s\" is not a usable domain name: use 1 to %d letters, digits, '_', "
			  "'.' or '-', not all digits and not starting with '-'", v, DOMCFG_NAME_MAX);
		return;
	}
	if (!strcmp(v, "Domain-0")) {
		bad(c, s, "\"Domain-0\" is dom0's name; choose another");
		return;
	}
	d->name = dup_or_flag(c, v);
	d->name_line = s->line;
}

static void key_type(struct ctx *c, const struct cfg_setting *s, struct domcfg *d)
{
	const char *v = string_of(c, s);

	(void)d;
	if (v && strcmp(v, "pv"))
		bad(c, s, "\"%s\" guests are not supported: Mica runs PV guests only "
			  "(type = \"pv\", or leave type out)", v);
}

static void key_path(struct ctx *c, const struct cfg_setting *s, char **field, unsigned int *line)
{
	const char *v = string_of(c, s);

	if (!v)
		return;
	if (!*v) {
		bad(c, s, "empty path");
		return;
	}
	free(*field);
	*field = dup_or_flag(c, v);
	*line = s->line;
}

static void key_memory(struct ctx *c, const struct cfg_setting *s, uint64_t *mib)
{
	uint64_t v;

	if (!number_of(c, s, " of MiB", &v))
		return;
	if (!v || v > DOMCFG_MAX_MEMORY_MIB) {
		bad(c, s, "%llu MiB is out of range: give the size in MiB, from 1 to %llu",
		    (unsigned long long)v, DOMCFG_MAX_MEMORY_MIB);
		return;
	}
	*mib = v;
}

static void key_vcpus(struct ctx *c, const struct cfg_setting *s, struct domcfg *d)
{
	uint64_t v;

	if (!number_of(c, s, " of vCPUs", &v))
		return;
	if (!v || v > DOMCFG_MAX_VCPUS) {
		bad(c, s, "%llu vCPUs is out of range: from 1 to %d", (unsigned long long)v,
		    DOMCFG_MAX_VCPUS);
		return;
	}
	d->vcpus = (unsigned int)v;
}

static void key_action(struct ctx *c, const struct cfg_setting *s, enum dom_action *a)
{
	static const char *const unsupported[] = { "rename-restart", "coredump-destroy",
						    "coredump-restart", "soft-reset" };
	const char *v = string_of(c, s);

	if (!v)
		return;
	if (!strcmp(v, "destroy")) {
		*a = ACTION_DESTROY;
	} else if (!strcmp(v, "restart")) {
		*a = ACTION_RESTART;
	} else if (!strcmp(v, "preserve")) {
		*a = ACTION_PRESERVE;
	} else {
		for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
			if (!strcmp(v, unsupported[i])) {
				bad(c, s, "\"%s\" is not supported by mica: use destroy, restart or "
					  "preserve", v);
				return;
			}
		}
		bad(c, s, "\"%s\" is not an action: use destroy, restart or preserve", v);
	}
}

/* The items of a list setting (a lone string counts as a list of one). */
static const struct cfg_value *items_of(const struct cfg_setting *s, unsigned int *nr)
{
	if (s->value.kind == CFG_LIST) {
		*nr = s->value.nr_items;
		return s->value.items;
	}
	*nr = 1;
	return &s->value;
}

static void key_disk(struct ctx *c, const struct cfg_setting *s, struct domcfg *d)
{
	unsigned int nr;
	const struct cfg_value *it = items_of(s, &nr);

	d->disks = calloc(nr ? nr : 1, sizeof(*d->disks));
	if (!d->disks) {
		c->nomem = true;
		return;
	}
	for (unsigned int i = 0; i < nr; i++) {
		struct disk_spec *disk = &d->disks[d->nr_disks];
		char why[200];

		if (domcfg_parse_disk(it[i].text, disk, why, sizeof(why))) {
			bad(c, s, "item %u ('%s'): %s", i + 1, it[i].text, why);
			continue;
		}
		disk->line = it[i].line;
		for (unsigned int j = 0; j < d->nr_disks; j++)
			if (!strcmp(d->disks[j].vdev, disk->vdev))
				bad(c, s, "item %u: %s is used twice", i + 1, disk->vdev);
		d->nr_disks++;
	}
}

static void key_vif(struct ctx *c, const struct cfg_setting *s, struct domcfg *d)
{
	unsigned int nr;
	const struct cfg_value *it = items_of(s, &nr);

	d->vifs = calloc(nr ? nr : 1, sizeof(*d->vifs));
	if (!d->vifs) {
		c->nomem = true;
		return;
	}
	for (unsigned int i = 0; i < nr; i++) {
		struct vif_spec *vif = &d->vifs[d->nr_vifs];
		char why[200];

		if (domcfg_parse_vif(it[i].text, vif, why, sizeof(why))) {
			bad(c, s, "item %u ('%s'): %s", i + 1, it[i].text, why);
			continue;
		}
		vif->line = it[i].line;
		d->nr_vifs++;
	}
}

static const char *const known_keys[] = {
	"name", "type", "kernel", "ramdisk", "cmdline", "extra", "root", "memory", "maxmem",
	"vcpus", "disk", "vif", "on_poweroff", "on_reboot", "on_crash",
};
#define NR_KEYS (sizeof(known_keys) / sizeof(known_keys[0]))

/* Edit distance of two short words, for "did you mean". */
static unsigned int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int row[32], prev;

	if (la > 30 || lb > 30)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int cur = row[j];
			unsigned int best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static void unknown_key(struct ctx *c, const struct cfg_setting *s)
{
	const char *near = NULL;

	for (size_t i = 0; i < NR_KEYS; i++)
		if (distance(s->key, known_keys[i]) <= 2)
			near = known_keys[i];
	if (near)
		bad(c, s, "unknown setting; did you mean %s?", near);
	else
		bad(c, s, "unknown setting; mica knows name, type, kernel, ramdisk, cmdline, extra, "
			  "root, memory, maxmem, vcpus, disk, vif, on_poweroff, on_reboot and "
			  "on_crash (docs/mica-cli.md)");
}

static bool find_key_line(const struct cfg_file *f, const char *key)
{
	for (unsigned int i = 0; i < f->nr; i++)
		if (!strcmp(f->settings[i].key, key))
			return true;
	return false;
}

/* cmdline wins over root and extra, as in xl; else "root=ROOT EXTRA". */
static void compose_cmdline(struct ctx *c, const struct cfg_file *f, struct domcfg *d,
			    const char *cmdline, const char *root, const char *extra)
{
	size_t len;

	if (cmdline) {
		if (root || extra)
			msgs_add(&d->warnings, "%s: root and extra are ignored because cmdline is set",
				 f->path);
		d->cmdline = dup_or_flag(c, cmdline);
	} else if (asprintf(&d->cmdline, "%s%s%s%s", root ? "root=" : "", root ? root : "",
			    root && extra ? " " : "", extra ? extra : "") < 0) {
		d->cmdline = NULL;
		c->nomem = true;
	}
	len = d->cmdline ? strlen(d->cmdline) : 0;
	if (len >= MAX_GUEST_CMDLINE_BYTES)
		msgs_add(c->errors, "%s: the kernel command line is %zu bytes; a PV kernel takes at "
				    "most %d", f->path, len, MAX_GUEST_CMDLINE_BYTES - 1);
	if (len >= MAX_GUEST_CMDLINE_BYTES)
		c->bad = true;
}

int domcfg_from_file(const struct cfg_file *f, struct domcfg *d, struct msgs *errors)
{
	struct ctx c = { .f = f, .errors = errors };
	const char *cmdline = NULL, *root = NULL, *extra = NULL;
	const struct cfg_setting *maxmem = NULL;

	memset(d, 0, sizeof(*d));
	d->path = strdup(f->path);
	if (!d->path)
		return -ENOMEM;
	d->memory_mib = 128;
	d->vcpus = 1;
	d->on_poweroff = ACTION_DESTROY;
	d->on_reboot = ACTION_RESTART;
	d->on_crash = ACTION_DESTROY;
	for (unsigned int i = 0; i < f->warnings.nr; i++)
		msgs_add(&d->warnings, "%s", f->warnings.v[i]);

	for (unsigned int i = 0; i < f->nr && !c.nomem; i++) {
		const struct cfg_setting *s = &f->settings[i];
		const char *k = s->key;

		if (!strcmp(k, "name"))
			key_name(&c, s, d);
		else if (!strcmp(k, "type"))
			key_type(&c, s, d);
		else if (!strcmp(k, "kernel"))
			key_path(&c, s, &d->kernel, &d->kernel_line);
		else if (!strcmp(k, "ramdisk"))
			key_path(&c, s, &d->ramdisk, &d->ramdisk_line);
		else if (!strcmp(k, "cmdline"))
			cmdline = string_of(&c, s);
		else if (!strcmp(k, "root"))
			root = string_of(&c, s);
		else if (!strcmp(k, "extra"))
			extra = string_of(&c, s);
		else if (!strcmp(k, "memory")) {
			key_memory(&c, s, &d->memory_mib);
			d->memory_line = s->line;
		} else if (!strcmp(k, "maxmem"))
			maxmem = s;
		else if (!strcmp(k, "vcpus"))
			key_vcpus(&c, s, d);
		else if (!strcmp(k, "disk"))
			key_disk(&c, s, d);
		else if (!strcmp(k, "vif"))
			key_vif(&c, s, d);
		else if (!strcmp(k, "on_poweroff"))
			key_action(&c, s, &d->on_poweroff);
		else if (!strcmp(k, "on_reboot"))
			key_action(&c, s, &d->on_reboot);
		else if (!strcmp(k, "on_crash"))
			key_action(&c, s, &d->on_crash);
		else
			unknown_key(&c, s);
	}
	if (c.nomem)
		return -ENOMEM;

	d->maxmem_mib = d->memory_mib;
	if (maxmem) {
		uint64_t v = 0;

		key_memory(&c, maxmem, &v);
		if (v && v < d->memory_mib)
			bad(&c, maxmem, "%llu MiB is less than memory (%llu MiB); maxmem must be at "
					"least memory", (unsigned long long)v,
			    (unsigned long long)d->memory_mib);
		else if (v)
			d->maxmem_mib = v;
	}
	if (!d->name) {
		if (!find_key_line(f, "name"))
			msgs_add(errors, "%s: name: not set; add a line like name = \"guest1\"", f->path);
		c.bad = true;
	}
	if (!d->kernel) {
		if (!find_key_line(f, "kernel"))
			msgs_add(errors, "%s: kernel: not set; add a line like kernel = "
					 "\"/boot/vmlinuz\"", f->path);
		c.bad = true;
	}
	compose_cmdline(&c, f, d, cmdline, root, extra);
	if (c.nomem)
		return -ENOMEM;
	return c.bad ? -EINVAL : 0;
}

int domcfg_load(const char *path, struct domcfg *out, struct msgs *errors)
{
	struct cfg_file f;
	struct stat st;
	size_t len = 0;
	char *text;
	FILE *fp;
	int rc;

	memset(out, 0, sizeof(*out));
	fp = fopen(path, "r");
	if (!fp) {
		msgs_add(errors, "%s: cannot read the configuration file: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		msgs_add(errors, "%s: not a configuration file (%s)", path,
			 S_ISDIR(st.st_mode) ? "a directory" : "larger than 1 MiB, or not a file");
		fclose(fp);
		return -EINVAL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fclose(fp);
		return -ENOMEM;
	}
	len = fread(text, 1, (size_t)st.st_size, fp);
	if (ferror(fp)) {
		msgs_add(errors, "%s: cannot read the configuration file: %s", path, strerror(errno));
		free(text);
		fclose(fp);
		return -EIO;
	}
	fclose(fp);
	rc = cfg_parse(path, text, len, &f, errors);
	free(text);
	if (!rc)
		rc = domcfg_from_file(&f, out, errors);
	cfg_free(&f);
	return rc;
}

void domcfg_free(struct domcfg *d)
{
	free(d->path);
	free(d->name);
	free(d->kernel);
	free(d->ramdisk);
	free(d->cmdline);
	for (unsigned int i = 0; i < d->nr_disks; i++) {
		free(d->disks[i].target);
		free(d->disks[i].format);
		free(d->disks[i].vdev);
	}
	free(d->disks);
	for (unsigned int i = 0; i < d->nr_vifs; i++) {
		free(d->vifs[i].bridge);
		free(d->vifs[i].ip);
		free(d->vifs[i].vifname);
		free(d->vifs[i].script);
		free(d->vifs[i].model);
	}
	free(d->vifs);
	msgs_free(&d->warnings);
	memset(d, 0, sizeof(*d));
}
