/* blkback's backing store: raw image files and dom0 block devices. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "disk.h"

/* Cannot open path: why says so, with what to do for the usual causes. */
static int open_failed(const char *path, bool readonly, char *why, size_t whysz)
{
	int err = errno;

	if (err == EBUSY)
		snprintf(why, whysz, "device %s is in use in dom0 (mounted, or served read-write "
			 "to another guest): unmount or detach it first, or attach it with "
			 "access=ro", path);
	else
		snprintf(why, whysz, "cannot open %s %s: %s", path,
			 readonly ? "read-only" : "read-write", strerror(err));
	return -err;
}

/*
 * A number from the sysfs queue directory of block device dev, or of the
 * disk a partition is on (partitions have none of their own); 0 if absent.
 */
static uint64_t queue_value(dev_t dev, const char *name)
{
	static const char *const where[] = { "", "../" };
	unsigned long long v = 0;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%squeue/%s", major(dev),
			 minor(dev), where[i], name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
		return v;
	}
	return 0;
}

/* Sizes, sectors and discard of the block device open at d->fd; 0 or -errno. */
static int probe_device(struct disk *d, const char *path, dev_t rdev, char *why, size_t whysz)
{
	int lss = 0, ro = 0;
	unsigned int pss = 0;
	uint64_t gran;

	if (!d->readonly && !ioctl(d->fd, BLKROGET, &ro) && ro) {
		snprintf(why, whysz, "device %s is read-only in dom0: attach it with access=ro",
			 path);
		return -EROFS;
	}
	if (ioctl(d->fd, BLKGETSIZE64, &d->bytes)) {
		snprintf(why, whysz, "cannot get the size of device %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!ioctl(d->fd, BLKSSZGET, &lss) && lss >= 512 && lss <= 65536 && !(lss & (lss - 1)))
		d->sector_size = (uint32_t)lss;
	if (!ioctl(d->fd, BLKPBSZGET, &pss) && pss >= d->sector_size && pss <= 65536)
		d->physical_sector_size = pss;
	if (!d->readonly && queue_value(rdev, "discard_max_bytes")) {
		gran = queue_value(rdev, "discard_granularity");
		d->discard_granularity = gran > d->sector_size && gran <= (1u << 30) ?
					 (uint32_t)gran : d->sector_size;
	}
	return 0;
}

int disk_open(struct disk *d, const char *path, bool readonly, char *why, size_t whysz)
{
	struct stat st;
	bool device;
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC, rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->readonly = readonly;
	d->sector_size = d->physical_sector_size = 512;
	if (stat(path, &st)) {
		rc = -errno;
		snprintf(why, whysz, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	device = S_ISBLK(st.st_mode);
	if (device && !readonly)
		flags |= O_EXCL;
	if (device) {
		d->fd = open(path, flags | O_DIRECT);
		d->direct = d->fd >= 0;
	}
	if (d->fd < 0 && (!device || errno == EINVAL)) /* EINVAL: no O_DIRECT there */
		d->fd = open(path, flags);
	if (d->fd < 0)
		return open_failed(path, readonly, why, whysz);
	if (fstat(d->fd, &st)) {
		rc = -errno;
		snprintf(why, whysz, "cannot look at %s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode) != device) {
		rc = -EAGAIN;
		snprintf(why, whysz, "%s changed while it was being opened: try again", path);
		goto fail;
	}
	if (device) {
		d->is_device = true;
		rc = probe_device(d, path, st.st_rdev, why, whysz);
		if (rc)
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		d->bytes = (uint64_t)st.st_size;
		d->discard_granularity = readonly ? 0 : 4096;
	} else {
		rc = -EINVAL;
		snprintf(why, whysz, "%s is neither an image file nor a block device", path);
		goto fail;
	}
	/* Whole logical sectors only, counted in the protocol's 512-byte units. */
	d->sectors = d->bytes / d->sector_size * (d->sector_size / 512);
	if (d->bytes < d->sector_size) {
		rc = -EINVAL;
		snprintf(why, whysz, "%s is empty (%llu bytes): make the image first, e.g. "
			 "truncate -s 1G %s", path, (unsigned long long)d->bytes, path);
		goto fail;
	}
	return 0;
fail:
	close(d->fd);
	d->fd = -1;
	return rc;
}

void disk_close(struct disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int disk_read(struct disk *d, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(d->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int disk_write(struct disk *d, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int disk_flush(struct disk *d)
{
	return fsync(d->fd) ? -errno : 0;
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	if (d->is_device) {
		uint64_t range[2] = { off, len };

		return ioctl(d->fd, BLKDISCARD, range) ? -errno : 0;
	}
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return errno == ENOSYS ? -EOPNOTSUPP : -errno;
	return 0;
}
