/* Unit tests for CRC32 (hypervisor/common/kernel_image), DEFLATE and gzip (dom0-tools/kernel_image). */
/* unit-sources: dom0-tools/kernel_image/inflate.c dom0-tools/kernel_image/gunzip.c */
/* unit-sources: hypervisor/common/kernel_image/crc.c hypervisor/common/kernel_image/report.c */
/* unit-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include "kimg_util.h"

#include <mica/crc.h>
#include <mica/errno.h>

#include "../../dom0-tools/kernel_image/gzip.h"

static uint64_t work[GUNZIP_WORK_SIZE / 8];

static int do_gunzip(const void *in, size_t len, void *out, size_t size, size_t *got,
		     struct kimg_err *err)
{
	return gunzip(in, len, out, size, got, work, sizeof(work), err);
}

static void test_crc_vectors(void)
{
	static struct crc32_table t32;
	const char *s = "123456789";

	crc32_init(&t32);
	CHECK_EQ(crc32_update(&t32, 0, s, 9), 0xcbf43926u);
	CHECK_EQ(crc32_update(&t32, 0, s, 0), 0);
	/* Chaining, at every split point and misalignment. */
	for (size_t k = 0; k <= 9; k++) {
		CHECK_EQ(crc32_update(&t32, crc32_update(&t32, 0, s, k), s + k, 9 - k), 0xcbf43926u);
	}
	/* The 8-byte steps agree with bytewise updates on longer input. */
	{
		unsigned char buf[1000];
		uint32_t c = 0;

		gen_data(buf, sizeof(buf), DATA_RANDOM, 7);
		for (size_t i = 0; i < sizeof(buf); i++)
			c = crc32_update(&t32, c, buf + i, 1);
		CHECK_EQ(crc32_update(&t32, 0, buf, sizeof(buf)), c);
	}
}

/* Round trip of one input through the host's gzip with the given options. */
static void roundtrip(const char *opts, enum data_kind kind, size_t len, uint64_t seed)
{
	unsigned char *data = malloc(len + 1), *out = malloc(len + 1), *gz;
	size_t gz_len = 0, got = 99;
	struct kimg_err err = { "" };
	char cmd[128];
	int ret;

	REQUIRE(data && out);
	gen_data(data, len, kind, seed);
	snprintf(cmd, sizeof(cmd), "gzip -c %s", opts);
	gz = host_compress(cmd, data, len, &gz_len);
	REQUIRE(gz);
	ret = do_gunzip(gz, gz_len, out, len, &got, &err);
	CHECK_MSG(ret == 0, "gzip %s kind %d len %zu: %d %s", opts, kind, len, ret, err.msg);
	CHECK_EQ(got, len);
	CHECK_MSG(!memcmp(out, data, len), "gzip %s kind %d len %zu: output differs", opts, kind,
		  len);
	/* One byte less of room must be refused, not overrun (ASan watches). */
	if (len) {
		unsigned char *tight = malloc(len - 1 + 1);

		ret = do_gunzip(gz, gz_len, tight, len - 1, &got, &err);
		CHECK_EQ(ret, -ENOSPC);
		free(tight);
	}
	free(gz);
	free(data);
	free(out);
}

static void test_gzip_roundtrips(void)
{
	static const size_t sizes[] = { 0, 1, 2, 100, 4096, 65535, 65536, 300000, 2000000 };
	static const char *const levels[] = { "-1", "-6", "-9" };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int kind = DATA_ZERO; kind <= DATA_MIXED; kind++)
			for (size_t l = 0; l < 3; l++) {
				if (sizes[i] > 300000 && l != 2)
					continue;
				roundtrip(levels[l], kind, sizes[i], i * 31 + kind);
			}
}

/* A gzip file of mixed data (fixed, dynamic and stored blocks), for the damage tests. */
static unsigned char *sample_gz(size_t len, unsigned char **data, size_t *gz_len)
{
	unsigned char *gz;

	*data = malloc(len);
	REQUIRE(*data);
	gen_data(*data, len, DATA_MIXED, 42);
	gz = host_compress("gzip -c -9", *data, len, gz_len);
	REQUIRE(gz);
	return gz;
}

/* Every truncation is refused; ASan checks nothing outside the buffers is touched. */
static void test_gzip_truncated(void)
{
	const size_t len = 20000;
	unsigned char *data, *gz, *out = malloc(len);
	size_t gz_len, got;
	struct kimg_err err;

	gz = sample_gz(len, &data, &gz_len);
	for (size_t n = 0; n < gz_len; n++) {
		unsigned char *cut = malloc(n ? n : 1);

		memcpy(cut, gz, n);
		err.msg[0] = '\0';
		int ret = do_gunzip(cut, n, out, len, &got, &err);

		CHECK_MSG(ret == -EINVAL, "truncated to %zu of %zu: %d", n, gz_len, ret);
		CHECK_MSG(err.msg[0], "truncated to %zu: no reason given", n);
		free(cut);
	}
	free(gz);
	free(data);
	free(out);
}

/*
 * Flipping any bit is either refused or leaves the output as it was (the
 * FTEXT bit, the time, XFL and OS bytes, unused bits of the last deflate
 * byte, or a distance's extra bit that points at identical bytes).
 */
static void test_gzip_bitflips(void)
{
	const size_t len = 20000;
	unsigned char *data, *gz, *out = malloc(len);
	size_t gz_len, got;
	struct kimg_err err;
	unsigned int refused = 0;

	gz = sample_gz(len, &data, &gz_len);
	/* Two of the eight bits of each byte, all eight near the ends, to save time. */
	for (size_t i = 0; i < gz_len; i++)
		for (int bit = 0; bit < 8; bit++) {
			int ret;

			if (i >= 32 && i < gz_len - 32 && bit != (int)(i % 8) &&
			    bit != (int)((i * 3 + 5) % 8))
				continue;

			gz[i] ^= 1 << bit;
			ret = do_gunzip(gz, gz_len, out, len, &got, &err);
			gz[i] ^= 1 << bit;
			if (ret) {
				refused++;
				continue;
			}
			CHECK_MSG(got == len && !memcmp(out, data, len),
				  "flip of byte %zu bit %d accepted with different output", i, bit);
		}
	CHECK_MSG(refused > (gz_len - 64) * 2 + 64 * 8 - 100, "only %u flips of %zu bytes refused",
		  refused, gz_len);
	free(gz);
	free(data);
	free(out);
}

static void test_gzip_members_and_header_fields(void)
{
	unsigned char a[3000], b[5000], out[8000], *ga, *gb, *cat;
	size_t la, lb, got;
	struct kimg_err err;
	int ret;

	gen_data(a, sizeof(a), DATA_TEXT, 1);
	gen_data(b, sizeof(b), DATA_MIXED, 2);
	ga = host_compress("gzip -c", a, sizeof(a), &la);
	gb = host_compress("gzip -c -1", b, sizeof(b), &lb);
	REQUIRE(ga && gb);

	/* Two members decode to the concatenation; the second cannot see the first's window. */
	cat = malloc(la + lb + 64);
	memcpy(cat, ga, la);
	memcpy(cat + la, gb, lb);
	ret = do_gunzip(cat, la + lb, out, sizeof(out), &got, &err);
	CHECK_MSG(ret == 0, "%s", err.msg);
	CHECK_EQ(got, sizeof(a) + sizeof(b));
	CHECK(!memcmp(out, a, sizeof(a)) && !memcmp(out + sizeof(a), b, sizeof(b)));

	/* Trailing garbage is refused. */
	cat[la] = 0;
	ret = do_gunzip(cat, la + 1, out, sizeof(out), &got, &err);
	CHECK_EQ(ret, -EINVAL);

	/* A header with FEXTRA, FNAME, FCOMMENT and a correct FHCRC. */
	{
		static struct crc32_table t;
		unsigned char hdr[64] = { 0x1f, 0x8b, 8, 0x1e, 1, 2, 3, 4, 0, 3 };
		size_t h = 10;
		uint32_t crc;

		crc32_init(&t);
		hdr[h++] = 3;
		hdr[h++] = 0;
		hdr[h++] = 'a';
		hdr[h++] = 'b';
		hdr[h++] = 'c';
		memcpy(hdr + h, "name\0comment\0", 13);
		h += 13;
		crc = crc32_update(&t, 0, hdr, h);
		hdr[h++] = (unsigned char)crc;
		hdr[h++] = (unsigned char)(crc >> 8);
		memcpy(cat, hdr, h);
		memcpy(cat + h, ga + 10 + 0, la - 10);
		/* ga has FNAME set by gzip: skip its name to reach the deflate data. */
		if (ga[3] & 0x08) {
			size_t p = 10;

			while (ga[p])
				p++;
			p++;
			memcpy(cat + h, ga + p, la - p);
			la = h + la - p;
		} else {
			la = h + la - 10;
		}
		ret = do_gunzip(cat, la, out, sizeof(out), &got, &err);
		CHECK_MSG(ret == 0, "%s", err.msg);
		CHECK_EQ(got, sizeof(a));
		cat[h - 1] ^= 1;
		ret = do_gunzip(cat, la, out, sizeof(out), &got, &err);
		CHECK_EQ(ret, -EINVAL);
		CHECK_STR(err.msg, "gzip: header CRC mismatch");
	}
	free(cat);
	free(ga);
	free(gb);
}

/* Hand-made raw DEFLATE streams that break one rule each. */
static void test_deflate_rules(void)
{
	unsigned char out[300];
	size_t got;
	struct kimg_err err;
	static const struct {
		const char *what;
		unsigned char in[16];
		size_t len;
		int ret;
		size_t out_len;
	} cases[] = {
		/* final stored block "hi" */
		{ "stored", { 0x01, 0x02, 0x00, 0xfd, 0xff, 'h', 'i' }, 7, 0, 2 },
		{ "stored bad nlen", { 0x01, 0x02, 0x00, 0xfd, 0xfe, 'h', 'i' }, 7, -EINVAL, 0 },
		{ "stored truncated", { 0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'i' }, 7, -EINVAL, 0 },
		{ "empty stored", { 0x01, 0x00, 0x00, 0xff, 0xff }, 5, 0, 0 },
		/* fixed block: literal 'a' (8-bit code 0x91), end of block (7 zero bits) */
		{ "fixed 'a'", { 0x4b, 0x04, 0x00 }, 3, 0, 1 },
		{ "reserved type", { 0x07 }, 1, -EINVAL, 0 },
		/* fixed: literal 'a' then length 3 distance 2 (too far back) */
		{ "distance too far", { 0x4b, 0x04, 0x42, 0x00 }, 4, -EINVAL, 0 },
		{ "no final block", { 0x02, 0x00 }, 2, -EINVAL, 0 },
		{ "trailing byte", { 0x03, 0x00, 0x00 }, 3, -EINVAL, 0 },
		/* dynamic with HLIT = 287+ (31 -> 288 codes) */
		{ "too many codes", { 0xfd, 0xff }, 2, -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		err.msg[0] = '\0';
		ret = inflate(cases[i].in, cases[i].len, out, sizeof(out), &got, work, sizeof(work),
			      &err);
		CHECK_MSG(ret == cases[i].ret, "%s: got %d (%s), want %d", cases[i].what, ret,
			  err.msg, cases[i].ret);
		if (!ret)
			CHECK_MSG(got == cases[i].out_len, "%s: %zu bytes", cases[i].what, got);
		else
			CHECK_MSG(err.msg[0], "%s: no reason", cases[i].what);
	}
}

static void test_work_area_checked(void)
{
	unsigned char out[16];
	size_t got;
	struct kimg_err err;

	CHECK_EQ(gunzip("\x1f\x8b", 2, out, sizeof(out), &got, work, 100, &err), -EFAULT);
	CHECK_EQ(gunzip("\x1f\x8b", 2, out, sizeof(out), &got, (char *)work + 1,
			sizeof(work) - 8, &err), -EFAULT);
	CHECK_EQ(gunzip("\x1f\x8b", 2, out, sizeof(out), &got, NULL, sizeof(work), &err), -EFAULT);
}

/* Random garbage and mutated streams never crash or overrun (ASan/UBSan watch). */
static void test_deflate_garbage(void)
{
	unsigned char in[512], out[4096];
	uint64_t s = 12345;
	size_t got;

	for (int round = 0; round < 20000; round++) {
		size_t len = rng_next(&s) % sizeof(in);

		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)rng_next(&s);
		/* Bias toward the dynamic and fixed block types. */
		if (len)
			in[0] = (unsigned char)((in[0] & ~6) | ((round & 1) ? 4 : 2));
		inflate(in, len, out, rng_next(&s) % sizeof(out), &got, work, sizeof(work), NULL);
	}
	CHECK(1);
}

int main(void)
{
	bool gz = have_tool("gzip");

	RUN(test_crc_vectors);
	RUN(test_deflate_rules);
	RUN(test_work_area_checked);
	RUN(test_deflate_garbage);
	if (gz) {
		RUN(test_gzip_roundtrips);
		RUN(test_gzip_truncated);
		RUN(test_gzip_bitflips);
		RUN(test_gzip_members_and_header_fields);
	} else {
		SKIP("test_gzip_roundtrips", "no gzip on this host");
		SKIP("test_gzip_truncated", "no gzip on this host");
		SKIP("test_gzip_bitflips", "no gzip on this host");
		SKIP("test_gzip_members_and_header_fields", "no gzip on this host");
	}
	tmp_cleanup();
	return check_done();
}
