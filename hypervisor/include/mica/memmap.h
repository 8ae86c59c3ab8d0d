/* Early physical memory bookkeeping: the cleaned-up memory map boot code allocates from. */
#ifndef MICA_MEMMAP_H
#define MICA_MEMMAP_H

#include <mica/bootinfo.h>
#include <mica/types.h>

/*
 * Region types the hypervisor adds on top of the firmware's (enum mem_type
 * in bootinfo.h). They all describe RAM that is in use; loaders never
 * produce them, since multiboot_parse turns unknown types into MEM_RESERVED.
 */
enum {
	MEM_HYPERVISOR = 16, /* the image, page tables, frame table, stacks */
	MEM_MODULE = 17,     /* boot modules (dom0 kernel, initramfs) */
	MEM_LOADER = 18,     /* the loader's information structure */
};

#define MEMMAP_MAX_REGIONS 256

/*
 * Addresses at and above this are beyond any x86_64 machine (52-bit
 * physical addresses); memmap_init drops or clips regions that reach it,
 * so no address arithmetic here can overflow.
 */
#define MEMMAP_ADDR_LIMIT (1ULL << 52)

/*
 * A memory map in normal form: regions sorted by address, non-overlapping,
 * none empty, no two touching regions of the same type, and every
 * MEM_USABLE region (so every range memmap_reserve or memmap_alloc takes
 * from one) starting and ending on a page boundary. Address ranges absent
 * from the map are holes: never RAM.
 *
 * Read regions[0..nr) directly or with memmap_for_each; change them only
 * through the functions below. Not locked: boot code on one CPU owns it.
 */
struct memmap {
	unsigned int nr;
	unsigned int dropped; /* regions memmap_init could not fit */
	struct mem_region regions[MEMMAP_MAX_REGIONS];
};

#define memmap_for_each(m, r) for ((r) = (m)->regions; (r) < (m)->regions + (m)->nr; (r)++)

/*
 * Builds m from a firmware map src[0..n) in any order, with overlaps.
 * Where regions overlap, the more restrictive type wins, in the order
 * MEM_USABLE < MEM_ACPI_RECLAIM < MEM_LOADER < MEM_MODULE < MEM_HYPERVISOR
 * < MEM_ACPI_NVS < MEM_RESERVED < MEM_BAD; unknown types count as
 * MEM_RESERVED. Usable regions are then shrunk inward to whole pages.
 * Anything at or above MEMMAP_ADDR_LIMIT is dropped. If the result has
 * more than MEMMAP_MAX_REGIONS regions (impossible for n <= 128), the
 * highest ones are dropped and counted in m->dropped. src must not point
 * into m. O(n^2) time, no allocation.
 */
void memmap_init(struct memmap *m, const struct mem_region *src, unsigned int n);

/*
 * Marks the pages of [start, end), rounded outward to page boundaries, as
 * type wherever they are MEM_USABLE; other regions and holes are left as
 * they are. Returns 0 (also for an empty range), -EINVAL if type is
 * MEM_USABLE, or -ENOSPC if the result would not fit in the table, in
 * which case m is unchanged.
 */
int memmap_reserve(struct memmap *m, paddr_t start, paddr_t end, u32 type);

/*
 * Takes size bytes (a non-zero multiple of the page size) aligned to align
 * (a power of two; below a page counts as a page) from usable RAM lying
 * wholly below limit (0 means no limit), choosing the highest such address
 * so low memory stays free for DMA and trampolines, and marks it
 * MEM_HYPERVISOR. Returns the address, or 0 if no usable range fits, the
 * arguments are invalid or the table is full. Page 0 is never handed out.
 */
paddr_t memmap_alloc(struct memmap *m, u64 size, u64 align, paddr_t limit);

/* Bytes in regions of the given type. */
u64 memmap_total(const struct memmap *m, u32 type);


/*
 * True for types that describe RAM: MEM_USABLE, MEM_ACPI_RECLAIM and the
 * hypervisor's MEM_HYPERVISOR, MEM_MODULE and MEM_LOADER.
 */
bool memmap_type_is_ram(u32 type);

/* End of the highest RAM region (memmap_type_is_ram): what a frame table must cover. */
paddr_t memmap_ram_end(const struct memmap *m);

/* A short name for a region type, for logs ("usable", "ACPI NVS", "hypervisor" ...). */
const char *memmap_type_name(u32 type);

#endif
