/* blkback's backing store: a raw image file or a dom0 block device. */
#ifndef BLKBACK_DISK_H
#define BLKBACK_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disk {
	int fd;
	bool is_device;         /* a block device, else a regular file */
	bool readonly;
	bool direct;            /* opened O_DIRECT: dom0's page cache is not in the way */
	uint64_t bytes;
	uint64_t sectors;       /* 512-byte units, what the frontend sees */
	uint32_t sector_size;   /* the logical sector size: 512 for files */
	uint32_t physical_sector_size;
	uint32_t discard_granularity; /* bytes; 0: the backing cannot discard */
};

/*
 * Opens path read-only or read-write. Returns 0, or -errno with a sentence
 * for the person in why (not found, not a file or device, too small, a
 * device in use).
 *
 * A block device is opened O_DIRECT, as Linux's blkback submits I/O to the
 * device itself: a write is answered when the device has it (not when it
 * sits in dom0's page cache of the device), the guest's data is not cached
 * twice, and a flush (fsync) flushes the device's cache. Read-write, it is
 * also opened O_EXCL, so a device mounted in dom0 or served read-write to
 * another guest is refused (EBUSY) rather than corrupted. Its size is
 * rounded down to whole logical sectors.
 */
int disk_open(struct disk *d, const char *path, bool readonly, char *why, size_t whysz);
void disk_close(struct disk *d);

/* Whole transfers at byte offset off; 0 or -errno (-EIO on a short transfer). */
int disk_read(struct disk *d, void *buf, size_t len, uint64_t off);
int disk_write(struct disk *d, const void *buf, size_t len, uint64_t off);
/* Everything written so far reaches stable storage (fsync). */
int disk_flush(struct disk *d);
/* Discards len bytes at off: a hole in a file, BLKDISCARD on a device. -EOPNOTSUPP if neither works. */
int disk_discard(struct disk *d, uint64_t off, uint64_t len);

#endif
