/* What the boot loader told us, in a loader-independent form. */
#ifndef MICA_BOOTINFO_H
#define MICA_BOOTINFO_H

#include <mica/types.h>

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_region {
	paddr_t base;
	u64 size;
	u32 type; /* enum mem_type; other loader values are kept as reserved */
};

struct boot_module {
	paddr_t start;
	paddr_t end; /* exclusive */
	char cmdline[256];
};

#define BOOT_MAX_REGIONS 128
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 1024

struct boot_info {
	const char *loader;     /* "Multiboot1" or "Multiboot2" */
	char loader_name[64];   /* the loader's own name, if it gave one */
	char cmdline[BOOT_CMDLINE_MAX];
	struct mem_region mem[BOOT_MAX_REGIONS];
	unsigned int nr_mem;
	struct boot_module mods[BOOT_MAX_MODULES];
	unsigned int nr_mods;
	unsigned int mods_dropped; /* modules beyond BOOT_MAX_MODULES */
	paddr_t rsdp;           /* physical address of an ACPI RSDP copy, or 0 */
	paddr_t info_start, info_end; /* the loader's info structure itself */
};

/*
 * Translates a physical address the loader gave into a pointer we can
 * read; returns NULL if it cannot be reached.
 */
typedef const void *(*phys_reader_fn)(paddr_t pa, size_t len);

/*
 * Fills bi from the loader's information at physical address info.
 * Returns 0, or -EINVAL if magic is neither Multiboot1 nor Multiboot2 or
 * the structure is malformed. Overlong strings are truncated; only what
 * fits in bi is kept.
 */
int multiboot_parse(u32 magic, paddr_t info, phys_reader_fn read, struct boot_info *bi);

#endif
