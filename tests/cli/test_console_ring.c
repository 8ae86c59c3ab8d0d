/*
 * mica-consoled's ring handling (dom0-tools/consoled/ring.c): output taken
 * across the wrap, input given up to the space left, and a guest that
 * writes impossible indexes.
 */
/* tool-sources: dom0-tools/consoled/ring.c */
#include "check.h"

#include "ring.h"

static struct xencons_interface r;

static void guest_writes(const char *s)
{
	for (; *s; s++)
		r.out[XENCONS_IDX(r.out_prod++, XENCONS_OUT_SIZE)] = *s;
}

static void take_output(void)
{
	char buf[XENCONS_OUT_SIZE + 16];
	bool corrupt;

	memset(&r, 0, sizeof(r));
	guest_writes("hello");
	CHECK_EQ(cons_ring_take(&r, buf, sizeof(buf), &corrupt), 5);
	CHECK(!corrupt);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(r.out_cons, 5);
	CHECK_EQ(cons_ring_take(&r, buf, sizeof(buf), &corrupt), 0);
	/* Across the end of the ring and the wrap of the 32-bit indexes. */
	r.out_cons = r.out_prod = 0xfffffffe;
	guest_writes("wrapped");
	CHECK_EQ(cons_ring_take(&r, buf, 3, &corrupt), 3);
	CHECK(!memcmp(buf, "wra", 3));
	CHECK_EQ(cons_ring_take(&r, buf, sizeof(buf), &corrupt), 4);
	CHECK(!memcmp(buf, "pped", 4));
	CHECK_EQ(r.out_cons, 5);
	/* A full ring is all taken. */
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < XENCONS_OUT_SIZE; i++)
		guest_writes("z");
	CHECK_EQ(cons_ring_take(&r, buf, sizeof(buf), &corrupt), XENCONS_OUT_SIZE);
	CHECK(!corrupt);
}

static void corrupt_indexes(void)
{
	char buf[64];
	bool corrupt;

	memset(&r, 0, sizeof(r));
	r.out_prod = XENCONS_OUT_SIZE + 1;
	CHECK_EQ(cons_ring_take(&r, buf, sizeof(buf), &corrupt), 0);
	CHECK(corrupt);
	CHECK_EQ(r.out_cons, r.out_prod); /* resynchronised */
	r.out_prod = 10;
	r.out_cons = 20; /* consumer ahead of producer: 2^32 - 10 bytes "available" */
	CHECK_EQ(cons_ring_take(&r, buf, sizeof(buf), &corrupt), 0);
	CHECK(corrupt);
	/* An input ring whose guest-side index is impossible has no space. */
	memset(&r, 0, sizeof(r));
	r.in_cons = 5000;
	CHECK_EQ(cons_ring_space(&r), 0);
	CHECK_EQ(cons_ring_give(&r, "abc", 3), 0);
	CHECK_EQ(r.in_prod, 0);
}

static void give_input(void)
{
	char many[XENCONS_IN_SIZE + 100];

	memset(&r, 0, sizeof(r));
	CHECK_EQ(cons_ring_space(&r), XENCONS_IN_SIZE);
	CHECK_EQ(cons_ring_give(&r, "ls\r", 3), 3);
	CHECK_EQ(r.in_prod, 3);
	CHECK(!memcmp(r.in, "ls\r", 3));
	memset(many, 'k', sizeof(many));
	CHECK_EQ(cons_ring_give(&r, many, sizeof(many)), XENCONS_IN_SIZE - 3);
	CHECK_EQ(cons_ring_space(&r), 0);
	r.in_cons = 3; /* the guest read three bytes */
	CHECK_EQ(cons_ring_give(&r, "xyz!", 4), 3);
	CHECK_EQ(r.in[0], 'x');
	CHECK_EQ(r.in[2], 'z');
}

static void log_names(void)
{
	char b[96];

	cons_log_name("web-1.example", 3, b, sizeof(b));
	CHECK_STR(b, "web-1.example");
	cons_log_name("../../etc/passwd", 3, b, sizeof(b));
	CHECK_STR(b, "_._.._etc_passwd"); /* no slash survives */
	cons_log_name(".hidden", 3, b, sizeof(b));
	CHECK_STR(b, "_hidden");
	cons_log_name("", 12, b, sizeof(b));
	CHECK_STR(b, "domain-12");
	cons_log_name(NULL, 4, b, sizeof(b));
	CHECK_STR(b, "domain-4");
	cons_log_name("a b\tc\n", 4, b, 4);
	CHECK_STR(b, "a_b");
}

int main(void)
{
	RUN(take_output);
	RUN(corrupt_indexes);
	RUN(give_input);
	RUN(log_names);
	return check_done();
}
