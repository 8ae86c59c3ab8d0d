/*
 * Grant operations racing the destruction of the granter (run with 2 and
 * 4 vCPUs). Each round dom0 creates a bare domU (never run), gives it a
 * few pages and writes two grant entries for dom0 into its table: ref 1
 * (a page to map) and ref 2 (a page to copy from), each page filled with
 * its own pattern. vCPUs 1.. keep mapping ref 1 (reading it through the
 * mapping, then unmapping it) and copying from ref 2, while vCPU 0
 * destroys the domU and destroys it again until it is gone (a mapping
 * alive at the first destroy leaves it a zombie until it is unmapped).
 *
 * Every map and copy must answer GNTST_okay (with the granter's data) or
 * GNTST_bad_domain (once the domU is dying), every mapping made must
 * unmap with GNTST_okay, the domU must go each round, and the memory
 * must all come back. The runner checks that the hypervisor logged no
 * panic or exception meanwhile: a use of freed grant-table memory would
 * most likely show as one.
 */
#include <string.h>

#include <pv/domctl.h>
#include <pv/memory.h>
#include <pv/sysctl.h>

#include "check.h"
#include "cmdline.h"
#include "domu_build.h"
#include "mmu.h"

#define MS 1000000ULL
#define ROUNDS 24
#define OPS_BEFORE 16              /* per worker, before the destroy starts */
#define OPS_AFTER 8                /* per worker, once the domU is gone */
#define MAP_REF 1
#define COPY_REF 2
#define MAP_BYTE 0xa7
#define COPY_BYTE 0xc5
#define COPY_LEN 64
#define HOLD_NS 300000ULL         /* how long a worker keeps a mapping */

static uint8_t win[PV_MAX_VCPUS][PAGE] __attribute__((aligned(PAGE)));  /* map targets */
static uint8_t buf[PV_MAX_VCPUS][PAGE] __attribute__((aligned(PAGE)));  /* copy targets */
static volatile domid_t target;
static volatile unsigned int phase;  /* odd: a round is on; even: idle; ~0: the end */
static unsigned int nr;

/* What each worker saw, over all rounds. */
static struct {
	unsigned int ops, acked_phase;
	unsigned int map_ok, map_dying, map_odd, unmap_bad, map_data_bad;
	unsigned int copy_ok, copy_dying, copy_odd, copy_data_bad;
} seen[PV_MAX_VCPUS];

static long gnttab(unsigned int cmd, void *op)
{
	return HYPERVISOR_grant_table_op(cmd, op, 1);
}

/* Maps ref 1 of dom at win[w]: the handle, or -1 if there is no mapping. */
static long map_in(unsigned int w, domid_t dom)
{
	struct gnttab_map_grant_ref m = { .host_addr = va_of(win[w]), .flags = GNTMAP_host_map,
					  .ref = MAP_REF, .dom = dom, .status = 99 };

	if (gnttab(GNTTABOP_map_grant_ref, &m) || (m.status && m.status != GNTST_bad_domain)) {
		seen[w].map_odd++;
		return -1;
	}
	if (m.status == GNTST_bad_domain) {
		seen[w].map_dying++;
		return -1;
	}
	seen[w].map_ok++;
	return m.handle;
}

static void unmap_out(unsigned int w, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref u = { .host_addr = va_of(win[w]), .handle = handle,
					    .status = 99 };

	seen[w].map_data_bad += *(volatile uint8_t *)win[w] != MAP_BYTE;
	if (gnttab(GNTTABOP_unmap_grant_ref, &u) || u.status != GNTST_okay)
		seen[w].unmap_bad++;
}

static void copy_in(unsigned int w, domid_t dom)
{
	struct gnttab_copy c = { .flags = GNTCOPY_source_gref, .len = COPY_LEN, .status = 99 };

	memset(buf[w], 0, COPY_LEN);
	c.source.u.ref = COPY_REF;
	c.source.domid = dom;
	c.dest.u.gmfn = mfn_of(buf[w]);
	c.dest.domid = DOMID_SELF;
	if (gnttab(GNTTABOP_copy, &c) || (c.status && c.status != GNTST_bad_domain)) {
		seen[w].copy_odd++;
	} else if (c.status == GNTST_bad_domain) {
		seen[w].copy_dying++;
	} else {
		seen[w].copy_ok++;
		seen[w].copy_data_bad += buf[w][COPY_LEN - 1] != COPY_BYTE;
	}
}

static void worker(void *arg)
{
	unsigned int w = (unsigned int)(uintptr_t)arg;

	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, w, NULL);
	/* Mappings go into an empty slot. */
	uvm(win[w], 0);
	for (;;) {
		unsigned int p = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);

		if (p == ~0u)
			break;
		if (!(p & 1)) {
			__atomic_store_n(&seen[w].acked_phase, p, __ATOMIC_RELEASE);
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		/* The mapping lives a while, across copies, so destroys often meet one. */
		long handle = map_in(w, target);
		uint64_t until = pv_time_ns() + HOLD_NS;

		do
			copy_in(w, target);
		while (handle >= 0 && pv_time_ns() < until);
		if (handle >= 0)
			unmap_out(w, (grant_handle_t)handle);
		__atomic_fetch_add(&seen[w].ops, 1, __ATOMIC_RELEASE);
	}
	uvm(win[w], (mfn_of(win[w]) << 12) | PTE_RW_FLAGS);
	__atomic_store_n(&seen[w].acked_phase, ~0u, __ATOMIC_RELEASE);
}

/* Waits until every worker has done `more` operations since snap[]; false on a timeout. */
static bool workers_did(const unsigned int *snap, unsigned int more)
{
	uint64_t give_up = pv_time_ns() + 20000 * MS;

	for (unsigned int w = 1; w < nr; w++)
		while (__atomic_load_n(&seen[w].ops, __ATOMIC_ACQUIRE) - snap[w] < more)
			if (pv_time_ns() > give_up)
				return false;
			else
				HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	return true;
}

/* Waits until every worker has seen phase p; false on a timeout. */
static bool workers_at(unsigned int p)
{
	uint64_t give_up = pv_time_ns() + 20000 * MS;

	for (unsigned int w = 1; w < nr; w++)
		while (__atomic_load_n(&seen[w].acked_phase, __ATOMIC_ACQUIRE) != p)
			if (pv_time_ns() > give_up)
				return false;
			else
				HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	return true;
}

static long domctl(struct xen_domctl *op)
{
	op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	return HYPERVISOR_domctl(op);
}

static uint64_t free_pages(void)
{
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_physinfo,
				 .interface_version = XEN_SYSCTL_INTERFACE_VERSION };

	return HYPERVISOR_sysctl(&op) ? 0 : op.u.physinfo.free_pages;
}

static long destroy(domid_t id)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_destroydomain, .domain = id };

	return domctl(&op);
}

/* Whether domain id is gone: getdomaininfo names the next one up, or none. */
static bool gone(domid_t id)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = id };

	return domctl(&op) == -XEN_ESRCH || op.domain != id;
}

/* Writes entry ref of the domU's table (mapped at the foreign window): domid, frame, then flags. */
static void grant_entry(grant_ref_t ref, uint64_t mfn)
{
	struct grant_entry_v1 *e = (struct grant_entry_v1 *)(void *)foreign_window + ref;

	e->domid = 0;
	e->frame = (uint32_t)mfn;
	__atomic_store_n(&e->flags, GTF_permit_access, __ATOMIC_RELEASE);
}

/* Fills the domU's frame mfn with byte: 0 or the foreign mapping's error. */
static long fill(domid_t id, uint64_t mfn, uint8_t byte)
{
	long rc = foreign_map(id, mfn);

	if (!rc)
		memset(foreign_window, byte, PAGE);
	foreign_unmap();
	return rc;
}

/* A domU with ref 1 and ref 2 granted to dom0: 0 and its id, or the first failure. */
static long make_granter(domid_t *id)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain };
	uint64_t mfn[2] = { 0, 1 }, frame = 0;
	struct xen_memory_reservation r = { .extent_start = PV_GVA(mfn), .nr_extents = 2 };
	struct gnttab_setup_table st = { .nr_frames = 1, .frame_list = PV_GVA(&frame) };
	long rc;

	op.u.createdomain.max_vcpus = 1;
	op.u.createdomain.max_evtchn_port = 1023;
	op.u.createdomain.max_grant_frames = 1;
	op.u.createdomain.max_maptrack_frames = 1;
	op.u.createdomain.grant_opts = XEN_DOMCTL_GRANT_version(1);
	if ((rc = domctl(&op)))
		return rc;
	*id = r.domid = st.dom = op.domain;
	op = (struct xen_domctl){ .cmd = XEN_DOMCTL_max_mem, .domain = *id };
	op.u.max_mem.max_memkb = 64;
	if ((rc = domctl(&op)))
		return rc;
	if ((rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &r)) != 2)
		return 1000 + rc;
	if ((rc = fill(*id, mfn[0], MAP_BYTE)) || (rc = fill(*id, mfn[1], COPY_BYTE)))
		return rc;
	if ((rc = gnttab(GNTTABOP_setup_table, &st)) || (rc = st.status))
		return rc;
	/* Written through a foreign mapping, dropped again: it would keep the table alive. */
	rc = foreign_map(*id, frame);
	if (!rc) {
		grant_entry(MAP_REF, mfn[0]);
		grant_entry(COPY_REF, mfn[1]);
	}
	foreign_unmap();
	return rc;
}

int main(void)
{
	unsigned int snap[PV_MAX_VCPUS], made = 0, destroyed = 0, timeouts = 0, destroy_bad = 0;
	uint64_t free_after_first = 0;

	check_guest(GUEST_NAME);
	nr = (unsigned int)cmdline_uint("vcpus=", 2);
	if (!check_eq("gnt_destroy_race.nr_vcpus", nr, pv_nr_vcpus()) || nr < 2 ||
	    nr > PV_MAX_VCPUS || !check_eq("gnt_destroy_race.foreign_window", 1, foreign_init()))
		return check_done();
	for (unsigned int w = 1; w < nr; w++)
		check_eq(name_of("gnt_destroy_race.start[%u]", w), 0,
			 pv_vcpu_start(w, worker, (void *)(uintptr_t)w));

	for (unsigned int round = 0; round < ROUNDS; round++) {
		domid_t id;
		long rc = make_granter(&id);

		if (rc) {
			check_eq(name_of("gnt_destroy_race.round%u.make_granter", round), 0, rc);
			break;
		}
		made++;
		target = id;
		for (unsigned int w = 1; w < nr; w++)
			snap[w] = __atomic_load_n(&seen[w].ops, __ATOMIC_ACQUIRE);
		__atomic_store_n(&phase, 2 * round + 1, __ATOMIC_RELEASE);
		timeouts += !workers_did(snap, OPS_BEFORE);
		/* Destroy while they go on; again while a mapping keeps it a zombie. */
		for (uint64_t give_up = pv_time_ns() + 20000 * MS; !gone(id);) {
			if ((rc = destroy(id)) || pv_time_ns() > give_up) {
				destroy_bad += rc != 0;
				break;
			}
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		}
		destroyed += gone(id);
		for (unsigned int w = 1; w < nr; w++)
			snap[w] = __atomic_load_n(&seen[w].ops, __ATOMIC_ACQUIRE);
		timeouts += !workers_did(snap, OPS_AFTER);
		__atomic_store_n(&phase, 2 * round + 2, __ATOMIC_RELEASE);
		timeouts += !workers_at(2 * round + 2);
		if (round == 0)
			free_after_first = free_pages();
	}
	__atomic_store_n(&phase, ~0u, __ATOMIC_RELEASE);
	timeouts += !workers_at(~0u);

	check_eq("gnt_destroy_race.granters_made", ROUNDS, made);
	check_eq("gnt_destroy_race.destroys_ok", 0, destroy_bad);
	check_eq("gnt_destroy_race.granters_gone", made, destroyed);
	check_eq("gnt_destroy_race.workers_answered", 0, timeouts);
	check_eq("gnt_destroy_race.memory_back", (long long)free_after_first, (long long)free_pages());
	for (unsigned int w = 1; w < nr; w++) {
		check_eq(name_of("gnt_destroy_race.w%u.map_status_sane", w), 0, seen[w].map_odd);
		check_eq(name_of("gnt_destroy_race.w%u.copy_status_sane", w), 0, seen[w].copy_odd);
		check_eq(name_of("gnt_destroy_race.w%u.unmaps_ok", w), 0, seen[w].unmap_bad);
		check_eq(name_of("gnt_destroy_race.w%u.map_data", w), 0, seen[w].map_data_bad);
		check_eq(name_of("gnt_destroy_race.w%u.copy_data", w), 0, seen[w].copy_data_bad);
		/* Both sides of the race were reached: live granters, and dying or gone ones. */
		check_eq(name_of("gnt_destroy_race.w%u.saw_live", w), 1,
			 seen[w].map_ok && seen[w].copy_ok);
		check_eq(name_of("gnt_destroy_race.w%u.saw_dying", w), 1,
			 seen[w].map_dying && seen[w].copy_dying);
	}
	return check_done();
}
