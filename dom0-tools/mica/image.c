/* Guest kernel files: read, unwrap, check (the hypervisor's pure loader does the checking). */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mica/decompress.h>
#include <mica/kernel_image.h>

#include "gzip.h"

int read_file_max(const char *path, size_t max, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO; /* the file shrank under us */
			free(buf);
			goto out;
		}
		got += (size_t)n;
	}
	*data = buf;
	*len = got;
out:
	close(fd);
	return rc;
}

static int unwrap_bzimage(struct kernel_image *img, unsigned char *file, size_t size,
			  char *why, size_t whysz)
{
	struct bzimage_info bz;
	struct kimg_err err = { "" };
	void *work;
	bool gzip;
	int rc;

	/* The hypervisor's parser refuses gzip, which only dom0 decodes (gzip.h). */
	rc = bzimage_parse(file, size, &bz, &err);
	gzip = rc == -EOPNOTSUPP && bz.comp == KIMG_COMP_GZIP;
	if (rc && !gzip) {
		if (rc == -EOPNOTSUPP)
			snprintf(why, whysz, "the bzImage is compressed with %s; mica accepts gzip, "
					     "xz and lz4 bzImages and ELF kernels", bz.comp_name);
		else
			snprintf(why, whysz, "%s", err.msg);
		return -EINVAL;
	}
	snprintf(img->format, sizeof(img->format), "bzImage (%s)", bz.comp_name);
	if (bz.decompressed_size > KERNEL_ELF_MAX) {
		snprintf(why, whysz, "the bzImage says it decompresses to %u MiB, over the %u MiB "
				     "mica accepts", bz.decompressed_size >> 20, KERNEL_ELF_MAX >> 20);
		return -EFBIG;
	}
	img->elf = malloc(bz.decompressed_size ? bz.decompressed_size : 1);
	work = aligned_alloc(8, KIMG_WORK_SIZE);
	if (!img->elf || !work) {
		free(work);
		snprintf(why, whysz, "out of memory decompressing the kernel");
		return -ENOMEM;
	}
	if (gzip)
		rc = bzimage_gunzip(file, size, &bz, img->elf, bz.decompressed_size, work,
				    KIMG_WORK_SIZE, &err);
	else
		rc = bzimage_decompress(file, size, &bz, img->elf, bz.decompressed_size, work,
					KIMG_WORK_SIZE, &err);
	free(work);
	if (rc) {
		snprintf(why, whysz, "%s", err.msg);
		return -EINVAL;
	}
	img->elf_size = bz.decompressed_size;
	return 0;
}

int kernel_image_load(const char *path, struct kernel_image *img, char *why, size_t whysz)
{
	struct kimg_err err = { "" };
	struct xen_elf_info *info;
	unsigned char *file;
	size_t size;
	int rc;

	memset(img, 0, sizeof(*img));
	rc = read_file_max(path, KERNEL_FILE_MAX, &file, &size);
	if (rc) {
		if (rc == -EFBIG)
			snprintf(why, whysz, "larger than %u MiB: not a kernel", KERNEL_FILE_MAX >> 20);
		else
			snprintf(why, whysz, "%s", strerror(-rc));
		return rc;
	}
	if (bzimage_detect(file, size)) {
		rc = unwrap_bzimage(img, file, size, why, whysz);
		free(file);
		if (rc) {
			kernel_image_free(img);
			return rc;
		}
	} else {
		img->elf = file;
		img->elf_size = size;
		snprintf(img->format, sizeof(img->format), "ELF");
	}
	info = calloc(1, sizeof(*info));
	if (!info) {
		kernel_image_free(img);
		return -ENOMEM;
	}
	img->info = info;
	rc = xen_elf_parse(img->elf, img->elf_size, info, &err);
	if (rc) {
		snprintf(why, whysz, "%s", err.msg);
		kernel_image_free(img);
		return -EINVAL;
	}
	img->k.virt_base = info->virt_base;
	img->k.entry = info->entry;
	img->k.paddr_start = info->paddr_start;
	img->k.paddr_end = info->paddr_end;
	img->k.init_p2m = (info->notes >> XEN_ELFNOTE_INIT_P2M) & 1 ? info->init_p2m : 0;
	img->k.hypercall_page = (info->notes >> XEN_ELFNOTE_HYPERCALL_PAGE) & 1 ? info->hypercall_page : 0;
	img->k.mod_start_pfn = (info->notes >> XEN_ELFNOTE_MOD_START_PFN) & 1 && info->mod_start_pfn;
	img->nr_segments = info->nr_segments;
	snprintf(img->guest_os, sizeof(img->guest_os), "%s", info->guest_os);
	return 0;
}

void kernel_image_free(struct kernel_image *img)
{
	free(img->elf);
	free(img->info);
	memset(img, 0, sizeof(*img));
}

struct place_ctx {
	int (*write)(void *ctx, uint64_t paddr, const void *src, uint64_t len);
	void *ctx;
};

static int place_cb(void *ctx, u64 paddr, u64 vaddr, const void *src, u64 len)
{
	struct place_ctx *p = ctx;

	(void)vaddr;
	return p->write(p->ctx, paddr, src, len);
}

int kernel_image_place(const struct kernel_image *img,
		       int (*write)(void *ctx, uint64_t paddr, const void *src, uint64_t len),
		       void *ctx, char *why, size_t whysz)
{
	struct place_ctx p = { .write = write, .ctx = ctx };
	struct kimg_err err = { "" };
	int rc;

	rc = xen_elf_load(img->elf, img->elf_size, img->info, place_cb, &p, &err);
	if (rc && err.msg[0])
		snprintf(why, whysz, "%s", err.msg);
	else if (rc)
		snprintf(why, whysz, "%s", strerror(-rc));
	return rc;
}
