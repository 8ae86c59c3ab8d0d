/*
 * A domU's layout, bootstrap page tables, start_info and first vCPU context
 * (dom0-tools/mica/layout.c over the hypervisor's dom0_layout.c), against
 * numbers worked out by hand from pv-abi-notes section 1.3 for a Linux-like
 * image (Debian 6.1.192: VIRT_BASE 0xffffffff80000000, image at
 * pseudo-physical [0x1000000, 0x4a00000)), and against dom0's own layout
 * for the same inputs: the same source makes both.
 */
/* tool-sources: dom0-tools/mica/layout.c */
/* hv-sources: hypervisor/arch/x86/pv/dom0_layout.c */
/* hv-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include "check.h"

#include <stdlib.h>

#include "layout.h"

#define VB 0xffffffff80000000ULL
#define PG 4096ULL
#define MFN_BASE 0x100000ULL      /* mfn = pfn + MFN_BASE, so the two never get confused */
#define MiB_PAGES 256ULL

static struct domu_layout l;
static char why[300];

static struct domu_kernel linux_kernel(bool notes)
{
	return (struct domu_kernel){
		.virt_base = VB, .entry = 0xffffffff830791c0ULL, .paddr_start = 0x1000000,
		.paddr_end = 0x4a00000, .init_p2m = notes ? 0x8000000000ULL : 0,
		.mod_start_pfn = notes,
	};
}

static void linux_with_notes(void)
{
	struct domu_kernel k = linux_kernel(true);

	REQUIRE_EQ(domu_layout_compute(&k, 256 * MiB_PAGES, 10 << 20, &l, NULL, why, sizeof(why)),
		   DOMU_LAYOUT_OK);
	CHECK_EQ(l.kern_pfn, 0x1000);
	CHECK_EQ(l.kern_end_pfn, 0x4a00);
	CHECK_EQ(l.store_pfn, 0x4a00);
	CHECK_EQ(l.console_pfn, 0x4a01);
	CHECK_EQ(l.start_info_pfn, 0x4a02);
	CHECK_EQ(l.pt_pfn, 0x4a03);
	CHECK_EQ(l.nr_pt, 41);          /* 38 L1 + L2 + L3 + L4 for a 76 MiB window */
	CHECK_EQ(l.stack_pfn, 0x4a2c);
	CHECK_EQ(l.mapped_pages, 0x4c00);
	CHECK_EQ(l.v_end, VB + 0x4c00000);
	CHECK(!l.initrd_mapped);
	CHECK_EQ(l.initrd_pfn, 0x4c00);
	CHECK_EQ(l.initrd_pages, 2560);
	CHECK_EQ(l.p2m_pfn, 0x5600);
	CHECK_EQ(l.p2m_pages, 128);
	CHECK_EQ(l.p2m_va, 0x8000000000ULL);
	CHECK_EQ(l.p2m_pt_pfn, 0x5680);
	CHECK_EQ(l.p2m_nr_pt, 3);
	CHECK_EQ(l.first_p2m_pfn, 0x5600);
	CHECK_EQ(l.nr_p2m_frames, 131);
	CHECK_EQ(l.pages_used, 0x5683);
	CHECK_EQ(l.hypercall_pfn, ~0ULL);
}

static void old_kernel_without_notes(void)
{
	struct domu_kernel k = linux_kernel(false);

	/* The initrd and then the p2m go inside the window, after the console page. */
	REQUIRE_EQ(domu_layout_compute(&k, 128 * MiB_PAGES, 4096 * 3 + 1, &l, NULL, why, sizeof(why)),
		   DOMU_LAYOUT_OK);
	CHECK(l.initrd_mapped);
	CHECK_EQ(l.initrd_pfn, 0x4a02);
	CHECK_EQ(l.initrd_pages, 4);
	CHECK_EQ(l.p2m_pfn, 0x4a06);
	CHECK_EQ(l.p2m_pages, 64);
	CHECK_EQ(l.p2m_va, VB + 0x4a06 * PG);
	CHECK_EQ(l.start_info_pfn, 0x4a46);
	CHECK_EQ(l.pt_pfn, 0x4a47);
	CHECK_EQ(l.p2m_nr_pt, 0);
	CHECK_EQ(l.first_p2m_pfn, 0);
	CHECK_EQ(l.pages_used, l.mapped_pages);
}

/* The domU layout is dom0's with two more pages after the image: compare with dom0's directly. */
static void same_as_dom0_plus_two_pages(void)
{
	struct domu_kernel k = linux_kernel(true), k2 = linux_kernel(true);
	struct domu_layout l2;

	k2.paddr_end += 2 * PG;
	REQUIRE_EQ(domu_layout_compute(&k, 512 * MiB_PAGES, 0, &l, NULL, why, sizeof(why)), 0);
	REQUIRE_EQ(domu_layout_compute(&k2, 512 * MiB_PAGES, 0, &l2, NULL, why, sizeof(why)), 0);
	/* k2's "image" covers the rings; everything after it is where k put it. */
	CHECK_EQ(l2.kern_end_pfn, l.kern_end_pfn + 2);
	CHECK_EQ(l2.start_info_pfn, l.start_info_pfn + 2);
	CHECK_EQ(l2.pt_pfn, l.pt_pfn + 2);
	CHECK_EQ(l2.nr_pt, l.nr_pt);
	/* The padding to 4 MiB absorbs the two pages here: the window is the same. */
	CHECK_EQ(l2.mapped_pages, l.mapped_pages);
	CHECK_EQ(l2.pages_used, l.pages_used);
}

static void too_small(void)
{
	struct domu_kernel k = linux_kernel(true);
	struct domu_layout ok;
	uint64_t min = 0;

	CHECK_EQ(domu_layout_compute(&k, 64 * MiB_PAGES, 10 << 20, &l, &min, why, sizeof(why)),
		 DOMU_LAYOUT_TOO_SMALL);
	CHECK_STR(why, "the kernel, ramdisk, p2m and boot page tables need at least 87 MiB");
	/* The smallest size named works, one page less does not. */
	CHECK_EQ(domu_layout_compute(&k, min, 10 << 20, &ok, NULL, why, sizeof(why)), DOMU_LAYOUT_OK);
	CHECK_EQ(domu_layout_compute(&k, min - 1, 10 << 20, &ok, NULL, why, sizeof(why)),
		 DOMU_LAYOUT_TOO_SMALL);
}

static void window_too_big(void)
{
	struct domu_kernel k = linux_kernel(false);

	/* 1 TiB without INIT_P2M: a 2 GiB p2m inside the mapped window. */
	CHECK_EQ(domu_layout_compute(&k, 1024 * 1024 * MiB_PAGES, 0, &l, NULL, why, sizeof(why)),
		 DOMU_LAYOUT_WINDOW);
	CHECK_STR(why, "the kernel and p2m do not fit in the first GiB a PV kernel maps at boot");
	CHECK_EQ(domu_layout_compute(&k, 2048 * MiB_PAGES, 1000 << 20, &l, NULL, why, sizeof(why)),
		 DOMU_LAYOUT_WINDOW);
	CHECK_STR(why, "the kernel, ramdisk and p2m do not fit in the first GiB a PV kernel maps at "
		       "boot");
}

static void bad_kernels(void)
{
	struct domu_kernel k = linux_kernel(true);

	k.hypercall_page = VB + 0x5000000;
	CHECK_EQ(domu_layout_compute(&k, 256 * MiB_PAGES, 0, &l, NULL, why, sizeof(why)),
		 DOMU_LAYOUT_BAD_KERNEL);
	CHECK_STR(why, "the hypercall page 0xffffffff85000000 is outside the kernel image");
	k.hypercall_page = VB + 0x1001000;
	CHECK_EQ(domu_layout_compute(&k, 256 * MiB_PAGES, 0, &l, NULL, why, sizeof(why)), 0);
	CHECK_EQ(l.hypercall_pfn, 0x1001);
	k = linux_kernel(true);
	k.virt_base = VB + 5; /* not page aligned */
	CHECK_EQ(domu_layout_compute(&k, 256 * MiB_PAGES, 0, &l, NULL, why, sizeof(why)),
		 DOMU_LAYOUT_BAD_KERNEL);
	CHECK(strstr(why, "VIRT_BASE"));
}

/* ---- page tables, walked as the CPU walks them ---------------------------------------------- */

static unsigned char *mem;
static uint64_t mem_pages;

static void *page_of(void *ctx, uint64_t pfn)
{
	(void)ctx;
	if (pfn >= mem_pages)
		abort();
	return mem + pfn * PG;
}

static uint64_t mfn_of(void *ctx, uint64_t pfn)
{
	(void)ctx;
	return pfn + MFN_BASE;
}

static uint64_t *table(uint64_t mfn)
{
	return (uint64_t *)(mem + (mfn - MFN_BASE) * PG);
}

/* The L1 entry for va, or 0 if a level is not present; checks the upper levels' flags. */
static uint64_t walk(uint64_t va)
{
	uint64_t e = (l.pt_pfn + MFN_BASE) << 12 | 0x67;

	for (int level = 4; level >= 1; level--) {
		uint64_t *t = table((e & 0x000ffffffffff000ULL) >> 12);

		e = t[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & 1))
			return 0;
		if (level > 1 && (e & 0xfff) != 0x67)
			return ~0ULL;
	}
	return e;
}

static void page_tables(void)
{
	struct domu_kernel k = linux_kernel(true);

	REQUIRE_EQ(domu_layout_compute(&k, 256 * MiB_PAGES, 10 << 20, &l, NULL, why, sizeof(why)), 0);
	mem_pages = l.pages_used;
	mem = calloc(mem_pages, PG);
	REQUIRE(mem);
	memset(mem + l.pt_pfn * PG, 0xa5, l.nr_pt * PG); /* the writer must clear what it uses */
	domu_write_page_tables(&l, page_of, mfn_of, NULL);
	/* Every pfn of the window, mapped 1:1 at VIRT_BASE; tables read-only, the rest RW. */
	for (uint64_t pfn = 0; pfn < l.mapped_pages; pfn++) {
		uint64_t e = walk(VB + pfn * PG);
		bool is_table = pfn >= l.pt_pfn && pfn < l.pt_pfn + l.nr_pt;

		if (!CHECK_MSG((e >> 12 & 0xffffffffffULL) == pfn + MFN_BASE,
			       "pfn %#llx maps to %#llx", (unsigned long long)pfn,
			       (unsigned long long)e))
			break;
		if (!CHECK_MSG((e & 0xfff) == (is_table ? 0x25u : 0x27u), "pfn %#llx flags %#llx",
			       (unsigned long long)pfn, (unsigned long long)(e & 0xfff)))
			break;
	}
	CHECK_EQ(walk(VB + l.mapped_pages * PG), 0);
	/* The p2m at INIT_P2M, through its own tables off the same L4. */
	for (uint64_t i = 0; i < l.p2m_pages; i++)
		CHECK_EQ(walk(l.p2m_va + i * PG) >> 12 & 0xffffffffffULL, l.p2m_pfn + i + MFN_BASE);
	CHECK_EQ(walk(l.p2m_va + l.p2m_pages * PG), 0);
	/* The initrd is not mapped (MOD_START_PFN). */
	CHECK_EQ(walk(VB + l.initrd_pfn * PG), 0);
	/* Nothing in the hypervisor's L4 slots. */
	for (int slot = 256; slot < 272; slot++)
		CHECK_EQ(table(l.pt_pfn + MFN_BASE)[slot], 0);
	free(mem);
	mem = NULL;
}

static void start_info_and_context(void)
{
	struct domu_kernel k = linux_kernel(true);
	static uint64_t p2m[256 * 256];
	struct vcpu_guest_context ctx;
	struct start_info si;
	struct domu_start s = { .p2m = p2m, .shared_info_mfn = 0x777, .store_port = 2,
				.console_port = 1, .cmdline = "root=/dev/xvda1 console=hvc0" };

	for (uint64_t i = 0; i < 256 * 256; i++)
		p2m[i] = i + MFN_BASE;
	REQUIRE_EQ(domu_layout_compute(&k, 256 * MiB_PAGES, 10 << 20, &l, NULL, why, sizeof(why)), 0);
	memset(&si, 0xff, sizeof(si));
	domu_start_info(&l, &s, &si);
	CHECK_STR(si.magic, "xen-3.0-x86_64");
	CHECK_EQ(si.nr_pages, 256 * 256);
	CHECK_EQ(si.shared_info, 0x777000);
	CHECK_EQ(si.flags, SIF_MOD_START_PFN);
	CHECK_EQ(si.store_mfn, 0x4a00 + MFN_BASE);
	CHECK_EQ(si.store_evtchn, 2);
	CHECK_EQ(si.console.domU.mfn, 0x4a01 + MFN_BASE);
	CHECK_EQ(si.console.domU.evtchn, 1);
	CHECK_EQ(si.pt_base, VB + 0x4a03 * PG);
	CHECK_EQ(si.nr_pt_frames, 41);
	CHECK_EQ(si.mfn_list, 0x8000000000ULL);
	CHECK_EQ(si.mod_start, 0x4c00);
	CHECK_EQ(si.mod_len, 10 << 20);
	CHECK_STR(si.cmd_line, "root=/dev/xvda1 console=hvc0");
	CHECK_EQ(si.first_p2m_pfn, 0x5600);
	CHECK_EQ(si.nr_p2m_frames, 131);
	CHECK_EQ(si._pad0, 0);

	domu_vcpu0_context(&l, l.pt_pfn + MFN_BASE, &ctx);
	CHECK_EQ(ctx.flags, VGCF_in_kernel | VGCF_online);
	CHECK_EQ(ctx.user_regs.rip, 0xffffffff830791c0ULL);
	CHECK_EQ(ctx.user_regs.rsi, VB + 0x4a02 * PG);
	CHECK_EQ(ctx.user_regs.rsp, VB + 0x4a2d * PG);
	CHECK_EQ(ctx.user_regs.rflags, 0x200);
	CHECK_EQ(ctx.user_regs.cs, 0xe033);
	CHECK_EQ(ctx.user_regs.ss, 0xe02b);
	CHECK_EQ(ctx.user_regs.ds, 0);
	CHECK_EQ(ctx.kernel_ss, 0xe02b);
	CHECK_EQ(ctx.kernel_sp, ctx.user_regs.rsp);
	CHECK_EQ(ctx.ctrlreg[3], (0x4a03 + MFN_BASE) << 12);
	CHECK_EQ(ctx.ctrlreg[1], 0);
	CHECK_EQ(ctx.debugreg[6], 0xffff0ff0);
	CHECK_EQ(ctx.debugreg[7], 0x400);

	/* A mapped initrd is passed by its address; a long command line is cut, not overrun. */
	k = linux_kernel(false);
	REQUIRE_EQ(domu_layout_compute(&k, 128 * MiB_PAGES, 5000, &l, NULL, why, sizeof(why)), 0);
	{
		static char longline[2000];

		memset(longline, 'y', sizeof(longline) - 1);
		s.cmdline = longline;
		domu_start_info(&l, &s, &si);
	}
	CHECK_EQ(si.flags, 0);
	CHECK_EQ(si.mod_start, VB + l.initrd_pfn * PG);
	CHECK_EQ(si.mod_len, 5000);
	CHECK_EQ(strlen(si.cmd_line), MAX_GUEST_CMDLINE - 1);
}

int main(void)
{
	RUN(linux_with_notes);
	RUN(old_kernel_without_notes);
	RUN(same_as_dom0_plus_two_pages);
	RUN(too_small);
	RUN(window_too_big);
	RUN(bad_kernels);
	RUN(page_tables);
	RUN(start_info_and_context);
	return check_done();
}
