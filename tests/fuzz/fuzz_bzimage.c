/* libFuzzer target: bzImage detection, parsing and extraction (gzip: the CLI's), then the ELF inside. */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/kernel_image.h>

#include "../../dom0-tools/kernel_image/gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT (4u << 20) /* skip larger claimed sizes: memory, not safety */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t work[KIMG_WORK_SIZE / 8];
	static struct xen_elf_info info;
	struct bzimage_info bi;
	struct kimg_err err;
	uint8_t *image = malloc(size ? size : 1), *out;
	int ret;

	memcpy(image, data, size);
	ret = bzimage_detect(image, size) ? bzimage_parse(image, size, &bi, &err) : -1;
	if (ret == -EOPNOTSUPP && bi.comp == KIMG_COMP_GZIP)
		ret = 0;
	if (ret || bi.decompressed_size > MAX_OUT) {
		free(image);
		return 0;
	}
	if (bi.payload_offset > size || bi.payload_length > size - bi.payload_offset)
		abort();
	out = malloc(bi.decompressed_size ? bi.decompressed_size : 1);
	if (bi.comp == KIMG_COMP_GZIP)
		ret = bzimage_gunzip(image, size, &bi, out, bi.decompressed_size, work,
				     sizeof(work), &err);
	else
		ret = bzimage_decompress(image, size, &bi, out, bi.decompressed_size, work,
					 sizeof(work), &err);
	if (!ret)
		xen_elf_parse(out, bi.decompressed_size, &info, &err);
	free(out);
	free(image);
	return 0;
}
