/*
 * Unit tests for grant tables (hypervisor/common/grant_table.c): the
 * table's life, the entry and flag rules of map, unmap and copy driven
 * through do_grant_table_op as a guest calls it, the references each use
 * holds, maptrack handles, batching and continuations, and teardown. The
 * memory manager behind the arch_gnttab_* hooks is simulated: fake frames
 * with owner, general and writable counts, and a fake page table whose
 * slots stand for the PTEs a host mapping writes.
 */
/* unit-sources: hypervisor/common/grant_table.c hypervisor/common/lib/string.c */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/grant_table.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <pv/grant_table.h>

/* ---- the simulated hypervisor ---- */

#define MAX_DOMS 4
#define NFRAMES 512
#define NOT_RAM 0xfffffff0u
#define VA_BASE 0x40000000ULL      /* fake VAs with an L1: VA_BASE + slot * 4096 */
#define PTE_BASE 0x80000000ULL     /* fake machine addresses of those PTEs: PTE_BASE + slot * 8 */
#define NSLOTS 1024
#define PTE_P 1ULL
#define PTE_RW 2ULL

struct fake_frame {
	u16 owner;                 /* FRAME_OWNER_NONE when free */
	int count;                 /* general references (the owner's included) */
	int wcount;                /* writable type references */
	bool table;                /* a page table: never writable */
	u8 data[4096] __attribute__((aligned(8)));
};

static struct fake_frame frames[NFRAMES];
static u64 ptes[NSLOTS];
static struct domain *doms[MAX_DOMS];
static __thread struct vcpu *cur;
static long pages_live;
static int alloc_fail_after = -1; /* arch_gnttab_alloc_frame fails once this reaches 0 */
static int flushes;
static bool preempt;
static u64 cont_args[3];
static int conts;
static u16 *watch_flags;           /* an entry's flags, sampled at every flush */
static u16 watched_at_flush;
static struct domain *gate_dom;    /* the next get_page on its frames stops at the gate */
static bool gate_inside, gate_open;

struct vcpu *current_vcpu(void)
{
	return cur;
}

struct domain *domain_get(domid_t id)
{
	for (int i = 0; i < MAX_DOMS; i++) {
		if (doms[i] && doms[i]->id == id && !doms[i]->is_dying) {
			__atomic_fetch_add(&doms[i]->refcount, 1, __ATOMIC_RELAXED);
			return doms[i];
		}
	}
	return NULL;
}

void domain_put(struct domain *d)
{
	__atomic_fetch_sub(&d->refcount, 1, __ATOMIC_RELAXED);
}

bool guest_range_ok(u64 va, size_t len)
{
	return va + len >= va && (len == 0 || va + len <= 0x0000800000000000ULL);
}

int copy_from_guest(void *dst, u64 src, size_t len)
{
	if (!guest_range_ok(src, len) || src < 0x10000)
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)src, len);
	return 0;
}

int copy_to_guest(u64 dst, const void *src, size_t len)
{
	if (!guest_range_ok(dst, len) || dst < 0x10000)
		return -EFAULT;
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

void *hv_zalloc(size_t size)
{
	size_t rounded = (size + 4095) & ~(size_t)4095;
	void *p = aligned_alloc(4096, rounded);

	if (p) {
		memset(p, 0, rounded);
		__atomic_fetch_add(&pages_live, (long)(rounded / 4096), __ATOMIC_RELAXED);
	}
	return p;
}

void hv_free(void *p, size_t size)
{
	if (p) {
		__atomic_fetch_sub(&pages_live, (long)(((size + 4095) & ~(size_t)4095) / 4096),
				   __ATOMIC_RELAXED);
		free(p);
	}
}

bool hypercall_preempt_check(void)
{
	return preempt;
}

long hypercall_create_continuation(unsigned int nargs, const u64 *args)
{
	for (unsigned int i = 0; i < nargs && i < 3; i++)
		cont_args[i] = args[i];
	conts++;
	return 0x1234;
}

static struct fake_frame *ff(u64 mfn)
{
	return mfn < NFRAMES ? &frames[mfn] : NULL;
}

void *arch_gnttab_alloc_frame(struct domain *d, u64 *mfn)
{
	if (alloc_fail_after == 0)
		return NULL;
	if (alloc_fail_after > 0)
		alloc_fail_after--;
	for (u64 m = NFRAMES - 1; m > 0; m--) {
		if (frames[m].owner == FRAME_OWNER_NONE) {
			frames[m].owner = d->id;
			frames[m].count = 2; /* the domain's and the hypervisor's */
			memset(frames[m].data, 0, sizeof(frames[m].data));
			*mfn = m;
			return frames[m].data;
		}
	}
	return NULL;
}

int arch_gnttab_free_frame(u64 mfn, bool drop_ref)
{
	struct fake_frame *f = ff(mfn);

	if (drop_ref)
		f->count--;
	if (f->count != 1)
		return -EBUSY;
	f->count = 0;
	f->owner = FRAME_OWNER_NONE;
	return 0;
}

bool arch_gnttab_get_page(const struct domain *d, u64 mfn)
{
	struct fake_frame *f = ff(mfn);

	/* Called under d's table lock by a pin: there it stands for a CPU inside the table. */
	if (d == __atomic_load_n(&gate_dom, __ATOMIC_SEQ_CST) &&
	    __atomic_exchange_n(&gate_dom, NULL, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&gate_inside, true, __ATOMIC_SEQ_CST);
		while (!__atomic_load_n(&gate_open, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	if (!f || f->owner != d->id || __atomic_load_n(&f->count, __ATOMIC_SEQ_CST) <= 0)
		return false;
	__atomic_fetch_add(&f->count, 1, __ATOMIC_SEQ_CST);
	return true;
}

int arch_gnttab_get_writable(u64 mfn)
{
	struct fake_frame *f = ff(mfn);

	if (f->table)
		return -EINVAL;
	__atomic_fetch_add(&f->wcount, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void arch_gnttab_put_page(u64 mfn, bool writable)
{
	struct fake_frame *f = ff(mfn);

	if (writable && __atomic_sub_fetch(&f->wcount, 1, __ATOMIC_SEQ_CST) < 0)
		CHECK_MSG(false, "frame %llu: writable count below 0", (unsigned long long)mfn);
	if (__atomic_sub_fetch(&f->count, 1, __ATOMIC_SEQ_CST) < 1)
		CHECK_MSG(false, "frame %llu: the owner's reference dropped", (unsigned long long)mfn);
}

/* The fake PTE a host mapping uses: by VA, or by PTE machine address. */
static u64 *pte_slot(u64 addr, u32 flags)
{
	u64 slot;

	if (flags & GNTMAP_contains_pte) {
		if (addr < PTE_BASE || addr % 8)
			return NULL;
		slot = (addr - PTE_BASE) / 8;
	} else {
		if (addr < VA_BASE)
			return NULL;
		slot = (addr - VA_BASE) / 4096;
	}
	return slot < NSLOTS ? &ptes[slot] : NULL;
}

/* A PTE holds references of its own, as in the memory manager. */
static void pte_drop(u64 e)
{
	if (e & PTE_P)
		arch_gnttab_put_page(e >> 12, e & PTE_RW);
}

int arch_gnttab_create_mapping(struct domain *ld, u64 addr, u32 flags, u64 mfn, u16 owner)
{
	u64 *p = pte_slot(addr, flags), e = (mfn << 12) | PTE_P;
	struct fake_frame *f = ff(mfn);

	if (!p || !f || f->owner != owner)
		return -EINVAL;
	__atomic_fetch_add(&f->count, 1, __ATOMIC_SEQ_CST);
	if (!(flags & GNTMAP_readonly)) {
		e |= PTE_RW;
		__atomic_fetch_add(&f->wcount, 1, __ATOMIC_SEQ_CST);
	}
	pte_drop(__atomic_exchange_n(p, e, __ATOMIC_SEQ_CST));
	return 0;
}

int arch_gnttab_destroy_mapping(struct domain *ld, u64 addr, u32 flags, u64 mfn)
{
	u64 *p = pte_slot(addr, flags), e;

	if (!p)
		return -EINVAL;
	e = *p;
	if (!(e & PTE_P) || (e >> 12) != mfn || !(e & PTE_RW) != !!(flags & GNTMAP_readonly))
		return -EINVAL;
	*p = 0;
	pte_drop(e);
	return 0;
}

void arch_gnttab_flush_tlb(struct domain *ld)
{
	__atomic_fetch_add(&flushes, 1, __ATOMIC_SEQ_CST);
	if (watch_flags)
		watched_at_flush = *watch_flags;
}

void *arch_gnttab_map_frame(u64 mfn)
{
	return frames[mfn].data;
}

/* ---- domains and fixtures ---- */

static struct domain *make_domain(domid_t id, bool privileged)
{
	struct domain *d = calloc(1, sizeof(*d));
	struct vcpu *v = calloc(1, sizeof(*v));
	int slot = 0;

	if (!d || !v)
		abort();
	while (doms[slot])
		slot++;
	d->id = id;
	d->is_privileged = privileged;
	d->max_vcpus = 1;
	d->refcount = 1;
	v->domain = d;
	d->vcpus[0] = v;
	doms[slot] = d;
	return d;
}

static void free_domain(struct domain *d)
{
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i] == d)
			doms[i] = NULL;
	free(d->vcpus[0]);
	free(d);
}

static struct domain *dom0, *domu, *dom2;

/* Data frames each domain owns: mfn = base + i. */
#define DATA_BASE(id) (16 + 32 * (id))

static u64 data_mfn(const struct domain *d, unsigned int i)
{
	return DATA_BASE(d->id) + i;
}

static void teardown(bool check);

static void setup(void)
{
	/* After a case that was abandoned half-way. */
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i])
			teardown(false);
	for (u64 m = 0; m < NFRAMES; m++)
		frames[m] = (struct fake_frame){ .owner = FRAME_OWNER_NONE };
	memset(ptes, 0, sizeof(ptes));
	pages_live = 0;
	alloc_fail_after = -1;
	flushes = conts = 0;
	preempt = false;
	watch_flags = NULL;
	gate_dom = NULL;
	gate_inside = gate_open = false;
	dom0 = make_domain(0, true);
	domu = make_domain(1, false);
	dom2 = make_domain(2, false);
	for (int i = 0; i < MAX_DOMS; i++) {
		struct domain *d = doms[i];

		if (!d)
			continue;
		for (unsigned int k = 0; k < 8; k++)
			frames[data_mfn(d, k)] = (struct fake_frame){ .owner = d->id, .count = 1 };
		REQUIRE_EQ(grant_table_init(d, GNTTAB_DEFAULT_MAX_FRAMES, 4), 0);
	}
	cur = domu->vcpus[0];
}

/* Everything back as it started: no references, pins, flags, handles or memory left. */
static void teardown(bool check)
{
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i])
			while (grant_table_release(doms[i]) == -EAGAIN)
				;
	for (int i = 0; i < MAX_DOMS; i++) {
		struct domain *d = doms[i];

		if (!d)
			continue;
		if (check) {
			CHECK_MSG(d->refcount == 1, "d%u refcount %u", d->id, d->refcount);
			for (unsigned int k = 0; k < 8; k++) {
				struct fake_frame *f = &frames[data_mfn(d, k)];

				CHECK_MSG(f->count == 1 && f->wcount == 0,
					  "d%u data frame %u: count %d wcount %d", d->id, k,
					  f->count, f->wcount);
			}
		}
		CHECK_EQ(grant_table_destroy(d), 0);
		CHECK(d->grant == NULL);
	}
	for (int i = 0; i < MAX_DOMS; i++)
		if (doms[i])
			free_domain(doms[i]);
	if (check)
		CHECK_EQ(pages_live, 0);
}

#define CASE(name) \
	static void name##_body(void); \
	static void name(void) { setup(); name##_body(); teardown(true); } \
	static void name##_body(void)

/* ---- guest-side helpers ---- */

static void as(struct domain *d)
{
	cur = d->vcpus[0];
}

static long gop(unsigned int cmd, void *ops, unsigned int count)
{
	return do_grant_table_op(cmd, (pv_gva_t)(uintptr_t)ops, count);
}

/* The granter's view of its table: the hypervisor-side frame data of frame ref / 512. */
static struct grant_entry_v1 *entry(struct domain *d, grant_ref_t ref)
{
	struct gnttab_setup_table st = { .dom = d->id, .nr_frames = ref / 512 + 1 };
	u64 list[GNTTAB_MAX_FRAMES_LIMIT];
	struct vcpu *saved = cur;

	st.frame_list = (pv_gva_t)(uintptr_t)list;
	as(dom0);
	if (gop(GNTTABOP_setup_table, &st, 1) || st.status != GNTST_okay)
		abort();
	cur = saved;
	return &((struct grant_entry_v1 *)(void *)frames[list[ref / 512]].data)[ref % 512];
}

static void grant(struct domain *granter, grant_ref_t ref, domid_t to, u64 mfn, u16 flags)
{
	struct grant_entry_v1 *e = entry(granter, ref);

	e->domid = to;
	e->frame = (u32)mfn;
	__atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
}

static u16 gflags(struct domain *granter, grant_ref_t ref)
{
	return entry(granter, ref)->flags & (GTF_reading | GTF_writing);
}

static u64 va(unsigned int slot)
{
	return VA_BASE + (u64)slot * 4096;
}

/* Maps (dom, ref) at slot as the current domain; returns the status, fills *handle. */
static s16 map(domid_t dom, grant_ref_t ref, u32 flags, unsigned int slot, u32 *handle)
{
	struct gnttab_map_grant_ref op = { .host_addr = va(slot), .flags = flags, .ref = ref,
					   .dom = dom, .status = 99, .handle = 0xdead };

	if (gop(GNTTABOP_map_grant_ref, &op, 1))
		return 999;
	if (handle)
		*handle = op.handle;
	return op.status;
}

static s16 unmap(u64 host_addr, u64 dev_bus_addr, u32 handle)
{
	struct gnttab_unmap_grant_ref op = { .host_addr = host_addr, .dev_bus_addr = dev_bus_addr,
					     .handle = handle, .status = 99 };

	if (gop(GNTTABOP_unmap_grant_ref, &op, 1))
		return 999;
	return op.status;
}

static s16 copy(u64 src, domid_t sdom, u16 soff, u64 dst, domid_t ddom, u16 doff, u16 len,
		u16 flags)
{
	struct gnttab_copy c = { .len = len, .flags = flags, .status = 99 };

	if (flags & GNTCOPY_source_gref)
		c.source.u.ref = (u32)src;
	else
		c.source.u.gmfn = src;
	if (flags & GNTCOPY_dest_gref)
		c.dest.u.ref = (u32)dst;
	else
		c.dest.u.gmfn = dst;
	c.source.domid = sdom;
	c.source.offset = soff;
	c.dest.domid = ddom;
	c.dest.offset = doff;
	if (gop(GNTTABOP_copy, &c, 1))
		return 999;
	return c.status;
}

/* ---- the table ---- */

CASE(setup_and_query)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 3 };
	u64 list[4] = { 0, 0, 0, 0x77 };

	CHECK_EQ(gop(GNTTABOP_query_size, &q, 1), 0);
	CHECK_EQ(q.status, GNTST_okay);
	CHECK_EQ(q.nr_frames, 1);
	CHECK_EQ(q.max_nr_frames, GNTTAB_DEFAULT_MAX_FRAMES);

	st.frame_list = (pv_gva_t)(uintptr_t)list;
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_okay);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(frames[list[i]].owner, domu->id);
		CHECK_EQ(frames[list[i]].count, 2); /* the domain's and the hypervisor's */
	}
	CHECK(list[0] != list[1] && list[1] != list[2]);
	CHECK_EQ(list[3], 0x77);
	CHECK_EQ(gop(GNTTABOP_query_size, &q, 1), 0);
	CHECK_EQ(q.nr_frames, 3);

	/* Over the limit, a bad domain, another's table, a bad count, an unwritable list. */
	st.nr_frames = GNTTAB_DEFAULT_MAX_FRAMES + 1;
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_general_error);
	st = (struct gnttab_setup_table){ .dom = 0x7fe0, .nr_frames = 1,
					  .frame_list = (pv_gva_t)(uintptr_t)list };
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_bad_domain);
	st.dom = DOMID_XEN;
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_bad_domain);
	st.dom = 0;
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_permission_denied);
	q.dom = 2;
	CHECK_EQ(gop(GNTTABOP_query_size, &q, 1), 0);
	CHECK_EQ(q.status, GNTST_permission_denied);
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 2), -EINVAL);
	CHECK_EQ(gop(GNTTABOP_query_size, &q, 0), -EINVAL);
	st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1, .frame_list = 0x100 };
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_bad_virt_addr);
	st.frame_list = 0xffff800000000000ULL;
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), -EFAULT);
	CHECK_EQ(gop(GNTTABOP_setup_table, (void *)0x100, 1), -EFAULT);

	/* The toolstack (privileged) sets up and reads a domU's table. */
	as(dom0);
	st = (struct gnttab_setup_table){ .dom = 2, .nr_frames = 2,
					  .frame_list = (pv_gva_t)(uintptr_t)list };
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	CHECK_EQ(st.status, GNTST_okay);
	CHECK_EQ(frames[list[1]].owner, 2);
	q = (struct gnttab_query_size){ .dom = 2 };
	CHECK_EQ(gop(GNTTABOP_query_size, &q, 1), 0);
	CHECK_EQ(q.status, GNTST_okay);
	CHECK_EQ(q.nr_frames, 2);
}

CASE(versions_and_commands)
{
	struct gnttab_set_version sv = { .version = 1 };
	struct gnttab_get_version gv = { .dom = DOMID_SELF, .version = 7 };

	CHECK_EQ(gop(GNTTABOP_set_version, &sv, 1), 0);
	CHECK_EQ(sv.version, 1);
	sv.version = 2;
	CHECK_EQ(gop(GNTTABOP_set_version, &sv, 1), -ENOSYS);
	CHECK_EQ(sv.version, 1);
	sv.version = 0;
	CHECK_EQ(gop(GNTTABOP_set_version, &sv, 1), -EINVAL);
	CHECK_EQ(sv.version, 1);
	CHECK_EQ(gop(GNTTABOP_get_version, &gv, 1), 0);
	CHECK_EQ(gv.version, 1);
	gv.dom = 0x7fe0;
	CHECK_EQ(gop(GNTTABOP_get_version, &gv, 1), -ESRCH);
	gv.dom = 0;
	CHECK_EQ(gop(GNTTABOP_get_version, &gv, 1), -EPERM);
	CHECK_EQ(gop(GNTTABOP_get_version, NULL, 1), -EFAULT);

	CHECK_EQ(gop(GNTTABOP_dump_table, &gv, 1), -ENOSYS);
	CHECK_EQ(gop(GNTTABOP_transfer, &gv, 1), -ENOSYS);
	CHECK_EQ(gop(GNTTABOP_unmap_and_replace, &gv, 1), -ENOSYS);
	CHECK_EQ(gop(GNTTABOP_get_status_frames, &gv, 1), -ENOSYS);
	CHECK_EQ(gop(63, &gv, 1), -ENOSYS);
	CHECK_EQ(gop(GNTTABOP_map_grant_ref | 0x1000, &gv, 1), -EINVAL);
	CHECK_EQ(gop(GNTTABOP_map_grant_ref, &gv, 0x80000000u), -EINVAL);
	CHECK_EQ(gop(GNTTABOP_map_grant_ref, NULL, 0), 0);
	CHECK_EQ(gop(GNTTABOP_copy, NULL, 1), -EFAULT);
	CHECK_EQ(gop(GNTTABOP_unmap_grant_ref, (void *)0xffff800000000000ULL, 1), -EFAULT);
}

static void init_limits(void)
{
	struct domain *d = make_domain(9, false);
	long before = pages_live;

	CHECK_EQ(grant_table_init(d, 0, 4), -EINVAL);
	CHECK_EQ(grant_table_init(d, GNTTAB_MAX_FRAMES_LIMIT + 1, 4), -EINVAL);
	CHECK_EQ(grant_table_init(d, 4, 0), 0); /* no maptrack: it maps nothing */
	as(d);
	grant(dom0, 10, 9, data_mfn(dom0, 0), GTF_permit_access);
	CHECK_EQ(map(0, 10, GNTMAP_host_map, 0, NULL), GNTST_no_space);
	CHECK_EQ(unmap(va(0), 0, 0), GNTST_bad_handle);
	CHECK_EQ(gflags(dom0, 10), 0);
	CHECK_EQ(grant_table_release(d), 0);
	CHECK_EQ(grant_table_destroy(d), 0);
	as(domu);
	CHECK_EQ(grant_table_init(d, 4, GNTTAB_MAX_MAPTRACK_LIMIT + 1), -EINVAL);
	alloc_fail_after = 0;
	CHECK_EQ(grant_table_init(d, 4, 4), -ENOMEM);
	CHECK(d->grant == NULL);
	CHECK_EQ(pages_live, before);
	alloc_fail_after = -1;
	free_domain(d);

	/* A grow that runs out of frames half-way answers general_error and keeps what it got. */
	{
		struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 4 };
		u64 list[4];

		st.frame_list = (pv_gva_t)(uintptr_t)list;
		alloc_fail_after = 1;
		CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
		CHECK_EQ(st.status, GNTST_general_error);
		alloc_fail_after = -1;
		st.nr_frames = 4;
		CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
		CHECK_EQ(st.status, GNTST_okay);
	}
}

static void init_limits_case(void)
{
	setup();
	init_limits();
	teardown(true);
}

/* ---- map and unmap ---- */

CASE(map_unmap_refs_and_flags)
{
	u64 m = data_mfn(dom0, 0);
	struct fake_frame *f = &frames[m];
	u32 h, h2;

	grant(dom0, 10, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 10, GNTMAP_host_map, 0, &h), GNTST_okay);
	CHECK_EQ(gflags(dom0, 10), GTF_reading | GTF_writing);
	/* The owner's, the grant's, the PTE's; writable: the grant's and the PTE's. */
	CHECK_EQ(f->count, 3);
	CHECK_EQ(f->wcount, 2);
	CHECK_EQ(ptes[0], (m << 12) | PTE_P | PTE_RW);
	CHECK_EQ(dom0->refcount, 2); /* the maptrack record's */

	/* Unmap drops everything, after the flush (the flags were still up then). */
	watch_flags = &entry(dom0, 10)->flags;
	CHECK_EQ(unmap(va(0), 0, h), GNTST_okay);
	CHECK_EQ(watched_at_flush & (GTF_reading | GTF_writing), GTF_reading | GTF_writing);
	watch_flags = NULL;
	CHECK_EQ(gflags(dom0, 10), 0);
	CHECK_EQ(f->count, 1);
	CHECK_EQ(f->wcount, 0);
	CHECK_EQ(ptes[0], 0);
	CHECK_EQ(flushes, 1);
	CHECK_EQ(dom0->refcount, 1);
	CHECK_EQ(unmap(va(0), 0, h), GNTST_bad_handle);
	CHECK_EQ(unmap(va(0), 0, 4 * 256), GNTST_bad_handle);
	CHECK_EQ(unmap(va(0), 0, 0xffffffff), GNTST_bad_handle);
	CHECK_EQ(map(0, 10, GNTMAP_host_map | GNTMAP_readonly, 1, &h2), GNTST_okay);
	CHECK_EQ(h2, h);
	CHECK_EQ(gflags(dom0, 10), GTF_reading);
	CHECK_EQ(f->wcount, 0);
	CHECK_EQ(ptes[1], (m << 12) | PTE_P);
	/* The PTE must match: a read-only mapping is not unmapped at another slot. */
	CHECK_EQ(unmap(va(0), 0, h2), GNTST_general_error);
	CHECK_EQ(unmap(va(1), 0, h2), GNTST_okay);
	CHECK_EQ(gflags(dom0, 10), 0);
}

CASE(flags_follow_pins)
{
	u64 m = data_mfn(dom0, 1);
	u32 ro, rw, dev;

	grant(dom0, 11, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 11, GNTMAP_host_map | GNTMAP_readonly, 0, &ro), GNTST_okay);
	CHECK_EQ(gflags(dom0, 11), GTF_reading);
	CHECK_EQ(map(0, 11, GNTMAP_host_map, 1, &rw), GNTST_okay);
	CHECK_EQ(gflags(dom0, 11), GTF_reading | GTF_writing);
	CHECK_EQ(map(0, 11, GNTMAP_device_map, 2, &dev), GNTST_okay);
	CHECK_EQ(unmap(va(1), 0, rw), GNTST_okay);
	/* The device mapping is writable too: GTF_writing stays. */
	CHECK_EQ(gflags(dom0, 11), GTF_reading | GTF_writing);
	CHECK_EQ(unmap(0, m << 12, dev), GNTST_okay);
	CHECK_EQ(gflags(dom0, 11), GTF_reading);
	/* The granter makes it read-only while mapped: a new writable use is refused. */
	grant(dom0, 11, domu->id, m, GTF_permit_access | GTF_readonly | GTF_reading);
	CHECK_EQ(map(0, 11, GNTMAP_host_map, 3, NULL), GNTST_general_error);
	CHECK_EQ(gflags(dom0, 11), GTF_reading);
	CHECK_EQ(unmap(va(0), 0, ro), GNTST_okay);
	CHECK_EQ(gflags(dom0, 11), 0);
	/* A read-only grant refuses a writable mapping, and leaves no flag set. */
	CHECK_EQ(map(0, 11, GNTMAP_host_map, 3, NULL), GNTST_general_error);
	CHECK_EQ(gflags(dom0, 11), 0);
}

CASE(device_and_host_together)
{
	u64 m = data_mfn(dom0, 2);
	struct gnttab_map_grant_ref op = { .host_addr = va(4), .ref = 12, .dom = 0,
					   .flags = GNTMAP_host_map | GNTMAP_device_map };

	grant(dom0, 12, domu->id, m, GTF_permit_access);
	CHECK_EQ(gop(GNTTABOP_map_grant_ref, &op, 1), 0);
	CHECK_EQ(op.status, GNTST_okay);
	CHECK_EQ(op.dev_bus_addr, m << 12);
	CHECK_EQ(frames[m].count, 4);  /* owner, two grant kinds, the PTE */
	CHECK_EQ(frames[m].wcount, 3);
	/* Wrong bus address: nothing is undone. */
	CHECK_EQ(unmap(va(4), (m + 1) << 12, op.handle), GNTST_general_error);
	CHECK_EQ(frames[m].count, 4);
	/* Host part only, then the device part: the handle lives until both are gone. */
	CHECK_EQ(unmap(va(4), 0, op.handle), GNTST_okay);
	CHECK_EQ(frames[m].count, 2);
	CHECK_EQ(gflags(dom0, 12), GTF_reading | GTF_writing);
	CHECK_EQ(unmap(0, 0, op.handle), GNTST_okay); /* nothing named: okay, nothing done */
	CHECK_EQ(unmap(0, m << 12, op.handle), GNTST_okay);
	CHECK_EQ(frames[m].count, 1);
	CHECK_EQ(gflags(dom0, 12), 0);
	CHECK_EQ(unmap(0, m << 12, op.handle), GNTST_bad_handle);
}

CASE(hostile_maps)
{
	u64 m = data_mfn(dom0, 3);
	struct fake_frame *f = &frames[m];

	grant(dom0, 13, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 13, 0, 0, NULL), GNTST_bad_gntref);
	CHECK_EQ(map(0, 512, GNTMAP_host_map, 0, NULL), GNTST_bad_gntref);
	CHECK_EQ(map(0, 0xffffffff, GNTMAP_host_map, 0, NULL), GNTST_bad_gntref);
	CHECK_EQ(map(DOMID_SELF, 13, GNTMAP_host_map, 0, NULL), GNTST_bad_domain);
	CHECK_EQ(map(0x7fe0, 13, GNTMAP_host_map, 0, NULL), GNTST_bad_domain);
	CHECK_EQ(map(DOMID_XEN, 13, GNTMAP_host_map, 0, NULL), GNTST_bad_domain);

	/* Entries that do not grant us access. */
	grant(dom0, 13, domu->id, m, GTF_invalid);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);
	grant(dom0, 13, domu->id, m, GTF_accept_transfer);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);
	grant(dom0, 13, domu->id, m, GTF_transitive);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);
	grant(dom0, 13, domu->id, m, GTF_permit_access | GTF_sub_page);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);
	grant(dom0, 13, dom2->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);
	grant(dom0, 13, DOMID_SELF, m, GTF_permit_access);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);

	/* Frames the granter does not own: not RAM, another domain's, its own table's frame is. */
	grant(dom0, 13, domu->id, NOT_RAM, GTF_permit_access);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_bad_page);
	grant(dom0, 13, domu->id, data_mfn(dom2, 0), GTF_permit_access);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_bad_page);
	CHECK_EQ(frames[data_mfn(dom2, 0)].count, 1);
	CHECK_EQ(gflags(dom0, 13), 0);

	/* A page table is never writable, through a grant either. */
	f->table = true;
	grant(dom0, 13, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 13, GNTMAP_host_map, 0, NULL), GNTST_general_error);
	CHECK_EQ(map(0, 13, GNTMAP_device_map, 0, NULL), GNTST_general_error);
	CHECK_EQ(f->count, 1);
	CHECK_EQ(gflags(dom0, 13), 0);
	f->table = false;

	/* A VA the memory manager refuses: everything is undone. */
	{
		struct gnttab_map_grant_ref op = { .host_addr = 0x1000, .flags = GNTMAP_host_map,
						   .ref = 13, .dom = 0 };

		CHECK_EQ(gop(GNTTABOP_map_grant_ref, &op, 1), 0);
		CHECK_EQ(op.status, GNTST_general_error);
		op.flags |= GNTMAP_contains_pte;
		op.host_addr = PTE_BASE + 4;
		CHECK_EQ(gop(GNTTABOP_map_grant_ref, &op, 1), 0);
		CHECK_EQ(op.status, GNTST_general_error);
	}
	CHECK_EQ(f->count, 1);
	CHECK_EQ(f->wcount, 0);
	CHECK_EQ(gflags(dom0, 13), 0);
	CHECK_EQ(dom0->refcount, 1);
}

CASE(pinned_entry_is_what_counts)
{
	u64 m = data_mfn(dom0, 4), other = data_mfn(dom0, 5);
	u32 h, h2;

	grant(dom0, 14, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 14, GNTMAP_host_map | GNTMAP_readonly, 0, &h), GNTST_okay);
	/* The granter retargets the entry while it is pinned: new uses still get the old frame. */
	grant(dom0, 14, domu->id, other, GTF_permit_access | GTF_reading);
	CHECK_EQ(map(0, 14, GNTMAP_host_map | GNTMAP_readonly, 1, &h2), GNTST_okay);
	CHECK_EQ(ptes[1] >> 12, m);
	/* ... and another domain cannot use it, even if the entry now names it. */
	grant(dom0, 14, dom2->id, m, GTF_permit_access | GTF_reading);
	as(dom2);
	CHECK_EQ(map(0, 14, GNTMAP_host_map | GNTMAP_readonly, 0, NULL), GNTST_general_error);
	CHECK_EQ(copy(14, 0, 0, data_mfn(dom2, 0), DOMID_SELF, 0, 8, GNTCOPY_source_gref),
		 GNTST_general_error);
	as(domu);
	CHECK_EQ(unmap(va(0), 0, h), GNTST_okay);
	CHECK_EQ(unmap(va(1), 0, h2), GNTST_okay);
	CHECK_EQ(gflags(dom0, 14), 0);
	as(dom2);
	CHECK_EQ(map(0, 14, GNTMAP_host_map | GNTMAP_readonly, 0, &h), GNTST_okay);
	CHECK_EQ(unmap(va(0), 0, h), GNTST_okay);
}

CASE(pin_counter_limit)
{
	u64 m = data_mfn(dom0, 0);
	u32 h[129];
	int ok = 0;

	grant(dom0, 15, domu->id, m, GTF_permit_access);
	for (int i = 0; i < 129; i++)
		if (map(0, 15, GNTMAP_host_map | GNTMAP_readonly, i, &h[i]) == GNTST_okay)
			ok++;
	/* 8-bit counters, as Xen's: 128 read-only host mappings of one grant, not more. */
	CHECK_EQ(ok, 128);
	for (int i = 0; i < 128; i++)
		CHECK_EQ(unmap(va(i), 0, h[i]), GNTST_okay);
	CHECK_EQ(gflags(dom0, 15), 0);
}

CASE(maptrack_runs_out)
{
	u64 m = data_mfn(dom0, 0);
	u32 h;
	int ok = 0;

	/* Four maptrack pages of 256 handles (setup) and a self-grant: DOMID_SELF is no domain to map from. */
	as(dom0);
	grant(dom0, 16, 0, m, GTF_permit_access);
	for (int i = 0; i < 4 * 256 + 1; i++)
		if (map(0, 16, GNTMAP_device_map | GNTMAP_readonly, 0, &h) == GNTST_okay)
			ok++;
	/* The pin counter stops the same grant at 128: use more grants. */
	CHECK_EQ(ok, 128);
	for (grant_ref_t r = 17; r < 17 + 8; r++)
		grant(dom0, r, 0, m, GTF_permit_access);
	for (grant_ref_t r = 17; ok < 4 * 256 && r < 17 + 8; r++)
		for (int i = 0; i < 128 && ok < 4 * 256; i++)
			if (map(0, r, GNTMAP_device_map | GNTMAP_readonly, 0, &h) == GNTST_okay)
				ok++;
	CHECK_EQ(ok, 4 * 256);
	CHECK_EQ(map(0, 24, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_no_space);
	CHECK_EQ(unmap(0, m << 12, 5), GNTST_okay);
	CHECK_EQ(map(0, 24, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
	CHECK_EQ(h, 5);
	/* Teardown releases them all. */
}

CASE(unmap_batches_flush_before_release)
{
	u64 m = data_mfn(dom0, 6);
	struct gnttab_unmap_grant_ref ops[40];
	u32 h;

	grant(dom0, 20, domu->id, m, GTF_permit_access);
	for (int i = 0; i < 40; i++) {
		CHECK_EQ(map(0, 20, GNTMAP_host_map | (i ? GNTMAP_readonly : 0), i, &h), GNTST_okay);
		ops[i] = (struct gnttab_unmap_grant_ref){ .host_addr = va(i), .handle = h,
							  .status = 99 };
	}
	ops[7].handle = 4000; /* a bad one in the middle fails alone */
	watch_flags = &entry(dom0, 20)->flags;
	CHECK_EQ(gop(GNTTABOP_unmap_grant_ref, ops, 40), 0);
	/* One flush per chunk of 32, and the flags were still up when it ran. */
	CHECK_EQ(flushes, 2);
	CHECK_EQ(watched_at_flush & GTF_reading, GTF_reading);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(ops[i].status, i == 7 ? GNTST_bad_handle : GNTST_okay);
	CHECK_EQ(gflags(dom0, 20), GTF_reading);
	CHECK_EQ(unmap(va(7), 0, 7), GNTST_okay);
	CHECK_EQ(gflags(dom0, 20), 0);
	CHECK_EQ(frames[m].count, 1);
}

CASE(batches_continue)
{
	u64 m = data_mfn(dom0, 0);
	static struct gnttab_map_grant_ref ops[200];
	static struct gnttab_unmap_grant_ref uops[200];
	long rc;

	for (grant_ref_t r = 30; r < 32; r++)
		grant(dom0, r, domu->id, m, GTF_permit_access);
	for (int i = 0; i < 200; i++)
		ops[i] = (struct gnttab_map_grant_ref){ .host_addr = va(i), .ref = 30 + i / 100,
							.dom = 0,
							.flags = GNTMAP_host_map | GNTMAP_readonly };
	/* Bounded: 128 per call, then the call is continued with the rest. */
	rc = gop(GNTTABOP_map_grant_ref, ops, 200);
	CHECK_EQ(rc, 0x1234);
	CHECK_EQ(conts, 1);
	CHECK_EQ(cont_args[0], GNTTABOP_map_grant_ref);
	CHECK_EQ(cont_args[1], (u64)(uintptr_t)&ops[128]);
	CHECK_EQ(cont_args[2], 72);
	CHECK_EQ(ops[127].status, GNTST_okay);
	CHECK_EQ(gop(GNTTABOP_map_grant_ref, &ops[128], 72), 0);
	for (int i = 0; i < 200; i++)
		CHECK_EQ(ops[i].status, GNTST_okay);

	/* Pending work stops a batch after its first operation. */
	for (int i = 0; i < 200; i++)
		uops[i] = (struct gnttab_unmap_grant_ref){ .host_addr = va(i),
							   .handle = ops[i].handle };
	preempt = true;
	CHECK_EQ(gop(GNTTABOP_unmap_grant_ref, uops, 200), 0x1234);
	CHECK_EQ(cont_args[1], (u64)(uintptr_t)&uops[32]);
	CHECK_EQ(cont_args[2], 168);
	preempt = false;
	CHECK_EQ(gop(GNTTABOP_unmap_grant_ref, &uops[32], 168), 0x1234);
	CHECK_EQ(gop(GNTTABOP_unmap_grant_ref, &uops[160], 40), 0);
	for (int i = 0; i < 200; i++)
		CHECK_EQ(uops[i].status, GNTST_okay);
	CHECK_EQ(frames[m].count, 1);

	/* An unreadable op ends the batch with -EFAULT after what was done. */
	CHECK_EQ(gop(GNTTABOP_map_grant_ref, (void *)0x8000, 1), -EFAULT);
}

CASE(zapped_pte_keeps_handle_accounted)
{
	u64 m = data_mfn(dom0, 7);
	u32 h;

	grant(dom0, 40, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(0, 40, GNTMAP_host_map, 0, &h), GNTST_okay);
	/* The guest overwrites the PTE behind our back (the memory manager drops its references). */
	pte_drop(ptes[0]);
	ptes[0] = 0;
	CHECK_EQ(unmap(va(0), 0, h), GNTST_general_error);
	/* The grant's own references and the flags stay, accounted to the handle. */
	CHECK_EQ(frames[m].count, 2);
	CHECK_EQ(gflags(dom0, 40), GTF_reading | GTF_writing);
	CHECK_EQ(grant_table_destroy(dom0), -EBUSY);
	/* The mapping domain's death releases it. */
	CHECK_EQ(grant_table_release(domu), 0);
	CHECK_EQ(frames[m].count, 1);
	CHECK_EQ(gflags(dom0, 40), 0);
	CHECK_EQ(dom0->refcount, 1);
}

CASE(self_grants)
{
	u64 m = data_mfn(domu, 0);
	u32 h;

	/* Naming itself by id, as Xen wants; the entry names the real id too. */
	grant(domu, 50, domu->id, m, GTF_permit_access);
	CHECK_EQ(map(DOMID_SELF, 50, GNTMAP_host_map, 0, NULL), GNTST_bad_domain);
	CHECK_EQ(map(domu->id, 50, GNTMAP_host_map, 0, &h), GNTST_okay);
	CHECK_EQ(domu->refcount, 2);
	CHECK_EQ(unmap(va(0), 0, h), GNTST_okay);
	CHECK_EQ(domu->refcount, 1);
	grant(domu, 50, DOMID_SELF, m, GTF_permit_access);
	CHECK_EQ(map(domu->id, 50, GNTMAP_host_map, 0, &h), GNTST_general_error);
}

/* ---- copy ---- */

CASE(copies)
{
	u64 a = data_mfn(dom0, 0), b = data_mfn(domu, 0), t = data_mfn(dom0, 1);

	memset(frames[a].data, 0xab, 4096);
	memset(frames[b].data, 0, 4096);
	grant(dom0, 60, domu->id, a, GTF_permit_access | GTF_readonly);
	grant(dom0, 61, domu->id, t, GTF_permit_access);

	/* From a grant into our own frame, and back into a writable grant. */
	CHECK_EQ(copy(60, 0, 10, b, DOMID_SELF, 20, 30, GNTCOPY_source_gref), GNTST_okay);
	CHECK_EQ(frames[b].data[20], 0xab);
	CHECK_EQ(frames[b].data[49], 0xab);
	CHECK_EQ(frames[b].data[50], 0);
	CHECK_EQ(frames[b].data[19], 0);
	CHECK_EQ(copy(b, DOMID_SELF, 20, 61, 0, 0, 30, GNTCOPY_dest_gref), GNTST_okay);
	CHECK_EQ(frames[t].data[29], 0xab);
	CHECK_EQ(gflags(dom0, 60), 0);
	CHECK_EQ(gflags(dom0, 61), 0);
	CHECK_EQ(frames[a].count, 1);
	CHECK_EQ(frames[t].wcount, 0);
	/* Same grant as both sides; a zero-length copy. */
	CHECK_EQ(copy(61, 0, 0, 61, 0, 100, 50, GNTCOPY_source_gref | GNTCOPY_dest_gref),
		 GNTST_okay);
	CHECK_EQ(frames[t].data[129], 0xab);
	CHECK_EQ(copy(60, 0, 0, b, DOMID_SELF, 0, 0, GNTCOPY_source_gref), GNTST_okay);

	/* Every refusal with its status; nothing left pinned or referenced. */
	CHECK_EQ(copy(60, 0, 0, 60, 0, 0, 8, GNTCOPY_source_gref | GNTCOPY_dest_gref),
		 GNTST_general_error);                       /* read-only grant as destination */
	CHECK_EQ(copy(60, 0, 4090, b, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_bad_copy_arg);
	CHECK_EQ(copy(60, 0, 0, b, DOMID_SELF, 4089, 8, GNTCOPY_source_gref), GNTST_bad_copy_arg);
	CHECK_EQ(copy(60, 0, 0xffff, b, DOMID_SELF, 0, 0xffff, GNTCOPY_source_gref),
		 GNTST_bad_copy_arg);
	CHECK_EQ(copy(600, 0, 0, b, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_bad_gntref);
	CHECK_EQ(copy(60, 0x7fe0, 0, b, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_bad_domain);
	CHECK_EQ(copy(60, 0, 0, b, 1, 0, 8, GNTCOPY_source_gref), GNTST_permission_denied);
	CHECK_EQ(copy(a, 0, 0, b, DOMID_SELF, 0, 8, 0), GNTST_permission_denied);
	CHECK_EQ(copy(a, DOMID_SELF, 0, b, DOMID_SELF, 0, 8, 0), GNTST_bad_page);
	CHECK_EQ(copy(60, 0, 0, NOT_RAM, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_bad_page);
	frames[b].table = true;
	CHECK_EQ(copy(60, 0, 0, b, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_general_error);
	frames[b].table = false;
	grant(dom0, 62, dom2->id, a, GTF_permit_access);
	CHECK_EQ(copy(62, 0, 0, b, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_general_error);
	grant(dom0, 62, domu->id, NOT_RAM, GTF_permit_access);
	CHECK_EQ(copy(62, 0, 0, b, DOMID_SELF, 0, 8, GNTCOPY_source_gref), GNTST_bad_page);
	CHECK_EQ(gflags(dom0, 60), 0);
	CHECK_EQ(gflags(dom0, 62), 0);
	CHECK_EQ(frames[a].count, 1);
	CHECK_EQ(frames[b].count, 1);
	CHECK_EQ(frames[b].wcount, 0);
	CHECK_EQ(dom0->refcount, 1);
}

CASE(copy_batch_statuses)
{
	u64 a = data_mfn(dom0, 0), b = data_mfn(domu, 0);
	struct gnttab_copy ops[3];

	grant(dom0, 70, domu->id, a, GTF_permit_access);
	memset(frames[a].data, 0x42, 16);
	for (int i = 0; i < 3; i++) {
		ops[i] = (struct gnttab_copy){ .len = 4, .flags = GNTCOPY_source_gref, .status = 99 };
		ops[i].source.u.ref = 70;
		ops[i].source.domid = 0;
		ops[i].dest.u.gmfn = b;
		ops[i].dest.domid = DOMID_SELF;
		ops[i].dest.offset = (u16)(8 * i);
	}
	ops[1].source.u.ref = 9999;
	CHECK_EQ(gop(GNTTABOP_copy, ops, 3), 0);
	CHECK_EQ(ops[0].status, GNTST_okay);
	CHECK_EQ(ops[1].status, GNTST_bad_gntref);
	CHECK_EQ(ops[2].status, GNTST_okay);
	CHECK_EQ(frames[b].data[16], 0x42);
	CHECK_EQ(frames[b].data[8], 0);
}

/* ---- teardown ---- */

CASE(release_and_destroy)
{
	u64 m = data_mfn(dom0, 2);
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	u64 list[1];
	u32 h;

	for (grant_ref_t r = 80; r < 83; r++)
		grant(dom0, r, domu->id, m, GTF_permit_access);
	for (int i = 0; i < 300; i++)
		CHECK_EQ(map(0, 80 + i / 100, GNTMAP_host_map | GNTMAP_readonly, i, &h), GNTST_okay);
	CHECK_EQ(gflags(dom0, 80), GTF_reading);
	/* dom0 cannot go while domU maps its grant. */
	CHECK_EQ(grant_table_destroy(dom0), -EBUSY);
	/* Bounded: several calls. */
	CHECK_EQ(grant_table_release(domu), -EAGAIN);
	while (grant_table_release(domu) == -EAGAIN)
		;
	CHECK_EQ(gflags(dom0, 80), 0);
	CHECK_EQ(dom0->refcount, 1);
	/* The PTEs stay (the dying domain's page tables go on their own) with their references. */
	CHECK_EQ(frames[m].count, 1 + 300);
	for (int i = 0; i < 300; i++)
		pte_drop(ptes[i]);
	memset(ptes, 0, sizeof(ptes));

	/* A table frame still mapped by someone: destroy waits, then finishes. */
	as(domu);
	st.frame_list = (pv_gva_t)(uintptr_t)list;
	CHECK_EQ(gop(GNTTABOP_setup_table, &st, 1), 0);
	frames[list[0]].count++;
	CHECK_EQ(grant_table_destroy(domu), -EBUSY);
	CHECK_EQ(grant_table_destroy(domu), -EBUSY);
	frames[list[0]].count--;
	CHECK_EQ(grant_table_destroy(domu), 0);
	CHECK_EQ(frames[list[0]].owner, FRAME_OWNER_NONE);
	CHECK_EQ(grant_table_init(domu, 1, 1), 0);
}

/* ---- two CPUs on one grant ---- */

struct hammer {
	struct domain *d;
	unsigned int slot_base;
	int failures;
};

static void *hammer(void *arg)
{
	struct hammer *hm = arg;

	cur = hm->d->vcpus[0];
	for (int i = 0; i < 20000; i++) {
		unsigned int slot = hm->slot_base + (i % 4);
		u32 h;
		u32 fl = GNTMAP_host_map | (i % 3 ? GNTMAP_readonly : 0);

		if (map(0, 90, fl, slot, &h) != GNTST_okay) {
			hm->failures++;
			continue;
		}
		if (unmap(va(slot), 0, h) != GNTST_okay)
			hm->failures++;
		if (copy(90, 0, 0, data_mfn(hm->d, 1), DOMID_SELF, 0, 8, GNTCOPY_source_gref) !=
		    GNTST_okay)
			hm->failures++;
	}
	return NULL;
}

CASE(two_cpus_one_grant)
{
	u64 m = data_mfn(dom0, 3);
	struct hammer a = { .d = domu, .slot_base = 0 }, b = { .d = domu, .slot_base = 8 };
	pthread_t ta, tb;

	grant(dom0, 90, domu->id, m, GTF_permit_access);
	REQUIRE_EQ(pthread_create(&ta, NULL, hammer, &a), 0);
	REQUIRE_EQ(pthread_create(&tb, NULL, hammer, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ(a.failures, 0);
	CHECK_EQ(b.failures, 0);
	CHECK_EQ(gflags(dom0, 90), 0);
	CHECK_EQ(frames[m].count, 1);
	CHECK_EQ(frames[m].wcount, 0);
}

/* ---- destruction against a CPU inside the table ---- */

struct destroyer {
	struct domain *d;
	int rc;
	bool done;
};

static void *destroy_table(void *arg)
{
	struct destroyer *ds = arg;

	ds->rc = grant_table_destroy(ds->d);
	__atomic_store_n(&ds->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *copy_from_dom2(void *arg)
{
	s16 *status = arg;

	cur = domu->vcpus[0];
	*status = copy(100, dom2->id, 0, data_mfn(domu, 2), DOMID_SELF, 0, 8, GNTCOPY_source_gref);
	return NULL;
}

/*
 * A dying granter's table may go while another CPU still works in it
 * with no pin counted (a copy taking its first pin; an unpin that has
 * lowered the count but not yet settled the flags and unlocked): destroy
 * must wait for that CPU to leave the table lock, then see its pin.
 */
CASE(destroy_waits_for_a_cpu_in_the_table)
{
	u64 m = data_mfn(dom2, 0);
	struct destroyer ds = { .d = dom2 };
	pthread_t tc, td;
	s16 status = 99;

	memset(frames[m].data, 0x5a, 8);
	grant(dom2, 100, domu->id, m, GTF_permit_access | GTF_readonly);
	gate_dom = dom2;
	REQUIRE_EQ(pthread_create(&tc, NULL, copy_from_dom2, &status), 0);
	for (int i = 0; i < 5000 && !__atomic_load_n(&gate_inside, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	REQUIRE(__atomic_load_n(&gate_inside, __ATOMIC_SEQ_CST));
	REQUIRE_EQ(pthread_create(&td, NULL, destroy_table, &ds), 0);
	for (int i = 0; i < 200 && !__atomic_load_n(&ds.done, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	if (!CHECK_MSG(!__atomic_load_n(&ds.done, __ATOMIC_SEQ_CST),
		       "d2's table was destroyed (rc %d) while a copy was inside it", ds.rc)) {
		/* Going on would have the copy use freed memory: it stays at the gate. */
		pthread_detach(tc);
		pthread_join(td, NULL);
		return;
	}
	__atomic_store_n(&gate_open, true, __ATOMIC_SEQ_CST);
	pthread_join(tc, NULL);
	pthread_join(td, NULL);
	CHECK_EQ(status, GNTST_okay);
	/* The copy's pin held it off; 0 only if destroy got the lock after the copy had ended. */
	CHECK_MSG(ds.rc == -EBUSY || ds.rc == 0, "destroy returned %d", ds.rc);
	CHECK_EQ(frames[m].count, 1);
	CHECK_EQ(frames[data_mfn(domu, 2)].data[7], 0x5a);
}

int main(void)
{
	RUN(setup_and_query);
	RUN(versions_and_commands);
	RUN(init_limits_case);
	RUN(map_unmap_refs_and_flags);
	RUN(flags_follow_pins);
	RUN(device_and_host_together);
	RUN(hostile_maps);
	RUN(pinned_entry_is_what_counts);
	RUN(pin_counter_limit);
	RUN(maptrack_runs_out);
	RUN(unmap_batches_flush_before_release);
	RUN(batches_continue);
	RUN(zapped_pte_keeps_handle_accounted);
	RUN(self_grants);
	RUN(copies);
	RUN(copy_batch_statuses);
	RUN(release_and_destroy);
	RUN(two_cpus_one_grant);
	RUN(destroy_waits_for_a_cpu_in_the_table);
	return check_done();
}
