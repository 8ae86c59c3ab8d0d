/* Early physical memory bookkeeping: normalizing, reserving and allocating from a memory map. */
#include <mica/errno.h>
#include <mica/lib.h>
#include <mica/memmap.h>

/*
 * What the map knows about each region type. rank says how restrictive a
 * type is: where firmware regions overlap, the higher rank wins. Unknown
 * types are treated as MEM_RESERVED.
 */
static const struct type_info {
	u32 type;
	u8 rank;
	bool ram;
	const char *name;
} types[] = {
	{ MEM_USABLE, 0, true, "usable" },
	{ MEM_ACPI_RECLAIM, 1, true, "ACPI" },
	{ MEM_LOADER, 2, true, "loader" },
	{ MEM_MODULE, 3, true, "module" },
	{ MEM_HYPERVISOR, 4, true, "hypervisor" },
	{ MEM_ACPI_NVS, 5, false, "ACPI NVS" },
	{ MEM_RESERVED, 6, false, "reserved" },
	{ MEM_BAD, 7, false, "bad" },
};

static const struct type_info *type_info(u32 type)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
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

/* Drops empty regions and merges touching regions of the same type, in place. */
static void normalize(struct memmap *m)
{
	unsigned int n = m->nr;

	m->nr = 0;
	for (unsigned int i = 0; i < n; i++)
		if (m->regions[i].size)
			append(m, m->regions[i].base, region_end(&m->regions[i]), m->regions[i].type);
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
				const struct type_info *t = type_info(src[i].type);

				if (!t)
					t = type_info(MEM_RESERVED);
				next = MIN(next, end);
				if (!covered || t->rank > rank) {
					rank = t->rank;
					type = t->type;
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

int memmap_reserve(struct memmap *m, paddr_t start, paddr_t end, u32 type)
{
	static struct memmap out; /* boot CPU only, as m is */

	if (type == MEM_USABLE)
		return -EINVAL;
	end = MIN(end, MEMMAP_ADDR_LIMIT);
	if (start >= end)
		return 0;
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);

	/* Rebuild the map with [start, end) cut out of usable regions; m changes only if it fits. */
	out.nr = out.dropped = 0;
	for (unsigned int i = 0; i < m->nr; i++) {
		const struct mem_region *r = &m->regions[i];
		paddr_t rend = region_end(r), lo = MAX(r->base, start), hi = MIN(rend, end);

		if (r->type != MEM_USABLE || lo >= hi) {
			append(&out, r->base, rend, r->type);
			continue;
		}
		if (r->base < lo)
			append(&out, r->base, lo, MEM_USABLE);
		append(&out, lo, hi, type);
		if (hi < rend)
			append(&out, hi, rend, MEM_USABLE);
	}
	if (out.dropped)
		return -ENOSPC;
	memcpy(m->regions, out.regions, out.nr * sizeof(out.regions[0]));
	m->nr = out.nr;
	return 0;
}

paddr_t memmap_alloc(struct memmap *m, u64 size, u64 align, paddr_t limit)
{
	align = MAX(align, PAGE_SIZE);
	if (!limit || limit > MEMMAP_ADDR_LIMIT)
		limit = MEMMAP_ADDR_LIMIT;
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || size >= MEMMAP_ADDR_LIMIT ||
	    (align & (align - 1)) || align >= MEMMAP_ADDR_LIMIT)
		return 0;
	for (unsigned int i = m->nr; i-- > 0;) {
		const struct mem_region *r = &m->regions[i];
		paddr_t lo = MAX(r->base, PAGE_SIZE), hi = MIN(region_end(r), limit), pa;

		if (r->type != MEM_USABLE || hi < lo || hi - lo < size)
			continue;
		pa = ALIGN_DOWN(hi - size, align);
		if (pa >= lo)
			return memmap_reserve(m, pa, pa + size, MEM_HYPERVISOR) ? 0 : pa;
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

bool memmap_type_is_ram(u32 type)
{
	const struct type_info *t = type_info(type);

	return t && t->ram;
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
	const struct type_info *t = type_info(type);

	return t ? t->name : "unknown";
}
