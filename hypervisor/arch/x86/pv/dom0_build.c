/*
 * The dom0 builder: from the first Multiboot module (an ELF vmlinux or a
 * bzImage) to a runnable vCPU 0, following the start-of-day contract of
 * the Xen PV ABI. The layout is in asm/dom0_build.h.
 *
 * Choices, each allowed by the ABI:
 *  - memory is allocated in the largest buddy blocks that are free, and
 *    the blocks get pfns from the highest machine address down: pfn 0
 *    sits near the top of RAM, no block lands at its own address, and
 *    pfn -> mfn is never the identity, which keeps guest and hypervisor
 *    honest (the p2m is a few long runs);
 *  - the p2m goes to the INIT_P2M address and the initrd after the
 *    mapped window (SIF_MOD_START_PFN) when the kernel has those notes,
 *    as Xen does for dom0; otherwise both sit inside the window;
 *  - only the pages that carry meaning are zeroed (tables, start_info,
 *    stack, the image's gaps and BSS): dom0's other frames hold whatever
 *    free memory held at boot, which belonged to nobody;
 *  - start_info's magic is "xen-3.0-x86_64" (Xen's dom0 builder appends
 *    "p"; Linux reads neither); there is no video information, so no
 *    console description follows start_info and
 *    console.dom0.info_off/size are 0, as Xen leaves them without video;
 *  - mod_len is the initrd's exact length, as Xen gives dom0.
 */
#include <asm/dom0_build.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/pv_mm.h>
#include <asm/toolstack.h>
#include <asm/time.h>
#include <mica/bootinfo.h>
#include <mica/console.h>
#include <mica/decompress.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/heap.h>
#include <mica/kernel_image.h>
#include <mica/lib.h>
#include <mica/memory.h>
#include <mica/sched.h>
#include <mica/timer.h>
#include <pv/hypercall_nr.h>
#include <pv/version.h>
#include <pv/xen.h>

/*
 * A window of the hypervisor's address space, L4 slot 259 (unused by
 * asm/layout.h), where the builder maps a decompressed kernel: it needs
 * tens of MiB virtually contiguous, which the buddy allocator cannot give
 * without rounding up to a power of two. Unmapped again before dom0 runs.
 */
#define DOM0_SCRATCH_VA BOOT_SCRATCH_VIRT
#define DOM0_SCRATCH_MAX MiB(512)

/* Pages the builder may still allocate after sizing dom0 (objects, tables of the scratch window). */
#define BUILD_SLACK_PAGES 1024
#define MAX_RUNS 2048

#define XEN_MAGIC "xen-3.0-x86_64"
#define DOM0_RFLAGS 0x202

/* pfns [pfn, pfn + count) are the machine frames [mfn, mfn + count). */
struct run {
	u64 pfn, mfn, count;
};


/* The builder's state: boot CPU only, once. */
static struct builder {
	struct domain *d;
	const u8 *module;             /* mods[0] as the loader gave it */
	size_t module_size;
	const u8 *image;              /* the ELF: the module, or its decompressed payload */
	size_t image_size;
	struct bzimage_info bz;
	bool from_bzimage;
	u64 scratch_pages;            /* mapped at DOM0_SCRATCH_VA: the kernel, then work memory */
	struct xen_elf_info elf;
	struct dom0_layout_req req;
	struct dom0_layout lay;
	struct run *runs;
	unsigned int nr_runs;         /* one per block allocated: runs are never merged */
	u64 nr_pages;
	const struct boot_module *initrd;
	struct kimg_err err;
	char why[200];
} b;

/* -- guest memory by pfn ------------------------------------------------- */

static u64 pfn_to_mfn(u64 pfn)
{
	unsigned int lo = 0, hi = b.nr_runs;

	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (b.runs[mid].pfn <= pfn)
			lo = mid;
		else
			hi = mid;
	}
	BUG_ON(pfn < b.runs[lo].pfn || pfn - b.runs[lo].pfn >= b.runs[lo].count);
	return b.runs[lo].mfn + (pfn - b.runs[lo].pfn);
}

static void *pfn_page(u64 pfn)
{
	return __va(pfn_to_mfn(pfn) << PAGE_SHIFT);
}

static void *mem_page(void *ctx, u64 pfn)
{
	return pfn_page(pfn);
}

static u64 mem_mfn(void *ctx, u64 pfn)
{
	return pfn_to_mfn(pfn);
}

/* Copies len bytes from src (zeroes them if src is NULL) to pseudo-physical address pa. */
static void write_guest(u64 pa, const void *src, u64 len)
{
	while (len) {
		u64 off = pa & (PAGE_SIZE - 1), n = MIN(len, PAGE_SIZE - off);
		u8 *dst = (u8 *)pfn_page(pa >> PAGE_SHIFT) + off;

		if (src) {
			memcpy(dst, src, n);
			src = (const u8 *)src + n;
		} else {
			memset(dst, 0, n);
		}
		pa += n;
		len -= n;
	}
}

/* xen_elf_load's writer: the layout's kernel pages span every segment xen_elf_parse accepted. */
static int load_segment(void *ctx, u64 paddr, u64 vaddr, const void *src, u64 len)
{
	write_guest(paddr, src, len);
	return 0;
}

/* -- the kernel image ---------------------------------------------------- */

/*
 * A block of at most left pages, in the largest size free: for dom0 (d) or
 * the hypervisor (d NULL). *order is the size to try first, and the size
 * of the block returned; NULL once not even one page is free.
 */
static struct frame *alloc_largest(struct domain *d, u64 left, unsigned int *order)
{
	for (;;) {
		struct frame *f;

		while ((1ULL << *order) > left)
			(*order)--;
		f = d ? domain_alloc_frames(d, *order, 0) : alloc_frames(*order, FRAME_OWNER_HV);
		if (f || !*order)
			return f;
		(*order)--;
	}
}

/* Maps pages freshly allocated frames at DOM0_SCRATCH_VA, in the largest blocks free. */
static int scratch_map(u64 pages)
{
	unsigned int order = FRAME_MAX_ORDER;

	while (b.scratch_pages < pages) {
		struct frame *f = alloc_largest(NULL, pages - b.scratch_pages, &order);

		if (!f)
			return -ENOMEM;
		if (map_pages(DOM0_SCRATCH_VA + b.scratch_pages * PAGE_SIZE,
			      frame_to_mfn(f) << PAGE_SHIFT, 1ULL << order, PTE_W | PTE_NX)) {
			free_frames(f, order);
			return -ENOMEM;
		}
		b.scratch_pages += 1ULL << order;
	}
	return 0;
}

/* Frees the scratch window: each block's head frame records its order. */
static void scratch_free(void)
{
	u64 i = 0;

	while (i < b.scratch_pages) {
		paddr_t pa = virt_to_phys_walk(DOM0_SCRATCH_VA + i * PAGE_SIZE);
		struct frame *f = mfn_to_frame(pa >> PAGE_SHIFT);
		unsigned int order = f->order;

		unmap_pages(DOM0_SCRATCH_VA + i * PAGE_SIZE, 1ULL << order);
		free_frames(f, order);
		i += 1ULL << order;
	}
	b.scratch_pages = 0;
}

static bool is_elf(const u8 *p, size_t size)
{
	return size >= 4 && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F';
}

/* Finds the ELF in the module, decompressing a bzImage's payload. */
static int prepare_image(void)
{
	u64 kernel_pages;
	int rc;

	b.image = b.module;
	b.image_size = b.module_size;
	if (is_elf(b.module, b.module_size))
		return 0;
	if (!bzimage_detect(b.module, b.module_size)) {
		const u8 *p = b.module;

		if (b.module_size < 4)
			pr_err("dom0 kernel refused: the first Multiboot module is %zu bytes long; "
			       "give a 64-bit Linux kernel built with CONFIG_XEN_PV", b.module_size);
		else
			pr_err("dom0 kernel refused: the first Multiboot module is neither an ELF "
			       "vmlinux nor a bzImage (it starts %02x %02x %02x %02x); give a 64-bit "
			       "Linux kernel built with CONFIG_XEN_PV", p[0], p[1], p[2], p[3]);
		return -EINVAL;
	}
	rc = bzimage_parse(b.module, b.module_size, &b.bz, &b.err);
	if (rc) {
		pr_err("dom0 kernel refused: %s", b.err.msg);
		return rc;
	}
	if (b.bz.decompressed_size > DOM0_SCRATCH_MAX || b.bz.decompressed_size < 64) {
		pr_err("dom0 kernel refused: its bzImage says the kernel inside is %u bytes; "
		       "give an uncorrupted kernel", b.bz.decompressed_size);
		return -EINVAL;
	}
	kernel_pages = DIV_ROUND_UP(b.bz.decompressed_size, PAGE_SIZE);
	if (scratch_map(kernel_pages + KIMG_WORK_SIZE / PAGE_SIZE)) {
		pr_err("dom0 kernel: no memory to decompress its %u KiB kernel; give the machine "
		       "more RAM or an uncompressed vmlinux", b.bz.decompressed_size >> 10);
		return -ENOMEM;
	}
	rc = bzimage_decompress(b.module, b.module_size, &b.bz, (void *)DOM0_SCRATCH_VA,
				kernel_pages * PAGE_SIZE,
				(void *)(DOM0_SCRATCH_VA + kernel_pages * PAGE_SIZE), KIMG_WORK_SIZE,
				&b.err);
	if (rc) {
		pr_err("dom0 kernel: decompressing its %s payload failed: %s; the bzImage is "
		       "damaged", b.bz.comp_name, b.err.msg);
		return rc;
	}
	b.from_bzimage = true;
	b.image = (const u8 *)DOM0_SCRATCH_VA;
	b.image_size = b.bz.decompressed_size;
	if (!is_elf(b.image, b.image_size)) {
		pr_err("dom0 kernel refused: the bzImage's payload is not an ELF vmlinux; give a "
		       "Linux kernel built with CONFIG_XEN_PV");
		return -EINVAL;
	}
	return 0;
}

static int parse_image(void)
{
	int rc = xen_elf_parse(b.image, b.image_size, &b.elf, &b.err);

	if (rc) {
		pr_err("dom0 kernel refused: %s", b.err.msg);
		return rc;
	}
	if ((b.elf.notes & (1ULL << XEN_ELFNOTE_SUPPORTED_FEATURES)) &&
	    !(b.elf.supported_features & (1u << XENFEAT_dom0))) {
		pr_err("dom0 kernel refused: its SUPPORTED_FEATURES note lacks XENFEAT_dom0, so it "
		       "cannot run as dom0; build it with CONFIG_XEN_PV_DOM0");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* -- sizing and layout --------------------------------------------------- */

/* Whole pages of [start, end) that can go back to the allocator after the build. */
static u64 module_pages(const struct boot_module *m)
{
	u64 s = ALIGN_UP(m->start, PAGE_SIZE), e = ALIGN_DOWN(m->end, PAGE_SIZE);

	return e > s ? (e - s) >> PAGE_SHIFT : 0;
}

static int size_dom0(const struct boot_info *bi, u64 mem)
{
	u64 avail = frames_free() + b.scratch_pages;
	u64 allocatable = frames_free() > BUILD_SLACK_PAGES ? frames_free() - BUILD_SLACK_PAGES : 0;
	bool clamped;

	for (unsigned int i = 0; i < bi->nr_mods; i++)
		avail += module_pages(&bi->mods[i]);
	b.nr_pages = dom0_mem_pages(mem, avail, allocatable, &clamped);
	if (clamped)
		pr_warn("dom0_mem=%lu MiB is more than the %lu MiB free: dom0 gets %lu MiB",
			mem >> 20, allocatable >> 8, b.nr_pages >> 8);
	if (!b.nr_pages) {
		pr_err("no memory left for dom0: %lu MiB free, and the hypervisor keeps at least "
		       "%lu MiB; give the machine more RAM", avail >> 8, DOM0_RESERVE_MIN >> 20);
		return -ENOMEM;
	}
	return 0;
}

static int plan_layout(void)
{
	struct dom0_layout_req *r = &b.req;
	int rc;

	*r = (struct dom0_layout_req){
		.virt_base = b.elf.virt_base,
		.kern_start = b.elf.paddr_start,
		.kern_end = b.elf.paddr_end,
		.nr_pages = b.nr_pages,
		.initrd_bytes = b.initrd ? b.initrd->end - b.initrd->start : 0,
		.initrd_by_pfn = b.elf.notes & (1ULL << XEN_ELFNOTE_MOD_START_PFN) &&
				 b.elf.mod_start_pfn,
		.init_p2m = b.elf.notes & (1ULL << XEN_ELFNOTE_INIT_P2M) ? b.elf.init_p2m : 0,
	};
	if (r->init_p2m && !dom0_init_p2m_ok(r->init_p2m, r->nr_pages, r->virt_base)) {
		pr_warn("dom0 kernel: INIT_P2M address %#lx is unusable; the p2m goes inside the "
			"bootstrap mapping", r->init_p2m);
		r->init_p2m = 0;
	}
	rc = dom0_layout_compute(r, &b.lay, b.why, sizeof(b.why));
	if (rc)
		pr_err("dom0 cannot be laid out: %s", b.why);
	return rc;
}

/* -- memory -------------------------------------------------------------- */

/* Orders blocks by descending machine address (insertion sort: a boot has a few dozen). */
static void sort_blocks(void)
{
	for (unsigned int i = 1; i < b.nr_runs; i++) {
		struct run r = b.runs[i];
		unsigned int j = i;

		while (j && b.runs[j - 1].mfn < r.mfn) {
			b.runs[j] = b.runs[j - 1];
			j--;
		}
		b.runs[j] = r;
	}
}

/*
 * Gives dom0 its nr_pages frames in the largest blocks free, then numbers
 * them from the highest block down: pfn 0 lands near the top of RAM, so no
 * block ends up at its own address and pfn != mfn.
 */
static int allocate_memory(void)
{
	unsigned int order = FRAME_MAX_ORDER;
	u64 got = 0, pfn = 0;

	b.d->max_pages = b.nr_pages;
	while (got < b.nr_pages) {
		struct frame *f = alloc_largest(b.d, b.nr_pages - got, &order);

		if (!f) {
			pr_err("dom0: only %lu of %lu MiB could be allocated; boot with a smaller "
			       "dom0_mem", got >> 8, b.nr_pages >> 8);
			return -ENOMEM;
		}
		if (b.nr_runs == MAX_RUNS) {
			pr_err("dom0: free memory is in more than %u pieces; boot with a smaller "
			       "dom0_mem", MAX_RUNS);
			return -ENOMEM;
		}
		b.runs[b.nr_runs++] = (struct run){ 0, frame_to_mfn(f), 1ULL << order };
		got += 1ULL << order;
	}
	sort_blocks();
	for (unsigned int r = 0; r < b.nr_runs; r++) {
		b.runs[r].pfn = pfn;
		for (u64 j = 0; j < b.runs[r].count; j++)
			m2p_set(b.runs[r].mfn + j, pfn + j);
		pfn += b.runs[r].count;
	}
	return 0;
}

/* Writes the p2m: one MFN per pfn, then ~0 up to the end of its last page. */
static void write_p2m(void)
{
	u64 *page = NULL;
	u64 pfn;

	for (unsigned int r = 0; r < b.nr_runs; r++) {
		for (u64 k = 0; k < b.runs[r].count; k++) {
			pfn = b.runs[r].pfn + k;
			if (!page || pfn % 512 == 0)
				page = pfn_page(b.lay.p2m_pfn + pfn / 512);
			page[pfn % 512] = b.runs[r].mfn + k;
		}
	}
	for (pfn = b.nr_pages; pfn % 512; pfn++)
		page[pfn % 512] = ~0ULL;
}

/* -- contents ------------------------------------------------------------ */

static int load_kernel(void)
{
	const struct xen_elf_info *e = &b.elf;
	u64 cur = b.lay.kern_pfn * PAGE_SIZE;
	int rc;

	/* Zero what no segment covers between the first and last page of the image. */
	for (unsigned int i = 0; i < e->nr_segments; i++) {
		if (e->seg[i].paddr > cur)
			write_guest(cur, NULL, e->seg[i].paddr - cur);
		cur = MAX(cur, e->seg[i].paddr + e->seg[i].memsz);
	}
	write_guest(cur, NULL, b.lay.kern_end_pfn * PAGE_SIZE - cur);
	rc = xen_elf_load(b.image, b.image_size, e, load_segment, NULL, &b.err);
	if (rc)
		pr_err("dom0 kernel: %s", b.err.msg);
	return rc;
}

static void write_start_info(const struct boot_info *bi)
{
	const struct dom0_layout *l = &b.lay;
	struct start_info *si = pfn_page(l->start_info_pfn);
	const char *cmdline = dom0_cmdline_from_module(bi->mods[0].cmdline, bi->loader_name);

	memset(si, 0, PAGE_SIZE);
	memcpy(si->magic, XEN_MAGIC, sizeof(XEN_MAGIC));
	si->nr_pages = b.nr_pages;
	si->shared_info = b.d->shared_info_mfn << PAGE_SHIFT;
	si->flags = SIF_PRIVILEGED | SIF_INITDOMAIN;
	si->pt_base = l->virt_base + l->boot.pfn * PAGE_SIZE;
	si->nr_pt_frames = l->boot.total;
	si->mfn_list = l->p2m_va;
	si->first_p2m_pfn = l->first_p2m_pfn;
	si->nr_p2m_frames = l->nr_p2m_frames;
	if (b.initrd) {
		si->mod_len = b.initrd->end - b.initrd->start;
		if (l->initrd_mapped) {
			si->mod_start = l->virt_base + l->initrd_pfn * PAGE_SIZE;
		} else {
			si->mod_start = l->initrd_pfn;
			si->flags |= SIF_MOD_START_PFN;
		}
	}
	strlcpy(si->cmd_line, cmdline, sizeof(si->cmd_line));
}

/*
 * vCPU 0 as the ABI starts it (pv-abi-notes 1.4). domain_create gave it
 * zeroed registers and segment bases, kernel mode, and its vcpu_info with
 * upcalls masked (as every vCPU's) and a valid time record.
 */
static void init_vcpu0(struct vcpu *v)
{
	const struct dom0_layout *l = &b.lay;
	struct pv_vcpu *a = &v->arch;
	u64 rsp = l->virt_base + (l->stack_pfn + 1) * PAGE_SIZE;

	a->regs.rip = b.elf.entry;
	a->regs.rsp = rsp;
	a->regs.rsi = l->virt_base + l->start_info_pfn * PAGE_SIZE;
	a->regs.rflags = DOM0_RFLAGS;
	a->regs.cs = FLAT_KERNEL_CS;
	a->regs.ss = FLAT_KERNEL_SS;
	a->kernel_ss = FLAT_KERNEL_SS;
	a->kernel_sp = rsp;
	a->ds = a->es = a->fs = a->gs = FLAT_KERNEL_DS;
	a->debugreg[6] = 0xffff0ff0;
	a->debugreg[7] = 0x400;
}

/* Validates and pins the bootstrap L4 and makes it vCPU 0's kernel root. */
static int install_page_tables(struct vcpu *v)
{
	u64 l4_mfn = pfn_to_mfn(b.lay.boot.pfn);
	int rc;

	pv_init_guest_l4_slots(pfn_page(b.lay.boot.pfn));
	rc = pv_pin_table(b.d, l4_mfn, 4);
	if (!rc)
		rc = pv_set_root(v, l4_mfn, false);
	if (rc)
		pr_err("dom0: its bootstrap page tables were refused (error %d); this is a bug in "
		       "Mica's dom0 builder, please report it", rc);
	return rc;
}

/* -- after the build ----------------------------------------------------- */

/* Gives the boot modules' whole pages back to the allocator: dom0 has its copies. */
static void release_modules(const struct boot_info *bi)
{
	for (unsigned int i = 0; i < bi->nr_mods; i++) {
		u64 s = ALIGN_UP(bi->mods[i].start, PAGE_SIZE) >> PAGE_SHIFT;
		u64 e = ALIGN_DOWN(bi->mods[i].end, PAGE_SIZE) >> PAGE_SHIFT;

		/* Only frames still held for the module, in runs the allocator accepts. */
		while (s < e) {
			u64 n = 0;

			while (s + n < e && mfn_is_ram(s + n) &&
			       (frame_table[s + n].flags & FRAME_F_RESERVED) &&
			       frame_table[s + n].owner == FRAME_OWNER_HV)
				n++;
			if (n)
				frames_add_free(s, n);
			s += n ? n : 1;
		}
	}
}

static void print_summary(const struct boot_info *bi, u64 t0)
{
	const struct dom0_layout *l = &b.lay;
	const struct xen_elf_info *e = &b.elf;
	const char *sp = e->guest_version[0] ? " " : "";
	u64 vb = l->virt_base, initrd_kib = b.initrd ? (b.initrd->end - b.initrd->start) >> 10 : 0;
	char from[64] = "", hypercalls[48] = "hypercalls by syscall (no hypercall page)";

	/* u64 is unsigned long here (LP64): %lu and %lx print it. */
	if (b.from_bzimage)
		snprintf(from, sizeof(from), " from a %s bzImage of %zu KiB", b.bz.comp_name,
			 b.module_size >> 10);
	if (e->notes & (1ULL << XEN_ELFNOTE_HYPERCALL_PAGE))
		snprintf(hypercalls, sizeof(hypercalls), "hypercall page at %#lx", e->hypercall_page);
	pr_info("dom0: kernel: %zu KiB ELF vmlinux%s (%s%s%s, %s)", b.image_size >> 10, from,
		e->guest_os, sp, e->guest_version, e->xen_version);
	pr_info("dom0: entry %#lx, VIRT_BASE %#lx, %s", e->entry, vb, hypercalls);
	pr_info("dom0: memory: %lu MiB (%lu pages) in %u blocks; the hypervisor keeps %lu MiB; "
		"%u vCPU%s", b.nr_pages >> 8, b.nr_pages, b.nr_runs, frames_free() >> 8,
		b.d->max_vcpus, b.d->max_vcpus == 1 ? "" : "s");
	pr_info("dom0: layout: kernel %#lx-%#lx, start_info %#lx, page tables %#lx "
		"(%lu frames), stack %#lx, mapped to %#lx", vb + l->kern_pfn * PAGE_SIZE,
		vb + l->kern_end_pfn * PAGE_SIZE, vb + l->start_info_pfn * PAGE_SIZE,
		vb + l->boot.pfn * PAGE_SIZE, l->boot.total, vb + l->stack_pfn * PAGE_SIZE, l->v_end);
	if (l->p2m_map.total)
		pr_info("dom0: layout: p2m at %#lx (INIT_P2M), pfn %#lx, %lu frames and %lu "
			"page tables", l->p2m_va, l->p2m_pfn, l->p2m_pages, l->p2m_map.total);
	else
		pr_info("dom0: layout: p2m at %#lx (in the mapping), pfn %#lx, %lu frames",
			l->p2m_va, l->p2m_pfn, l->p2m_pages);
	if (!b.initrd)
		pr_info("dom0: layout: no initrd");
	else if (l->initrd_mapped)
		pr_info("dom0: layout: initrd of %lu KiB at %#lx (in the mapping)", initrd_kib,
			vb + l->initrd_pfn * PAGE_SIZE);
	else
		pr_info("dom0: layout: initrd of %lu KiB at pfn %#lx (unmapped, MOD_START_PFN)",
			initrd_kib, l->initrd_pfn);
	pr_info("dom0: command line \"%s\"",
		dom0_cmdline_from_module(bi->mods[0].cmdline, bi->loader_name));
	pr_info("dom0: built in %llu ms; starting vCPU 0 at %#lx", (now_ns() - t0) / NSEC_PER_MSEC,
		e->entry);
}

/* -- the builder --------------------------------------------------------- */

static unsigned int pick_vcpus(unsigned int vcpus)
{
	unsigned int max = MIN(nr_cpus_online, (unsigned int)MAX_VCPUS_PER_DOMAIN);

	if (!vcpus) {
		pr_warn("dom0_vcpus=0 makes no sense: dom0 gets 1 vCPU");
		return 1;
	}
	if (vcpus > max) {
		pr_warn("dom0_vcpus=%u is more than the %u CPUs online: dom0 gets %u", vcpus, max, max);
		return max;
	}
	return vcpus;
}

static int build(const struct boot_info *bi, u64 mem, unsigned int vcpus)
{
	struct vcpu *v;
	int rc;

	b.module = __va(bi->mods[0].start);
	b.module_size = bi->mods[0].end - bi->mods[0].start;
	b.initrd = bi->nr_mods > 1 ? &bi->mods[1] : NULL;
	if (bi->nr_mods > 2)
		pr_warn("dom0: %u boot modules after the kernel and its initrd are ignored",
			bi->nr_mods - 2);

	rc = prepare_image();
	if (!rc)
		rc = parse_image();
	if (rc)
		return rc;

	b.d = domain_create(0, true, pick_vcpus(vcpus));
	if (!b.d) {
		pr_err("dom0: no memory to create the domain; give the machine more RAM");
		return -ENOMEM;
	}
	b.runs = hv_zalloc(MAX_RUNS * sizeof(*b.runs)); /* 48 KiB */
	if (!b.runs) {
		pr_err("dom0: no memory for the builder; give the machine more RAM");
		return -ENOMEM;
	}
	rc = size_dom0(bi, mem);
	if (!rc)
		rc = plan_layout();
	if (!rc)
		rc = allocate_memory();
	if (rc)
		return rc;

	write_p2m();
	rc = load_kernel();
	if (rc)
		return rc;
	if (b.initrd)
		write_guest(b.lay.initrd_pfn * PAGE_SIZE, __va(b.initrd->start),
			    b.initrd->end - b.initrd->start);
	/* The hypercall page (kernels up to 6.1.120): 128 stubs that wrap `syscall`. */
	if (b.elf.notes & (1ULL << XEN_ELFNOTE_HYPERCALL_PAGE))
		arch_fill_hypercall_page(pfn_page((b.elf.hypercall_page - b.elf.virt_base) >>
						  PAGE_SHIFT));
	dom0_write_page_tables(&b.lay, &(struct dom0_mem){ NULL, mem_page, mem_mfn });
	write_start_info(bi);
	memset(pfn_page(b.lay.stack_pfn), 0, PAGE_SIZE);

	v = b.d->vcpus[0];
	init_vcpu0(v);
	return install_page_tables(v);
}

int dom0_construct(const struct boot_info *bi, u64 mem, unsigned int vcpus)
{
	u64 t0 = now_ns();
	int rc;

	memset(&b, 0, sizeof(b));
	rc = build(bi, mem, vcpus);
	/* A failed build halts the machine (setup.c): its domain is left as it is. */
	scratch_free();
	hv_free(b.runs, MAX_RUNS * sizeof(*b.runs));
	b.runs = NULL;
	if (rc)
		return rc;
	memory_set_machine_map(bi->mem, bi->nr_mem);
	memory_set_dom0_pfns(b.nr_pages);
	release_modules(bi);
	print_summary(bi, t0);

	__atomic_fetch_and(&b.d->vcpus[0]->pause_flags, ~VPF_DOWN, __ATOMIC_SEQ_CST);
	vcpu_wake(b.d->vcpus[0]);
	return 0;
}
