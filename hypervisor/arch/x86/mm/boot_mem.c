/*
 * Boot-time memory setup: from the loader's memory map to running page
 * tables and a frame allocator holding every free RAM frame.
 */
#include <asm/arch.h>
#include <asm/desc.h>
#include <asm/layout.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/pv_mm.h>
#include <mica/bootinfo.h>
#include <mica/console.h>
#include <mica/frame.h>
#include <mica/lib.h>
#include <mica/memmap.h>

extern char __image_end[];
extern char boot_stack[];

static struct memmap boot_memmap;
u64 usable_ram_bytes;
paddr_t trampoline_pa;

/* Real mode reaches the trampoline below the EBDA, which may start at 636 KiB (0x9f000). */
#define TRAMPOLINE_LIMIT 0x9f000

/* Page-table pages while building the direct map: reachable through the boot identity map. */
static paddr_t early_page(void)
{
	return memmap_alloc(&boot_memmap, PAGE_SIZE, PAGE_SIZE, GiB(4));
}

static void reserve(paddr_t start, paddr_t end, u32 type, const char *what)
{
	if (memmap_reserve(&boot_memmap, start, end, type))
		panic("memory map too fragmented to reserve %s", what);
}

void frame_bug(const char *what)
{
	panic("frame allocator: %s", what);
}

void memory_init(const struct boot_info *bi)
{
	mfn_t nr_frames;
	paddr_t table;
	u64 usable_kib, low_kib, hv_kib, boot_kib;

	for (unsigned int i = 0; i < bi->nr_mem; i++)
		pr_info("memory map: %#018lx-%#018lx %s", bi->mem[i].base,
			bi->mem[i].base + bi->mem[i].size, memmap_type_name(bi->mem[i].type));
	if (!bi->nr_mem)
		panic("the boot loader gave no memory map");

	memmap_init(&boot_memmap, bi->mem, bi->nr_mem);
	usable_ram_bytes = memmap_total(&boot_memmap, MEM_USABLE);
	usable_kib = usable_ram_bytes >> 10;

	reserve(IMAGE_PHYS_BASE, __pa(__image_end), MEM_HYPERVISOR, "the hypervisor image");
	reserve(bi->info_start, bi->info_end, MEM_LOADER, "the loader's information");
	for (unsigned int i = 0; i < bi->nr_mods; i++)
		reserve(bi->mods[i].start, bi->mods[i].end, MEM_MODULE, "a boot module");
	/* The first MiB holds firmware data and, once taken here, the trampoline. */
	trampoline_pa = memmap_alloc(&boot_memmap, PAGE_SIZE, PAGE_SIZE, TRAMPOLINE_LIMIT);
	low_kib = memmap_total(&boot_memmap, MEM_USABLE) >> 10;
	reserve(0, MiB(1), MEM_RESERVED, "low memory");
	low_kib -= memmap_total(&boot_memmap, MEM_USABLE) >> 10;

	paging_init(boot_memmap.regions, boot_memmap.nr, early_page);
	traps_init();
	cpu_desc_init(this_cpu(), boot_stack);

	nr_frames = memmap_ram_end(&boot_memmap) >> PAGE_SHIFT;
	table = memmap_alloc(&boot_memmap, ALIGN_UP(nr_frames * sizeof(struct frame), PAGE_SIZE),
			     PAGE_SIZE, 0);
	if (!table)
		panic("no room for the frame table (%lu frames)", nr_frames);
	frame_table_init(__va(table), nr_frames);

	for (unsigned int i = 0; i < boot_memmap.nr; i++) {
		const struct mem_region *r = &boot_memmap.regions[i];

		if (r->type == MEM_USABLE)
			frames_add_free(r->base >> PAGE_SHIFT, r->size >> PAGE_SHIFT);
		else if (memmap_type_is_ram(r->type))
			frames_reserve_ram(r->base >> PAGE_SHIFT, r->size >> PAGE_SHIFT,
					   FRAME_OWNER_HV);
	}
	paging_use_frame_allocator();

	/* The parts add up to the usable total: each came out of usable RAM. */
	hv_kib = memmap_total(&boot_memmap, MEM_HYPERVISOR) >> 10;
	boot_kib = (memmap_total(&boot_memmap, MEM_MODULE) +
		    memmap_total(&boot_memmap, MEM_LOADER)) >> 10;
	pr_info("memory: %lu KiB usable = %lu KiB below 1 MiB + %lu KiB hypervisor + "
		"%lu KiB boot modules + %lu KiB free",
		usable_kib, low_kib, hv_kib, boot_kib, frames_free() * 4);
	m2p_init();
}
