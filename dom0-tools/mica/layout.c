/*
 * A domU's layout on top of dom0's (hypervisor/arch/x86/pv/dom0_layout.c):
 * the store and console pages are made part of the image's range, so
 * dom0_layout_compute places everything else after them unchanged.
 */
#include "layout.h"

#include <stdio.h>
#include <string.h>

#include <asm/dom0_build.h>

#define PG 4096ULL

/* Pages after the kernel image that dom0 does not have: store and console. */
#define DOMU_EXTRA_PAGES 2

static void request(const struct domu_kernel *k, uint64_t nr_pages, uint64_t initrd_bytes,
		    struct dom0_layout_req *req)
{
	uint64_t kend = (k->paddr_end + PG - 1) & ~(PG - 1);

	memset(req, 0, sizeof(*req));
	req->virt_base = k->virt_base;
	req->kern_start = k->paddr_start;
	req->kern_end = kend + DOMU_EXTRA_PAGES * PG;
	req->nr_pages = nr_pages;
	req->initrd_bytes = initrd_bytes;
	req->initrd_by_pfn = k->mod_start_pfn;
	req->init_p2m = k->init_p2m;
}

static void copy_out(const struct dom0_layout *d, struct domu_layout *l)
{
	l->kern_pfn = d->kern_pfn;
	l->kern_end_pfn = d->kern_end_pfn - DOMU_EXTRA_PAGES;
	l->store_pfn = l->kern_end_pfn;
	l->console_pfn = l->kern_end_pfn + 1;
	l->initrd_pfn = d->initrd_pfn;
	l->initrd_pages = d->initrd_pages;
	l->initrd_mapped = d->initrd_mapped;
	l->p2m_pfn = d->p2m_pfn;
	l->p2m_pages = d->p2m_pages;
	l->p2m_va = d->p2m_va;
	l->start_info_pfn = d->start_info_pfn;
	l->pt_pfn = d->boot.pfn;
	l->nr_pt = d->boot.total;
	l->stack_pfn = d->stack_pfn;
	l->p2m_pt_pfn = d->p2m_map.pfn;
	l->p2m_nr_pt = d->p2m_map.total;
	l->first_p2m_pfn = d->first_p2m_pfn;
	l->nr_p2m_frames = d->nr_p2m_frames;
	l->mapped_pages = d->mapped_pages;
	l->v_end = d->v_end;
	l->pages_used = d->pages_used;
}

enum domu_layout_error domu_layout_compute(const struct domu_kernel *k, uint64_t nr_pages,
					   uint64_t initrd_bytes, struct domu_layout *out,
					   uint64_t *min_pages, char *why, size_t whysz)
{
	struct dom0_layout_req req;
	struct dom0_layout d;
	char msg[300];
	int rc;

	memset(out, 0, sizeof(*out));
	out->k = *k;
	out->nr_pages = nr_pages;
	out->initrd_bytes = initrd_bytes;
	out->hypercall_pfn = ~0ULL;
	if (k->hypercall_page) {
		if (k->hypercall_page < k->virt_base + k->paddr_start ||
		    k->hypercall_page >= k->virt_base + k->paddr_end) {
			snprintf(why, whysz, "the hypercall page %#llx is outside the kernel image",
				 (unsigned long long)k->hypercall_page);
			return DOMU_LAYOUT_BAD_KERNEL;
		}
		out->hypercall_pfn = (k->hypercall_page - k->virt_base) / PG;
	}
	request(k, nr_pages, initrd_bytes, &req);
	msg[0] = '\0';
	rc = dom0_layout_compute(&req, &d, msg, sizeof(msg));
	if (!rc) {
		copy_out(&d, out);
		return DOMU_LAYOUT_OK;
	}
	/* Enough pages for what it needs? The p2m grows with the domain, so go again until stable. */
	if (d.pages_used > nr_pages) {
		uint64_t need = d.pages_used;

		for (int i = 0; i < 8; i++) {
			request(k, need, initrd_bytes, &req);
			if (!dom0_layout_compute(&req, &d, msg, sizeof(msg)))
				break;
			if (d.pages_used <= need)
				break;
			need = d.pages_used;
		}
		if (min_pages)
			*min_pages = need;
		snprintf(why, whysz, "the kernel%s, p2m and boot page tables need at least %llu MiB",
			 initrd_bytes ? ", ramdisk" : "",
			 (unsigned long long)((need * PG + (1 << 20) - 1) >> 20));
		return DOMU_LAYOUT_TOO_SMALL;
	}
	/* The window failed: placed up to start_info, then did not fit its 1 GiB. */
	if (d.boot.pfn && !d.mapped_pages) {
		snprintf(why, whysz, "the kernel%s%s do not fit in the first GiB a PV kernel maps "
				     "at boot",
			 initrd_bytes && !k->mod_start_pfn ? ", ramdisk" : "",
			 k->init_p2m ? "" : " and p2m");
		return DOMU_LAYOUT_WINDOW;
	}
	snprintf(why, whysz, "%s", msg);
	return DOMU_LAYOUT_BAD_KERNEL;
}

struct tables_ctx {
	void *(*page)(void *ctx, uint64_t pfn);
	uint64_t (*mfn)(void *ctx, uint64_t pfn);
	void *ctx;
};

static void *page_cb(void *ctx, u64 pfn)
{
	struct tables_ctx *t = ctx;

	return t->page(t->ctx, pfn);
}

static u64 mfn_cb(void *ctx, u64 pfn)
{
	struct tables_ctx *t = ctx;

	return t->mfn(t->ctx, pfn);
}

void domu_write_page_tables(const struct domu_layout *l, void *(*page)(void *ctx, uint64_t pfn),
			    uint64_t (*mfn)(void *ctx, uint64_t pfn), void *ctx)
{
	struct tables_ctx t = { .page = page, .mfn = mfn, .ctx = ctx };
	struct dom0_mem m = { .ctx = &t, .page = page_cb, .mfn = mfn_cb };
	struct dom0_layout_req req;
	struct dom0_layout d;

	/* The same inputs give the same layout: recompute dom0's form of it. */
	request(&l->k, l->nr_pages, l->initrd_bytes, &req);
	if (dom0_layout_compute(&req, &d, NULL, 0))
		return;
	dom0_write_page_tables(&d, &m);
}

void domu_start_info(const struct domu_layout *l, const struct domu_start *s,
		     struct start_info *si)
{
	memset(si, 0, sizeof(*si));
	snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
	si->nr_pages = l->nr_pages;
	si->shared_info = s->shared_info_mfn << 12;
	si->flags = 0;
	si->store_mfn = s->p2m[l->store_pfn];
	si->store_evtchn = s->store_port;
	si->console.domU.mfn = s->p2m[l->console_pfn];
	si->console.domU.evtchn = s->console_port;
	si->pt_base = l->k.virt_base + l->pt_pfn * PG;
	si->nr_pt_frames = l->nr_pt;
	si->mfn_list = l->p2m_va;
	if (l->initrd_pages) {
		if (l->initrd_mapped) {
			si->mod_start = l->k.virt_base + l->initrd_pfn * PG;
		} else {
			si->mod_start = l->initrd_pfn;
			si->flags |= SIF_MOD_START_PFN;
		}
		si->mod_len = l->initrd_bytes;
	}
	if (s->cmdline)
		snprintf((char *)si->cmd_line, sizeof(si->cmd_line), "%s", s->cmdline);
	si->first_p2m_pfn = l->first_p2m_pfn;
	si->nr_p2m_frames = l->nr_p2m_frames;
}

void domu_vcpu0_context(const struct domu_layout *l, uint64_t l4_mfn,
			struct vcpu_guest_context *ctx)
{
	uint64_t stack_top = l->k.virt_base + (l->stack_pfn + 1) * PG;

	memset(ctx, 0, sizeof(*ctx));
	ctx->flags = VGCF_in_kernel | VGCF_online;
	ctx->user_regs.rip = l->k.entry;
	ctx->user_regs.rsp = stack_top;
	ctx->user_regs.rsi = l->k.virt_base + l->start_info_pfn * PG;
	ctx->user_regs.rflags = 0x200; /* IF: events are still masked in vcpu_info */
	ctx->user_regs.cs = FLAT_KERNEL_CS;
	ctx->user_regs.ss = FLAT_KERNEL_SS;
	ctx->user_regs.ds = ctx->user_regs.es = FLAT_KERNEL_DS;
	ctx->user_regs.fs = ctx->user_regs.gs = FLAT_KERNEL_DS;
	ctx->kernel_ss = FLAT_KERNEL_SS;
	ctx->kernel_sp = stack_top;
	ctx->ctrlreg[3] = l4_mfn << 12;
	ctx->debugreg[6] = 0xffff0ff0;
	ctx->debugreg[7] = 0x400;
}
