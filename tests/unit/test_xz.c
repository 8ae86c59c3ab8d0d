/* Unit tests for the .xz decoder (LZMA2, x86 BCJ, checks, index) and LZ4 legacy frames. */
/* unit-sources: hypervisor/common/kernel_image/xz.c hypervisor/common/kernel_image/lzma2.c */
/* unit-sources: hypervisor/common/kernel_image/bcj_x86.c hypervisor/common/kernel_image/lz4.c */
/* unit-sources: hypervisor/common/kernel_image/crc.c hypervisor/common/kernel_image/report.c */
/* unit-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include "kimg_util.h"

#include <mica/decompress.h>
#include <mica/errno.h>

static uint64_t work[XZ_WORK_SIZE / 8];

static int do_xz(const void *in, size_t len, void *out, size_t size, size_t *got,
		 struct kimg_err *err)
{
	return xz_decode(in, len, out, size, got, work, sizeof(work), err);
}

/* x86 machine code to exercise BCJ: this test binary itself, repeated to len bytes. */
static unsigned char *x86_code(size_t len)
{
	size_t n;
	unsigned char *self = read_file("/proc/self/exe", &n), *buf = malloc(len);

	REQUIRE(self && buf && n);
	for (size_t i = 0; i < len; i++)
		buf[i] = self[i % n];
	free(self);
	return buf;
}

/* Compresses data with `xz OPTS` and checks the decoder gives it back. */
static void roundtrip(const char *opts, const unsigned char *data, size_t len)
{
	unsigned char *out = malloc(len + 1), *xz;
	size_t xz_len = 0, got = 99;
	struct kimg_err err = { "" };
	char cmd[256];
	int ret;

	snprintf(cmd, sizeof(cmd), "xz -c -Q -T1 --check=crc32 %s", opts);
	xz = host_compress(cmd, data, len, &xz_len);
	REQUIRE(xz && out);
	ret = do_xz(xz, xz_len, out, len, &got, &err);
	CHECK_MSG(ret == 0, "xz %s, %zu bytes: %d %s", opts, len, ret, err.msg);
	CHECK_MSG(got == len && !memcmp(out, data, len), "xz %s, %zu bytes: output differs (%zu)",
		  opts, len, got);
	if (len && !ret) {
		ret = do_xz(xz, xz_len, out, len - 1, &got, &err);
		CHECK_MSG(ret == -ENOSPC, "xz %s: short buffer gave %d", opts, ret);
	}
	free(xz);
	free(out);
}

static void test_xz_kernel_options(void)
{
	const size_t len = 3000000;
	unsigned char *code = x86_code(len);

	/* What Linux's scripts/xz_wrap.sh uses for x86. */
	roundtrip("--check=crc32 --x86 --lzma2=dict=32MiB", code, len);
	roundtrip("--check=none --x86 --lzma2=preset=0", code, len);
	roundtrip("--check=crc32 --x86=start=74565 --lzma2", code, len);
	free(code);
}

static void test_xz_data_kinds(void)
{
	static const size_t sizes[] = { 0, 1, 5, 1000, 70000, 1500000 };
	const size_t max = 1500000;
	unsigned char *data = malloc(max);

	REQUIRE(data);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int kind = DATA_ZERO; kind <= DATA_MIXED; kind++) {
			gen_data(data, sizes[i], kind, i + 10 * kind);
			roundtrip("--check=crc32", data, sizes[i]);
			if (sizes[i] <= 70000)
				roundtrip("--check=none -9e", data, sizes[i]);
		}
	free(data);
}

/* Literal context and position bits: every lc + lp <= 4, several pb. */
static void test_xz_lclppb(void)
{
	const size_t len = 200000;
	unsigned char *data = malloc(len);
	char opts[128];

	gen_data(data, len, DATA_MIXED, 5);
	for (int lc = 0; lc <= 4; lc++)
		for (int lp = 0; lc + lp <= 4; lp++) {
			snprintf(opts, sizeof(opts), "--lzma2=lc=%d,lp=%d,pb=%d", lc, lp, (lc + lp) % 5);
			roundtrip(opts, data, len);
		}
	free(data);
}

/* Several blocks (with sizes in their headers), several streams, stream padding. */
static void test_xz_blocks_and_streams(void)
{
	const size_t len = 700000;
	unsigned char *data = malloc(len), *a, *b, *cat, *out = malloc(2 * len);
	size_t la, lb, got;
	struct kimg_err err = { "" };
	int ret;

	gen_data(data, len, DATA_MIXED, 9);
	roundtrip("--block-size=65536 --check=crc32", data, len);
	roundtrip("--block-size=100000 --check=crc32 --x86 --lzma2", data, len);
	a = host_compress("xz -c -T2 --check=crc32 --block-size=123457", data, len, &la);
	b = host_compress("xz -c --check=none -1", data, len / 2, &lb);
	REQUIRE(a && b);
	cat = malloc(la + lb + 8);
	memcpy(cat, a, la);
	memset(cat + la, 0, 8);
	memcpy(cat + la + 8, b, lb);
	ret = do_xz(cat, la + 8 + lb, out, 2 * len, &got, &err);
	CHECK_MSG(ret == 0, "%s", err.msg);
	CHECK_EQ(got, len + len / 2);
	CHECK(!memcmp(out, data, len) && !memcmp(out + len, data, len / 2));
	/* Padding not a multiple of four, or trailing garbage. */
	ret = do_xz(cat, la + 3, out, 2 * len, &got, &err);
	CHECK_EQ(ret, -EINVAL);
	cat[la] = 1;
	ret = do_xz(cat, la + 4, out, 2 * len, &got, &err);
	CHECK_EQ(ret, -EINVAL);
	free(a);
	free(b);
	free(cat);
	free(data);
	free(out);
}

static void expect_refused(const char *opts, int want, const char *reason_part)
{
	unsigned char data[5000], out[5000], *xz;
	size_t xz_len, got;
	struct kimg_err err = { "" };
	char cmd[128];
	int ret;

	gen_data(data, sizeof(data), DATA_TEXT, 3);
	snprintf(cmd, sizeof(cmd), "xz -c -Q --check=crc32 %s", opts);
	xz = host_compress(cmd, data, sizeof(data), &xz_len);
	REQUIRE(xz);
	ret = do_xz(xz, xz_len, out, sizeof(out), &got, &err);
	CHECK_MSG(ret == want, "xz %s: %d (%s), want %d", opts, ret, err.msg, want);
	CHECK_MSG(strstr(err.msg, reason_part), "xz %s: reason \"%s\" lacks \"%s\"", opts, err.msg,
		  reason_part);
	free(xz);
}

static void test_xz_unsupported(void)
{
	expect_refused("--check=sha256", -EOPNOTSUPP, "check type 10");
	expect_refused("--check=crc64", -EOPNOTSUPP, "check type 4; Mica verifies CRC32 only");
	expect_refused("--delta=dist=4 --lzma2", -EOPNOTSUPP, "filter 0x3 as filter 1 of 2");
	expect_refused("--arm --lzma2", -EOPNOTSUPP, "filter 0x7 as filter 1 of 2");
	expect_refused("--x86 --delta --lzma2", -EOPNOTSUPP, "filter 0x3 as filter 2 of 3");
	expect_refused("--format=lzma", -EINVAL, "magic");
}

/* A small xz file with CRC32, for the damage tests. */
static unsigned char *sample_xz(size_t len, const char *opts, unsigned char **data,
				size_t *xz_len)
{
	unsigned char *xz;
	char cmd[128];

	*data = malloc(len);
	REQUIRE(*data);
	gen_data(*data, len, DATA_MIXED, 77);
	snprintf(cmd, sizeof(cmd), "xz -c -Q %s", opts);
	xz = host_compress(cmd, *data, len, xz_len);
	REQUIRE(xz);
	return xz;
}

static void test_xz_truncated(void)
{
	const size_t len = 30000;
	unsigned char *data, *xz, *out = malloc(len);
	size_t xz_len, got;
	struct kimg_err err;

	xz = sample_xz(len, "--check=crc32 --x86 --lzma2", &data, &xz_len);
	for (size_t n = 0; n < xz_len; n++) {
		unsigned char *cut = malloc(n ? n : 1);
		int ret;

		memcpy(cut, xz, n);
		err.msg[0] = '\0';
		ret = do_xz(cut, n, out, len, &got, &err);
		CHECK_MSG(ret == -EINVAL, "truncated to %zu of %zu: %d", n, xz_len, ret);
		CHECK_MSG(err.msg[0], "truncated to %zu: no reason given", n);
		free(cut);
	}
	free(xz);
	free(data);
	free(out);
}

/* Every bit flip is refused, or (where xz has no check over it) still gives the same data. */
static void test_xz_bitflips(void)
{
	static const char *const opts[] = { "--check=crc32 --x86 --lzma2", "--check=crc32 -T2" };
	const size_t len = 6000;

	for (size_t o = 0; o < 2; o++) {
		unsigned char *data, *xz, *out = malloc(len);
		size_t xz_len, got;
		struct kimg_err err;
		unsigned int refused = 0;

		xz = sample_xz(len, opts[o], &data, &xz_len);
		/* Two of the eight bits of each byte, all eight in the headers, to save time. */
		for (size_t i = 0; i < xz_len; i++)
			for (int bit = 0; bit < 8; bit++) {
				int ret;

				if (i >= 32 && i < xz_len - 64 && bit != (int)(i % 8) &&
				    bit != (int)((i * 3 + 5) % 8))
					continue;

				xz[i] ^= 1 << bit;
				ret = do_xz(xz, xz_len, out, len, &got, &err);
				xz[i] ^= 1 << bit;
				if (ret) {
					refused++;
					continue;
				}
				CHECK_MSG(got == len && !memcmp(out, data, len),
					  "%s: flip of byte %zu bit %d accepted with different output",
					  opts[o], i, bit);
			}
		CHECK_MSG(refused > (xz_len - 96) * 2 + 96 * 8 - 64, "%s: only %u flips of %zu bytes refused",
			  opts[o], refused, xz_len);
		free(xz);
		free(data);
		free(out);
	}
}

/* Raw LZMA2 and garbage: no crash, no overrun (ASan and UBSan watch). */
static void test_xz_garbage(void)
{
	unsigned char *data, *xz, out[20000];
	size_t xz_len, got;
	uint64_t s = 99;

	xz = sample_xz(sizeof(out), "--check=none", &data, &xz_len);
	for (int round = 0; round < 3000; round++) {
		unsigned char *m = malloc(xz_len);
		unsigned int flips = 1 + rng_next(&s) % 8;

		memcpy(m, xz, xz_len);
		/* Damage only the compressed data: the headers' CRCs would stop most rounds. */
		for (unsigned int k = 0; k < flips; k++) {
			size_t at = 24 + rng_next(&s) % (xz_len - 24 - 40);

			m[at] = (unsigned char)rng_next(&s);
		}
		do_xz(m, xz_len, out, sizeof(out), &got, NULL);
		free(m);
	}
	free(xz);
	free(data);
	CHECK(1);
}

static void test_lz4_legacy(void)
{
	static const size_t sizes[] = { 1, 100, 70000, 9000000 };
	const size_t max = 9000000;
	unsigned char *data = malloc(max), *out = malloc(max), *lz;
	size_t lz_len, got;
	struct kimg_err err = { "" };
	int ret;

	REQUIRE(data && out);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int kind = DATA_ZERO; kind <= DATA_MIXED; kind++) {
			gen_data(data, sizes[i], kind, i);
			lz = host_compress("lz4 -l -c -9", data, sizes[i], &lz_len);
			REQUIRE(lz);
			ret = lz4_legacy_decode(lz, lz_len, out, sizes[i], &got, &err);
			CHECK_MSG(ret == 0, "lz4 kind %d, %zu bytes: %d %s", kind, sizes[i], ret, err.msg);
			CHECK_MSG(got == sizes[i] && !memcmp(out, data, sizes[i]),
				  "lz4 kind %d, %zu bytes: output differs", kind, sizes[i]);
			ret = lz4_legacy_decode(lz, lz_len, out, sizes[i] - 1, &got, &err);
			CHECK_MSG(ret == -ENOSPC, "lz4 short buffer: %d", ret);
			/* Truncations and damage: refused or harmless, never an overrun. */
			if (sizes[i] <= 70000) {
				uint64_t s = i;

				for (size_t n = 0; n < lz_len; n += 1 + n / 64) {
					ret = lz4_legacy_decode(lz, n, out, sizes[i], &got, &err);
					CHECK_MSG(ret != 0 || n == 4, "lz4 truncated to %zu accepted", n);
				}
				for (int r = 0; r < 300; r++) {
					size_t at = rng_next(&s) % lz_len;
					unsigned char old = lz[at];

					lz[at] = (unsigned char)rng_next(&s);
					lz4_legacy_decode(lz, lz_len, out, sizes[i], &got, NULL);
					lz[at] = old;
				}
			}
			free(lz);
		}
	CHECK_EQ(lz4_legacy_decode("\x02\x21\x4c", 3, out, 10, &got, &err), -EINVAL);
	free(data);
	free(out);
}

int main(void)
{
	if (have_tool("xz")) {
		RUN(test_xz_kernel_options);
		RUN(test_xz_data_kinds);
		RUN(test_xz_lclppb);
		RUN(test_xz_blocks_and_streams);
		RUN(test_xz_unsupported);
		RUN(test_xz_truncated);
		RUN(test_xz_bitflips);
		RUN(test_xz_garbage);
	} else {
		SKIP("test_xz_*", "no xz on this host (Debian package xz-utils)");
	}
	if (have_tool("lz4"))
		RUN(test_lz4_legacy);
	else
		SKIP("test_lz4_legacy", "no lz4 on this host (Debian package lz4)");
	tmp_cleanup();
	return check_done();
}
