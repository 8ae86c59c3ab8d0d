/* libFuzzer target: xz_decode, raw LZMA2 and the x86 BCJ decoder on arbitrary bytes. */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include <mica/decompress.h>
#include <mica/errno.h>

#include "../../hypervisor/common/kernel_image/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one byte of mode (0: .xz file, 1: raw LZMA2 with a dictionary of
 * 2^(12 + (byte >> 2) % 20) bytes, 2: BCJ over the bytes, 3: raw LZMA2
 * then BCJ), two bytes of output size (units of 16 bytes), then the data.
 * Raw LZMA2 skips the CRCs that stop most mutations of a .xz file.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t work[XZ_WORK_SIZE / 8];
	struct kimg_err err;
	size_t out_size, got = 0, len;
	uint8_t *in, *out;
	int ret = 0;

	if (size < 3)
		return 0;
	out_size = ((size_t)data[1] | (size_t)data[2] << 8) * 16;
	len = size - 3;
	in = malloc(len ? len : 1);
	out = malloc(out_size ? out_size : 1);
	memcpy(in, data + 3, len);
	err.msg[0] = '\0';
	switch (data[0] & 3) {
	case 0:
		ret = xz_decode(in, len, out, out_size, &got, work, sizeof(work), &err);
		break;
	case 1:
	case 3: {
		size_t used = 0;

		ret = lzma2_decode((struct lzma2_dec *)work, 1u << (12 + (data[0] >> 2) % 20), in, len,
				   &used, out, out_size, &got, &err);
		if (used > len)
			abort();
		if (!ret && (data[0] & 3) == 3)
			bcj_x86_decode(out, got, (uint32_t)len * 0x9e3779b9u);
		break;
	}
	case 2:
		bcj_x86_decode(in, len, data[1]);
		break;
	}
	if (got > out_size || (ret && !err.msg[0]) || ret > 0)
		abort();
	free(in);
	free(out);
	return 0;
}
