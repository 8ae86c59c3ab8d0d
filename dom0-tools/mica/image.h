/*
 * Guest kernel and ramdisk files: reading them, unwrapping a bzImage and
 * checking the ELF with the hypervisor's own loader
 * (hypervisor/common/kernel_image/, compiled into the tools).
 */
#ifndef MICA_IMAGE_H
#define MICA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define KERNEL_FILE_MAX (256u << 20)   /* bytes of a kernel file */
#define KERNEL_ELF_MAX (512u << 20)    /* bytes of a kernel once decompressed */
#define RAMDISK_FILE_MAX (1024u << 20) /* bytes of a ramdisk */

struct kernel_image {
	unsigned char *elf;         /* the ELF image (decompressed from a bzImage if it was one) */
	size_t elf_size;
	struct domu_kernel k;       /* what the layout needs */
	char format[48];            /* "ELF" or "bzImage (xz)", for messages */
	char guest_os[32];          /* GUEST_OS note, e.g. "linux" */
	unsigned int nr_segments;
	void *info;                 /* the parser's struct xen_elf_info */
};

/*
 * Reads the kernel file at path and checks it. Returns 0, or -errno with
 * a sentence in why: -ENOENT/-EACCES/... from the file, -EINVAL for an
 * image that is not a 64-bit Xen PV kernel, -EFBIG for one too large.
 */
int kernel_image_load(const char *path, struct kernel_image *img, char *why, size_t whysz);
void kernel_image_free(struct kernel_image *img);

/*
 * Calls write(ctx, paddr, src, len) for every piece of the image to put in
 * guest memory, in paddr order; src NULL means len zero bytes. Returns 0
 * or the first error write returns.
 */
int kernel_image_place(const struct kernel_image *img,
		       int (*write)(void *ctx, uint64_t paddr, const void *src, uint64_t len),
		       void *ctx, char *why, size_t whysz);

/* Reads a whole file of at most max bytes into a malloc'd buffer; -EFBIG if larger. */
int read_file_max(const char *path, size_t max, unsigned char **data, size_t *len);

#endif
