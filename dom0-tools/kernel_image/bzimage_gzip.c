/* gzip bzImage payloads for the domU builder: the hypervisor's bzImage checks around gunzip. */
#include <mica/errno.h>
#include <mica/kernel_image.h>

#include "../../hypervisor/common/kernel_image/internal.h"
#include "gzip.h"

int bzimage_gunzip(const void *image, size_t size, const struct bzimage_info *info, void *out,
		   size_t out_size, void *work, size_t work_size, struct kimg_err *err)
{
	size_t produced = 0;
	int ret;

	if (info->comp != KIMG_COMP_GZIP)
		return kimg_fail(err, -EOPNOTSUPP, "bzImage payload is %s, not gzip",
				 info->comp_name);
	ret = bzimage_payload_check(image, size, info, out_size, err);
	if (ret)
		return ret;
	/* The size trailer is the gzip stream's own ISIZE: the whole payload is the stream. */
	ret = gunzip((const u8 *)image + info->payload_offset, info->payload_length, out,
		     info->decompressed_size, &produced, work, work_size, err);
	return bzimage_output_check(info, ret, produced, err);
}
