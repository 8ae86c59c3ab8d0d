/* The PV domain builder (see build.h). */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "libmica.h"
#include "mica.h"

#define PG 4096ULL
#define SUPERPAGE_ORDER 9       /* 2 MiB extents */
#define SUPERPAGE_PAGES 512ULL

/* "FILE:LINE: KEY" or "FILE: KEY" when the file does not set it. */
static const char *where(const struct domcfg *cfg, unsigned int line, const char *key, char *buf,
			 size_t size)
{
	if (line)
		snprintf(buf, size, "%s:%u: %s", cfg->path, line, key);
	else
		snprintf(buf, size, "%s: %s", cfg->path, key);
	return buf;
}

int build_prepare(const struct domcfg *cfg, struct build_plan *p, struct msgs *errors)
{
	enum domu_layout_error le;
	char why[300], at[300];
	uint64_t min_pages = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = kernel_image_load(cfg->kernel, &p->kernel, why, sizeof(why));
	if (rc) {
		msgs_add(errors, "%s: %s: %s", where(cfg, cfg->kernel_line, "kernel", at, sizeof(at)),
			 cfg->kernel, why);
		return rc;
	}
	if (cfg->ramdisk) {
		rc = read_file_max(cfg->ramdisk, RAMDISK_FILE_MAX, &p->ramdisk, &p->ramdisk_size);
		if (rc) {
			msgs_add(errors, "%s: %s: %s",
				 where(cfg, cfg->ramdisk_line, "ramdisk", at, sizeof(at)), cfg->ramdisk,
				 rc == -EFBIG ? "larger than 1 GiB" : strerror(-rc));
			return rc;
		}
		if (!p->ramdisk_size) {
			msgs_add(errors, "%s: %s is empty",
				 where(cfg, cfg->ramdisk_line, "ramdisk", at, sizeof(at)), cfg->ramdisk);
			return -EINVAL;
		}
	}
	p->nr_pages = cfg->memory_mib * 256;
	p->max_kib = cfg->maxmem_mib * 1024 + BUILD_MAXMEM_SLACK_KIB;
	le = domu_layout_compute(&p->kernel.k, p->nr_pages, p->ramdisk_size, &p->layout, &min_pages,
				 why, sizeof(why));
	switch (le) {
	case DOMU_LAYOUT_OK:
		break;
	case DOMU_LAYOUT_TOO_SMALL:
		msgs_add(errors, "%s: %llu MiB is too small for this guest: %s; raise memory",
			 where(cfg, cfg->memory_line, "memory", at, sizeof(at)),
			 (unsigned long long)cfg->memory_mib, why);
		return -EINVAL;
	case DOMU_LAYOUT_WINDOW:
		msgs_add(errors, "%s: the guest cannot be laid out: %s; use less memory or a smaller "
				 "ramdisk", cfg->path, why);
		return -EINVAL;
	default:
		msgs_add(errors, "%s: %s: %s", where(cfg, cfg->kernel_line, "kernel", at, sizeof(at)),
			 cfg->kernel, why);
		return -EINVAL;
	}
	rc = make_uuid(p->handle, p->uuid);
	if (rc)
		msgs_add(errors, "cannot make a UUID for the domain: %s", strerror(-rc));
	return rc;
}

void build_plan_free(struct build_plan *p)
{
	kernel_image_free(&p->kernel);
	free(p->ramdisk);
	memset(p, 0, sizeof(*p));
}

/* ---- memory ----------------------------------------------------------------------------- */

/*
 * Gives the domain its nr pages, 2 MiB extents first (as libxc does, so
 * the guest's memory is mostly contiguous), single pages for the rest.
 * Fills p2m[pfn] with each page's MFN. Returns the pages populated.
 */
static uint64_t populate(struct mica *m, uint32_t domid, uint64_t nr, uint64_t *p2m)
{
	uint64_t big = nr / SUPERPAGE_PAGES, done = 0, rest;
	uint64_t *ext;
	long n;

	ext = malloc((big > 0 ? big : 1) * sizeof(*ext));
	if (!ext)
		return 0;
	for (uint64_t i = 0; i < big; i++)
		ext[i] = i * SUPERPAGE_PAGES;
	n = big ? mica_populate_physmap(m, domid, big, SUPERPAGE_ORDER, ext) : 0;
	for (long i = 0; i < n; i++)
		for (uint64_t j = 0; j < SUPERPAGE_PAGES; j++)
			p2m[(uint64_t)i * SUPERPAGE_PAGES + j] = ext[i] + j;
	free(ext);
	done = n > 0 ? (uint64_t)n * SUPERPAGE_PAGES : 0;
	rest = nr - done;
	for (uint64_t i = 0; i < rest; i++)
		p2m[done + i] = done + i;
	n = rest ? mica_populate_physmap(m, domid, rest, 0, p2m + done) : 0;
	return done + (n > 0 ? (uint64_t)n : 0);
}

/* The new domain's first pages, mapped in dom0 while it is being written. */
struct guest_map {
	unsigned char *base;
	uint64_t pages;
	const uint64_t *p2m;
};

static int write_cb(void *ctx, uint64_t paddr, const void *src, uint64_t len)
{
	struct guest_map *g = ctx;

	if (paddr > g->pages * PG || len > g->pages * PG - paddr)
		return -ERANGE;
	if (src)
		memcpy(g->base + paddr, src, len);
	else
		memset(g->base + paddr, 0, len);
	return 0;
}

static void *page_cb(void *ctx, uint64_t pfn)
{
	struct guest_map *g = ctx;

	return g->base + pfn * PG;
}

static uint64_t mfn_cb(void *ctx, uint64_t pfn)
{
	struct guest_map *g = ctx;

	return g->p2m[pfn];
}

/* Writes the image, ramdisk, p2m, start_info and page tables through one foreign mapping. */
static int load(struct mica *m, const struct domcfg *cfg, const struct build_plan *p,
		const struct built *b, const uint64_t *p2m, struct msgs *errors)
{
	const struct domu_layout *l = &p->layout;
	struct guest_map g = { .pages = l->pages_used, .p2m = p2m };
	struct domu_start s = {
		.p2m = p2m, .shared_info_mfn = b->shared_info_mfn, .store_port = b->store_port,
		.console_port = b->console_port, .cmdline = cfg->cmdline,
	};
	char why[200];
	int rc;

	g.base = mica_map_foreign(m, b->domid, PROT_READ | PROT_WRITE, p2m, l->pages_used, NULL);
	if (!g.base) {
		msgs_add(errors, "cannot map the new domain's memory into dom0: %s", strerror(errno));
		return -errno;
	}
	rc = kernel_image_place(&p->kernel, write_cb, &g, why, sizeof(why));
	if (rc) {
		msgs_add(errors, "cannot load the kernel %s: %s", cfg->kernel, why);
		goto out;
	}
	if (p->ramdisk)
		memcpy(g.base + l->initrd_pfn * PG, p->ramdisk, p->ramdisk_size);
	memcpy(g.base + l->p2m_pfn * PG, p2m, l->nr_pages * sizeof(*p2m));
	domu_start_info(l, &s, (struct start_info *)(g.base + l->start_info_pfn * PG));
	/* Fresh frames are zeroed by the hypervisor; the rings start empty anyway. */
	memset(g.base + l->store_pfn * PG, 0, PG);
	memset(g.base + l->console_pfn * PG, 0, PG);
	domu_write_page_tables(l, page_cb, mfn_cb, &g);
out:
	/* Unmapped before pinning: dom0 must hold no writable mapping of a page table. */
	mica_unmap(g.base, l->pages_used);
	return rc;
}

/* ---- the sequence ------------------------------------------------------------------------- */

static int fail(struct msgs *errors, int rc, const char *what)
{
	msgs_add(errors, "%s: %s", what, strerror(-rc));
	return rc;
}

static int make(struct mica *m, const struct domcfg *cfg, const struct build_plan *p,
		struct built *b, uint64_t *p2m, struct msgs *errors)
{
	const struct domu_layout *l = &p->layout;
	struct xen_domctl_getdomaininfo info;
	struct vcpu_guest_context ctx;
	uint64_t got;
	int rc;

	rc = mica_domain_max_vcpus(m, b->domid, cfg->vcpus);
	if (rc)
		return fail(errors, rc, "the hypervisor refused the vCPU count (max_vcpus)");
	rc = mica_domain_set_address_size(m, b->domid, 64);
	if (rc && rc != -ENOSYS)
		return fail(errors, rc, "the hypervisor refused a 64-bit guest (set_address_size)");
	rc = mica_domain_max_mem(m, b->domid, p->max_kib);
	if (rc)
		return fail(errors, rc, "the hypervisor refused the memory limit (max_mem)");
	got = populate(m, b->domid, p->nr_pages, p2m);
	if (got < p->nr_pages) {
		msgs_add(errors, "the hypervisor gave the new domain only %llu of its %llu MiB: not "
				 "enough free memory ('mica info' shows it)",
			 (unsigned long long)(got >> 8), (unsigned long long)cfg->memory_mib);
		return -ENOMEM;
	}
	rc = mica_evtchn_alloc_unbound(m, b->domid, 0, &b->console_port);
	if (!rc)
		rc = mica_evtchn_alloc_unbound(m, b->domid, 0, &b->store_port);
	if (rc)
		return fail(errors, rc, "cannot make the console and store event channels");
	rc = mica_domain_info(m, b->domid, &info);
	if (rc)
		return fail(errors, rc, "cannot read the new domain's shared_info frame");
	b->shared_info_mfn = info.shared_info_frame;
	b->store_mfn = p2m[l->store_pfn];
	b->console_mfn = p2m[l->console_pfn];
	b->l4_mfn = p2m[l->pt_pfn];

	rc = load(m, cfg, p, b, p2m, errors);
	if (rc)
		return rc;
	if (l->hypercall_pfn != ~0ULL) {
		rc = mica_domain_hypercall_init(m, b->domid, p2m[l->hypercall_pfn]);
		if (rc)
			return fail(errors, rc, "cannot fill the kernel's hypercall page");
	}
	rc = mica_grant_seed(m, b->domid, b->console_mfn, 0, b->store_mfn, 0);
	if (rc)
		return fail(errors, rc, "cannot grant the console and store rings to dom0");
	rc = mica_pin_l4(m, b->domid, b->l4_mfn);
	if (rc)
		return fail(errors, rc, "the hypervisor refused the new domain's page tables "
					"(pinning the L4; a bug in mica or the hypervisor)");
	domu_vcpu0_context(l, b->l4_mfn, &ctx);
	rc = mica_vcpu_set_context(m, b->domid, 0, &ctx);
	if (rc)
		return fail(errors, rc, "the hypervisor refused vCPU 0's first context");
	return 0;
}

int build_domain(struct mica *m, const struct domcfg *cfg, const struct build_plan *p,
		 struct built *out, struct msgs *errors)
{
	struct mica_domain_config dc = {
		.max_vcpus = cfg->vcpus, .max_evtchn_port = 1023, .max_grant_frames = -1,
		.max_maptrack_frames = -1,
	};
	uint64_t *p2m;
	int rc;

	memset(out, 0, sizeof(*out));
	memcpy(dc.handle, p->handle, sizeof(dc.handle));
	p2m = calloc(p->nr_pages, sizeof(*p2m));
	if (!p2m) {
		msgs_add(errors, "out of memory for the new domain's p2m (%llu KiB)",
			 (unsigned long long)(p->nr_pages * 8 / 1024));
		return -ENOMEM;
	}
	rc = mica_domain_create(m, &dc, &out->domid);
	if (rc) {
		fail(errors, rc, "the hypervisor did not create the domain (createdomain)");
		goto out;
	}
	rc = make(m, cfg, p, out, p2m, errors);
	if (rc) {
		int drc = mica_domain_destroy(m, out->domid);

		if (drc)
			msgs_add(errors, "and destroying the half-built domain %u failed too: %s; "
					 "try 'mica destroy %u'", out->domid, strerror(-drc), out->domid);
	}
out:
	free(p2m);
	return rc;
}
