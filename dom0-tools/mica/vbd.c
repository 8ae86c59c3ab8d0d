/* A guest's virtual block devices in the store (pure; see vbd.h). */
#include "vbd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The letters of a device name as a number: a=0 .. z=25, aa=26 .. (xl's scheme). */
static int64_t letters(const char *s, const char **end)
{
	int64_t n = 0;

	if (*s < 'a' || *s > 'z')
		return -EINVAL;
	while (*s >= 'a' && *s <= 'z') {
		n = n * 26 + (*s - 'a' + 1);
		if (n > (1 << 20))
			return -EINVAL;
		s++;
	}
	*end = s;
	return n - 1;
}

/* A partition number after the letters: none is 0. */
static int64_t partition(const char *s)
{
	char *end;
	long v;

	if (!*s)
		return 0;
	if (*s < '1' || *s > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	return *end || v > 255 ? -EINVAL : v;
}

int64_t vbd_devid(const char *vdev)
{
	const char *p;
	int64_t disk, part;

	if (*vdev >= '0' && *vdev <= '9') {
		char *end;
		unsigned long long v = strtoull(vdev, &end, 10);

		return *end || v > 0xfffffffULL ? -EINVAL : (int64_t)v;
	}
	if (!strncmp(vdev, "xvd", 3)) {
		disk = letters(vdev + 3, &p);
		part = disk < 0 ? -EINVAL : partition(p);
		if (disk < 0 || part < 0)
			return -EINVAL;
		if (disk < 16 && part < 16)
			return (202 << 8) | (disk << 4) | part;
		/* The extended form: 2^28 | disk << 8 | partition. */
		if (disk >= (1 << 20) || part > 255)
			return -EINVAL;
		return (1 << 28) | (disk << 8) | part;
	}
	if (!strncmp(vdev, "sd", 2) || !strncmp(vdev, "hd", 2)) {
		disk = letters(vdev + 2, &p);
		part = disk < 0 ? -EINVAL : partition(p);
		if (disk < 0 || part < 0 || part > 15)
			return -EINVAL;
		if (vdev[0] == 's')
			return disk < 16 ? (8 << 8) | (disk << 4) | part : -EINVAL;
		if (disk > 3 || part > 63)
			return -EINVAL;
		return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | part;
	}
	return -EINVAL;
}

int vbd_entries_for(uint32_t domid, const struct disk_spec *d, uint32_t devid, bool is_device,
		    struct store_entries *out)
{
	char be[96], fe[96], num[16];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_device_entries(out, "vbd", domid, devid, be, fe);
#define ADD(perm, value, ...) STORE_ADD(rc, out, perm, value, __VA_ARGS__)
	ADD(PERM_GUEST_RO, d->target ? d->target : "", "%s/params", be);
	ADD(PERM_GUEST_RO, is_device ? "phy" : "file", "%s/type", be);
	ADD(PERM_GUEST_RO, d->readonly ? "r" : "w", "%s/mode", be);
	ADD(PERM_GUEST_RO, d->vdev, "%s/dev", be);
	ADD(PERM_GUEST_RO, d->cdrom ? "cdrom" : "disk", "%s/device-type", be);
	ADD(PERM_GUEST_RO, d->cdrom ? "1" : "0", "%s/removable", be);
	ADD(PERM_GUEST_RO, "1", "%s/bootable", be);
	snprintf(num, sizeof(num), "%u", devid);
	ADD(PERM_GUEST_RW, num, "%s/virtual-device", fe);
	ADD(PERM_GUEST_RW, d->cdrom ? "cdrom" : "disk", "%s/device-type", fe);
#undef ADD
	if (rc)
		store_entries_free(out);
	return rc;
}
