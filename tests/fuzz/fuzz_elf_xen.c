/* libFuzzer target: xen_elf_parse and xen_elf_load on arbitrary bytes. */
#pragma GCC visibility push(default)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#pragma GCC visibility pop

#include <mica/kernel_image.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
	const uint8_t *image;
	size_t size;
	uint64_t last_end;
};

/* Every write must come from inside the image, in paddr order, without overlap. */
static int check_write(void *ctx, u64 paddr, u64 vaddr, const void *src, u64 len)
{
	struct bounds *b = ctx;
	const uint8_t *s = src;

	(void)vaddr;
	if (src && (s < b->image || len > b->size || (size_t)(s - b->image) > b->size - len))
		abort();
	if (paddr < b->last_end)
		abort();
	b->last_end = paddr + len;
	if (src && len) {
		/* Touch the first and last byte so ASan checks the range. */
		volatile uint8_t x = s[0];
		x = s[len - 1];
		(void)x;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xen_elf_info info;
	struct kimg_err err;
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	uint8_t *image = malloc(size ? size : 1);
	struct bounds b = { image, size, 0 };

	memcpy(image, data, size);
	err.msg[0] = '\0';
	if (xen_elf_parse(image, size, &info, &err)) {
		if (!err.msg[0] || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
			abort();
	} else {
		if (info.nr_segments == 0 || info.nr_segments > XEN_ELF_MAX_SEGMENTS ||
		    info.virt_kstart > info.entry || info.entry >= info.virt_kend)
			abort();
		if (xen_elf_load(image, size, &info, check_write, &b, &err))
			abort();
	}
	free(image);
	return 0;
}
