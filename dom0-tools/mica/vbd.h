/*
 * A guest's virtual block devices: the store directories of both ends
 * (pure: vbd_devid, vbd_entries_for, host-tested) and attaching and
 * detaching them on a live guest (vbd_attach, vbd_detach, in cmd_block.c),
 * with mica-blkback serving them.
 *
 * For disk xvdb (device number 51728) of domain 3 the toolstack writes,
 * as libxl does:
 *
 *   /local/domain/0/backend/vbd/3/51728/   owned by dom0, readable by the guest
 *       frontend, frontend-id, online 1, state 1, params (the image),
 *       type (file or phy), mode (r or w), dev (xvdb), device-type, removable, bootable
 *   /local/domain/3/device/vbd/51728/      owned by the guest
 *       backend, backend-id 0, state 1, virtual-device 51728, device-type
 *
 * mica-blkback adds its features and the size to the first; the guest's
 * blkfront adds its rings and event channel to the second.
 */
#ifndef MICA_VBD_H
#define MICA_VBD_H

#include <stdint.h>

#include "config.h"
#include "store.h"

struct mica;
struct mica_xs;

/*
 * The Xen device number of a guest device name: xvdX (202, 16 partitions,
 * or the extended form past xvdp), sdX (8), hda-hdd (3, 22), or a bare
 * number. -EINVAL for anything else.
 */
int64_t vbd_devid(const char *vdev);

/* The entries of both ends of disk d as devid of domain domid; 0 or -ENOMEM. */
int vbd_entries_for(uint32_t domid, const struct disk_spec *d, uint32_t devid, bool is_device,
		    struct store_entries *out);

/*
 * Attaches disk d to domain domid: checks the image, starts mica-blkback if
 * it is not running, writes both directories, and waits (up to 10 s) for
 * blkback to open the image. On failure nothing is left and errors says why.
 */
int vbd_attach(struct mica_xs *xs, uint32_t domid, const struct disk_spec *d,
	       struct msgs *errors);

/*
 * Detaches devid of domain domid: asks both ends to close (online 0, state
 * Closing), waits up to timeout_ms for blkback to reach Closed (the guest
 * has let go), then removes both directories. -ETIMEDOUT if the guest did
 * not let go in time (nothing removed unless force), -ENOENT if no such disk.
 */
int vbd_detach(struct mica_xs *xs, uint32_t domid, uint32_t devid, int timeout_ms, bool force);

#endif
