/* Unit tests for the frame table and buddy allocator (hypervisor/common/frame_alloc.c). */
/* unit-sources: hypervisor/common/frame_alloc.c */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#include <mica/frame.h>

/* ---- the hook the allocator calls on a broken contract ---- */

static int bug_count;
static char bug_what[256];

void frame_bug(const char *what)
{
	bug_count++;
	snprintf(bug_what, sizeof(bug_what), "%s", what);
}

/* ---- helpers ---- */

static struct frame *table;
static mfn_t table_frames;

static void setup(mfn_t nr)
{
	free(table);
	table = calloc(nr ? nr : 1, sizeof(*table));
	if (!table)
		abort();
	table_frames = nr;
	frame_table_init(table, nr);
	bug_count = 0;
	bug_what[0] = '\0';
}

static mfn_t idx_of(const struct frame *f)
{
	return frame_to_mfn(f);
}

/* The free blocks, found by scanning the table: heads and orders in address order. */
struct block {
	mfn_t head;
	unsigned int order;
};

static size_t free_block_list(struct block *out, size_t max)
{
	size_t n = 0;

	for (mfn_t i = 0; i < table_frames; i++) {
		if (!(table[i].flags & FRAME_F_FREE))
			continue;
		if (n < max)
			out[n] = (struct block){ i, table[i].order };
		n++;
	}
	return n;
}

/*
 * Checks every allocator invariant visible in the table: flag states,
 * alignment, eager merging, list links, and the counters.
 */
static void check_invariants(void)
{
	u64 free_frames_seen = 0, blocks[FRAME_MAX_ORDER + 1] = { 0 };
	u64 list_starts[FRAME_MAX_ORDER + 1] = { 0 };
	mfn_t i = 0;

	while (i < table_frames) {
		const struct frame *f = &table[i];

		if (f->flags & FRAME_F_RESERVED) {
			if (!CHECK_MSG(!(f->flags & (FRAME_F_FREE | FRAME_F_ALLOC)),
				       "reserved frame %llu has block flags %#x",
				       (unsigned long long)i, f->flags))
				return;
			i++;
			continue;
		}
		if (!CHECK_MSG(f->flags & FRAME_F_RAM, "frame %llu neither RAM nor reserved",
			       (unsigned long long)i))
			return;
		if (!CHECK_MSG(!!(f->flags & FRAME_F_FREE) + !!(f->flags & FRAME_F_ALLOC) == 1,
			       "managed frame %llu at a block start is not exactly one of free/alloc (%#x)",
			       (unsigned long long)i, f->flags))
			return;
		mfn_t size = (mfn_t)1 << f->order;

		if (!CHECK_MSG(f->order <= FRAME_MAX_ORDER && i % size == 0 &&
			       i + size <= table_frames,
			       "block %llu order %u misaligned or past the table",
			       (unsigned long long)i, f->order))
			return;
		for (mfn_t j = i + 1; j < i + size; j++)
			if (!CHECK_MSG(table[j].flags == FRAME_F_RAM,
				       "frame %llu inside block %llu has flags %#x",
				       (unsigned long long)j, (unsigned long long)i,
				       table[j].flags))
				return;
		if (f->flags & FRAME_F_FREE) {
			mfn_t buddy = i ^ size;

			free_frames_seen += size;
			blocks[f->order]++;
			for (mfn_t j = i; j < i + size; j++)
				if (!CHECK_MSG(table[j].owner == FRAME_OWNER_NONE &&
					       !table[j].count && !table[j].type_info,
					       "free frame %llu not clean", (unsigned long long)j))
					return;
			if (f->order < FRAME_MAX_ORDER && buddy < table_frames)
				CHECK_MSG(!((table[buddy].flags & FRAME_F_FREE) &&
					    table[buddy].order == f->order),
					  "free buddies %llu and %llu of order %u not merged",
					  (unsigned long long)i, (unsigned long long)buddy, f->order);
			if (f->prev == FRAME_NIL)
				list_starts[f->order]++;
			else
				CHECK_MSG(f->prev < table_frames &&
					  (table[f->prev].flags & FRAME_F_FREE) &&
					  table[f->prev].order == f->order &&
					  table[f->prev].next == i,
					  "bad prev link at %llu", (unsigned long long)i);
			if (f->next != FRAME_NIL)
				CHECK_MSG(f->next < table_frames &&
					  (table[f->next].flags & FRAME_F_FREE) &&
					  table[f->next].order == f->order &&
					  table[f->next].prev == i,
					  "bad next link at %llu", (unsigned long long)i);
		}
		i += size;
	}
	CHECK_EQ(free_frames_seen, frames_free());
	for (unsigned int k = 0; k <= FRAME_MAX_ORDER; k++) {
		CHECK_MSG(blocks[k] == frames_free_blocks(k),
			  "order %u: %llu free blocks in the table, counter says %llu", k,
			  (unsigned long long)blocks[k],
			  (unsigned long long)frames_free_blocks(k));
		CHECK_MSG(list_starts[k] == (blocks[k] ? 1u : 0u),
			  "order %u: %llu list heads for %llu blocks", k,
			  (unsigned long long)list_starts[k], (unsigned long long)blocks[k]);
	}
}

static bool same_blocks(const struct block *a, size_t na, const struct block *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].head != b[i].head || a[i].order != b[i].order)
			return false;
	return true;
}

/* A deterministic pseudo-random generator (xorshift64*), so failures reproduce. */
static u64 rng_state;

static u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* ---- cases ---- */

static void init_all_reserved(void)
{
	setup(100);
	CHECK(sizeof(struct frame) <= 32);
	CHECK_EQ(frames_free(), 0);
	CHECK_EQ(frames_total(), 0);
	for (mfn_t i = 0; i < 100; i++) {
		CHECK_EQ(table[i].flags, FRAME_F_RESERVED);
		CHECK_EQ(table[i].owner, FRAME_OWNER_NONE);
		CHECK(!mfn_is_ram(i));
	}
	CHECK(mfn_to_frame(99) == &table[99]);
	CHECK(mfn_to_frame(100) == NULL);
	CHECK(!mfn_is_ram(100));
	CHECK(!mfn_is_ram(~0ULL));
	CHECK_EQ(frame_to_mfn(&table[42]), 42);
	CHECK(alloc_frames(0, FRAME_OWNER_HV) == NULL);
	CHECK_EQ(bug_count, 0);
}

static void add_aligned_range_is_one_block(void)
{
	setup(2048);
	frames_add_free(1024, 1024);
	CHECK_EQ(frames_free(), 1024);
	CHECK_EQ(frames_total(), 1024);
	CHECK_EQ(frames_free_blocks(10), 1);
	CHECK(table[1024].flags & FRAME_F_FREE);
	CHECK_EQ(table[1024].order, 10);
	CHECK(mfn_is_ram(1024) && mfn_is_ram(2047) && !mfn_is_ram(1023));
	check_invariants();
}

static void add_unaligned_range_maximal_blocks(void)
{
	static const struct block want[] = {
		{ 3, 0 }, { 4, 2 }, { 8, 3 }, { 16, 4 }, { 32, 5 }, { 64, 6 }, { 128, 7 },
		{ 256, 8 }, { 512, 8 }, { 768, 7 }, { 896, 6 }, { 960, 5 }, { 992, 3 },
		{ 1000, 1 }, { 1002, 0 },
	};
	struct block got[32];
	size_t n;

	setup(1100);
	frames_add_free(3, 1000);
	n = free_block_list(got, 32);
	CHECK(same_blocks(got, n, want, sizeof(want) / sizeof(want[0])));
	CHECK_EQ(frames_free(), 1000);
	check_invariants();
}

static void adjacent_adds_merge(void)
{
	struct block one[32], pieces[32];
	size_t n1, n2;

	setup(4096);
	frames_add_free(5, 3000);
	n1 = free_block_list(one, 32);
	REQUIRE(n1 <= 32);

	/* The same frames handed in as odd pieces in scrambled order. */
	setup(4096);
	frames_add_free(1000, 7);
	frames_add_free(5, 995);
	frames_add_free(2048, 957);
	frames_add_free(1007, 1041);
	n2 = free_block_list(pieces, 32);
	CHECK_EQ(frames_total(), 3000);
	CHECK(same_blocks(one, n1, pieces, n2));
	check_invariants();

	/* One frame at a time, in a scrambled order. */
	setup(512);
	for (mfn_t i = 0; i < 512; i++)
		frames_add_free((i * 37) % 512, 1);
	CHECK_EQ(frames_free_blocks(9), 1);
	CHECK_EQ(frames_free(), 512);
	check_invariants();
	CHECK_EQ(bug_count, 0);
}

static void max_order_blocks_do_not_merge_further(void)
{
	mfn_t big = (mfn_t)1 << (FRAME_MAX_ORDER + 1);

	setup(big);
	frames_add_free(0, big);
	CHECK_EQ(frames_free_blocks(FRAME_MAX_ORDER), 2);
	check_invariants();
}

static void alloc_free_every_order(void)
{
	mfn_t nr = (mfn_t)3 << FRAME_MAX_ORDER;
	struct block *before = malloc(64 * sizeof(*before)), *after = malloc(64 * sizeof(*after));
	size_t nb, na;

	REQUIRE(before && after);
	setup(nr);
	/* Unaligned RAM, so blocks of every order come from splits and merges. */
	frames_add_free(1, nr - 3);
	nb = free_block_list(before, 64);
	for (unsigned int order = 0; order <= FRAME_MAX_ORDER; order++) {
		struct frame *f = alloc_frames(order, 7);
		mfn_t idx, size = (mfn_t)1 << order;

		if (!CHECK_MSG(f != NULL, "order %u allocation failed", order))
			continue;
		idx = idx_of(f);
		CHECK_MSG(idx % size == 0, "order %u block at %llu misaligned", order,
			  (unsigned long long)idx);
		CHECK(idx >= 1 && idx + size <= nr - 2);
		CHECK(f->flags & FRAME_F_ALLOC);
		CHECK_EQ(f->order, order);
		for (mfn_t j = idx; j < idx + size; j++) {
			if (!CHECK_MSG(table[j].owner == 7 && !table[j].count &&
				       !table[j].type_info && mfn_is_ram(j),
				       "frame %llu of an order %u block", (unsigned long long)j, order))
				break;
		}
		CHECK_EQ(frames_free(), nr - 3 - size);
		check_invariants();
		free_frames(f, order);
		CHECK_EQ(frames_free(), nr - 3);
		na = free_block_list(after, 64);
		CHECK_MSG(same_blocks(before, nb, after, na),
			  "order %u: free blocks differ after alloc and free", order);
	}
	CHECK(alloc_frames(FRAME_MAX_ORDER + 1, 7) == NULL);
	CHECK(alloc_frames(255, 7) == NULL);
	CHECK_EQ(bug_count, 0);
	check_invariants();
	free(before);
	free(after);
}

static void exhaustion_and_full_restore(void)
{
	struct frame *got[1100];
	struct block before[32], after[32];
	size_t nb, na, n = 0;

	setup(1100);
	frames_add_free(7, 1000);
	nb = free_block_list(before, 32);
	while (n < 1100 && (got[n] = alloc_frames(0, 1)) != NULL)
		n++;
	CHECK_EQ(n, 1000);
	CHECK_EQ(frames_free(), 0);
	CHECK(alloc_frames(0, 1) == NULL);
	CHECK(alloc_frames(3, 1) == NULL);
	for (size_t i = 0; i < n; i++)
		CHECK(idx_of(got[i]) >= 7 && idx_of(got[i]) < 1007);
	check_invariants();
	/* Free in an interleaved order so merges happen out of sequence. */
	for (size_t i = 0; i < n; i += 2)
		free_frames(got[i], 0);
	for (size_t i = 1; i < n; i += 2)
		free_frames(got[n - i], 0);
	CHECK_EQ(frames_free(), 1000);
	na = free_block_list(after, 32);
	CHECK(same_blocks(before, nb, after, na));
	CHECK_EQ(bug_count, 0);
	check_invariants();
}

static void big_blocks_respect_holes(void)
{
	struct frame *f;

	setup(4096);
	/* 1 MiB of RAM with a one-frame hole in the middle of each 2 MiB block. */
	frames_add_free(0, 256);
	frames_add_free(257, 255);
	frames_add_free(512, 512);
	frames_add_free(1024, 1024);
	CHECK(!mfn_is_ram(256));
	f = alloc_frames(10, 3);
	REQUIRE(f);
	CHECK_EQ(idx_of(f), 1024);
	CHECK(alloc_frames(10, 3) == NULL); /* 0..1023 has a hole */
	f = alloc_frames(9, 3);
	REQUIRE(f);
	CHECK_EQ(idx_of(f), 512);
	CHECK(alloc_frames(9, 3) == NULL);
	/* Everything else, frame by frame: never the hole, never beyond RAM. */
	for (;;) {
		f = alloc_frames(0, 3);
		if (!f)
			break;
		CHECK(idx_of(f) < 512 && idx_of(f) != 256);
	}
	CHECK_EQ(frames_free(), 0);
	check_invariants();
}

static void double_free_detected(void)
{
	struct frame *f, *g;
	struct block before[16], after[16];
	size_t nb, na;

	setup(256);
	frames_add_free(0, 256);
	f = alloc_frames(2, 1);
	g = alloc_frames(2, 1);
	REQUIRE(f && g);
	free_frames(f, 2);
	nb = free_block_list(before, 16);
	CHECK_EQ(bug_count, 0);
	free_frames(f, 2);
	CHECK_EQ(bug_count, 1);
	CHECK(strstr(bug_what, "not allocated") != NULL);
	na = free_block_list(after, 16);
	CHECK(same_blocks(before, nb, after, na));
	CHECK_EQ(frames_free(), 252);
	check_invariants();
	/* Once merged, the old head is a tail of a bigger free block: still caught. */
	free_frames(g, 2);
	CHECK_EQ(frames_free(), 256);
	free_frames(g, 2);
	CHECK_EQ(bug_count, 2);
	CHECK_EQ(frames_free(), 256);
	check_invariants();
}

static void wrong_order_detected(void)
{
	struct frame *f;

	setup(256);
	frames_add_free(0, 256);
	f = alloc_frames(3, 1);
	REQUIRE(f);
	free_frames(f, 2);
	CHECK_EQ(bug_count, 1);
	CHECK(strstr(bug_what, "order") != NULL);
	free_frames(f, 4);
	CHECK_EQ(bug_count, 2);
	free_frames(f, 200);
	CHECK_EQ(bug_count, 3);
	CHECK_EQ(frames_free(), 248);
	CHECK(f->flags & FRAME_F_ALLOC);
	free_frames(f, 3);
	CHECK_EQ(bug_count, 3);
	CHECK_EQ(frames_free(), 256);
	check_invariants();
}

static void bad_frees_detected(void)
{
	struct frame *f, stray = { 0 };

	setup(256);
	frames_add_free(0, 128);
	f = alloc_frames(2, 1);
	REQUIRE(f);

	free_frames(f + 1, 0); /* a tail frame of an allocated block */
	CHECK_EQ(bug_count, 1);
	free_frames(&table[200], 0); /* not RAM */
	CHECK_EQ(bug_count, 2);
	free_frames(&table[100], 0); /* inside a free block */
	CHECK_EQ(bug_count, 3);
	free_frames(&stray, 0); /* not in the table */
	CHECK_EQ(bug_count, 4);
	CHECK(strstr(bug_what, "not a frame table entry") != NULL);
	free_frames(&table[256], 0); /* one past the end */
	CHECK_EQ(bug_count, 5);
	free_frames((struct frame *)((char *)f + 4), 0); /* not at a record boundary */
	CHECK_EQ(bug_count, 6);
	free_frames(NULL, 0);
	CHECK_EQ(bug_count, 6);

	f[2].count = 1; /* still referenced */
	free_frames(f, 2);
	CHECK_EQ(bug_count, 7);
	CHECK(strstr(bug_what, "referenced") != NULL);
	f[2].count = 0;
	f[3].type_info = 1;
	free_frames(f, 2);
	CHECK_EQ(bug_count, 8);
	f[3].type_info = 0;
	CHECK_EQ(frames_free(), 124);
	free_frames(f, 2);
	CHECK_EQ(bug_count, 8);
	CHECK_EQ(frames_free(), 128);
	check_invariants();
}

static void bad_adds_detected(void)
{
	setup(256);
	frames_add_free(0, 64);
	frames_add_free(32, 64); /* overlaps frames already handed in */
	CHECK_EQ(bug_count, 1);
	CHECK_EQ(frames_total(), 64);
	CHECK(!mfn_is_ram(64)); /* nothing of the rejected range was taken */
	frames_add_free(200, 57); /* one past the table */
	CHECK_EQ(bug_count, 2);
	frames_add_free(~0ULL - 2, 5); /* wraps around */
	CHECK_EQ(bug_count, 3);
	frames_add_free(256, 0); /* empty, at the end: fine */
	frames_add_free(100, 0);
	CHECK_EQ(bug_count, 3);
	CHECK_EQ(frames_total(), 64);
	frames_add_free(200, 56); /* exactly up to the end */
	CHECK_EQ(bug_count, 3);
	CHECK_EQ(frames_total(), 120);
	check_invariants();
}

static void invalid_owner_rejected(void)
{
	setup(64);
	frames_add_free(0, 64);
	CHECK(alloc_frames(0, FRAME_OWNER_NONE) == NULL);
	CHECK_EQ(bug_count, 1);
	CHECK(alloc_frames(0, 0x7ff0) == NULL);
	CHECK_EQ(bug_count, 2);
	CHECK(alloc_frames(0, FRAME_OWNER_MAX_DOMID) != NULL);
	CHECK(alloc_frames(0, FRAME_OWNER_HV) != NULL);
	CHECK(alloc_frames(0, 0) != NULL);
	CHECK_EQ(bug_count, 2);
	CHECK_EQ(frames_free(), 61);
}

static void reserved_ram(void)
{
	setup(512);
	frames_add_free(0, 256);
	frames_reserve_ram(256, 256, FRAME_OWNER_HV);
	CHECK(mfn_is_ram(300));
	CHECK_EQ(table[300].owner, FRAME_OWNER_HV);
	CHECK_EQ(table[300].flags, FRAME_F_RAM | FRAME_F_RESERVED);
	CHECK_EQ(frames_total(), 256);
	CHECK(alloc_frames(9, 1) == NULL);
	free_frames(&table[300], 0);
	CHECK_EQ(bug_count, 1);
	frames_reserve_ram(0, 1, FRAME_OWNER_HV); /* already the allocator's */
	CHECK_EQ(bug_count, 2);
	CHECK_EQ(table[0].owner, FRAME_OWNER_NONE);
	/* Released later (say, a boot module no longer needed): merges with the rest. */
	frames_add_free(256, 256);
	CHECK_EQ(bug_count, 2);
	CHECK_EQ(frames_total(), 512);
	CHECK_EQ(frames_free_blocks(9), 1);
	CHECK_EQ(table[300].owner, FRAME_OWNER_NONE);
	CHECK(alloc_frames(9, 1) != NULL);
	check_invariants();
}

/*
 * Random allocations and frees against a reference model that tracks each
 * frame, over RAM with holes. A failed allocation must mean the model has
 * no naturally aligned all-free run of that size.
 */
struct live {
	mfn_t head;
	unsigned int order;
	u16 owner;
};

static bool model_has_run(const u8 *state, mfn_t nr, unsigned int order)
{
	mfn_t size = (mfn_t)1 << order;

	for (mfn_t i = 0; i + size <= nr; i += size) {
		mfn_t j = i;

		while (j < i + size && state[j] == 1)
			j++;
		if (j == i + size)
			return true;
	}
	return false;
}

static void random_against_model(void)
{
	enum { NR = 6000, MAX_LIVE = 4000, STEPS = 40000 };
	static const struct { mfn_t start, count; } ram[] = {
		{ 1, 299 }, { 300, 1 }, { 517, 1483 }, { 2048, 2048 }, { 4100, 1 },
		{ 5000, 3 }, { 5120, 880 },
	};
	u8 *state = calloc(NR, 1); /* 0 not RAM, 1 free, 2 allocated */
	struct live *live = calloc(MAX_LIVE, sizeof(*live));
	struct block *before = calloc(64, sizeof(*before)), *after = calloc(64, sizeof(*after));
	size_t nb, na, nlive = 0;
	u64 model_free = 0;
	unsigned int failed_allocs = 0;

	REQUIRE(state && live && before && after);
	rng_state = 0x6d696361; /* fixed seed: "mica" */
	setup(NR);
	for (size_t r = 0; r < sizeof(ram) / sizeof(ram[0]); r++) {
		frames_add_free(ram[r].start, ram[r].count);
		for (mfn_t i = ram[r].start; i < ram[r].start + ram[r].count; i++)
			state[i] = 1;
		model_free += ram[r].count;
	}
	nb = free_block_list(before, 64);

	for (int step = 0; step < STEPS && check_ctx.failures == 0; step++) {
		bool do_alloc = nlive == 0 || (nlive < MAX_LIVE && rng() % 100 < 55);

		if (do_alloc) {
			u64 pick = rng() % 100;
			unsigned int order = pick < 50 ? 0 : pick < 80 ? (unsigned int)(rng() % 4) :
				pick < 98 ? (unsigned int)(rng() % 9) : (unsigned int)(rng() % 13);
			u16 owner = (u16)(rng() % 5);
			struct frame *f = alloc_frames(order, owner);
			mfn_t size = (mfn_t)1 << order, idx;

			if (!f) {
				failed_allocs++;
				CHECK_MSG(!model_has_run(state, NR, order),
					  "step %d: order %u failed with a free aligned run", step,
					  order);
				continue;
			}
			idx = idx_of(f);
			if (!CHECK_MSG(idx % size == 0 && idx + size <= NR,
				       "step %d: block %llu order %u misaligned", step,
				       (unsigned long long)idx, order))
				break;
			for (mfn_t j = idx; j < idx + size; j++) {
				if (!CHECK_MSG(state[j] == 1 && table[j].owner == owner,
					       "step %d: frame %llu (state %u) handed out", step,
					       (unsigned long long)j, state[j]))
					break;
				state[j] = 2;
			}
			live[nlive++] = (struct live){ idx, order, owner };
			model_free -= size;
		} else {
			size_t k = (size_t)(rng() % nlive);
			struct live l = live[k];

			for (mfn_t j = l.head; j < l.head + ((mfn_t)1 << l.order); j++) {
				CHECK_MSG(table[j].owner == l.owner, "step %d: owner of %llu changed",
					  step, (unsigned long long)j);
				state[j] = 1;
			}
			free_frames(&table[l.head], l.order);
			live[k] = live[--nlive];
			model_free += (mfn_t)1 << l.order;
		}
		CHECK_EQ(frames_free(), model_free);
		if (step % 997 == 0)
			check_invariants();
	}
	CHECK(failed_allocs > 0); /* the sequence reached exhaustion at some orders */
	check_invariants();
	while (nlive) {
		struct live l = live[--nlive];

		free_frames(&table[l.head], l.order);
	}
	na = free_block_list(after, 64);
	CHECK(same_blocks(before, nb, after, na));
	CHECK_EQ(frames_free(), frames_total());
	CHECK_EQ(bug_count, 0);
	check_invariants();
	free(state);
	free(live);
	free(before);
	free(after);
}

static void reinit_starts_over(void)
{
	setup(128);
	frames_add_free(0, 128);
	CHECK(alloc_frames(0, 1) != NULL);
	frame_table_init(table, 64);
	CHECK_EQ(frames_free(), 0);
	CHECK_EQ(frames_total(), 0);
	for (unsigned int k = 0; k <= FRAME_MAX_ORDER; k++)
		CHECK_EQ(frames_free_blocks(k), 0);
	CHECK(alloc_frames(0, 1) == NULL);
	CHECK(mfn_to_frame(64) == NULL);
	CHECK_EQ(frames_free_blocks(FRAME_MAX_ORDER + 1), 0);
}

int main(void)
{
	RUN(init_all_reserved);
	RUN(add_aligned_range_is_one_block);
	RUN(add_unaligned_range_maximal_blocks);
	RUN(adjacent_adds_merge);
	RUN(max_order_blocks_do_not_merge_further);
	RUN(alloc_free_every_order);
	RUN(exhaustion_and_full_restore);
	RUN(big_blocks_respect_holes);
	RUN(double_free_detected);
	RUN(wrong_order_detected);
	RUN(bad_frees_detected);
	RUN(bad_adds_detected);
	RUN(invalid_owner_rejected);
	RUN(reserved_ram);
	RUN(random_against_model);
	RUN(reinit_starts_over);
	free(table);
	return check_done();
}
