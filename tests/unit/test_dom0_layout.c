/*
 * Unit tests for dom0's initial layout and bootstrap page tables
 * (hypervisor/arch/x86/pv/dom0_layout.c), against the numbers of
 * shared/reference/pv-abi-notes.md section 1.3 worked out by hand for a
 * Linux-like image (Debian 6.1.192: VIRT_BASE 0xffffffff80000000, image at
 * pseudo-physical [0x1000000, 0x4a00000)), with and without INIT_P2M and
 * MOD_START_PFN; then the page tables themselves, walked like the CPU does.
 */
/* unit-sources: hypervisor/arch/x86/pv/dom0_layout.c */
/* unit-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include <stdlib.h>

#include "check.h"

#include <asm/dom0_build.h>
#include <mica/errno.h>

#define VB 0xffffffff80000000ULL
#define INIT_P2M 0x8000000000ULL
#define PG 4096ULL

static char why[200];

static int layout(struct dom0_layout_req r, struct dom0_layout *l)
{
	why[0] = '\0';
	return dom0_layout_compute(&r, l, why, sizeof(why));
}

static struct dom0_layout_req debian(void)
{
	return (struct dom0_layout_req){
		.virt_base = VB,
		.kern_start = 0x1000000,
		.kern_end = 0x4a00000,
		.nr_pages = 0x40000, /* 1 GiB */
		.initrd_bytes = 0x1000000,
	};
}

/* INIT_P2M and MOD_START_PFN, as Linux's notes ask: both outside the window. */
static void linux_with_both_notes(void)
{
	struct dom0_layout_req r = debian();
	struct dom0_layout l;

	r.init_p2m = INIT_P2M;
	r.initrd_by_pfn = true;
	REQUIRE_EQ(layout(r, &l), 0);
	CHECK_EQ(l.kern_pfn, 0x1000);
	CHECK_EQ(l.kern_end_pfn, 0x4a00);
	CHECK_EQ(l.start_info_pfn, 0x4a00);
	/* 38 L1s map the 76 MiB window, plus one L2, one L3, one L4. */
	CHECK_EQ(l.boot.pfn, 0x4a01);
	CHECK_EQ(l.boot.nr[0], 38);
	CHECK_EQ(l.boot.nr[1], 1);
	CHECK_EQ(l.boot.nr[2], 1);
	CHECK_EQ(l.boot.nr[3], 1);
	CHECK_EQ(l.boot.total, 41);
	CHECK_EQ(l.stack_pfn, 0x4a2a);
	CHECK_EQ(l.mapped_pages, 0x4c00);
	CHECK_EQ(l.v_end, 0xffffffff84c00000ULL);
	CHECK(!l.initrd_mapped);
	CHECK_EQ(l.initrd_pfn, 0x4c00);
	CHECK_EQ(l.initrd_pages, 0x1000);
	CHECK_EQ(l.p2m_pfn, 0x5c00);
	CHECK_EQ(l.p2m_pages, 0x200);
	CHECK_EQ(l.p2m_va, INIT_P2M);
	CHECK_EQ(l.p2m_map.pfn, 0x5e00);
	CHECK_EQ(l.p2m_map.total, 3);
	CHECK_EQ(l.p2m_map.nr[3], 0);
	CHECK_EQ(l.first_p2m_pfn, 0x5c00);
	CHECK_EQ(l.nr_p2m_frames, 0x203);
	CHECK_EQ(l.pages_used, 0x5e03);
}

/* Neither note: initrd and p2m follow the kernel inside the window. */
static void linux_without_notes(void)
{
	struct dom0_layout l;

	REQUIRE_EQ(layout(debian(), &l), 0);
	CHECK(l.initrd_mapped);
	CHECK_EQ(l.initrd_pfn, 0x4a00);
	CHECK_EQ(l.p2m_pfn, 0x5a00);
	CHECK_EQ(l.p2m_va, VB + 0x5a00000);
	CHECK_EQ(l.start_info_pfn, 0x5c00);
	CHECK_EQ(l.boot.pfn, 0x5c01);
	CHECK_EQ(l.boot.nr[0], 48);
	CHECK_EQ(l.boot.total, 51);
	CHECK_EQ(l.stack_pfn, 0x5c34);
	CHECK_EQ(l.mapped_pages, 0x6000);
	CHECK_EQ(l.p2m_map.total, 0);
	CHECK_EQ(l.first_p2m_pfn, 0);
	CHECK_EQ(l.nr_p2m_frames, 0);
	CHECK_EQ(l.pages_used, 0x6000);
}

/* MOD_START_PFN without INIT_P2M, and no initrd with INIT_P2M. */
static void one_note_each(void)
{
	struct dom0_layout_req r = debian();
	struct dom0_layout l;

	r.initrd_by_pfn = true;
	REQUIRE_EQ(layout(r, &l), 0);
	CHECK_EQ(l.p2m_pfn, 0x4a00);
	CHECK_EQ(l.start_info_pfn, 0x4c00);
	CHECK_EQ(l.boot.pfn, 0x4c01);
	CHECK_EQ(l.mapped_pages, 0x5000);
	CHECK_EQ(l.initrd_pfn, 0x5000);
	CHECK_EQ(l.pages_used, 0x6000);

	r = debian();
	r.initrd_bytes = 0;
	r.init_p2m = INIT_P2M;
	REQUIRE_EQ(layout(r, &l), 0);
	CHECK_EQ(l.initrd_pages, 0);
	CHECK_EQ(l.mapped_pages, 0x4c00);
	CHECK_EQ(l.p2m_pfn, 0x4c00);
	CHECK_EQ(l.pages_used, 0x4e03);
}

/* The padding rule: the next 4 MiB boundary is < 512 KiB away, so 4 MiB more. */
static void padding_adds_4mib_when_slack_is_short(void)
{
	struct dom0_layout_req r = {
		.virt_base = VB, .kern_start = 0x1000000, .kern_end = 0x13f0000,
		.nr_pages = 0x8000, .init_p2m = INIT_P2M,
	};
	struct dom0_layout l;

	REQUIRE_EQ(layout(r, &l), 0);
	CHECK_EQ(l.start_info_pfn, 0x13f0);
	CHECK_EQ(l.boot.total, 15); /* 12 L1s for 24 MiB */
	CHECK_EQ(l.stack_pfn, 0x1400);
	CHECK_EQ(l.mapped_pages, 0x1800);
	CHECK((l.mapped_pages - l.stack_pfn - 1) * PG >= DOM0_PAD_MIN);
	CHECK_EQ(l.mapped_pages * PG % DOM0_PAD_ALIGN, 0);
}

/* Every size: page tables map exactly the window, the stack has its slack, nothing overlaps. */
static void invariants_over_many_sizes(void)
{
	for (u64 kend = 0x1001000; kend < 0x3000000; kend += 0x17000) {
		for (int notes = 0; notes < 4; notes++) {
			struct dom0_layout_req r = {
				.virt_base = VB, .kern_start = 0x1000000, .kern_end = kend,
				.nr_pages = 0x20000, .initrd_bytes = 0x123456,
				.initrd_by_pfn = notes & 1, .init_p2m = notes & 2 ? INIT_P2M : 0,
			};
			struct dom0_layout l;
			u64 after_stack;

			REQUIRE_EQ(layout(r, &l), 0);
			after_stack = (l.mapped_pages - l.stack_pfn - 1) * PG;
			CHECK(after_stack >= DOM0_PAD_MIN && after_stack < DOM0_PAD_MIN + DOM0_PAD_ALIGN);
			CHECK_EQ(l.mapped_pages * PG % DOM0_PAD_ALIGN, 0);
			CHECK_EQ(l.boot.nr[0], DIV_ROUND_UP(l.mapped_pages * PG, MiB(2)));
			CHECK_EQ(l.boot.total, l.boot.nr[0] + 3);
			CHECK_EQ(l.stack_pfn, l.boot.pfn + l.boot.total);
			CHECK_EQ(l.boot.pfn, l.start_info_pfn + 1);
			CHECK(l.kern_end_pfn <= (l.initrd_mapped ? l.initrd_pfn : l.start_info_pfn));
			CHECK_EQ(l.initrd_mapped, !(notes & 1));
			if (!(notes & 1))
				CHECK(l.initrd_pfn + l.initrd_pages <= l.start_info_pfn);
			else
				CHECK(l.initrd_pfn >= l.mapped_pages);
			if (notes & 2)
				CHECK_EQ(l.pages_used, l.first_p2m_pfn + l.nr_p2m_frames);
			else
				CHECK(l.p2m_pfn + l.p2m_pages <= l.start_info_pfn);
		}
	}
}

static void refusals(void)
{
	struct dom0_layout_req r = debian();
	struct dom0_layout l;

	/* Too little memory for the layout: says how much it needs. */
	r.nr_pages = 0x5000;
	r.init_p2m = INIT_P2M;
	r.initrd_by_pfn = true;
	CHECK_EQ(layout(r, &l), -EINVAL);
	CHECK(strstr(why, "raise dom0_mem") != NULL);

	/* A p2m of 512 GiB of memory is 1 GiB: over the early 1 GiB without INIT_P2M. */
	r = debian();
	r.nr_pages = 1ULL << 27;
	CHECK_EQ(layout(r, &l), -EINVAL);
	CHECK(strstr(why, "INIT_P2M") != NULL);
	/* ... and fine with it. */
	r.init_p2m = INIT_P2M;
	CHECK_EQ(layout(r, &l), 0);

	r = debian();
	r.virt_base = VB + 0x800;
	CHECK_EQ(layout(r, &l), -EINVAL);
	r.virt_base = 0xffff800000000000ULL; /* the hypervisor's slots */
	CHECK_EQ(layout(r, &l), -EINVAL);
	r.virt_base = 0xffff7fff00000000ULL; /* not canonical */
	CHECK_EQ(layout(r, &l), -EINVAL);
	r = debian();
	r.kern_end = r.kern_start;
	CHECK_EQ(layout(r, &l), -EINVAL);
	/* A window from VIRT_BASE that crosses a 1 GiB line. */
	r = debian();
	r.virt_base = VB + 0x3fc00000;
	r.kern_start = 0;
	r.kern_end = 0x1000000;
	CHECK_EQ(layout(r, &l), -EINVAL);
	CHECK(strstr(why, "1 GiB boundary") != NULL);
}

static void init_p2m_address_checks(void)
{
	CHECK(dom0_init_p2m_ok(INIT_P2M, 0x40000, VB));
	CHECK(!dom0_init_p2m_ok(INIT_P2M + 8, 0x40000, VB));        /* not page aligned */
	CHECK(!dom0_init_p2m_ok(0xffff900000000000ULL, 0x40000, VB)); /* upper half */
	CHECK(!dom0_init_p2m_ok(0x7ffffffff000ULL, 0x40000, VB));   /* runs off the half */
	CHECK(!dom0_init_p2m_ok(INIT_P2M, 0x40000, 0x400000));      /* window in the lower half */
	CHECK(!dom0_init_p2m_ok(0, 0x40000, VB));
}

/* ---- the page tables, on simulated guest memory ---- */

struct sim {
	u64 nr;
	u8 *mem;      /* pfn N at mem + N * 4 KiB */
	u64 *p2m;     /* pfn -> "mfn" */
	u64 *m2p;     /* "mfn" -> pfn */
	u64 calls;
};

static void *sim_page(void *ctx, u64 pfn)
{
	struct sim *s = ctx;

	s->calls++;
	if (pfn >= s->nr) {
		check_fail(__FILE__, __LINE__, "page() of pfn %#llx beyond %#llx",
			   (unsigned long long)pfn, (unsigned long long)s->nr);
		check_abandon();
	}
	return s->mem + pfn * PG;
}

static u64 sim_mfn(void *ctx, u64 pfn)
{
	struct sim *s = ctx;

	if (pfn >= s->nr) {
		check_fail(__FILE__, __LINE__, "mfn() of pfn %#llx", (unsigned long long)pfn);
		check_abandon();
	}
	return s->p2m[pfn];
}

/* A permutation with no fixed points near 0: mfn = a reversed, offset pfn. */
static void sim_init(struct sim *s, u64 nr)
{
	s->nr = nr;
	s->mem = malloc(nr * PG);
	s->p2m = malloc(nr * sizeof(u64));
	s->m2p = malloc((nr + 0x1000) * sizeof(u64));
	if (!s->mem || !s->p2m || !s->m2p)
		abort();
	memset(s->mem, 0xa5, nr * PG); /* tables must be zeroed by the writer */
	for (u64 i = 0; i < nr + 0x1000; i++)
		s->m2p[i] = ~0ULL;
	for (u64 pfn = 0; pfn < nr; pfn++) {
		s->p2m[pfn] = 0x1000 + (nr - 1 - pfn);
		s->m2p[s->p2m[pfn]] = pfn;
	}
	s->calls = 0;
}

static void sim_free(struct sim *s)
{
	free(s->mem);
	free(s->p2m);
	free(s->m2p);
}

static u64 *table_at_mfn(struct sim *s, u64 entry)
{
	u64 mfn = (entry & 0x000ffffffffff000ULL) >> 12;

	if (mfn - 0x1000 >= s->nr || s->m2p[mfn] == ~0ULL)
		return NULL;
	return (u64 *)(s->mem + s->m2p[mfn] * PG);
}

/* The L1 entry for va, walking from the L4; NULL if an upper entry is absent or wrong. */
static u64 *walk(struct sim *s, const struct dom0_layout *l, u64 va)
{
	u64 *t = (u64 *)(s->mem + l->boot.pfn * PG);

	for (int shift = 39; shift > 12; shift -= 9) {
		u64 e = t[(va >> shift) & 511];

		if (!(e & 1))
			return NULL;
		if ((e & 0xfff) != DOM0_PTE_UPPER) {
			check_fail(__FILE__, __LINE__, "upper entry for %#llx at shift %d has flags %#llx",
				   (unsigned long long)va, shift, (unsigned long long)(e & 0xfff));
			return NULL;
		}
		/* Table pages must be bootstrap (or p2m) table pages. */
		t = table_at_mfn(s, e);
		if (!t)
			return NULL;
	}
	return &t[(va >> 12) & 511];
}

static bool in(u64 x, u64 start, u64 n)
{
	return x >= start && x < start + n;
}

static void check_tables(struct dom0_layout_req r, u64 nr)
{
	struct dom0_mem m;
	struct dom0_layout l;
	struct sim s;
	u64 *l4, *e;

	r.nr_pages = nr;
	REQUIRE_EQ(layout(r, &l), 0);
	sim_init(&s, nr);
	m = (struct dom0_mem){ &s, sim_page, sim_mfn };
	dom0_write_page_tables(&l, &m);

	/* The window: every page, linear, RO exactly for the bootstrap tables. */
	for (u64 pfn = 0; pfn < l.mapped_pages; pfn++) {
		e = walk(&s, &l, r.virt_base + pfn * PG);
		if (!CHECK_MSG(e, "no mapping for pfn %#llx", (unsigned long long)pfn))
			break;
		if (!CHECK_MSG((*e & 0x000ffffffffff000ULL) == s.p2m[pfn] << 12,
			       "pfn %#llx: L1 entry %#llx, mfn should be %#llx", (unsigned long long)pfn,
			       (unsigned long long)*e, (unsigned long long)s.p2m[pfn]))
			break;
		CHECK_EQ(*e & 0xfff, in(pfn, l.boot.pfn, l.boot.total) ? DOM0_PTE_L1_RO : DOM0_PTE_L1);
		CHECK_EQ(*e >> 52, 0); /* no NX, no software bits */
	}
	/* Nothing past v_end in the last L1, nothing but slot 511 (and slot 1 for INIT_P2M) in the L4. */
	e = walk(&s, &l, l.v_end);
	CHECK(!e || !*e);
	l4 = (u64 *)(s.mem + l.boot.pfn * PG);
	for (int i = 0; i < 512; i++)
		if (i != 511 && !(r.init_p2m && i == (int)((r.init_p2m >> 39) & 511)))
			CHECK_MSG(!l4[i], "L4 slot %d is %#llx", i, (unsigned long long)l4[i]);
	/* INIT_P2M: the p2m pages at the note's address, RW, and its tables unmapped. */
	if (r.init_p2m) {
		for (u64 i = 0; i < l.p2m_pages; i++) {
			e = walk(&s, &l, r.init_p2m + i * PG);
			if (!CHECK_MSG(e, "p2m page %#llx not mapped", (unsigned long long)i))
				break;
			CHECK_EQ(*e, s.p2m[l.p2m_pfn + i] << 12 | DOM0_PTE_L1);
		}
		e = walk(&s, &l, r.init_p2m + l.p2m_pages * PG);
		CHECK(!e || !*e);
		CHECK(l.p2m_map.pfn >= l.mapped_pages);
	}
	sim_free(&s);
}

static void tables_linux_like_both_notes(void)
{
	struct dom0_layout_req r = debian();

	r.init_p2m = INIT_P2M;
	r.initrd_by_pfn = true;
	check_tables(r, 0x6000);
}

static void tables_linux_like_no_notes(void)
{
	check_tables(debian(), 0x6800);
}

static void tables_small_kernel(void)
{
	struct dom0_layout_req r = {
		.virt_base = VB, .kern_start = 0x200000, .kern_end = 0x2c1234,
		.initrd_bytes = 5000, .init_p2m = INIT_P2M,
	};

	check_tables(r, 0x1100);
	r.init_p2m = 0;
	check_tables(r, 0x1100);
}

/* A window that does not start on a 2 MiB boundary needs one more L1. */
static void tables_unaligned_virt_base(void)
{
	struct dom0_layout_req r = {
		.virt_base = VB + 0x1ff000, .kern_start = 0x1000, .kern_end = 0x300000,
		.nr_pages = 0x1000,
	};
	struct dom0_layout l;

	REQUIRE_EQ(layout(r, &l), 0);
	CHECK_EQ(l.boot.nr[0], l.mapped_pages * PG / MiB(2) + 1);
	check_tables(r, 0x1000);
}

/* ---- dom0's size and command line ---- */

static void memory_sizing(void)
{
	bool clamped;
	u64 mib = 256; /* pages per MiB */

	/* Default: all but max(64 MiB, 1/16). */
	CHECK_EQ(dom0_mem_pages(0, 256 * mib, 250 * mib, &clamped), 192 * mib);
	CHECK(!clamped);
	CHECK_EQ(dom0_mem_pages(0, 16384 * mib, 16384 * mib, &clamped), 15360 * mib);
	/* The default never exceeds what can be allocated now, without a warning. */
	CHECK_EQ(dom0_mem_pages(0, 256 * mib, 100 * mib, &clamped), 100 * mib);
	CHECK(!clamped);
	/* Less than the reserve: nothing. */
	CHECK_EQ(dom0_mem_pages(0, 60 * mib, 60 * mib, &clamped), 0);
	/* An explicit size, rounded up to pages; clamped (and said so) when too large. */
	CHECK_EQ(dom0_mem_pages(MiB(128), 256 * mib, 250 * mib, &clamped), 128 * mib);
	CHECK(!clamped);
	CHECK_EQ(dom0_mem_pages(MiB(128) + 1, 256 * mib, 250 * mib, &clamped), 128 * mib + 1);
	CHECK_EQ(dom0_mem_pages(GiB(2), 256 * mib, 250 * mib, &clamped), 250 * mib);
	CHECK(clamped);
}

static void module_command_lines(void)
{
	CHECK_STR(dom0_cmdline_from_module("/boot/vmlinuz console=hvc0", "qemu"), "console=hvc0");
	CHECK_STR(dom0_cmdline_from_module("build/x/vmlinux  a b", "qemu"), "a b");
	CHECK_STR(dom0_cmdline_from_module("vmlinux", "qemu"), "");
	CHECK_STR(dom0_cmdline_from_module("", "qemu"), "");
	CHECK_STR(dom0_cmdline_from_module("console=hvc0 quiet", "qemu"), "console=hvc0 quiet");
	CHECK_STR(dom0_cmdline_from_module("  vmlinux\tloglevel=8", NULL), "loglevel=8");
	/* GRUB 2 passes only the arguments; a path repeated by hand still goes. */
	CHECK_STR(dom0_cmdline_from_module("quiet console=hvc0", "GRUB 2.06-13+deb12u1"),
		  "quiet console=hvc0");
	CHECK_STR(dom0_cmdline_from_module("/boot/vmlinuz root=/dev/xvda", "GRUB 2.06"),
		  "root=/dev/xvda");
	CHECK_STR(dom0_cmdline_from_module("root=/dev/xvda", "GRUB 2.06"), "root=/dev/xvda");
}

int main(void)
{
	RUN(linux_with_both_notes);
	RUN(linux_without_notes);
	RUN(one_note_each);
	RUN(padding_adds_4mib_when_slack_is_short);
	RUN(invariants_over_many_sizes);
	RUN(refusals);
	RUN(init_p2m_address_checks);
	RUN(tables_linux_like_both_notes);
	RUN(tables_linux_like_no_notes);
	RUN(tables_small_kernel);
	RUN(tables_unaligned_virt_base);
	RUN(memory_sizing);
	RUN(module_command_lines);
	return check_done();
}
