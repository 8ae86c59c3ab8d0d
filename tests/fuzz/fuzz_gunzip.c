/* libFuzzer target: gunzip and raw inflate (dom0-tools/kernel_image) on arbitrary bytes. */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include <mica/errno.h>

#include "../../dom0-tools/kernel_image/gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one byte of mode (bit 0: raw DEFLATE instead of gzip), two bytes
 * of output size in KiB-ish units, then the stream. The output buffer is
 * allocated to exactly that size so ASan catches any overrun.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t work[GUNZIP_WORK_SIZE / 8];
	struct kimg_err err;
	size_t out_size, got = 0;
	uint8_t *in, *out;
	int ret;

	if (size < 3)
		return 0;
	out_size = ((size_t)data[1] | (size_t)data[2] << 8) * 16;
	in = malloc(size - 3 ? size - 3 : 1);
	out = malloc(out_size ? out_size : 1);
	memcpy(in, data + 3, size - 3);
	err.msg[0] = '\0';
	if (data[0] & 1)
		ret = inflate(in, size - 3, out, out_size, &got, work, sizeof(work), &err);
	else
		ret = gunzip(in, size - 3, out, out_size, &got, work, sizeof(work), &err);
	if (got > out_size || (ret && !err.msg[0]) || ret > 0)
		abort();
	free(in);
	free(out);
	return 0;
}
