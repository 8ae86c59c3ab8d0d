/* libFuzzer target: LZ4 legacy frames on arbitrary bytes. */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include <mica/decompress.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: two bytes of output size (units of 16 bytes), then the frame. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kimg_err err;
	size_t out_size, got = 0;
	uint8_t *in, *out;
	int ret;

	if (size < 2)
		return 0;
	out_size = ((size_t)data[0] | (size_t)data[1] << 8) * 16;
	in = malloc(size - 2 ? size - 2 : 1);
	out = malloc(out_size ? out_size : 1);
	memcpy(in, data + 2, size - 2);
	err.msg[0] = '\0';
	ret = lz4_legacy_decode(in, size - 2, out, out_size, &got, &err);
	if (got > out_size || (ret && !err.msg[0]) || ret > 0)
		abort();
	free(in);
	free(out);
	return 0;
}
