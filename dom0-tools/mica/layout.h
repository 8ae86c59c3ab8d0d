/*
 * A domU's start-of-day memory layout, start_info and first vCPU context
 * (pure; host-tested).
 *
 * The layout is dom0's (hypervisor/arch/x86/pv/dom0_layout.c, compiled
 * into the tools: the same source, so dom0 and every domU start from the
 * same arithmetic), plus the two pages a domU has and dom0 has not: the
 * store ring and the console ring. They sit right after the kernel image,
 * inside the mapped window, as ordinary RAM pages:
 *
 *   [pfns below the kernel][kernel][store][console][initrd, unless MOD_START_PFN]
 *   [p2m, unless INIT_P2M][start_info][page tables, L4 first][boot stack][padding]
 *   then, unmapped: [initrd, with MOD_START_PFN][p2m, with INIT_P2M][its tables]
 *
 * libxc puts start_info before the two rings; Linux does not care about
 * the order (it finds the rings through the M2P and reserves them by pfn).
 */
#ifndef MICA_LAYOUT_H
#define MICA_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/vcpu.h>
#include <pv/xen.h>

/* What the layout needs from the kernel image (from its Xen notes and program headers). */
struct domu_kernel {
	uint64_t virt_base;         /* VIRT_BASE: maps pfn 0 */
	uint64_t entry;             /* ENTRY */
	uint64_t paddr_start;       /* pseudo-physical [start, end) of the loaded image */
	uint64_t paddr_end;
	uint64_t init_p2m;          /* INIT_P2M, 0 if absent */
	uint64_t hypercall_page;    /* HYPERCALL_PAGE VA, 0 if absent */
	bool mod_start_pfn;         /* MOD_START_PFN: the initrd may stay unmapped */
};

/* Where everything is, as pfns (page numbers of the guest's pseudo-physical memory). */
struct domu_layout {
	/* The inputs. */
	struct domu_kernel k;
	uint64_t nr_pages;          /* the domain's memory, in pages */
	uint64_t initrd_bytes;
	/* The results. */
	uint64_t kern_pfn, kern_end_pfn;
	uint64_t store_pfn, console_pfn;
	uint64_t initrd_pfn, initrd_pages;
	bool initrd_mapped;         /* inside the window: mod_start is a VA */
	uint64_t p2m_pfn, p2m_pages, p2m_va;
	uint64_t start_info_pfn;
	uint64_t pt_pfn, nr_pt;     /* bootstrap tables, L4 at pt_pfn */
	uint64_t stack_pfn;
	uint64_t p2m_pt_pfn, p2m_nr_pt; /* the tables that map an INIT_P2M p2m */
	uint64_t first_p2m_pfn, nr_p2m_frames;
	uint64_t mapped_pages;      /* pfns [0, mapped_pages) are mapped at VIRT_BASE */
	uint64_t v_end;
	uint64_t pages_used;        /* pfns [0, pages_used) hold all of the above */
	uint64_t hypercall_pfn;     /* ~0 if the kernel has no hypercall page */
};

enum domu_layout_error {
	DOMU_LAYOUT_OK,
	DOMU_LAYOUT_TOO_SMALL,      /* nr_pages cannot hold it all; see *min_pages */
	DOMU_LAYOUT_WINDOW,         /* the mapped window would pass 1 GiB */
	DOMU_LAYOUT_BAD_KERNEL,     /* the image's addresses cannot be laid out */
};

/*
 * Lays out a domain of nr_pages for kernel k and an initrd of initrd_bytes
 * (0: none), following the kernel's INIT_P2M and MOD_START_PFN notes as
 * libxc does. On failure returns the reason, fills why[0..whysz) with a
 * sentence, and for DOMU_LAYOUT_TOO_SMALL sets *min_pages to the smallest
 * size that works (min_pages may be NULL).
 */
enum domu_layout_error domu_layout_compute(const struct domu_kernel *k, uint64_t nr_pages,
					   uint64_t initrd_bytes, struct domu_layout *out,
					   uint64_t *min_pages, char *why, size_t whysz);

/*
 * Writes the bootstrap page tables (and the INIT_P2M tables) of l:
 * page(ctx, pfn) gives dom0's pointer to the guest's page, mfn(ctx, pfn)
 * its machine frame. Same entries as dom0's builder writes.
 */
void domu_write_page_tables(const struct domu_layout *l, void *(*page)(void *ctx, uint64_t pfn),
			    uint64_t (*mfn)(void *ctx, uint64_t pfn), void *ctx);

/* What start_info needs beyond the layout. */
struct domu_start {
	const uint64_t *p2m;        /* MFN of every pfn */
	uint64_t shared_info_mfn;
	uint32_t store_port, console_port; /* the domU's own ports */
	const char *cmdline;        /* at most MAX_GUEST_CMDLINE - 1 bytes are kept */
};

/* Fills start_info for l (zeroed first). */
void domu_start_info(const struct domu_layout *l, const struct domu_start *s,
		     struct start_info *si);

/* vCPU 0's first context: at ENTRY in kernel mode, RSI = start_info, CR3 = the L4. */
void domu_vcpu0_context(const struct domu_layout *l, uint64_t l4_mfn,
			struct vcpu_guest_context *ctx);

#endif
