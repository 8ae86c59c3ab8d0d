/* Grant copies between a device's guest and dom0's buffers, through gntdev. */
#include <errno.h>
#include <string.h>

#include <pv/grant_table.h>

#include "libmica.h"
#include "pvback.h"

void pvb_copy_seg(const struct pvb_dev *d, struct mica_grant_copy *seg, bool to_guest,
		  uint32_t ref, uint16_t offset, void *local, uint16_t len)
{
	memset(seg, 0, sizeof(*seg));
	if (to_guest) {
		seg->source.virt = local;
		seg->dest.foreign.ref = ref;
		seg->dest.foreign.offset = offset;
		seg->dest.foreign.domid = (uint16_t)pvb_domid(d);
		seg->flags = GNTCOPY_dest_gref;
	} else {
		seg->source.foreign.ref = ref;
		seg->source.foreign.offset = offset;
		seg->source.foreign.domid = (uint16_t)pvb_domid(d);
		seg->dest.virt = local;
		seg->flags = GNTCOPY_source_gref;
	}
	seg->len = len;
}

int pvb_copy(struct pvb_dev *d, struct mica_grant_copy *segs, unsigned int nr)
{
	int rc = mica_gntdev_copy(pvb_gntdev(d), segs, nr);

	if (rc)
		return rc;
	for (unsigned int i = 0; i < nr; i++)
		if (segs[i].status != GNTST_okay)
			return -EIO;
	return 0;
}
