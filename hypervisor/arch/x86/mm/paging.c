/*
 * The hypervisor's own page tables: the direct map of RAM, the image with
 * W^X permissions, device mappings and the per-CPU GDT windows. Every
 * mapping lives in L4 slots HV_SLOT_FIRST..HV_SLOT_LAST, whose L3 pages
 * are allocated once here, so that guest L4s can share them by copying
 * those sixteen L4 entries.
 */
#include <asm/page.h>
#include <asm/x86.h>
#include <mica/bootinfo.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/lib.h>
#include <mica/memmap.h>
#include <mica/spinlock.h>

paddr_t idle_pt_root;

static bool tables_live;          /* running on the idle tables: use __va */
static bool use_frame_allocator;  /* page-table pages from alloc_frames */
static paddr_t (*early_alloc)(void);
static spinlock_t map_lock = SPINLOCK_INIT; /* guards changes to the idle tables */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __image_end[];

static u64 *pt_ptr(paddr_t pa)
{
	return tables_live ? __va(pa) : (u64 *)(uintptr_t)pa;
}

static paddr_t new_table(void)
{
	paddr_t pa;

	if (use_frame_allocator) {
		struct frame *f = alloc_frames(0, FRAME_OWNER_HV);

		if (!f)
			return 0;
		pa = frame_to_mfn(f) << PAGE_SHIFT;
	} else {
		pa = early_alloc();
		if (!pa)
			panic("out of memory for the hypervisor's page tables");
	}
	memset(pt_ptr(pa), 0, PAGE_SIZE);
	return pa;
}

/*
 * Returns the entry for va at the level whose entries cover 1 << shift
 * bytes, creating intermediate tables as needed; NULL if out of memory or
 * a large page is in the way.
 */
static u64 *walk_create(u64 va, unsigned int shift)
{
	u64 *table = pt_ptr(idle_pt_root);

	for (unsigned int level = L4_SHIFT; level > shift; level -= 9) {
		u64 *e = &table[PT_INDEX(va, level)];

		if (!(*e & PTE_P)) {
			paddr_t pa = new_table();

			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = pt_ptr(*e & PTE_ADDR_MASK);
	}
	return &table[PT_INDEX(va, shift)];
}

static int map_one(u64 va, paddr_t pa, unsigned int shift, u64 flags)
{
	u64 *e = walk_create(va, shift);

	if (!e)
		return -ENOMEM;
	*e = pa | flags | PTE_P | (shift > L1_SHIFT ? PTE_PS : 0);
	return 0;
}

/* Maps [pa, pa+size) at va, with 2 MiB pages where alignment allows. */
static int map_range(u64 va, paddr_t pa, u64 size, u64 flags)
{
	u64 end = pa + size;

	while (pa < end) {
		unsigned int shift = L1_SHIFT;
		int rc;

		if (IS_ALIGNED(pa, MiB(2)) && IS_ALIGNED(va, MiB(2)) && end - pa >= MiB(2))
			shift = L2_SHIFT;
		rc = map_one(va, pa, shift, flags);
		if (rc)
			return rc;
		pa += 1UL << shift;
		va += 1UL << shift;
	}
	return 0;
}

int map_pages(u64 va, paddr_t pa, u64 nr, u64 flags)
{
	int rc = 0;

	if (va < RO_MPT_VIRT_START || va + nr * PAGE_SIZE > DIRECTMAP_END)
		return -EINVAL;
	spin_lock(&map_lock);
	for (u64 i = 0; i < nr && !rc; i++)
		rc = map_one(va + i * PAGE_SIZE, pa + i * PAGE_SIZE, L1_SHIFT, flags);
	spin_unlock(&map_lock);
	for (u64 i = 0; i < nr; i++)
		invlpg((void *)(uintptr_t)(va + i * PAGE_SIZE));
	return rc;
}

/*
 * The entry that maps va: an L1 entry, or a large page's entry (*shift
 * says which level); NULL if a level on the way is not present.
 */
static u64 *walk_find(u64 va, unsigned int *shift)
{
	u64 *table = pt_ptr(idle_pt_root);

	for (unsigned int level = L4_SHIFT;; level -= 9) {
		u64 *e = &table[PT_INDEX(va, level)];

		if (!(*e & PTE_P))
			return NULL;
		if (level == L1_SHIFT || (*e & PTE_PS)) {
			*shift = level;
			return e;
		}
		table = pt_ptr(*e & PTE_ADDR_MASK);
	}
}

void unmap_pages(u64 va, u64 nr)
{
	spin_lock(&map_lock);
	for (u64 i = 0; i < nr; i++) {
		u64 a = va + i * PAGE_SIZE;
		unsigned int shift;
		u64 *e = walk_find(a, &shift);

		if (e && shift == L1_SHIFT)
			*e = 0;
		invlpg((void *)(uintptr_t)a);
	}
	spin_unlock(&map_lock);
}

void *map_mmio(paddr_t pa, size_t size)
{
	paddr_t start = ALIGN_DOWN(pa, PAGE_SIZE);
	u64 nr = (ALIGN_UP(pa + size, PAGE_SIZE) - start) >> PAGE_SHIFT;

	if (map_pages(DIRECTMAP_BASE + start, start, nr, PTE_W | PTE_PCD | PTE_PWT | PTE_NX))
		return NULL;
	return __va(pa);
}

paddr_t virt_to_phys_walk(u64 va)
{
	unsigned int shift;
	const u64 *e = walk_find(va, &shift);

	if (!e)
		return ~0UL;
	return (*e & PTE_ADDR_MASK & ~((1UL << shift) - 1)) | (va & ((1UL << shift) - 1));
}

static void map_image(void)
{
	struct {
		char *start, *end;
		u64 flags;
	} parts[] = {
		{ __text_start, __text_end, 0 },
		{ __rodata_start, __rodata_end, PTE_NX },
		{ __data_start, __image_end, PTE_W | PTE_NX },
	};

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		u64 va = ALIGN_DOWN((u64)(uintptr_t)parts[i].start, PAGE_SIZE);
		u64 end = ALIGN_UP((u64)(uintptr_t)parts[i].end, PAGE_SIZE);

		for (; va < end; va += PAGE_SIZE)
			if (map_one(va, va - IMAGE_VIRT_OFFSET, L1_SHIFT, parts[i].flags | PTE_G))
				panic("cannot map the hypervisor image");
	}
}

void paging_init(const struct mem_region *map, unsigned int n, paddr_t (*alloc_page)(void))
{
	u64 *l4;

	early_alloc = alloc_page;
	idle_pt_root = new_table();
	l4 = pt_ptr(idle_pt_root);
	for (unsigned int slot = HV_SLOT_FIRST; slot <= HV_SLOT_LAST; slot++)
		l4[slot] = new_table() | PTE_P | PTE_W;

	if (map_range(DIRECTMAP_BASE, 0, MiB(1), PTE_W | PTE_NX | PTE_G))
		panic("cannot map low memory");
	for (unsigned int i = 0; i < n; i++) {
		paddr_t s = ALIGN_DOWN(map[i].base, PAGE_SIZE);
		paddr_t e = ALIGN_UP(map[i].base + map[i].size, PAGE_SIZE);
		bool ram = memmap_type_is_ram(map[i].type);
		u64 flags = PTE_W | PTE_NX | PTE_G;

		if (e <= MiB(1))
			continue;
		if (s < MiB(1))
			s = MiB(1);
		/*
		 * Firmware-reserved ranges below 4 GiB hold ACPI tables and
		 * device registers: map them uncached, one page at a time, so
		 * a later map_mmio of a device page just replaces its entry.
		 * Reserved ranges above 4 GiB are left out.
		 */
		if (!ram) {
			if (s >= GiB(4))
				continue;
			e = MIN(e, GiB(4));
			flags |= PTE_PCD | PTE_PWT;
			for (; s < e; s += PAGE_SIZE)
				if (map_one(DIRECTMAP_BASE + s, s, L1_SHIFT, flags))
					panic("out of memory while mapping firmware ranges");
			continue;
		}
		if (e > DIRECTMAP_END - DIRECTMAP_BASE)
			panic("RAM at %#llx is beyond the direct map", (unsigned long long)e);
		if (map_range(DIRECTMAP_BASE + s, s, e - s, flags))
			panic("out of memory while building the direct map");
	}
	map_image();

	/* Supervisor-mode execution of guest pages is never wanted. */
	if (cpu_has(7, CPUID_EBX, 7))
		write_cr4(read_cr4() | X86_CR4_SMEP);
	write_cr4(read_cr4() | X86_CR4_PGE);
	write_cr3(idle_pt_root);
	tables_live = true;
}

void paging_use_frame_allocator(void)
{
	use_frame_allocator = true;
}
