/* Unit tests for bzImage parsing and extraction (gzip: the CLI's), and for real Debian and Mica kernels. */
/* unit-sources: hypervisor/common/kernel_image/elf_xen.c hypervisor/common/kernel_image/xen_notes.c */
/* unit-sources: hypervisor/common/kernel_image/bzimage.c hypervisor/common/kernel_image/report.c */
/* unit-sources: dom0-tools/kernel_image/inflate.c dom0-tools/kernel_image/gunzip.c */
/* unit-sources: dom0-tools/kernel_image/bzimage_gzip.c */
/* unit-sources: hypervisor/common/kernel_image/xz.c hypervisor/common/kernel_image/lzma2.c */
/* unit-sources: hypervisor/common/kernel_image/bcj_x86.c hypervisor/common/kernel_image/lz4.c */
/* unit-sources: hypervisor/common/kernel_image/crc.c */
/* unit-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include "kimg_fab.h"

#pragma GCC visibility push(default)
#include <glob.h>
#include <time.h>
#pragma GCC visibility pop

#include <mica/decompress.h>
#include <mica/errno.h>
#include <mica/kernel_image.h>

#include "../../dom0-tools/kernel_image/gzip.h"

static uint64_t work[KIMG_WORK_SIZE / 8];
static struct xen_elf_info info;
static struct kimg_err err;
static unsigned char img[FAB_MAX];

/* ---- bzImage -------------------------------------------------------------- */

/* A bzImage around payload[0..len): setup header, protocol version, setup_sects. */
static unsigned char *fab_bzimage(const unsigned char *payload, size_t len, uint16_t version,
				  unsigned int setup_sects, size_t *size)
{
	unsigned int sects = setup_sects ? setup_sects : 4;
	size_t start = (sects + 1) * 512, off = 0x2cc;
	unsigned char *bz = calloc(1, start + off + len);

	bz[0x1f1] = (unsigned char)setup_sects;
	put16(bz + 0x1fe, 0xaa55);
	memcpy(bz + 0x202, "HdrS", 4);
	put16(bz + 0x206, version);
	put32(bz + 0x248, (uint32_t)off);
	put32(bz + 0x24c, (uint32_t)len);
	memcpy(bz + start + off, payload, len);
	*size = start + off + len;
	return bz;
}

/* The fabricated ELF compressed as Linux does it: gzip as is, others with a size appended. */
static unsigned char *kernel_payload(const char *cmd, bool append, size_t elf_size, size_t *len)
{
	unsigned char *p = host_compress(cmd, img, elf_size, len);

	if (p && append) {
		p = realloc(p, *len + 4);
		put32(p + *len, (uint32_t)elf_size);
		*len += 4;
	}
	return p;
}

/* gzip payloads are the mica CLI's (bzimage_gunzip), the others the hypervisor's. */
static int decompress(const void *bz, size_t size, const struct bzimage_info *bi, void *out,
		      size_t out_size)
{
	if (bi->comp == KIMG_COMP_GZIP)
		return bzimage_gunzip(bz, size, bi, out, out_size, work, sizeof(work), &err);
	return bzimage_decompress(bz, size, bi, out, out_size, work, sizeof(work), &err);
}

static void check_bzimage(const char *cmd, bool append, enum kimg_comp comp, unsigned int sects)
{
	/* The hypervisor's parser fills in a gzip payload's details but refuses it. */
	int parsed = comp == KIMG_COMP_GZIP ? -EOPNOTSUPP : 0;
	size_t elf_size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0), plen, size;
	unsigned char *elf = malloc(elf_size), *payload, *bz, *out;
	struct bzimage_info bi;
	int ret;

	memcpy(elf, img, elf_size);
	payload = kernel_payload(cmd, append, elf_size, &plen);
	REQUIRE(payload);
	bz = fab_bzimage(payload, plen, 0x020f, sects, &size);
	CHECK(bzimage_detect(bz, size));
	ret = bzimage_parse(bz, size, &bi, &err);
	CHECK_MSG(ret == parsed, "%s: %d %s", cmd, ret, err.msg);
	CHECK_EQ(bi.comp, comp);
	CHECK_EQ(bi.version, 0x020f);
	CHECK_EQ(bi.setup_sects, sects ? sects : 4);
	CHECK_EQ(bi.payload_offset, ((sects ? sects : 4) + 1) * 512 + 0x2cc);
	CHECK_EQ(bi.payload_length, plen);
	CHECK_EQ(bi.decompressed_size, elf_size);
	out = malloc(elf_size);
	ret = decompress(bz, size, &bi, out, elf_size);
	CHECK_MSG(ret == 0, "%s: %d %s", cmd, ret, err.msg);
	CHECK(!memcmp(out, elf, elf_size));
	CHECK_EQ(xen_elf_parse(out, elf_size, &info, &err), 0);
	CHECK_EQ(info.entry, ENTRY);

	/* Too small an output buffer. */
	CHECK_EQ(decompress(bz, size, &bi, out, elf_size - 1), -ENOSPC);
	/* A size trailer that lies, either way. */
	if (append) {
		bi.decompressed_size = (uint32_t)elf_size - 1;
		CHECK_EQ(decompress(bz, size, &bi, out, elf_size), -EINVAL);
		CHECK(strstr(err.msg, "more than") != NULL);
		bi.decompressed_size = (uint32_t)elf_size;
		put32(bz + size - 4, (uint32_t)elf_size + 1);
		CHECK_EQ(bzimage_parse(bz, size, &bi, &err), 0);
		free(out);
		out = malloc(elf_size + 1);
		CHECK_EQ(decompress(bz, size, &bi, out, elf_size + 1), -EINVAL);
		CHECK(strstr(err.msg, "its trailer says") != NULL);
	}
	/* Truncated bzImages: refused by parse or by decompress, never an overrun. */
	for (size_t n = 0; n < size; n += 1 + n / 16) {
		unsigned char *cut = malloc(n ? n : 1);

		memcpy(cut, bz, n);
		if (bzimage_parse(cut, n, &bi, &err) == parsed) {
			unsigned char *o = malloc(bi.decompressed_size + 1);

			CHECK_MSG(decompress(cut, n, &bi, o, bi.decompressed_size) != 0,
				  "%s: truncated to %zu accepted", cmd, n);
			free(o);
		}
		free(cut);
	}
	free(elf);
	free(payload);
	free(bz);
	free(out);
}

static void test_bzimage_gzip(void)
{
	size_t size;
	unsigned char *bz = fab_bzimage((const unsigned char *)"\x1f\x8b\x08\0\0\0\0\0\0\3", 10,
					0x020f, 39, &size);
	struct bzimage_info bi;

	check_bzimage("gzip -9 -n -c", false, KIMG_COMP_GZIP, 39);
	/* The hypervisor refuses gzip, naming what it decodes; the CLI's decoder takes only gzip. */
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EOPNOTSUPP);
	CHECK_STR(err.msg, "bzImage compressed with gzip; the hypervisor decodes xz and lz4 (as "
			   "Debian's kernels use): give an xz or lz4 bzImage, or the ELF vmlinux");
	CHECK_EQ(bzimage_decompress(bz, size, &bi, img, sizeof(img), work, sizeof(work), &err),
		 -EOPNOTSUPP);
	CHECK(strstr(err.msg, "compressed with gzip; the hypervisor decodes xz and lz4") != NULL);
	bi.comp = KIMG_COMP_XZ;
	bi.comp_name = "xz";
	CHECK_EQ(bzimage_gunzip(bz, size, &bi, img, sizeof(img), work, sizeof(work), &err),
		 -EOPNOTSUPP);
	free(bz);
}

static void test_bzimage_xz(void)
{
	check_bzimage("xz -c -Q --check=crc32 --x86 --lzma2=dict=32MiB", true, KIMG_COMP_XZ, 0);
}

static void test_bzimage_lz4(void)
{
	check_bzimage("lz4 -l -c -9", true, KIMG_COMP_LZ4, 17);
}

static void test_bzimage_unsupported(void)
{
	static const struct {
		const char *name;
		unsigned char magic[6];
	} others[] = {
		{ "bzip2", { 'B', 'Z', 'h', '9' } },
		{ "lzma", { 0x5d, 0, 0, 0x80 } },
		{ "lzo", { 0x89, 'L', 'Z', 'O' } },
		{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd } },
	};
	unsigned char payload[64];
	struct bzimage_info bi;
	size_t size;
	char want[200];

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		unsigned char *bz;

		memset(payload, 0x11, sizeof(payload));
		memcpy(payload, others[i].magic, 4);
		bz = fab_bzimage(payload, sizeof(payload), 0x020f, 39, &size);
		CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EOPNOTSUPP);
		snprintf(want, sizeof(want), "bzImage compressed with %s; the hypervisor decodes xz and "
			 "lz4 (as Debian's kernels use): give an xz or lz4 bzImage, or the ELF vmlinux",
			 others[i].name);
		CHECK_STR(err.msg, want);
		CHECK_STR(bi.comp_name, others[i].name);
		CHECK_EQ(bzimage_decompress(bz, size, &bi, payload, sizeof(payload), work,
					    sizeof(work), &err), -EOPNOTSUPP);
		free(bz);
	}
	memset(payload, 0x11, sizeof(payload));
	{
		unsigned char *bz = fab_bzimage(payload, sizeof(payload), 0x020f, 39, &size);

		CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
		CHECK(strstr(err.msg, "unknown format (starts 11 11 11 11)") != NULL);
		free(bz);
	}
}

static void test_bzimage_headers(void)
{
	unsigned char payload[64] = { 0x02, 0x21, 0x4c, 0x18 }; /* lz4 */
	struct bzimage_info bi;
	unsigned char *bz;
	size_t size;

	bz = fab_bzimage(payload, sizeof(payload), 0x0207, 39, &size);
	CHECK(bzimage_detect(bz, size));
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	CHECK(strstr(err.msg, "2.07") != NULL);
	free(bz);

	bz = fab_bzimage(payload, sizeof(payload), 0x020f, 39, &size);
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), 0);
	put32(bz + 0x24c, sizeof(payload) + 1);
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	CHECK(strstr(err.msg, "outside") != NULL);
	put32(bz + 0x24c, UINT32_MAX);
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	put32(bz + 0x24c, sizeof(payload));
	put32(bz + 0x248, UINT32_MAX);
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	put32(bz + 0x248, 0x2cc);
	put32(bz + 0x24c, 4);
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	CHECK(strstr(err.msg, "too short") != NULL);
	bz[0x1f1] = 255; /* setup beyond the file */
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	bz[0x202] = 'h';
	CHECK(!bzimage_detect(bz, size));
	CHECK_EQ(bzimage_parse(bz, size, &bi, &err), -EINVAL);
	CHECK(!bzimage_detect(bz, 0x207));
	CHECK(!bzimage_detect(bz, 0));
	/* An ELF is not a bzImage. */
	CHECK(!bzimage_detect(img, fab_elf(img, linux_notes, NR_LINUX_NOTES, 0)));
	/* Header cut right after the version. */
	bz[0x202] = 'H';
	CHECK_EQ(bzimage_parse(bz, 0x240, &bi, &err), -EINVAL);
	free(bz);
}

/* ---- Real kernels --------------------------------------------------------- */

static const char *cache_dir(void)
{
	static char dir[512];
	const char *env = getenv("MICA_CACHE"), *home = getenv("HOME");

	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/mica", home ? home : "/root");
	return dir;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Decompresses a bzImage file into a malloc'd ELF; reports the time taken. */
static unsigned char *extract(const char *path, size_t *elf_len, struct bzimage_info *bi)
{
	size_t len;
	unsigned char *bz = read_file(path, &len), *out;
	double t;
	int ret;

	REQUIRE(bz);
	REQUIRE(bzimage_detect(bz, len));
	ret = bzimage_parse(bz, len, bi, &err);
	REQUIRE_OK(bi->comp == KIMG_COMP_GZIP && ret == -EOPNOTSUPP ? 0 : ret, path);
	out = malloc(bi->decompressed_size);
	REQUIRE(out);
	t = seconds();
	ret = decompress(bz, len, bi, out, bi->decompressed_size);
	t = seconds() - t;
	REQUIRE_OK(ret, path);
	printf("  %s: %s payload %llu -> %u bytes in %.2f s CPU (this build: -O1 with sanitizers)\n",
	       path, bi->comp_name, (unsigned long long)bi->payload_length, bi->decompressed_size,
	       t);
	/* The host tool agrees byte for byte. */
	{
		char pay[512], dec[512];
		const char *tool = bi->comp == KIMG_COMP_XZ ? "xz -dc" :
				   bi->comp == KIMG_COMP_LZ4 ? "lz4 -dc" : "gzip -dc";
		size_t plen = bi->payload_length - (bi->comp == KIMG_COMP_GZIP ? 0 : 4), dlen = 0;
		unsigned char *ref;

		tmp_path(pay, sizeof(pay), "payload");
		tmp_path(dec, sizeof(dec), "decoded");
		if (have_tool(tool[0] == 'x' ? "xz" : tool[0] == 'l' ? "lz4" : "gzip") &&
		    write_file(pay, bz + bi->payload_offset, plen) &&
		    run_cmd("%s < %s > %s 2>/dev/null", tool, pay, dec) &&
		    (ref = read_file(dec, &dlen))) {
			CHECK_MSG(dlen == bi->decompressed_size &&
					  !memcmp(ref, out, bi->decompressed_size),
				  "%s: differs from `%s`", path, tool);
			free(ref);
		} else {
			printf("  (no host %s to compare with)\n", tool);
		}
		unlink(pay);
		unlink(dec);
	}
	free(bz);
	*elf_len = bi->decompressed_size;
	return out;
}

/* Debian's stock kernels: every flavour found; 6.1.192-2 amd64 against section 5.4's table. */
static void test_debian_stock_kernels(void)
{
	char pattern[600];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/stock-*/vmlinuz", cache_dir());
	REQUIRE(glob(pattern, 0, NULL, &g) == 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct bzimage_info bi;
		size_t len;
		unsigned char *elf = extract(g.gl_pathv[i], &len, &bi);

		REQUIRE_OK(xen_elf_parse(elf, len, &info, &err), g.gl_pathv[i]);
		CHECK_STR(info.xen_version, "xen-3.0");
		CHECK_STR(info.guest_os, "linux");
		CHECK_EQ(info.virt_base, VIRT_BASE);
		if (strstr(g.gl_pathv[i], "/stock-6.1.192-2-amd64/")) {
			static const uint64_t segs[4][3] = {
				{ 0x1000000, 0xffffffff81000000ull, 0x18ea9f0 },
				{ 0x2a00000, 0xffffffff82a00000ull, 0x644000 },
				{ 0x3044000, 0xffffffff83044000ull, 0x35000 },
				{ 0x3079000, 0xffffffff83079000ull, 0x1987000 },
			};

			CHECK_EQ(bi.comp, KIMG_COMP_XZ);
			CHECK_EQ(bi.version, 0x020f);
			CHECK_EQ(bi.setup_sects, 39);
			CHECK_EQ(bi.payload_offset, 20480 + 0x2cc);
			CHECK_EQ(bi.payload_length, 0x7bf070);
			CHECK_EQ(bi.decompressed_size, 0x3eda7b4);
			CHECK_EQ(info.entry, 0xffffffff830791c0ull);
			CHECK_EQ(info.init_p2m, 0x8000000000ull);
			CHECK_EQ(info.paddr_offset, 0);
			CHECK_EQ(info.supported_features, 0x8801);
			CHECK_EQ(info.suspend_cancel, 1);
			CHECK_EQ(info.mod_start_pfn, 1);
			CHECK_STR(info.guest_version, "2.6");
			CHECK_STR(info.loader, "generic");
			CHECK_STR(info.features, FEATURES);
			CHECK_EQ(info.features_required, 1);
			CHECK(!(info.notes & (1ull << XEN_ELFNOTE_HYPERCALL_PAGE)));
			REQUIRE_EQ(info.nr_segments, 4);
			for (unsigned int s = 0; s < 4; s++) {
				CHECK_EQ(info.seg[s].paddr, segs[s][0]);
				CHECK_EQ(info.seg[s].vaddr, segs[s][1]);
				CHECK_EQ(info.seg[s].memsz, segs[s][2]);
			}
			CHECK_EQ(info.paddr_end, 0x4a00000);
		}
		free(elf);
	}
	globfree(&g);
}

/*
 * Checks that two images have the same Xen notes and loadable bytes;
 * leaves b's parse in info.
 */
static void compare_loadable(const unsigned char *a, size_t alen, const unsigned char *b,
			     size_t blen)
{
	static struct xen_elf_info ia, ib;

	REQUIRE_OK(xen_elf_parse(a, alen, &ia, &err), "vmlinux");
	REQUIRE_OK(xen_elf_parse(b, blen, &ib, &err), "bzImage payload");
	info = ib;
	/* Segment file offsets differ (the payload is stripped); everything else must not. */
	REQUIRE_EQ(ia.nr_segments, ib.nr_segments);
	for (unsigned int s = 0; s < ia.nr_segments; s++) {
		CHECK_EQ(ia.seg[s].filesz, ib.seg[s].filesz);
		CHECK_MSG(!memcmp(a + ia.seg[s].offset, b + ib.seg[s].offset, ia.seg[s].filesz),
			  "segment %u content differs", s);
		ia.seg[s].offset = ib.seg[s].offset = 0;
	}
	CHECK(!memcmp(&ia, &ib, sizeof(ia)));
}

/* Our own kernel (guest-linux-patches/build.py): bzImage payload vs the built vmlinux. */
static void test_own_kernel(void)
{
	char pattern[600], path[700];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/linux-*/ready", cache_dir());
	REQUIRE(glob(pattern, 0, NULL, &g) == 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t dir_len = strlen(g.gl_pathv[i]) - strlen("/ready"), elf_len, vm_len;
		struct bzimage_info bi;
		unsigned char *elf, *vm;

		snprintf(path, sizeof(path), "%.*s/bzImage", (int)dir_len, g.gl_pathv[i]);
		elf = extract(path, &elf_len, &bi);
		snprintf(path, sizeof(path), "%.*s/vmlinux", (int)dir_len, g.gl_pathv[i]);
		vm = read_file(path, &vm_len);
		REQUIRE(vm);
		compare_loadable(vm, vm_len, elf, elf_len);
		printf("  %s: entry %#llx, %u segments, guest %s %s, features \"%s\"\n", path,
		       (unsigned long long)info.entry, info.nr_segments, info.guest_os,
		       info.guest_version, info.features);
		free(vm);
		free(elf);
	}
	globfree(&g);
}

static bool have(const char *pattern_fmt)
{
	char pattern[600];
	glob_t g;
	bool found;

	snprintf(pattern, sizeof(pattern), pattern_fmt, cache_dir());
	found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return found;
}

int main(void)
{
	RUN(test_bzimage_headers);
	RUN(test_bzimage_unsupported);
	if (have_tool("gzip"))
		RUN(test_bzimage_gzip);
	else
		SKIP("test_bzimage_gzip", "no gzip on this host");
	if (have_tool("xz"))
		RUN(test_bzimage_xz);
	else
		SKIP("test_bzimage_xz", "no xz on this host (Debian package xz-utils)");
	if (have_tool("lz4"))
		RUN(test_bzimage_lz4);
	else
		SKIP("test_bzimage_lz4", "no lz4 on this host (Debian package lz4)");

	if (have("%s/stock-*/vmlinuz"))
		RUN(test_debian_stock_kernels);
	else
		SKIP("test_debian_stock_kernels",
		     "no %s/stock-*/vmlinuz (run: python3 guest-linux-patches/stock.py)", cache_dir());
	if (have("%s/linux-*/ready"))
		RUN(test_own_kernel);
	else
		SKIP("test_own_kernel",
		     "no built kernel in %s/linux-*/ (run: python3 guest-linux-patches/build.py)",
		     cache_dir());
	tmp_cleanup();
	return check_done();
}
