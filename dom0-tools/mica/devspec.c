/*
 * xl's device specifications (pure): a disk (xl-disk-configuration(5)) and
 * a network interface (xl-network-configuration(5)).
 *
 * A disk is a comma-separated list of KEY=VALUE items and positional
 * items, which are, in order, target, format, vdev, access. "target=" takes
 * the rest of the spec, commas included, so it comes last. The legacy
 * forms "phy:/dev/vg/lv,xvda,w" and "file:/srv/a.img,xvda,r" (a prefix on
 * the target and no format) are understood. Mica's block backend serves
 * raw images and devices only, so other formats are refused here.
 *
 * A vif is a comma-separated list of KEY=VALUE items: mac, bridge, ip,
 * vifname, script, model, type (vif), backend (0 or Domain-0).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t whysz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Trims spaces at both ends of s, in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool is_format(const char *s)
{
	static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd", "qed", "empty" };

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(s, formats[i]))
			return true;
	return false;
}

/* xvda, xvdaa1, hda, sdb, or a bare number (the Xen device number). */
static bool vdev_ok(const char *s)
{
	const char *p;

	if (*s && strspn(s, "0123456789") == strlen(s))
		return strlen(s) <= 9;
	if (!strncmp(s, "xvd", 3))
		p = s + 3;
	else if (!strncmp(s, "hd", 2) || !strncmp(s, "sd", 2))
		p = s + 2;
	else
		return false;
	if (!islower((unsigned char)*p))
		return false;
	while (islower((unsigned char)*p))
		p++;
	return strspn(p, "0123456789") == strlen(p) && p - s <= 8;
}

static int set_field(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
	return *field ? 0 : -ENOMEM;
}

static int set_format(struct disk_spec *d, const char *v, char *why, size_t whysz)
{
	if (!is_format(v))
		return fail(why, whysz, "'%s' is not a disk format (raw, qcow2, ...)", v);
	if (strcmp(v, "raw"))
		return fail(why, whysz, "format %s is not supported: Mica serves raw images and "
					"devices only (convert with qemu-img convert -O raw)", v);
	return set_field(&d->format, v);
}

static int set_access(struct disk_spec *d, const char *v, char *why, size_t whysz)
{
	if (!strcmp(v, "r") || !strcmp(v, "ro"))
		d->readonly = true;
	else if (!strcmp(v, "w") || !strcmp(v, "rw"))
		d->readonly = false;
	else
		return fail(why, whysz, "access '%s' is not r, ro, w or rw", v);
	return 0;
}

/* A vdev, possibly with the legacy ":cdrom" or ":disk" suffix. */
static int set_vdev(struct disk_spec *d, char *v, char *why, size_t whysz)
{
	char *colon = strchr(v, ':');

	if (colon) {
		*colon = '\0';
		if (!strcmp(colon + 1, "cdrom"))
			d->cdrom = true;
		else if (strcmp(colon + 1, "disk"))
			return fail(why, whysz, "'%s' after the device name is not cdrom or disk",
				    colon + 1);
	}
	if (!vdev_ok(v))
		return fail(why, whysz, "'%s' is not a guest device name (xvda, xvdb, ... )", v);
	return set_field(&d->vdev, v);
}

/* A target with a legacy prefix: phy:, file:, aio:, tap:aio:, tap2:aio:, raw:. */
static int set_target(struct disk_spec *d, const char *v, char *why, size_t whysz)
{
	static const char *const raw_prefixes[] = { "tap2:aio:", "tap:aio:", "phy:", "file:", "aio:",
						    "raw:" };

	for (size_t i = 0; i < sizeof(raw_prefixes) / sizeof(raw_prefixes[0]); i++) {
		size_t n = strlen(raw_prefixes[i]);

		if (!strncmp(v, raw_prefixes[i], n)) {
			v += n;
			break;
		}
	}
	if (!strncmp(v, "tap:", 4) || !strncmp(v, "qcow", 4) || !strncmp(v, "vhd:", 4))
		return fail(why, whysz, "'%s': only raw images and devices are supported", v);
	return set_field(&d->target, v);
}

int domcfg_parse_disk(const char *spec, struct disk_spec *d, char *why, size_t whysz)
{
	char *copy = strdup(spec), *p, *item;
	unsigned int pos = 0, positional = 0;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (!copy)
		return -ENOMEM;
	/* Count positional items first: the legacy form has no format. */
	for (p = copy; *p;) {
		char *comma;

		while (isspace((unsigned char)*p))
			p++;
		if (!strncmp(p, "target=", 7))
			break;
		comma = strchr(p, ',');
		if (!memchr(p, '=', comma ? (size_t)(comma - p) : strlen(p)))
			positional++;
		if (!comma)
			break;
		p = comma + 1;
	}
	for (p = copy; !rc && p;) {
		char *comma;

		while (isspace((unsigned char)*p))
			p++;
		if (!strncmp(p, "target=", 7)) {
			rc = set_target(d, trim(p + 7), why, whysz);
			break;
		}
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		item = trim(p);
		p = comma ? comma + 1 : NULL;
		if (strchr(item, '=')) {
			char *v = strchr(item, '=');

			*v++ = '\0';
			v = trim(v);
			item = trim(item);
			if (!strcmp(item, "format"))
				rc = set_format(d, v, why, whysz);
			else if (!strcmp(item, "vdev"))
				rc = set_vdev(d, v, why, whysz);
			else if (!strcmp(item, "access"))
				rc = set_access(d, v, why, whysz);
			else if (!strcmp(item, "devtype")) {
				if (!strcmp(v, "cdrom"))
					d->cdrom = true;
				else if (strcmp(v, "disk"))
					rc = fail(why, whysz, "devtype '%s' is not disk or cdrom", v);
			} else if (!strcmp(item, "backend")) {
				if (strcmp(v, "0") && strcmp(v, "Domain-0"))
					rc = fail(why, whysz, "backend '%s': only dom0 serves disks", v);
			} else {
				rc = fail(why, whysz, "unknown disk option '%s' (mica knows target, "
						      "format, vdev, access, devtype, backend)", item);
			}
			continue;
		}
		if (!strcmp(item, "cdrom")) {
			d->cdrom = true;
			continue;
		}
		/* Legacy "target,vdev,access": no format between target and vdev. */
		if (pos == 1 && positional == 3 && *item && !is_format(item))
			pos = 2;
		switch (pos++) {
		case 0:
			rc = *item ? set_target(d, item, why, whysz) : 0;
			break;
		case 1:
			rc = *item ? set_format(d, item, why, whysz) : 0;
			break;
		case 2:
			rc = *item ? set_vdev(d, item, why, whysz) : 0;
			break;
		case 3:
			rc = *item ? set_access(d, item, why, whysz) : 0;
			break;
		default:
			rc = fail(why, whysz, "too many items: a disk is target, format, vdev, access");
		}
	}
	free(copy);
	if (!rc && !d->vdev)
		rc = fail(why, whysz, "no guest device: add vdev=xvda (or the third item)");
	if (!rc && (!d->target || !*d->target) && !d->cdrom)
		rc = fail(why, whysz, "no image: add target=/path/to/image (or the first item)");
	if (!rc && !d->format)
		rc = set_field(&d->format, "raw");
	if (rc) {
		free(d->target);
		free(d->format);
		free(d->vdev);
		memset(d, 0, sizeof(*d));
	}
	return rc;
}

/* "00:16:3e:01:02:03": six pairs of hex digits, a unicast address. */
static int set_mac(struct vif_spec *v, const char *s, char *why, size_t whysz)
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return fail(why, whysz, "mac '%s' is not six hex pairs like 00:16:3e:12:34:56", s);
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return fail(why, whysz, "mac '%s' is not six hex pairs like 00:16:3e:12:34:56",
				    s);
	if (b[0] & 1)
		return fail(why, whysz, "mac %s is a multicast address; the first byte must be even",
			    s);
	snprintf(v->mac, sizeof(v->mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0] & 0xffu,
		 b[1] & 0xffu, b[2] & 0xffu, b[3] & 0xffu, b[4] & 0xffu, b[5] & 0xffu);
	return 0;
}

int domcfg_parse_vif(const char *spec, struct vif_spec *v, char *why, size_t whysz)
{
	char *copy = strdup(spec), *p;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (!copy)
		return -ENOMEM;
	for (p = copy; !rc && p;) {
		char *comma = strchr(p, ','), *item, *val;

		if (comma)
			*comma = '\0';
		item = trim(p);
		p = comma ? comma + 1 : NULL;
		if (!*item)
			continue;
		val = strchr(item, '=');
		if (!val) {
			rc = fail(why, whysz, "'%s' is not KEY=VALUE", item);
			break;
		}
		*val++ = '\0';
		item = trim(item);
		val = trim(val);
		if (!strcmp(item, "mac"))
			rc = set_mac(v, val, why, whysz);
		else if (!strcmp(item, "bridge"))
			rc = set_field(&v->bridge, val);
		else if (!strcmp(item, "ip"))
			rc = set_field(&v->ip, val);
		else if (!strcmp(item, "vifname"))
			rc = set_field(&v->vifname, val);
		else if (!strcmp(item, "script"))
			rc = set_field(&v->script, val);
		else if (!strcmp(item, "model"))
			rc = set_field(&v->model, val);
		else if (!strcmp(item, "type")) {
			if (strcmp(val, "vif"))
				rc = fail(why, whysz, "type '%s': PV guests have type=vif only", val);
		} else if (!strcmp(item, "backend")) {
			if (strcmp(val, "0") && strcmp(val, "Domain-0"))
				rc = fail(why, whysz, "backend '%s': only dom0 serves networks", val);
		} else {
			rc = fail(why, whysz, "unknown vif option '%s' (mica knows mac, bridge, ip, "
					      "vifname, script, model, type, backend)", item);
		}
	}
	free(copy);
	if (rc) {
		free(v->bridge);
		free(v->ip);
		free(v->vifname);
		free(v->script);
		free(v->model);
		memset(v, 0, sizeof(*v));
	}
	return rc;
}
