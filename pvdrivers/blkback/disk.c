/* blkback's backing store: raw image files and dom0 block devices. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"

int disk_open(struct disk *d, const char *path, bool readonly, char *why, size_t whysz)
{
	struct stat st;
	int rc;

	memset(d, 0, sizeof(*d));
	d->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		rc = -errno;
		snprintf(why, whysz, "cannot open %s %s: %s", path, readonly ? "read-only" :
			 "read-write", strerror(errno));
		return rc;
	}
	d->readonly = readonly;
	d->sector_size = d->physical_sector_size = 512;
	if (fstat(d->fd, &st)) {
		rc = -errno;
		snprintf(why, whysz, "cannot look at %s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		int lss = 0;
		unsigned int pss = 0;

		d->is_device = true;
		if (ioctl(d->fd, BLKGETSIZE64, &d->bytes)) {
			rc = -errno;
			snprintf(why, whysz, "cannot get the size of device %s: %s", path,
				 strerror(errno));
			goto fail;
		}
		if (!ioctl(d->fd, BLKSSZGET, &lss) && lss >= 512 && lss <= 65536)
			d->sector_size = (uint32_t)lss;
		if (!ioctl(d->fd, BLKPBSZGET, &pss) && pss >= d->sector_size && pss <= 65536)
			d->physical_sector_size = pss;
	} else if (S_ISREG(st.st_mode)) {
		d->bytes = (uint64_t)st.st_size;
	} else {
		rc = -EINVAL;
		snprintf(why, whysz, "%s is neither an image file nor a block device", path);
		goto fail;
	}
	d->sectors = d->bytes / 512;
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
