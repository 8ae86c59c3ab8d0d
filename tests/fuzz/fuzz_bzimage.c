/* libFuzzer target: bzImage detection, parsing and extraction, then the ELF inside. */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include <mica/decompress.h>
#include <mica/kernel_image.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT (4u << 20) /* skip larger claimed sizes: memory, not safety */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t work[KIMG_WORK_SIZE / 8];
	static struct xen_elf_info info;
	struct bzimage_info bi;
	struct kimg_err err;
	uint8_t *image = malloc(size ? size : 1), *out;

	memcpy(image, data, size);
	if (!bzimage_detect(image, size) || bzimage_parse(image, size, &bi, &err) ||
	    bi.decompressed_size > MAX_OUT) {
		free(image);
		return 0;
	}
	if (bi.payload_offset > size || bi.payload_length > size - bi.payload_offset)
		abort();
	out = malloc(bi.decompressed_size ? bi.decompressed_size : 1);
	if (!bzimage_decompress(image, size, &bi, out, bi.decompressed_size, work, sizeof(work),
				&err))
		xen_elf_parse(out, bi.decompressed_size, &info, &err);
	free(out);
	free(image);
	return 0;
}
