/*
 * A toolstack in miniature, for conformance guests running as dom0:
 * building a small PV domU from a libpv ELF image the way libxc does
 * (pv-abi-notes 4.5), through foreign mappings of the new domain's frames.
 *
 * The domU's pseudo-physical layout, all of it mapped at VIRT_BASE by
 * bootstrap page tables (themselves mapped read-only):
 *
 *   the image's PT_LOAD segments at their p_paddr (1 MiB up for libpv)
 *   start_info, the p2m (DOMU_PAGES u64), L4, L3, L2, the L1s,
 *   DOMU_SPARE_PAGES pages for the caller, one stack page per vCPU,
 *   the console page; the rest up to DOMU_PAGES is free memory.
 *
 * The calls below only make hypercalls and return their results; the
 * domain itself (createdomain, max_mem, event channels, unpause) is the
 * caller's business. One domU is built at a time; the foreign window is
 * a single page, so no pointer into it survives the next call.
 */
#ifndef CONFORMANCE_DOMU_BUILD_H
#define CONFORMANCE_DOMU_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpv.h>

#define DOMU_PAGES 1024            /* 4 MiB */
#define DOMU_MAX_VCPUS 4
#define DOMU_SPARE_PAGES 2

/* A domU under construction: its layout (pfns) and its frames. */
struct domu {
	domid_t id;                /* set by the caller */
	uint64_t mfn[DOMU_PAGES];  /* the p2m: populate_physmap's answer */
	uint64_t entry;
	uint64_t si_pfn, p2m_pfn, l4_pfn, l3_pfn, l2_pfn, l1_pfn, spare_pfn, stack_pfn;
	uint64_t console_pfn, end_pfn;
	unsigned int nr_l1;
	uint64_t shared_info_mfn;  /* set by the caller (getdomaininfo) before domu_load */
	evtchn_port_t console_port;/* set by the caller before domu_load: start_info's console port */
	uint64_t grant_frame;      /* domu_seed_grants: the domU's grant frame 0 */
};

/*
 * The body of a spinning vCPU: counts forever at the u64 RDI points to.
 * Given as RIP by domu_set_context to every vCPU but 0; dom0 and the domU
 * run the same image, so the address is the same in both.
 */
void domu_spin(void);

/* The page dom0 maps other domains' frames at. */
extern uint8_t foreign_window[4096];

/* Finds the window's L1 entry in our bootstrap tables: false if it has none. */
bool foreign_init(void);
/* Maps frame mfn of domain dom at the window, read-write: the mmu_update result. */
long foreign_map(domid_t dom, uint64_t mfn);
/* Puts our own frame back at the window, dropping the foreign frame's references. */
void foreign_unmap(void);

/* Takes the ELF image at elf (len bytes) as the domU's kernel: false if unusable. */
bool domu_image(const void *elf, uint64_t len);
/* Lays b out for the image; false if it does not fit in DOMU_PAGES. */
bool domu_plan(struct domu *b);
/* populate_physmap of pfns 0 .. n-1 for b->id, MFNs into b->mfn: extents done. */
long domu_populate(struct domu *b, uint64_t n);
/*
 * Writes the image, the p2m, start_info (with cmdline) and the bootstrap
 * page tables into b, and unmaps the window: 0 or the first failure.
 */
long domu_load(struct domu *b, const char *cmdline);
/* MMUEXT_PIN_L4_TABLE of b's L4 with foreigndom: the mmuext_op result. */
long domu_pin_l4(struct domu *b, domid_t foreigndom);
/*
 * Fills c for vCPU vcpu (in kernel mode, online, on b's page tables and
 * its own stack page): vCPU 0 at the image's entry with RSI = start_info,
 * the others in domu_spin counting at spare page 0, offset 64 * vcpu.
 * Then setvcpucontext: the domctl result.
 */
long domu_set_context(struct domu *b, unsigned int vcpu, struct vcpu_guest_context *c);
/*
 * GNTTABOP_setup_table for b, then grant entry 0 (console) = the console
 * page for dom0, written through the window: 0, -errno or a GNTST status.
 */
long domu_seed_grants(struct domu *b);
/* Copies len bytes of b's page pfn (from its start) to dst; zeros if it cannot be mapped. */
void domu_read(struct domu *b, uint64_t pfn, void *dst, size_t len);

#endif
