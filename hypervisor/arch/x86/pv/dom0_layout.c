/*
 * dom0's initial memory layout and bootstrap page tables: pure arithmetic
 * over pfns and virtual addresses, shared by the builder and the host unit
 * tests. The layout itself is described in asm/dom0_build.h.
 */
#include <asm/dom0_build.h>
#include <mica/errno.h>
#include <mica/lib.h>

#define PAGE_4K 4096ULL

/* The lower canonical half ends here; the hypervisor owns L4 slots 256-271 above it. */
#define LOWER_HALF_END 0x0000800000000000ULL
#define HV_AREA_END 0xffff880000000000ULL

static u64 pages_of(u64 bytes)
{
	return bytes / PAGE_4K + (bytes % PAGE_4K != 0);
}

/* Number of aligned 2^shift-byte blocks that [va, va + bytes) touches (bytes > 0). */
static u64 blocks(u64 va, u64 bytes, unsigned int shift)
{
	return ((va + bytes - 1) >> shift) - (va >> shift) + 1;
}

/* Fills the table counts of a tree mapping pages pages from va; with_l4: the tree has the L4. */
static void count_tables(struct dom0_pt_tree *t, bool with_l4)
{
	u64 bytes = t->pages * PAGE_4K;

	t->nr[0] = blocks(t->va, bytes, 21);
	t->nr[1] = blocks(t->va, bytes, 30);
	t->nr[2] = blocks(t->va, bytes, 39);
	t->nr[3] = with_l4 ? 1 : 0;
	t->total = t->nr[0] + t->nr[1] + t->nr[2] + t->nr[3];
}

/* Whether [va, va + bytes) is a guest range that cannot wrap: lower half, or above the hypervisor. */
static bool guest_range(u64 va, u64 bytes)
{
	if (va < LOWER_HALF_END)
		return bytes <= LOWER_HALF_END - va;
	return va >= HV_AREA_END && bytes - 1 <= ~va;
}

bool dom0_init_p2m_ok(u64 va, u64 nr_pages, u64 virt_base)
{
	u64 bytes = pages_of(nr_pages * 8) * PAGE_4K;

	if (!va || va % PAGE_4K || !nr_pages || nr_pages > (1ULL << 52) || va >= LOWER_HALF_END ||
	    bytes > LOWER_HALF_END - va)
		return false;
	/* The window sits in the upper half in any kernel this check accepts. */
	return virt_base >= HV_AREA_END;
}

static int fail(char *why, size_t why_len, const char *msg, u64 a, u64 b)
{
	if (why && why_len)
		snprintf(why, why_len, msg, (unsigned long long)a, (unsigned long long)b);
	return -EINVAL;
}

/*
 * Places the page tables, stack and padding after pfn `cur` and returns
 * with the window's size in out: grows the table count until the tables
 * map the window they end up in (the count is then exact).
 */
static int place_window(const struct dom0_layout_req *req, struct dom0_layout *out, u64 cur,
			char *why, size_t why_len)
{
	struct dom0_pt_tree *t = &out->boot;
	u64 nr_pt = 1;

	t->pfn = cur;
	t->va = req->virt_base;
	t->map_pfn = 0;
	for (;;) {
		u64 end = (cur + nr_pt + 1) * PAGE_4K; /* bytes up to the end of the stack */
		u64 v_end = ALIGN_UP(end, DOM0_PAD_ALIGN);

		if (v_end - end < DOM0_PAD_MIN)
			v_end += DOM0_PAD_ALIGN;
		if (v_end > GiB(1))
			return fail(why, why_len,
				    "the bootstrap mapping would need %llu MiB from VIRT_BASE, over the 1 GiB "
				    "a PV kernel can reach early (p2m %llu MiB inside it): lower dom0_mem, "
				    "or use a kernel with the INIT_P2M note",
				    v_end >> 20, req->init_p2m ? 0 : out->p2m_pages >> 8);
		t->pages = v_end / PAGE_4K;
		count_tables(t, true);
		if (t->total <= nr_pt)
			break;
		nr_pt = t->total;
	}
	out->stack_pfn = t->pfn + t->total;
	out->mapped_pages = t->pages;
	out->v_end = req->virt_base + t->pages * PAGE_4K;
	if ((req->virt_base >> 30) != ((out->v_end - 1) >> 30))
		return fail(why, why_len,
			    "the bootstrap mapping [VIRT_BASE %#llx, %#llx) crosses a 1 GiB boundary; "
			    "a PV kernel reaches its early memory through a single L2 table",
			    req->virt_base, out->v_end);
	return 0;
}

int dom0_layout_compute(const struct dom0_layout_req *req, struct dom0_layout *out,
			char *why, size_t why_len)
{
	u64 cur;
	int rc;

	memset(out, 0, sizeof(*out));
	out->virt_base = req->virt_base;
	if (req->virt_base % PAGE_4K || !guest_range(req->virt_base, GiB(1)))
		return fail(why, why_len,
			    "VIRT_BASE %#llx is not a page-aligned guest address with 1 GiB after it",
			    req->virt_base, 0);
	if (req->kern_end <= req->kern_start || req->kern_end > GiB(1))
		return fail(why, why_len,
			    "the kernel image [%#llx, %#llx) is empty or does not fit in the first GiB",
			    req->kern_start, req->kern_end);
	if (!req->nr_pages || req->nr_pages > (1ULL << 40))
		return fail(why, why_len, "dom0 of %llu pages is not a size Mica can build",
			    req->nr_pages, 0);
	if (req->initrd_bytes > GiB(64))
		return fail(why, why_len, "an initrd of %llu MiB is too large",
			    req->initrd_bytes >> 20, 0);
	if (req->init_p2m && !dom0_init_p2m_ok(req->init_p2m, req->nr_pages, req->virt_base))
		return fail(why, why_len, "INIT_P2M address %#llx cannot hold a p2m of %llu pages",
			    req->init_p2m, req->nr_pages);

	out->kern_pfn = req->kern_start / PAGE_4K;
	out->kern_end_pfn = pages_of(req->kern_end);
	cur = out->kern_end_pfn;
	if (req->initrd_bytes && !req->initrd_by_pfn) {
		out->initrd_mapped = true;
		out->initrd_pfn = cur;
		out->initrd_pages = pages_of(req->initrd_bytes);
		cur += out->initrd_pages;
	}
	out->p2m_pages = pages_of(req->nr_pages * 8);
	if (!req->init_p2m) {
		out->p2m_pfn = cur;
		out->p2m_va = req->virt_base + cur * PAGE_4K;
		cur += out->p2m_pages;
	}
	out->start_info_pfn = cur++;
	rc = place_window(req, out, cur, why, why_len);
	if (rc)
		return rc;

	cur = out->mapped_pages;
	if (req->initrd_bytes && req->initrd_by_pfn) {
		out->initrd_pfn = cur;
		out->initrd_pages = pages_of(req->initrd_bytes);
		cur += out->initrd_pages;
	}
	if (req->init_p2m) {
		struct dom0_pt_tree *t = &out->p2m_map;

		out->p2m_pfn = cur;
		out->p2m_va = req->init_p2m;
		cur += out->p2m_pages;
		t->va = req->init_p2m;
		t->pages = out->p2m_pages;
		t->map_pfn = out->p2m_pfn;
		t->pfn = cur;
		count_tables(t, false);
		cur += t->total;
		out->first_p2m_pfn = out->p2m_pfn;
		out->nr_p2m_frames = out->p2m_pages + t->total;
	}
	out->pages_used = cur;
	if (cur > req->nr_pages)
		return fail(why, why_len,
			    "dom0 needs at least %llu MiB for its kernel, initrd, p2m and boot page tables, "
			    "but has %llu MiB: raise dom0_mem",
			    (cur * PAGE_4K + MiB(1) - 1) >> 20, req->nr_pages * PAGE_4K >> 20);
	return 0;
}

/* The table page of tree t at level (1 = L1 .. 4 = L4) that maps va. */
static u64 table_pfn(const struct dom0_pt_tree *t, unsigned int level, u64 va)
{
	u64 pfn = t->pfn;
	unsigned int shift = 12 + 9 * level;

	for (unsigned int l = 4; l > level; l--)
		pfn += t->nr[l - 1];
	if (level == 4)
		return pfn;
	return pfn + (va >> shift) - (t->va >> shift);
}

static u64 *table(const struct dom0_mem *m, u64 pfn)
{
	return m->page(m->ctx, pfn);
}

/*
 * Clears the tables of tree t, then maps it; l4_pfn is the L4 it hangs
 * off; pages in [ro_start, ro_end) are mapped read-only.
 */
static void map_tree(const struct dom0_pt_tree *t, u64 l4_pfn, u64 ro_start, u64 ro_end,
		     const struct dom0_mem *m)
{
	u64 *l1 = NULL;

	for (u64 i = 0; i < t->total; i++)
		memset(table(m, t->pfn + i), 0, PAGE_4K);
	for (u64 i = 0; i < t->pages; i++) {
		u64 va = t->va + i * PAGE_4K, pfn = t->map_pfn + i;

		if (!l1 || !(va & (MiB(2) - 1))) {
			u64 l3_pfn = table_pfn(t, 3, va), l2_pfn = table_pfn(t, 2, va);
			u64 l1_pfn = table_pfn(t, 1, va);

			table(m, l4_pfn)[(va >> 39) & 511] = m->mfn(m->ctx, l3_pfn) << 12 | DOM0_PTE_UPPER;
			table(m, l3_pfn)[(va >> 30) & 511] = m->mfn(m->ctx, l2_pfn) << 12 | DOM0_PTE_UPPER;
			table(m, l2_pfn)[(va >> 21) & 511] = m->mfn(m->ctx, l1_pfn) << 12 | DOM0_PTE_UPPER;
			l1 = table(m, l1_pfn);
		}
		l1[(va >> 12) & 511] = m->mfn(m->ctx, pfn) << 12 |
				       (pfn >= ro_start && pfn < ro_end ? DOM0_PTE_L1_RO : DOM0_PTE_L1);
	}
}

void dom0_write_page_tables(const struct dom0_layout *l, const struct dom0_mem *m)
{
	u64 ro_start = l->boot.pfn, ro_end = l->boot.pfn + l->boot.total;

	map_tree(&l->boot, l->boot.pfn, ro_start, ro_end, m);
	map_tree(&l->p2m_map, l->boot.pfn, ro_start, ro_end, m); /* empty without INIT_P2M */
}

u64 dom0_mem_pages(u64 requested, u64 avail, u64 allocatable, bool *clamped)
{
	u64 reserve = MAX(DOM0_RESERVE_MIN / PAGE_4K, avail / 16);
	u64 pages = requested ? pages_of(requested) : avail > reserve ? avail - reserve : 0;

	*clamped = false;
	if (pages > allocatable) {
		*clamped = requested != 0;
		pages = allocatable;
	}
	return pages;
}

static bool is_grub2(const char *loader_name)
{
	return loader_name && !strncmp(loader_name, "GRUB 2", 6);
}

const char *dom0_cmdline_from_module(const char *s, const char *loader_name)
{
	const char *p = s;
	size_t len = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (p[len] && p[len] != ' ' && p[len] != '\t') {
		if (p[len] == '=')
			return p;
		len++;
	}
	if (is_grub2(loader_name) && p[0] != '/')
		return p;
	p += len;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}
