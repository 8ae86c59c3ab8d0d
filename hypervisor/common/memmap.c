/* Early physical memory bookkeeping: normalizing, reserving and allocating from a memory map. */
#include <mica/errno.h>
#include <mica/lib.h>
#include <mica/memmap.h>

#define RANK_RESERVED 6

/* How restrictive a type is: where firmware regions overlap, the higher rank wins. */
static unsigned int type_rank(u32 type)
{
	switch (type) {
	case MEM_USABLE: return 0;
	case MEM_ACPI_RECLAIM: return 1;
	case MEM_LOADER: return 2;
	case MEM_MODULE: return 3;
	case MEM_HYPERVISOR: return 4;
	case MEM_ACPI_NVS: return 5;
	case MEM_BAD: return 7;
	default: return RANK_RESERVED; /* MEM_RESERVED and every unknown type */
	}
}

static paddr_t region_end(const struct mem_region *r)
{
	return r->base + r->size;
}

/* src as [*start, *end) clipped to MEMMAP_ADDR_LIMIT; false if nothing is left. */
static bool clip(const struct mem_region *src, paddr_t *start, paddr_t *end)
{
	if (!src->size || src->base >= MEMMAP_ADDR_LIMIT)
		return false;
	*start = src->base;
	if (src->size > MEMMAP_ADDR_LIMIT - src->base)
		*end = MEMMAP_ADDR_LIMIT;
	else
		*end = src->base + src->size;
	return true;
}

/* Appends [base, end) to a map being built in address order, merging with the last region. */
static void append(struct memmap *m, paddr_t base, paddr_t end, u32 type)
{
	struct mem_region *last = m->nr ? &m->regions[m->nr - 1] : NULL;

	if (last && last->type == type && region_end(last) == base) {
		last->size += end - base;
		return;
	}
	if (m->nr >= MEMMAP_MAX_REGIONS) {
		m->dropped++;
		return;
	}
	m->regions[m->nr++] = (struct mem_region){ base, end - base, type };
}

/* Drops empty regions and merges touching regions of the same type. */
static void normalize(struct memmap *m)
{
	unsigned int out = 0;

	for (unsigned int i = 0; i < m->nr; i++) {
		struct mem_region r = m->regions[i];
		struct mem_region *last = out ? &m->regions[out - 1] : NULL;

		if (!r.size)
			continue;
		if (last && last->type == r.type && region_end(last) == r.base)
			last->size += r.size;
		else
			m->regions[out++] = r;
	}
	m->nr = out;
}

void memmap_init(struct memmap *m, const struct mem_region *src, unsigned int n)
{
	paddr_t x = MEMMAP_ADDR_LIMIT, start, end;

	m->nr = 0;
	m->dropped = 0;
	for (unsigned int i = 0; i < n; i++)
		if (clip(&src[i], &start, &end))
			x = MIN(x, start);

	/*
	 * Sweep the address space from boundary to boundary. Each step covers
	 * [x, next), where next is the nearest start or end above x, so the
	 * set of source regions covering the step does not change inside it.
	 */
	while (x < MEMMAP_ADDR_LIMIT) {
		paddr_t next = MEMMAP_ADDR_LIMIT;
		unsigned int rank = 0;
		bool covered = false;
		u32 type = MEM_RESERVED;

		for (unsigned int i = 0; i < n; i++) {
			if (!clip(&src[i], &start, &end))
				continue;
			if (start > x) {
				next = MIN(next, start);
			} else if (end > x) {
				next = MIN(next, end);
				if (!covered || type_rank(src[i].type) > rank) {
					rank = type_rank(src[i].type);
					type = rank == RANK_RESERVED ? MEM_RESERVED : src[i].type;
					covered = true;
				}
			}
		}
		if (covered)
			append(m, x, next, type);
		x = next;
	}

	/* Usable RAM is handed out by the page: keep only its whole pages. */
	for (unsigned int i = 0; i < m->nr; i++) {
		struct mem_region *r = &m->regions[i];
		paddr_t lo = ALIGN_UP(r->base, PAGE_SIZE);
		paddr_t hi = ALIGN_DOWN(region_end(r), PAGE_SIZE);

		if (r->type != MEM_USABLE)
			continue;
		r->base = lo;
		r->size = hi > lo ? hi - lo : 0;
	}
	normalize(m);
}

/* Counts the regions in a map being built piece by piece, as append would merge them. */
struct piece_count {
	unsigned int nr;
	paddr_t end;
	u32 type;
};

static void count_piece(struct piece_count *c, paddr_t base, paddr_t end, u32 type)
{
	if (base >= end)
		return;
	if (!c->nr || c->type != type || c->end != base)
		c->nr++;
	c->end = end;
	c->type = type;
}

/* The number of regions m would have after memmap_reserve(m, start, end, type). */
static unsigned int count_after_reserve(const struct memmap *m, paddr_t start, paddr_t end,
					u32 type)
{
	struct piece_count c = { 0, 0, 0 };

	for (unsigned int i = 0; i < m->nr; i++) {
		const struct mem_region *r = &m->regions[i];
		paddr_t rend = region_end(r), lo, hi;

		if (r->type != MEM_USABLE || rend <= start || r->base >= end) {
			count_piece(&c, r->base, rend, r->type);
			continue;
		}
		lo = MAX(r->base, start);
		hi = MIN(rend, end);
		count_piece(&c, r->base, lo, MEM_USABLE);
		count_piece(&c, lo, hi, type);
		count_piece(&c, hi, rend, MEM_USABLE);
	}
	return c.nr;
}

/* Splits the usable region strictly containing addr, if any, at addr. Needs a spare slot. */
static void split_at(struct memmap *m, paddr_t addr)
{
	for (unsigned int i = 0; i < m->nr; i++) {
		struct mem_region *r = &m->regions[i];
		paddr_t rend = region_end(r);

		if (r->base >= addr)
			return;
		if (rend <= addr || r->type != MEM_USABLE)
			continue;
		memmove(r + 2, r + 1, (m->nr - i - 1) * sizeof(*r));
		r->size = addr - r->base;
		r[1] = (struct mem_region){ addr, rend - addr, MEM_USABLE };
		m->nr++;
		return;
	}
}

int memmap_reserve(struct memmap *m, paddr_t start, paddr_t end, u32 type)
{
	if (type == MEM_USABLE)
		return -EINVAL;
	end = MIN(end, MEMMAP_ADDR_LIMIT);
	if (start >= end)
		return 0;
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	if (count_after_reserve(m, start, end, type) > MEMMAP_MAX_REGIONS)
		return -ENOSPC;

	/* At most two splits: the array has two spare slots beyond MEMMAP_MAX_REGIONS. */
	split_at(m, start);
	split_at(m, end);
	for (unsigned int i = 0; i < m->nr; i++) {
		struct mem_region *r = &m->regions[i];

		if (r->type == MEM_USABLE && r->base >= start && region_end(r) <= end)
			r->type = type;
	}
	normalize(m);
	return 0;
}

/* Checks and normalizes memmap_alloc's arguments; false if they are unusable. */
static bool alloc_args(u64 size, u64 *align, paddr_t *limit)
{
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || size >= MEMMAP_ADDR_LIMIT)
		return false;
	if (*align < PAGE_SIZE)
		*align = PAGE_SIZE;
	if ((*align & (*align - 1)) || *align >= MEMMAP_ADDR_LIMIT)
		return false;
	if (!*limit || *limit > MEMMAP_ADDR_LIMIT)
		*limit = MEMMAP_ADDR_LIMIT;
	return true;
}

static paddr_t take(struct memmap *m, paddr_t pa, u64 size)
{
	return memmap_reserve(m, pa, pa + size, MEM_HYPERVISOR) ? 0 : pa;
}

paddr_t memmap_alloc(struct memmap *m, u64 size, u64 align, paddr_t limit)
{
	if (!alloc_args(size, &align, &limit))
		return 0;
	for (unsigned int i = m->nr; i-- > 0;) {
		const struct mem_region *r = &m->regions[i];
		paddr_t lo = MAX(r->base, PAGE_SIZE), hi = MIN(region_end(r), limit), pa;

		if (r->type != MEM_USABLE || hi < lo || hi - lo < size)
			continue;
		pa = ALIGN_DOWN(hi - size, align);
		if (pa >= lo)
			return take(m, pa, size);
	}
	return 0;
}

u64 memmap_total(const struct memmap *m, u32 type)
{
	u64 total = 0;

	for (unsigned int i = 0; i < m->nr; i++)
		if (m->regions[i].type == type)
			total += m->regions[i].size;
	return total;
}

paddr_t memmap_end(const struct memmap *m, u32 type)
{
	for (unsigned int i = m->nr; i-- > 0;)
		if (m->regions[i].type == type)
			return region_end(&m->regions[i]);
	return 0;
}

bool memmap_type_is_ram(u32 type)
{
	switch (type) {
	case MEM_USABLE:
	case MEM_ACPI_RECLAIM:
	case MEM_HYPERVISOR:
	case MEM_MODULE:
	case MEM_LOADER:
		return true;
	default:
		return false;
	}
}

paddr_t memmap_ram_end(const struct memmap *m)
{
	for (unsigned int i = m->nr; i-- > 0;)
		if (memmap_type_is_ram(m->regions[i].type))
			return region_end(&m->regions[i]);
	return 0;
}

const char *memmap_type_name(u32 type)
{
	switch (type) {
	case MEM_USABLE: return "usable";
	case MEM_RESERVED: return "reserved";
	case MEM_ACPI_RECLAIM: return "ACPI";
	case MEM_ACPI_NVS: return "ACPI NVS";
	case MEM_BAD: return "bad";
	case MEM_HYPERVISOR: return "hypervisor";
	case MEM_MODULE: return "module";
	case MEM_LOADER: return "loader";
	default: return "unknown";
	}
}
