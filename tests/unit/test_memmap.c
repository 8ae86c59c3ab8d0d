/* Unit tests for the early memory map (hypervisor/common/memmap.c). */
/* unit-sources: hypervisor/common/memmap.c hypervisor/common/lib/string.c */
#include <stdlib.h>

#include "check.h"

#include <mica/errno.h>
#include <mica/memmap.h>

#define R(b, e, t) { (b), (e) - (b), (t) }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct memmap map;

/* End (exclusive) of the highest region of the given type, or 0 if there is none. */
static paddr_t memmap_end(const struct memmap *m, u32 type)
{
	for (unsigned int i = m->nr; i-- > 0;)
		if (m->regions[i].type == type)
			return m->regions[i].base + m->regions[i].size;
	return 0;
}

/* Checks the normal form memmap.h promises. */
static void check_normal(const struct memmap *m)
{
	CHECK(m->nr <= MEMMAP_MAX_REGIONS);
	for (unsigned int i = 0; i < m->nr; i++) {
		const struct mem_region *r = &m->regions[i];

		CHECK_MSG(r->size, "region %u is empty", i);
		CHECK_MSG(r->base + r->size <= MEMMAP_ADDR_LIMIT, "region %u beyond the limit", i);
		if (r->type == MEM_USABLE)
			CHECK_MSG(!(r->base & 0xfff) && !(r->size & 0xfff),
				  "usable region %u [%#llx, +%#llx) not page aligned", i,
				  (unsigned long long)r->base, (unsigned long long)r->size);
		if (i) {
			const struct mem_region *p = &m->regions[i - 1];

			CHECK_MSG(p->base + p->size <= r->base, "regions %u and %u overlap or unsorted",
				  i - 1, i);
			CHECK_MSG(!(p->base + p->size == r->base && p->type == r->type),
				  "regions %u and %u touch with the same type", i - 1, i);
		}
	}
}

/* Compares m with want[0..n); reports the first difference. */
static void check_map(const struct memmap *m, const struct mem_region *want, unsigned int n,
		      int line)
{
	check_normal(m);
	if (m->nr != n) {
		check_fail(__FILE__, line, "map has %u regions, expected %u", m->nr, n);
		for (unsigned int i = 0; i < m->nr; i++)
			printf("    [%#llx, %#llx) %s\n", (unsigned long long)m->regions[i].base,
			       (unsigned long long)(m->regions[i].base + m->regions[i].size),
			       memmap_type_name(m->regions[i].type));
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct mem_region *r = &m->regions[i];

		if (r->base != want[i].base || r->size != want[i].size || r->type != want[i].type) {
			check_fail(__FILE__, line,
				   "region %u is [%#llx, %#llx) %s, expected [%#llx, %#llx) %s", i,
				   (unsigned long long)r->base,
				   (unsigned long long)(r->base + r->size), memmap_type_name(r->type),
				   (unsigned long long)want[i].base,
				   (unsigned long long)(want[i].base + want[i].size),
				   memmap_type_name(want[i].type));
			return;
		}
	}
}

#define CHECK_MAP(m, want) check_map((m), (want), N(want), __LINE__)

/* QEMU's e820 for "-m 512" (SeaBIOS), in the order it reports it. */
static const struct mem_region qemu_e820[] = {
	R(0x0, 0x9fc00, MEM_USABLE),
	R(0x9fc00, 0xa0000, MEM_RESERVED),
	R(0xf0000, 0x100000, MEM_RESERVED),
	R(0x100000, 0x1ffe0000, MEM_USABLE),
	R(0x1ffe0000, 0x20000000, MEM_RESERVED),
	R(0xfeffc000, 0xff000000, MEM_RESERVED),
	R(0xfffc0000, 0x100000000, MEM_RESERVED),
};

static const struct mem_region qemu_clean[] = {
	R(0x0, 0x9f000, MEM_USABLE),
	R(0x9fc00, 0xa0000, MEM_RESERVED),
	R(0xf0000, 0x100000, MEM_RESERVED),
	R(0x100000, 0x1ffe0000, MEM_USABLE),
	R(0x1ffe0000, 0x20000000, MEM_RESERVED),
	R(0xfeffc000, 0xff000000, MEM_RESERVED),
	R(0xfffc0000, 0x100000000, MEM_RESERVED),
};

static void empty_map(void)
{
	memmap_init(&map, NULL, 0);
	CHECK_EQ(map.nr, 0);
	CHECK_EQ(map.dropped, 0);
	CHECK_EQ(memmap_total(&map, MEM_USABLE), 0);
	CHECK_EQ(memmap_end(&map, MEM_USABLE), 0);
	CHECK_EQ(memmap_ram_end(&map), 0);
	CHECK_EQ(memmap_alloc(&map, 4096, 4096, 0), 0);
	CHECK_EQ(memmap_reserve(&map, 0, 0x10000, MEM_HYPERVISOR), 0);
	CHECK_EQ(map.nr, 0);
}

static void qemu_e820_in_any_order(void)
{
	struct mem_region src[N(qemu_e820)];

	memmap_init(&map, qemu_e820, N(qemu_e820));
	CHECK_MAP(&map, qemu_clean);
	for (unsigned int i = 0; i < N(qemu_e820); i++)
		src[i] = qemu_e820[(i * 3 + 2) % N(qemu_e820)];
	memmap_init(&map, src, N(src));
	CHECK_MAP(&map, qemu_clean);
	for (unsigned int i = 0; i < N(qemu_e820); i++)
		src[i] = qemu_e820[N(qemu_e820) - 1 - i];
	memmap_init(&map, src, N(src));
	CHECK_MAP(&map, qemu_clean);
	CHECK_EQ(memmap_total(&map, MEM_USABLE), 0x9f000 + 0x1fee0000);
	CHECK_EQ(memmap_end(&map, MEM_USABLE), 0x1ffe0000);
	CHECK_EQ(memmap_end(&map, MEM_RESERVED), 0x100000000);
	CHECK_EQ(memmap_ram_end(&map), 0x1ffe0000);
}

/*
 * A server-like map with the overlaps firmware really produces: a usable
 * range reported whole and then again in pieces, ACPI tables and a
 * reserved window inside usable RAM, a duplicate, NVS overlapping
 * reserved, bad memory over everything, and a range above 4 GiB.
 */
static void overlapping_firmware_map(void)
{
	static const struct mem_region src[] = {
		R(0x100000000, 0x880000000, MEM_USABLE),
		R(0x0, 0x80000000, MEM_USABLE),
		R(0xa0000, 0x100000, MEM_RESERVED),
		R(0x100000, 0x400000, MEM_USABLE),      /* inside the big one */
		R(0x300000, 0x900000, MEM_USABLE),      /* overlaps the previous */
		R(0x7ff00000, 0x7ff80800, MEM_ACPI_RECLAIM),
		R(0x7ff80800, 0x80000000, MEM_ACPI_NVS),
		R(0x7ffff000, 0x80001000, MEM_RESERVED), /* over NVS and past usable */
		R(0x7ff00000, 0x7ff80800, MEM_ACPI_RECLAIM), /* duplicate */
		R(0x10000000, 0x10000400, MEM_BAD),     /* bad, inside usable */
		R(0x10000000, 0x10000400, MEM_RESERVED), /* and also reserved */
		R(0xfec00000, 0xfec01000, MEM_RESERVED),
		R(0x87fffff00, 0x880000100, MEM_RESERVED), /* straddles the end of RAM */
	};
	static const struct mem_region want[] = {
		R(0x0, 0xa0000, MEM_USABLE),
		R(0xa0000, 0x100000, MEM_RESERVED),
		R(0x100000, 0x10000000, MEM_USABLE),
		R(0x10000000, 0x10000400, MEM_BAD),
		R(0x10001000, 0x7ff00000, MEM_USABLE),
		R(0x7ff00000, 0x7ff80800, MEM_ACPI_RECLAIM),
		R(0x7ff80800, 0x7ffff000, MEM_ACPI_NVS),
		R(0x7ffff000, 0x80001000, MEM_RESERVED),
		R(0xfec00000, 0xfec01000, MEM_RESERVED),
		R(0x100000000, 0x87ffff000, MEM_USABLE),
		R(0x87fffff00, 0x880000100, MEM_RESERVED),
	};

	memmap_init(&map, src, N(src));
	CHECK_MAP(&map, want);
	CHECK_EQ(memmap_ram_end(&map), 0x87ffff000);
	CHECK_EQ(memmap_end(&map, MEM_ACPI_RECLAIM), 0x7ff80800);
}

static void unknown_types_are_reserved(void)
{
	static const struct mem_region src[] = {
		R(0x0, 0x10000, MEM_USABLE),
		R(0x10000, 0x20000, 12),  /* persistent memory */
		R(0x20000, 0x30000, 0),   /* nonsense */
		R(0x30000, 0x40000, MEM_RESERVED),
		R(0x8000, 0x9000, 0xf00d),
	};
	static const struct mem_region want[] = {
		R(0x0, 0x8000, MEM_USABLE),
		R(0x8000, 0x9000, MEM_RESERVED),
		R(0x9000, 0x10000, MEM_USABLE),
		R(0x10000, 0x40000, MEM_RESERVED),
	};

	memmap_init(&map, src, N(src));
	CHECK_MAP(&map, want);
}

static void shrinking_merging_dropping(void)
{
	static const struct mem_region src[] = {
		R(0x0, 0x0, MEM_USABLE),             /* empty */
		R(0x5000, 0x5000, MEM_RESERVED),     /* empty */
		R(0x1800, 0x3000, MEM_USABLE),       /* joins the next, one run */
		R(0x3000, 0x4800, MEM_USABLE),
		R(0x10100, 0x10f00, MEM_USABLE),     /* under a page once shrunk */
		R(0x20800, 0x22800, MEM_USABLE),     /* shrinks to one page */
		R(0x30000, 0x31000, MEM_ACPI_NVS),
		R(0x31000, 0x32000, MEM_ACPI_NVS),   /* merges with the previous */
		R(0x32000, 0x32800, MEM_RESERVED),   /* non-usable: kept exact */
		R(0x32800, 0x34000, MEM_USABLE),
	};
	static const struct mem_region want[] = {
		R(0x2000, 0x4000, MEM_USABLE),
		R(0x21000, 0x22000, MEM_USABLE),
		R(0x30000, 0x32000, MEM_ACPI_NVS),
		R(0x32000, 0x32800, MEM_RESERVED),
		R(0x33000, 0x34000, MEM_USABLE),
	};

	memmap_init(&map, src, N(src));
	CHECK_MAP(&map, want);
}

static void huge_addresses_clipped(void)
{
	static const struct mem_region src[] = {
		R(0x100000, 0x200000, MEM_USABLE),
		{ 0xffffffffff000ULL, 0x2000, MEM_USABLE },         /* crosses 2^52 */
		{ 0x10000000000000ULL, 0x1000, MEM_USABLE },        /* at 2^52 */
		{ 0xfffffffffffff000ULL, 0x2000, MEM_RESERVED },    /* wraps 2^64 */
		{ 0x400000, ~0ULL, MEM_RESERVED },                  /* size wraps */
	};
	static const struct mem_region want[] = {
		R(0x100000, 0x200000, MEM_USABLE),
		R(0x400000, MEMMAP_ADDR_LIMIT, MEM_RESERVED),
	};

	memmap_init(&map, src, N(src));
	CHECK_MAP(&map, want);
	/* Without the all-covering reserved range, the clipped RAM survives. */
	memmap_init(&map, src, 2);
	CHECK_EQ(map.nr, 2);
	CHECK_EQ(memmap_end(&map, MEM_USABLE), MEMMAP_ADDR_LIMIT);
}

static void many_regions_fit_or_are_counted(void)
{
	struct mem_region *src = calloc(400, sizeof(*src));

	REQUIRE(src);
	/* 128 separate loader regions, the most bootinfo holds: 255 with the gaps filled. */
	for (unsigned int i = 0; i < 128; i++)
		src[i] = (struct mem_region){ (u64)i * 0x2000, 0x1000, MEM_USABLE };
	for (unsigned int i = 0; i < 127; i++)
		src[128 + i] = (struct mem_region){ (u64)i * 0x2000 + 0x1000, 0x1000, MEM_ACPI_NVS };
	memmap_init(&map, src, 255);
	CHECK_EQ(map.nr, 255);
	CHECK_EQ(map.dropped, 0);
	check_normal(&map);

	/* More than fit: the highest are dropped and counted. */
	for (unsigned int i = 0; i < 300; i++)
		src[i] = (struct mem_region){ (u64)i * 0x2000, 0x1000,
					      i % 2 ? MEM_ACPI_NVS : MEM_USABLE };
	memmap_init(&map, src, 300);
	CHECK_EQ(map.nr, MEMMAP_MAX_REGIONS);
	CHECK_EQ(map.dropped, 300 - MEMMAP_MAX_REGIONS);
	CHECK_EQ(memmap_end(&map, MEM_ACPI_NVS), 0x2000 * 255 + 0x1000);
	check_normal(&map);
	free(src);
}

static void reserve_splits(void)
{
	static const struct mem_region src[] = {
		R(0x0, 0x100000, MEM_USABLE),
		R(0x100000, 0x200000, MEM_RESERVED),
		R(0x300000, 0x800000, MEM_USABLE),
	};
	static const struct mem_region want1[] = {
		R(0x0, 0x1000, MEM_HYPERVISOR),
		R(0x1000, 0x10000, MEM_USABLE),
		R(0x10000, 0x12000, MEM_MODULE),
		R(0x12000, 0x100000, MEM_USABLE),
		R(0x100000, 0x200000, MEM_RESERVED),
		R(0x300000, 0x400000, MEM_USABLE),
		R(0x400000, 0x600000, MEM_HYPERVISOR),
		R(0x600000, 0x7ff000, MEM_USABLE),
		R(0x7ff000, 0x800000, MEM_LOADER),
	};
	static const struct mem_region want2[] = {
		R(0x0, 0x1000, MEM_HYPERVISOR),
		R(0x1000, 0x10000, MEM_USABLE),
		R(0x10000, 0x12000, MEM_MODULE),
		R(0x12000, 0x100000, MEM_HYPERVISOR),
		R(0x100000, 0x200000, MEM_RESERVED),
		R(0x300000, 0x7ff000, MEM_HYPERVISOR),
		R(0x7ff000, 0x800000, MEM_LOADER),
	};

	memmap_init(&map, src, N(src));
	CHECK_EQ(memmap_reserve(&map, 0, 1, MEM_HYPERVISOR), 0);           /* at the start */
	CHECK_EQ(memmap_reserve(&map, 0x10234, 0x11001, MEM_MODULE), 0);   /* rounded outward */
	CHECK_EQ(memmap_reserve(&map, 0x400000, 0x500000, MEM_HYPERVISOR), 0);
	CHECK_EQ(memmap_reserve(&map, 0x500000, 0x600000, MEM_HYPERVISOR), 0); /* merges */
	CHECK_EQ(memmap_reserve(&map, 0x7ff800, 0x800000, MEM_LOADER), 0); /* at the end */
	CHECK_MAP(&map, want1);
	/* Across usable, reserved, a hole and usable again: only usable parts change. */
	CHECK_EQ(memmap_reserve(&map, 0x11000, 0x7ff000, MEM_HYPERVISOR), 0);
	CHECK_MAP(&map, want2);
	CHECK_EQ(memmap_total(&map, MEM_HYPERVISOR), 0x1000 + 0xee000 + 0x4ff000);
	CHECK_EQ(memmap_total(&map, MEM_MODULE), 0x2000);
	CHECK_EQ(memmap_end(&map, MEM_LOADER), 0x800000);
	CHECK_EQ(memmap_ram_end(&map), 0x800000);
}

static void reserve_edge_cases(void)
{
	static const struct mem_region src[] = {
		R(0x0, 0x100000, MEM_USABLE),
		R(0x100000, 0x100800, MEM_RESERVED),
	};
	struct memmap before;

	memmap_init(&map, src, N(src));
	before = map;
	CHECK_EQ(memmap_reserve(&map, 0x5000, 0x5000, MEM_HYPERVISOR), 0); /* empty */
	CHECK_EQ(memmap_reserve(&map, 0x6000, 0x5000, MEM_HYPERVISOR), 0); /* backwards */
	CHECK_EQ(memmap_reserve(&map, 0x100000, 0x100800, MEM_MODULE), 0); /* not usable */
	CHECK_EQ(memmap_reserve(&map, 0x200000, 0x300000, MEM_MODULE), 0); /* a hole */
	CHECK_EQ(memmap_reserve(&map, 0x5000, 0x6000, MEM_USABLE), -EINVAL);
	CHECK(!memcmp(&before, &map, sizeof(map)));
	/* An end beyond every address is clipped, not wrapped. */
	CHECK_EQ(memmap_reserve(&map, 0xff000, ~0ULL, MEM_MODULE), 0);
	CHECK_EQ(map.nr, 3);
	CHECK_EQ(memmap_end(&map, MEM_MODULE), 0x100000);
	/* Reserving the whole of a region between two of the new type merges all three. */
	CHECK_EQ(memmap_reserve(&map, 0, 0x1000, MEM_MODULE), 0);
	CHECK_EQ(memmap_reserve(&map, 0x1000, 0xff000, MEM_MODULE), 0);
	CHECK_EQ(map.nr, 2);
	CHECK_EQ(memmap_total(&map, MEM_MODULE), 0x100000);
	CHECK_EQ(memmap_total(&map, MEM_USABLE), 0);
}

/* A map with exactly nr regions: usable pages separated by reserved pages. */
static void build_full_map(unsigned int nr)
{
	struct mem_region src[MEMMAP_MAX_REGIONS];

	for (unsigned int i = 0; i < nr; i++)
		src[i] = (struct mem_region){ (u64)i * 0x4000, 0x4000,
					      i % 2 ? MEM_RESERVED : MEM_USABLE };
	memmap_init(&map, src, nr);
}

static void reserve_table_full(void)
{
	struct memmap before;

	build_full_map(MEMMAP_MAX_REGIONS);
	REQUIRE_EQ(map.nr, MEMMAP_MAX_REGIONS);
	before = map;
	/* Splitting a usable region in the middle needs two more slots. */
	CHECK_EQ(memmap_reserve(&map, 0x9000, 0xa000, MEM_HYPERVISOR), -ENOSPC);
	CHECK(!memcmp(&before, &map, sizeof(map)));
	/* At an edge, one more. */
	CHECK_EQ(memmap_reserve(&map, 0x8000, 0x9000, MEM_HYPERVISOR), -ENOSPC);
	CHECK(!memcmp(&before, &map, sizeof(map)));
	/* Across several regions, splitting both ends: net +2 - 0. */
	CHECK_EQ(memmap_reserve(&map, 0x9000, 0x11000, MEM_HYPERVISOR), -ENOSPC);
	CHECK(!memcmp(&before, &map, sizeof(map)));
	CHECK_EQ(memmap_alloc(&map, 0x1000, 0x1000, 0), 0);
	CHECK(!memcmp(&before, &map, sizeof(map)));
	/* Next to a region of the same type, no new slot is needed. */
	CHECK_EQ(memmap_reserve(&map, 0x8000, 0x9000, MEM_RESERVED), 0);
	CHECK_EQ(map.nr, MEMMAP_MAX_REGIONS);
	CHECK_EQ(memmap_end(&map, MEM_USABLE), 0x4000 * (MEMMAP_MAX_REGIONS - 2) + 0x4000);
	/* A whole usable region between reserved ones: three become one. */
	CHECK_EQ(memmap_reserve(&map, 0x10000, 0x14000, MEM_RESERVED), 0);
	CHECK_EQ(map.nr, MEMMAP_MAX_REGIONS - 2);
	/* Now there is room for a split in the middle. */
	CHECK_EQ(memmap_reserve(&map, 0x19000, 0x1a000, MEM_HYPERVISOR), 0);
	CHECK_EQ(map.nr, MEMMAP_MAX_REGIONS);
	check_normal(&map);
	/* With one slot free, an edge split fits and a middle split does not. */
	build_full_map(MEMMAP_MAX_REGIONS - 1);
	CHECK_EQ(memmap_reserve(&map, 0x9000, 0xa000, MEM_HYPERVISOR), -ENOSPC);
	CHECK_EQ(memmap_reserve(&map, 0x8000, 0x9000, MEM_HYPERVISOR), 0);
	CHECK_EQ(map.nr, MEMMAP_MAX_REGIONS);
	check_normal(&map);
}

static void alloc_high(void)
{
	paddr_t a, b, c;

	memmap_init(&map, qemu_e820, N(qemu_e820));
	a = memmap_alloc(&map, 0x1000, 0x1000, 0);
	CHECK_EQ(a, 0x1ffdf000);
	b = memmap_alloc(&map, 0x3000, 0, 0);  /* align 0: a page */
	CHECK_EQ(b, 0x1ffdc000);
	CHECK_EQ(memmap_total(&map, MEM_HYPERVISOR), 0x4000);
	CHECK_EQ(map.nr, N(qemu_clean) + 1); /* the two merged */
	c = memmap_alloc(&map, 0x200000, 0x200000, 0);  /* 2 MiB aligned */
	CHECK_EQ(c, 0x1fc00000);
	a = memmap_alloc(&map, 0x1000, 0x1000, 0x1000000);  /* below 16 MiB */
	CHECK_EQ(a, 0xfff000);
	a = memmap_alloc(&map, 0x1000, 0x1000, 0x1000800);  /* unaligned limit */
	CHECK_EQ(a, 0xfff000 - 0x1000);
	a = memmap_alloc(&map, 0x1000, 0x100, 0x100000);  /* align below a page */
	CHECK_EQ(a, 0x9e000);
	check_normal(&map);
	/* Invalid requests change nothing. */
	CHECK_EQ(memmap_alloc(&map, 0, 0x1000, 0), 0);
	CHECK_EQ(memmap_alloc(&map, 0x800, 0x1000, 0), 0);
	CHECK_EQ(memmap_alloc(&map, 0x1000, 0x3000, 0), 0);
	CHECK_EQ(memmap_alloc(&map, 0x1000, 1ULL << 63, 0), 0);
	CHECK_EQ(memmap_alloc(&map, ~0xfffULL, 0x1000, 0), 0);
	CHECK_EQ(memmap_alloc(&map, 0x40000000, 0x1000, 0), 0);  /* bigger than RAM */
	CHECK_EQ(memmap_alloc(&map, 0x100000, 0x1000, 0x100000), 0); /* low MiB too broken up */
}

static void alloc_never_page_zero(void)
{
	static const struct mem_region src[] = { R(0x0, 0x3000, MEM_USABLE) };

	memmap_init(&map, src, N(src));
	CHECK_EQ(memmap_alloc(&map, 0x1000, 0x1000, 0), 0x2000);
	CHECK_EQ(memmap_alloc(&map, 0x1000, 0x1000, 0), 0x1000);
	CHECK_EQ(memmap_alloc(&map, 0x1000, 0x1000, 0), 0);
	CHECK_EQ(memmap_total(&map, MEM_USABLE), 0x1000);
	memmap_init(&map, src, N(src));
	CHECK_EQ(memmap_alloc(&map, 0x3000, 0x1000, 0), 0);
	CHECK_EQ(memmap_alloc(&map, 0x2000, 0x1000, 0), 0x1000);
}

static void type_helpers(void)
{
	CHECK(memmap_type_is_ram(MEM_USABLE));
	CHECK(memmap_type_is_ram(MEM_ACPI_RECLAIM));
	CHECK(memmap_type_is_ram(MEM_HYPERVISOR));
	CHECK(memmap_type_is_ram(MEM_MODULE));
	CHECK(memmap_type_is_ram(MEM_LOADER));
	CHECK(!memmap_type_is_ram(MEM_RESERVED));
	CHECK(!memmap_type_is_ram(MEM_ACPI_NVS));
	CHECK(!memmap_type_is_ram(MEM_BAD));
	CHECK(!memmap_type_is_ram(99));
	CHECK_STR(memmap_type_name(MEM_USABLE), "usable");
	CHECK_STR(memmap_type_name(MEM_ACPI_NVS), "ACPI NVS");
	CHECK_STR(memmap_type_name(MEM_HYPERVISOR), "hypervisor");
	CHECK_STR(memmap_type_name(12345), "unknown");
}

static void iterator(void)
{
	const struct mem_region *r;
	unsigned int n = 0;
	u64 usable = 0;

	memmap_init(&map, qemu_e820, N(qemu_e820));
	memmap_for_each(&map, r) {
		n++;
		if (r->type == MEM_USABLE)
			usable += r->size;
	}
	CHECK_EQ(n, N(qemu_clean));
	CHECK_EQ(usable, memmap_total(&map, MEM_USABLE));
}

/*
 * Random firmware maps and operations against a brute-force model: the
 * type of every 256-byte unit of the first 1 MiB.
 */
#define UNIT 256
#define UNITS (0x100000 / UNIT)
#define PAGE_UNITS (0x1000 / UNIT)

static u64 rng_state;

static u64 rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rank(u32 t)
{
	static const u32 order[] = { MEM_USABLE, MEM_ACPI_RECLAIM, MEM_LOADER, MEM_MODULE,
				     MEM_HYPERVISOR, MEM_ACPI_NVS, MEM_RESERVED, MEM_BAD };

	for (unsigned int i = 0; i < N(order); i++)
		if (order[i] == t)
			return i + 1;
	return 7;
}

static void model_from_src(u32 *model, const struct mem_region *src, unsigned int n)
{
	memset(model, 0, UNITS * sizeof(*model));
	for (unsigned int i = 0; i < n; i++) {
		u32 t = rank(src[i].type) == 7 ? MEM_RESERVED : src[i].type;

		for (u64 u = src[i].base / UNIT; u < (src[i].base + src[i].size) / UNIT; u++)
			if (!model[u] || rank(t) > rank(model[u]))
				model[u] = t;
	}
	/* Shrink each maximal usable run to whole pages. */
	for (u64 u = 0; u < UNITS;) {
		u64 e = u;

		if (model[u] != MEM_USABLE) {
			u++;
			continue;
		}
		while (e < UNITS && model[e] == MEM_USABLE)
			e++;
		for (u64 k = u; k < e; k++)
			if (k < ALIGN_UP(u, PAGE_UNITS) || k >= ALIGN_DOWN(e, PAGE_UNITS))
				model[k] = 0;
		u = e;
	}
}

static bool map_matches_model(const struct memmap *m, const u32 *model, int step)
{
	u32 *seen = calloc(UNITS, sizeof(*seen));
	bool ok = true;

	if (!seen)
		abort();
	for (unsigned int i = 0; i < m->nr; i++)
		for (u64 u = m->regions[i].base / UNIT;
		     u < (m->regions[i].base + m->regions[i].size) / UNIT && u < UNITS; u++)
			seen[u] = m->regions[i].type;
	for (u64 u = 0; u < UNITS && ok; u++)
		ok = CHECK_MSG(seen[u] == model[u], "step %d: unit at %#llx is %u, model says %u",
			       step, (unsigned long long)(u * UNIT), seen[u], model[u]);
	free(seen);
	return ok;
}

/* The address the model says memmap_alloc(_low) must return: 0 if none. */
static paddr_t model_alloc(const u32 *model, u64 size, u64 align, paddr_t limit)
{
	paddr_t best = 0;

	for (paddr_t a = align; a + size <= MIN(limit, (paddr_t)0x100000); a += align) {
		bool fits = true;

		for (u64 u = a / UNIT; u < (a + size) / UNIT && fits; u++)
			fits = model[u] == MEM_USABLE;
		if (fits)
			best = a;
	}
	return best;
}

static void random_against_model(void)
{
	u32 *model = calloc(UNITS, sizeof(*model));
	struct mem_region src[40];

	REQUIRE(model);
	rng_state = 0x6d656d6d6170; /* fixed seed: "memmap" */
	for (int round = 0; round < 300 && !check_ctx.failures; round++) {
		unsigned int n = 1 + (unsigned int)(rng() % N(src));

		for (unsigned int i = 0; i < n; i++) {
			static const u32 types[] = { MEM_USABLE, MEM_USABLE, MEM_USABLE,
						     MEM_RESERVED, MEM_ACPI_RECLAIM,
						     MEM_ACPI_NVS, MEM_BAD, 7 };
			u64 b = (rng() % UNITS) * UNIT, len = (1 + rng() % (UNITS / 4)) * UNIT;

			if (rng() % 4 == 0)
				len = (1 + rng() % 24) * UNIT; /* small ones too */
			if (b + len > 0x100000)
				len = 0x100000 - b;
			src[i] = (struct mem_region){ b, len, types[rng() % N(types)] };
		}
		memmap_init(&map, src, n);
		model_from_src(model, src, n);
		check_normal(&map);
		if (!map_matches_model(&map, model, round * 100))
			break;

		for (int op = 0; op < 20; op++) {
			int step = round * 100 + op + 1;
			u64 kind = rng() % 2;

			if (kind == 0) {
				static const u32 types[] = { MEM_HYPERVISOR, MEM_MODULE,
							     MEM_LOADER, MEM_RESERVED };
				paddr_t s = rng() % 0x100000, e = s + rng() % 0x20000;
				u32 t = types[rng() % N(types)];

				REQUIRE_EQ(memmap_reserve(&map, s, e, t), 0);
				if (e > s)
					for (u64 u = ALIGN_DOWN(s, 0x1000) / UNIT;
					     u < ALIGN_UP(e, 0x1000) / UNIT && u < UNITS; u++)
						if (model[u] == MEM_USABLE)
							model[u] = t;
			} else {
				u64 size = (1 + rng() % 8) * 0x1000;
				u64 align = 0x1000ULL << (rng() % 4);
				paddr_t limit = rng() % 2 ? 0 : (rng() % 0x100) * 0x1000 + 0x800;
				paddr_t want = model_alloc(model, size, align, limit ? limit : ~0ULL);
				paddr_t got = memmap_alloc(&map, size, align, limit);

				if (!CHECK_MSG(got == want,
					       "step %d: alloc(%#llx, %#llx, %#llx) gave %#llx, model %#llx",
					       step, (unsigned long long)size,
					       (unsigned long long)align, (unsigned long long)limit,
					       (unsigned long long)got, (unsigned long long)want))
					break;
				for (u64 u = got / UNIT; got && u < (got + size) / UNIT; u++)
					model[u] = MEM_HYPERVISOR;
			}
			check_normal(&map);
			if (!map_matches_model(&map, model, step))
				break;
		}
	}
	free(model);
}

int main(void)
{
	RUN(empty_map);
	RUN(qemu_e820_in_any_order);
	RUN(overlapping_firmware_map);
	RUN(unknown_types_are_reserved);
	RUN(shrinking_merging_dropping);
	RUN(huge_addresses_clipped);
	RUN(many_regions_fit_or_are_counted);
	RUN(reserve_splits);
	RUN(reserve_edge_cases);
	RUN(reserve_table_full);
	RUN(alloc_high);
	RUN(alloc_never_page_zero);
	RUN(type_helpers);
	RUN(iterator);
	RUN(random_against_model);
	return check_done();
}
