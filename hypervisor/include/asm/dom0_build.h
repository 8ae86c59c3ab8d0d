/*
 * Building dom0: the hypervisor loads the first Multiboot module as a
 * 64-bit PV kernel, lays out its initial memory the way the Xen PV ABI
 * prescribes, and starts its first vCPU. The arithmetic of the layout and
 * the bootstrap page tables is pure logic (arch/x86/pv/dom0_layout.c,
 * host-tested); arch/x86/pv/dom0_build.c does the rest.
 */
#ifndef ASM_DOM0_BUILD_H
#define ASM_DOM0_BUILD_H

#include <mica/types.h>

/*
 * Theory of operation: the initial layout.
 *
 * A PV kernel starts on page tables the builder wrote, mapping a linear
 * window of its pseudo-physical memory: pfn N at VIRT_BASE + N * 4 KiB,
 * from pfn 0 up to v_end. Inside that window, each part 4 KiB aligned and
 * in this order:
 *
 *   [pfns below the kernel][kernel image][initrd, unless MOD_START_PFN]
 *   [p2m, unless INIT_P2M][start_info][bootstrap page tables][boot stack]
 *   [padding up to a 4 MiB boundary, at least 512 KiB]
 *
 * and after the window, not mapped by the bootstrap tables:
 *
 *   [initrd, with MOD_START_PFN][p2m pages, with INIT_P2M][p2m tables]
 *
 * With INIT_P2M the p2m is mapped at the note's address (Linux: 0x8000000000,
 * L4 slot 1) by tables of its own, which hang off the same L4; start_info's
 * first_p2m_pfn/nr_p2m_frames cover the p2m pages and those tables. Every
 * other pfn up to nr_pages is ordinary free RAM for the guest.
 *
 * Bootstrap tables are in libxc's order, [L4][L3...][L2...][L1...], so that
 * Linux can give the L4, L3 and L2 back once it runs on its own tables
 * (Xen's own dom0 order differs; Linux accepts both). The INIT_P2M tables
 * are [L3...][L2...][L1...]. Entries carry the flags libxc writes, with
 * _PAGE_USER already set as the hypervisor's validation would force it:
 * L4/L3/L2 entries P|RW|U|A|D, L1 entries P|RW|U|A, and L1 entries that
 * map a bootstrap page-table page are read-only. No NX, G or PSE.
 *
 * Linux reaches its early memory through L4[511] -> L3[510] -> one L2, so
 * the mapped window must lie in one 1 GiB L2 range from VIRT_BASE; the
 * layout is refused otherwise.
 */

#define DOM0_PTE_UPPER 0x67ULL /* P|RW|U|A|D: L4, L3 and L2 entries */
#define DOM0_PTE_L1 0x27ULL    /* P|RW|U|A */
#define DOM0_PTE_L1_RO 0x25ULL /* P|U|A: maps a page-table page */

/* The v_end padding rule: align to 4 MiB with at least 512 KiB after the stack. */
#define DOM0_PAD_ALIGN MiB(4)
#define DOM0_PAD_MIN KiB(512)

/* What the layout depends on. */
struct dom0_layout_req {
	u64 virt_base;        /* VIRT_BASE note: maps pfn 0; page aligned */
	u64 kern_start;       /* the image's pseudo-physical range [start, end), from the ELF */
	u64 kern_end;
	u64 nr_pages;         /* pages of the domain (= p2m entries) */
	u64 initrd_bytes;     /* 0: no initrd */
	bool initrd_by_pfn;   /* MOD_START_PFN: put the initrd after the mapped window */
	u64 init_p2m;         /* INIT_P2M: VA for the p2m outside the window; 0 = inside */
};

/* One tree of page tables mapping [va, va + pages * 4 KiB) to consecutive pfns. */
struct dom0_pt_tree {
	u64 va;               /* first mapped address */
	u64 pages;            /* pages mapped */
	u64 map_pfn;          /* pfn mapped at va */
	u64 pfn;              /* first table page */
	u64 nr[4];            /* tables per level: nr[0] L1s .. nr[3] L4s (0 or 1) */
	u64 total;            /* sum of nr[] */
};

/* The result: where everything is, in pfns (page index from VIRT_BASE inside the window). */
struct dom0_layout {
	u64 virt_base;
	u64 kern_pfn, kern_end_pfn;     /* [kern_pfn, kern_end_pfn) hold the image */
	u64 initrd_pfn, initrd_pages;   /* initrd_pages 0: no initrd */
	bool initrd_mapped;             /* inside the window (mod_start is then a VA) */
	u64 p2m_pfn, p2m_pages;         /* the p2m array itself */
	u64 p2m_va;                     /* start_info.mfn_list */
	u64 start_info_pfn;
	u64 stack_pfn;                  /* one page; RSP starts at its top */
	u64 mapped_pages;               /* the window: pfns [0, mapped_pages) */
	u64 v_end;                      /* virt_base + mapped_pages * 4 KiB */
	struct dom0_pt_tree boot;       /* the bootstrap tables, L4 first (pt_base) */
	struct dom0_pt_tree p2m_map;    /* INIT_P2M tables (total 0 without INIT_P2M) */
	u64 first_p2m_pfn, nr_p2m_frames; /* INIT_P2M: p2m pages + their tables; else 0 */
	u64 pages_used;                 /* pfns [0, pages_used) are taken by the above */
};

/*
 * Computes the layout for req. Returns 0, or -EINVAL with a sentence for a
 * person in why[0..why_len) when it cannot be built: VIRT_BASE not page
 * aligned or not a guest address, an empty image, a window over 1 GiB or
 * crossing a 1 GiB boundary, an unusable INIT_P2M address (see
 * dom0_init_p2m_ok), or nr_pages too small for what must fit. Pure.
 */
int dom0_layout_compute(const struct dom0_layout_req *req, struct dom0_layout *out,
			char *why, size_t why_len);

/*
 * Whether the p2m of nr_pages can be mapped at va for a kernel whose window
 * starts at virt_base: page aligned, in the lower canonical half, and in
 * other L4 slots than the window (the two trees share only the L4).
 */
bool dom0_init_p2m_ok(u64 va, u64 nr_pages, u64 virt_base);

/*
 * How the page-table writer reaches guest memory: page() returns the
 * hypervisor's pointer to the 4 KiB page at pfn, mfn() the machine frame
 * backing pfn. Both are only called for pfn < pages_used.
 */
struct dom0_mem {
	void *ctx;
	void *(*page)(void *ctx, u64 pfn);
	u64 (*mfn)(void *ctx, u64 pfn);
};

/*
 * Writes the bootstrap tables (and the INIT_P2M tables) of l: zeroes every
 * table page, then maps both trees. The hypervisor's own L4 slots are not
 * touched (they stay zero). Pure apart from the two callbacks.
 */
void dom0_write_page_tables(const struct dom0_layout *l, const struct dom0_mem *m);

/*
 * dom0's size in pages. avail: free pages once the builder has given back
 * its temporary buffers and the boot modules; allocatable: pages it may
 * take right now. requested: dom0_mem= in bytes, 0 for the default, which
 * is avail less a reserve the hypervisor keeps for itself,
 * max(DOM0_RESERVE_MIN, avail / 16). Never more than allocatable; *clamped
 * says a request was cut. Returns 0 if nothing is left for dom0.
 */
#define DOM0_RESERVE_MIN MiB(64)
u64 dom0_mem_pages(u64 requested, u64 avail, u64 allocatable, bool *clamped);

/*
 * dom0's command line from a module string: Multiboot loaders other than
 * GRUB 2 put the module's path first, and GRUB 2 users often repeat it, so
 * the first word is dropped when it has no '=' and either the loader is
 * not GRUB 2 or the word starts with '/'. Returns a pointer into s.
 */
const char *dom0_cmdline_from_module(const char *s, const char *loader_name);

struct boot_info;

/*
 * Builds dom0 from the boot modules (mods[0] the kernel, mods[1] its
 * initrd) with mem bytes of memory (0: the default) and vcpus vCPUs (capped
 * at the CPUs online), and makes its vCPU 0 runnable. Then gives the boot
 * modules' memory back to the allocator. On failure prints what is wrong
 * and what to do, frees the memory it took (the domain object stays) and
 * returns a negative errno; the caller then stops the machine. Boot CPU,
 * once, after SMP and the scheduler are up.
 */
int dom0_construct(const struct boot_info *bi, u64 mem, unsigned int vcpus);

#endif
