/*
 * gntbench: what it costs a backend in dom0 to get at a page a domU granted it, three ways.
 *
 * usage: gntbench offer PAGES                      in the domU
 *        gntbench measure DOMID BATCH PASSES REF...  in dom0
 *
 * offer shares PAGES pages with domain 0 through /dev/xen/gntalloc (writable grants, as a
 * frontend grants the pages of a request), fills page i with the byte (i * 37 + 11) & 0xff,
 * prints `gntbench: offer REF...` (one grant ref per page) and then waits, up to an hour,
 * for dom0 to finish: the toolstack destroys the domU when the measurement is done.
 *
 * measure takes the refs as BATCH-page batches, the way a backend takes a request's
 * segments, and moves every batch's pages into a buffer of its own PASSES times, through
 * /dev/xen/gntdev, in each of three ways:
 *   copy        IOCTL_GNTDEV_GRANT_COPY of the batch: one call, the hypervisor copies
 *               (what mica-blkback and mica-netback do)
 *   map         IOCTL_GNTDEV_MAP_GRANT_REF and mmap of the batch, memcpy, munmap and
 *               IOCTL_GNTDEV_UNMAP_GRANT_REF (a backend without persistent grants)
 *   persistent  the same mapping made once, then only the memcpy (persistent grants'
 *               steady state: the cost of setting the mapping up is left out)
 * Each way runs one untimed pass first, and checks after it and after the last pass
 * that every page arrived with the bytes offer wrote. Prints `bench grant_copy_4k NS`,
 * `bench grant_map_copy_unmap_4k NS` and `bench grant_persistent_copy_4k NS`, each in
 * nanoseconds per page.
 * Exits 1 on a failure (said on stdout, so that it reaches the console log), 2 on a
 * usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Linux's gntdev and gntalloc device ABI (include/uapi/xen/), which uses Xen's own names
 * for these two types. */
typedef uint32_t grant_ref_t;
typedef uint16_t domid_t;
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

#include "bench.h"

/* A copy segment's flag from Xen's public grant_table.h: the source is a grant ref. */
#define GNTCOPY_source_gref (1 << 0)

#define PAGE 4096
#define MAX_PAGES 1024          /* gntalloc's default limit per domain */
#define MAX_BATCH 256           /* blkif's most segments in one indirect request */
#define OFFER_WAIT_S 3600

static int fail(const char *what)
{
	printf("gntbench: failed: %s: %s\n", what, strerror(errno));
	return 1;
}

static unsigned char pattern(unsigned long page)
{
	return (unsigned char)((page * 37 + 11) & 0xff);
}

static int offer(unsigned long pages)
{
	struct ioctl_gntalloc_alloc_gref *alloc;
	unsigned char *mem;
	unsigned long i;
	int fd;

	alloc = calloc(1, sizeof(*alloc) + pages * sizeof(alloc->gref_ids[0]));
	if (!alloc)
		return fail("allocating the request");
	fd = open("/dev/xen/gntalloc", O_RDWR);
	if (fd < 0)
		return fail("opening /dev/xen/gntalloc");
	alloc->domid = 0;
	alloc->flags = GNTALLOC_FLAG_WRITABLE;
	alloc->count = (uint32_t)pages;
	if (ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, alloc))
		return fail("granting pages to domain 0");
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)alloc->index);
	if (mem == MAP_FAILED)
		return fail("mapping the granted pages");
	for (i = 0; i < pages; i++)
		memset(mem + i * PAGE, pattern(i), PAGE);
	printf("gntbench: offer");
	for (i = 0; i < pages; i++)
		printf(" %" PRIu32, alloc->gref_ids[i]);
	printf("\n");
	fflush(stdout);
	sleep(OFFER_WAIT_S);
	printf("gntbench: nobody measured the pages within %d s\n", OFFER_WAIT_S);
	return 1;
}

/* What measure works with: the refs, the domain, and a buffer of BATCH pages. */
struct run {
	uint32_t domid;
	unsigned long pages, batch, passes;
	const uint32_t *refs;
	unsigned char *buf;
	struct gntdev_grant_copy_segment *segs;
	int gntdev;
};

/* Checks that buf holds the batch of pages starting at page `first`. */
static int check(const struct run *r, unsigned long first, const char *way)
{
	unsigned long i;

	for (i = 0; i < r->batch; i++) {
		const unsigned char *p = r->buf + i * PAGE;

		if (p[0] != pattern(first + i) || p[PAGE - 1] != pattern(first + i) ||
		    memcmp(p, p + 1, PAGE - 1)) {
			printf("gntbench: failed: %s: page %lu (ref %" PRIu32 ") arrived with other "
			       "bytes than the domU wrote\n", way, first + i, r->refs[first + i]);
			return -1;
		}
	}
	return 0;
}

static int copy_batch(struct run *r, unsigned long first)
{
	struct ioctl_gntdev_grant_copy op = { .count = (unsigned int)r->batch,
					      .segments = r->segs };
	unsigned long i;

	for (i = 0; i < r->batch; i++) {
		struct gntdev_grant_copy_segment *s = &r->segs[i];

		memset(s, 0, sizeof(*s));
		s->source.foreign.ref = r->refs[first + i];
		s->source.foreign.domid = (domid_t)r->domid;
		s->dest.virt = r->buf + i * PAGE;
		s->len = PAGE;
		s->flags = GNTCOPY_source_gref;
	}
	if (ioctl(r->gntdev, IOCTL_GNTDEV_GRANT_COPY, &op))
		return fail("IOCTL_GNTDEV_GRANT_COPY");
	for (i = 0; i < r->batch; i++) {
		if (r->segs[i].status) {
			printf("gntbench: failed: copying ref %" PRIu32 ": grant status %d\n",
			       r->refs[first + i], r->segs[i].status);
			return 1;
		}
	}
	return 0;
}

/* Maps the batch at page `first`; the mapping's address, or NULL (said). */
static unsigned char *map_batch(struct run *r, unsigned long first, uint64_t *index)
{
	struct ioctl_gntdev_map_grant_ref *op;
	void *at;
	unsigned long i;

	op = calloc(1, sizeof(*op) + r->batch * sizeof(op->refs[0]));
	if (!op) {
		fail("allocating the map request");
		return NULL;
	}
	op->count = (uint32_t)r->batch;
	for (i = 0; i < r->batch; i++) {
		op->refs[i].domid = r->domid;
		op->refs[i].ref = r->refs[first + i];
	}
	if (ioctl(r->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, op)) {
		fail("IOCTL_GNTDEV_MAP_GRANT_REF");
		free(op);
		return NULL;
	}
	*index = op->index;
	free(op);
	at = mmap(NULL, r->batch * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, r->gntdev,
		  (off_t)*index);
	if (at == MAP_FAILED) {
		fail("mapping the granted pages (mmap of /dev/xen/gntdev)");
		struct ioctl_gntdev_unmap_grant_ref un = { .index = *index,
							   .count = (uint32_t)r->batch };
		ioctl(r->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &un);
		return NULL;
	}
	return at;
}

static int unmap_batch(struct run *r, unsigned char *at, uint64_t index)
{
	struct ioctl_gntdev_unmap_grant_ref op = { .index = index, .count = (uint32_t)r->batch };

	if (munmap(at, r->batch * PAGE))
		return fail("munmap of the granted pages");
	if (ioctl(r->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &op))
		return fail("IOCTL_GNTDEV_UNMAP_GRANT_REF");
	return 0;
}

static int map_copy_unmap_batch(struct run *r, unsigned long first)
{
	uint64_t index;
	unsigned char *at = map_batch(r, first, &index);

	if (!at)
		return 1;
	memcpy(r->buf, at, r->batch * PAGE);
	return unmap_batch(r, at, index);
}

/* One pass over every batch with `way`; checks each batch when `verify`. */
static int pass_copy(struct run *r, int (*way)(struct run *, unsigned long),
		     const char *name, int verify)
{
	unsigned long first;

	for (first = 0; first < r->pages; first += r->batch) {
		if (way(r, first))
			return 1;
		if (verify && check(r, first, name))
			return 1;
	}
	return 0;
}

/* Nanoseconds per page of `way` over PASSES passes, after an untimed checked one. */
static int time_way(struct run *r, int (*way)(struct run *, unsigned long),
		    const char *name)
{
	uint64_t t0, t;
	unsigned long pass;

	if (pass_copy(r, way, name, 1))
		return 1;
	t0 = now_ns();
	for (pass = 0; pass < r->passes; pass++)
		if (pass_copy(r, way, name, 0))
			return 1;
	t = now_ns() - t0;
	if (pass_copy(r, way, name, 1))
		return 1;
	printf("bench %s %" PRIu64 "\n", name, t / (r->passes * r->pages));
	return 0;
}

/* Persistent grants: every batch mapped once, then PASSES passes of memcpy alone. */
static int time_persistent(struct run *r)
{
	unsigned long nb = r->pages / r->batch, b, pass;
	unsigned char **at = calloc(nb, sizeof(*at));
	uint64_t *index = calloc(nb, sizeof(*index)), t0, t = 0;
	int rc = 1;

	if (!at || !index) {
		fail("allocating the mapping table");
		goto out;
	}
	for (b = 0; b < nb; b++)
		if (!(at[b] = map_batch(r, b * r->batch, &index[b])))
			goto out;
	for (pass = 0; pass <= r->passes + 1; pass++) {
		int timed = pass && pass <= r->passes;

		t0 = now_ns();
		for (b = 0; b < nb; b++) {
			memcpy(r->buf, at[b], r->batch * PAGE);
			if (!timed && check(r, b * r->batch, "grant_persistent_copy_4k"))
				goto out;
		}
		if (timed)
			t += now_ns() - t0;
	}
	printf("bench grant_persistent_copy_4k %" PRIu64 "\n", t / (r->passes * r->pages));
	rc = 0;
out:
	for (b = 0; at && b < nb && at[b]; b++)
		if (unmap_batch(r, at[b], index[b]))
			rc = 1;
	free(at);
	free(index);
	return rc;
}

static int measure(struct run *r)
{
	r->gntdev = open("/dev/xen/gntdev", O_RDWR);
	if (r->gntdev < 0)
		return fail("opening /dev/xen/gntdev");
	if (posix_memalign((void **)&r->buf, PAGE, r->batch * PAGE))
		return fail("allocating the buffer");
	r->segs = calloc(r->batch, sizeof(*r->segs));
	if (!r->segs)
		return fail("allocating the copy segments");
	printf("gntbench: domain %" PRIu32 ", %lu pages in batches of %lu, %lu passes\n",
	       r->domid, r->pages, r->batch, r->passes);
	if (time_way(r, copy_batch, "grant_copy_4k") ||
	    time_way(r, map_copy_unmap_batch, "grant_map_copy_unmap_4k") ||
	    time_persistent(r))
		return 1;
	close(r->gntdev);
	return 0;
}

int main(int argc, char **argv)
{
	static uint32_t refs[MAX_PAGES];
	struct run r = { 0 };
	unsigned long i, pages;
	char *end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "offer")) {
		pages = number(argv[2], MAX_PAGES);
		if (pages)
			return offer(pages);
	} else if (argc >= 6 && !strcmp(argv[1], "measure") && argc - 5 <= MAX_PAGES) {
		r.domid = (uint32_t)number(argv[2], 0x7fef);
		r.batch = number(argv[3], MAX_BATCH);
		r.passes = number(argv[4], 1000000);
		r.pages = (unsigned long)(argc - 5);
		for (i = 0; i < r.pages; i++) {
			errno = 0;
			unsigned long v = strtoul(argv[5 + i], &end, 10);

			if (errno || *end || end == argv[5 + i] || v > UINT32_MAX)
				break;
			refs[i] = (uint32_t)v;
		}
		r.refs = refs;
		if (r.domid && r.batch && r.passes && i == r.pages && !(r.pages % r.batch))
			return measure(&r);
		if (r.batch && r.pages % r.batch)
			fprintf(stderr, "gntbench: %lu refs are not whole batches of %lu\n",
				r.pages, r.batch);
	}
	fprintf(stderr, "usage: gntbench offer PAGES | "
		"gntbench measure DOMID BATCH PASSES REF... (whole batches)\n");
	return 2;
}
