/* Host tool over the kernel-image code: extract, decompress, time, and print Xen notes. */
#pragma GCC visibility push(default)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#pragma GCC visibility pop

#include "../unit/host_lib.h"

#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/kernel_image.h>

#include "../../dom0-tools/kernel_image/gzip.h"

/*
 * usage: kimg_tool [-o OUT] [-n RUNS] FILE
 * FILE is a bzImage, an ELF vmlinux, or a bare .gz, .xz or legacy .lz4
 * stream (by magic). Decompresses (timing the best of RUNS), writes the
 * result to OUT if given, and prints the Xen notes if the result is ELF.
 */

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "kimg_tool: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf) {
				fprintf(stderr, "kimg_tool: out of memory\n");
				exit(2);
			}
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		if (!got)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_notes(const void *elf, size_t len)
{
	struct xen_elf_info *info = calloc(1, sizeof(*info));
	struct kimg_err err = { "" };
	int ret = xen_elf_parse(elf, len, info, &err);

	if (ret) {
		printf("ELF: refused (%d): %s\n", ret, err.msg);
		free(info);
		return;
	}
	printf("ELF: entry %#llx virt [%#llx, %#llx) paddr [%#llx, %#llx)\n",
	       (unsigned long long)info->entry, (unsigned long long)info->virt_kstart,
	       (unsigned long long)info->virt_kend, (unsigned long long)info->paddr_start,
	       (unsigned long long)info->paddr_end);
	for (unsigned int i = 0; i < info->nr_segments; i++)
		printf("  PT_LOAD paddr %#llx vaddr %#llx filesz %#llx memsz %#llx flags %x\n",
		       (unsigned long long)info->seg[i].paddr, (unsigned long long)info->seg[i].vaddr,
		       (unsigned long long)info->seg[i].filesz, (unsigned long long)info->seg[i].memsz,
		       info->seg[i].flags);
	printf("  notes %#llx virt_base %#llx paddr_offset %#llx hypercall_page %#llx\n",
	       (unsigned long long)info->notes, (unsigned long long)info->virt_base,
	       (unsigned long long)info->paddr_offset, (unsigned long long)info->hypercall_page);
	printf("  xen_version \"%s\" guest_os \"%s\" guest_version \"%s\" loader \"%s\"\n",
	       info->xen_version, info->guest_os, info->guest_version, info->loader);
	printf("  features \"%s\" wanted %#x required %#x supported_features %#x\n",
	       info->features, info->features_wanted, info->features_required,
	       info->supported_features);
	printf("  init_p2m %#llx\n", (unsigned long long)info->init_p2m);
	printf("  suspend_cancel %u mod_start_pfn %u\n", info->suspend_cancel, info->mod_start_pfn);
	free(info);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL, *path;
	int runs = 1, opt_i = 1;
	size_t len, out_cap, out_len = 0;
	unsigned char *in, *out = NULL;
	void *work = aligned_alloc(8, KIMG_WORK_SIZE);
	struct kimg_err err = { "" };
	double best = 1e9;
	int ret = 0;

	while (opt_i + 1 < argc && argv[opt_i][0] == '-') {
		if (!strcmp(argv[opt_i], "-o"))
			out_path = argv[opt_i + 1];
		else if (!strcmp(argv[opt_i], "-n"))
			runs = atoi(argv[opt_i + 1]);
		else
			break;
		opt_i += 2;
	}
	if (opt_i != argc - 1) {
		fprintf(stderr, "usage: kimg_tool [-o OUT] [-n RUNS] FILE\n");
		return 2;
	}
	path = argv[opt_i];
	in = read_file(path, &len);

	if (bzimage_detect(in, len)) {
		struct bzimage_info bz;

		ret = bzimage_parse(in, len, &bz, &err);
		if (ret == -EOPNOTSUPP && bz.comp == KIMG_COMP_GZIP)
			ret = 0; /* the hypervisor refuses gzip; the CLI decodes it */
		printf("bzImage: protocol %#x, payload at %#llx, %llu bytes, %s, decompressed %u\n",
		       bz.version, (unsigned long long)bz.payload_offset,
		       (unsigned long long)bz.payload_length, bz.comp_name, bz.decompressed_size);
		if (ret) {
			printf("refused (%d): %s\n", ret, err.msg);
			return 1;
		}
		out = malloc(bz.decompressed_size);
		for (int r = 0; r < runs; r++) {
			double t = now();

			if (bz.comp == KIMG_COMP_GZIP)
				ret = bzimage_gunzip(in, len, &bz, out, bz.decompressed_size, work,
						     KIMG_WORK_SIZE, &err);
			else
				ret = bzimage_decompress(in, len, &bz, out, bz.decompressed_size,
							 work, KIMG_WORK_SIZE, &err);
			t = now() - t;
			if (t < best)
				best = t;
		}
		out_len = bz.decompressed_size;
		len = bz.payload_length;
	} else if (len >= 4 && !memcmp(in, "\177ELF", 4)) {
		out = in;
		out_len = len;
		best = 0;
	} else {
		out_cap = len * 20 + (1 << 20);
		out = malloc(out_cap);
		for (int r = 0; r < runs; r++) {
			double t = now();

			if (in[0] == 0x1f)
				ret = gunzip(in, len, out, out_cap, &out_len, work, KIMG_WORK_SIZE, &err);
			else if (in[0] == 0xfd)
				ret = xz_decode(in, len, out, out_cap, &out_len, work, KIMG_WORK_SIZE, &err);
			else
				ret = lz4_legacy_decode(in, len, out, out_cap, &out_len, &err);
			t = now() - t;
			if (t < best)
				best = t;
		}
	}
	if (ret) {
		printf("decompression failed (%d): %s\n", ret, err.msg);
		return 1;
	}
	if (best > 0)
		printf("decompressed %zu -> %zu bytes in %.3f s (%.0f MB/s of output)\n", len,
		       out_len, best, out_len / best / 1e6);
	if (out_path) {
		FILE *f = fopen(out_path, "wb");

		if (!f || fwrite(out, 1, out_len, f) != out_len || fclose(f)) {
			fprintf(stderr, "kimg_tool: cannot write %s\n", out_path);
			return 2;
		}
	}
	if (out_len >= 4 && !memcmp(out, "\177ELF", 4))
		print_notes(out, out_len);
	return 0;
}
