/*
 * domctl (36) and sysctl (35), the toolstack's hypercalls, driven the way
 * a toolstack in dom0 drives them (pv-abi-notes 4.5): this guest, booted
 * as dom0, builds a domU from a libpv image and runs it to its end, over
 * and over, and checks every answer against Xen 4.17's (xen/common/
 * domctl.c, sysctl.c, domain.c): -EACCES for another interface version,
 * -ESRCH for no such domain, -EEXIST for an id in use, -EINVAL for what a
 * domain or vCPU cannot take, -ENODATA for a vCPU without a context.
 *
 * The domU image is this very file's image, given as the second boot
 * module (tests/conformance/run.py): booted without SIF_INITDOMAIN it
 * runs domu_main() instead, as a domU would. Building one is libxc's
 * sequence (lib/domu_build.c does the writing): createdomain, max_mem,
 * populate_physmap for the new domain, the image, start_info, p2m and
 * bootstrap page tables written through foreign mappings (mmu_update
 * with foreigndom), the L4 pinned with foreigndom, an event channel
 * allocated in the domU for dom0 to bind, a grant table seeded,
 * setvcpucontext for each vCPU, unpausedomain.
 * Extra vCPUs spin on counters in a page dom0 can map, which is how the
 * pause checks see that a paused vCPU really stopped. Every life ends in
 * destroydomain, and free_pages (sysctl physinfo) must then be exactly
 * what it was before the first domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/domctl.h>
#include <pv/memory.h>
#include <pv/sysctl.h>

#include "check.h"
#include "domu_build.h"

#define PAGE 4096UL
#define VIRT_BASE LIBPV_VIRT_BASE
#define NO_DOMAIN 0x7fe0
#define CYCLES 20
#define REPORT_MAGIC 0x646f6d55u   /* "domU" */
#define SEC 1000000000ULL

/* What a domU writes for dom0 into its report page (the first 64 bytes; counters follow). */
struct domu_report {
	uint32_t magic;
	int32_t domctl_rc;         /* a domU calling domctl: -EPERM */
	int32_t sysctl_rc;         /* and sysctl */
	uint32_t go_seen;          /* dom0's event arrived */
	int32_t remote_rc;         /* a domU shutting dom0 down (SCHEDOP_remote_shutdown): -EPERM */
};

/* ------------------------------------------------------------------ the domU side */

static bool port_pending(evtchn_port_t port)
{
	return (__atomic_load_n(&pv_shared_info->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) >>
		(port % 64)) & 1;
}

/* Waits (events masked, SCHEDOP_poll) until port is pending, at most timeout_ns; clears it. */
static bool wait_port(evtchn_port_t port, uint64_t timeout_ns)
{
	uint64_t end = pv_time_ns() + timeout_ns;

	while (!port_pending(port)) {
		struct sched_poll p = { .ports = PV_GVA(&port), .nr_ports = 1 };
		uint64_t now = pv_time_ns();

		if (now >= end)
			return false;
		p.timeout = now + 50000000ULL < end ? now + 50000000ULL : end;
		HYPERVISOR_sched_op(SCHEDOP_poll, &p);
	}
	__atomic_fetch_and(&pv_shared_info->evtchn_pending[port / 64], ~(1UL << (port % 64)),
			   __ATOMIC_SEQ_CST);
	return true;
}

static unsigned long cmdline_value(const char *key)
{
	const char *p = strstr(pv_start_info->cmd_line, key);

	return p ? strtoul(p + strlen(key), NULL, 0) : 0;
}

/*
 * A domU built by the dom0 half below: tries the toolstack's hypercalls,
 * waits for dom0's event, says hello on the console (the hypervisor
 * prefixes "(dN) "), reports, and ends as told (poweroff or crash).
 */
static int domu_main(void)
{
	struct domu_report *r = (struct domu_report *)cmdline_value("report=");
	evtchn_port_t go = (evtchn_port_t)cmdline_value("go=");
	struct xen_domctl dc = { .cmd = XEN_DOMCTL_getdomaininfo,
				 .interface_version = XEN_DOMCTL_INTERFACE_VERSION };
	struct xen_sysctl sc = { .cmd = XEN_SYSCTL_physinfo,
				 .interface_version = XEN_SYSCTL_INTERFACE_VERSION };
	struct sched_remote_shutdown dom0_off = { .domain_id = 0, .reason = SHUTDOWN_poweroff };
	char line[80];
	int n;

	if (!r || !pv_shared_info)
		return 1;
	r->domctl_rc = (int32_t)HYPERVISOR_domctl(&dc);
	r->sysctl_rc = (int32_t)HYPERVISOR_sysctl(&sc);
	r->remote_rc = (int32_t)HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &dom0_off);
	r->go_seen = go && wait_port(go, 600 * SEC);
	/*
	 * One console write for the line (the hypervisor prefixes each write),
	 * while dom0 waits for us and prints nothing.
	 */
	n = snprintf(line, sizeof(line), "domU %lu: hello from a domain dom0 built\n",
		     cmdline_value("domid="));
	pv_console_write(line, (size_t)n);
	__atomic_store_n(&r->magic, REPORT_MAGIC, __ATOMIC_SEQ_CST);
	if (strstr(pv_start_info->cmd_line, "end=crash"))
		pv_shutdown(SHUTDOWN_crash);
	return 0;
}

/* ------------------------------------------------------------------ dom0: hypercall helpers */

static long domctl(struct xen_domctl *op)
{
	op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	return HYPERVISOR_domctl(op);
}

static long sysctl(struct xen_sysctl *op)
{
	op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
	return HYPERVISOR_sysctl(op);
}

static long dom_op(uint32_t cmd, domid_t dom)
{
	struct xen_domctl op = { .cmd = cmd, .domain = dom };

	return domctl(&op);
}

static long domain_info(domid_t dom, struct xen_domctl_getdomaininfo *info)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = dom };
	long rc = domctl(&op);

	*info = op.u.getdomaininfo;
	return rc;
}

static long vcpu_info(domid_t dom, uint32_t vcpu, struct xen_domctl_getvcpuinfo *out)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpuinfo, .domain = dom };
	long rc;

	op.u.getvcpuinfo.vcpu = vcpu;
	rc = domctl(&op);
	*out = op.u.getvcpuinfo;
	return rc;
}

static uint64_t free_pages(void)
{
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_physinfo };

	return sysctl(&op) ? 0 : op.u.physinfo.free_pages;
}

/* createdomain: 0 and the id, or -errno. */
static long create(domid_t want, uint32_t vcpus, domid_t *id)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain, .domain = want };
	long rc;

	op.u.createdomain.max_vcpus = vcpus;
	op.u.createdomain.max_evtchn_port = 1023;
	op.u.createdomain.max_grant_frames = 4;
	op.u.createdomain.max_maptrack_frames = 16;
	op.u.createdomain.grant_opts = XEN_DOMCTL_GRANT_version(1);
	memcpy(op.u.createdomain.handle, "mica-domctl-test", 16);
	rc = domctl(&op);
	if (id)
		*id = op.domain;
	return rc;
}

static long max_mem(domid_t dom, uint64_t kb)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_max_mem, .domain = dom };

	op.u.max_mem.max_memkb = kb;
	return domctl(&op);
}

/* Destroys dom, checking it goes (the domctl continues itself until it is done). */
static long destroy(domid_t dom)
{
	return dom_op(XEN_DOMCTL_destroydomain, dom);
}

static long evtchn_status(domid_t dom, evtchn_port_t port, struct evtchn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->dom = dom;
	st->port = port;
	return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

static void sleep_ns(uint64_t ns, evtchn_port_t idle_port)
{
	uint64_t end = pv_time_ns() + ns;

	while (pv_time_ns() < end) {
		struct sched_poll p = { .ports = PV_GVA(&idle_port), .nr_ports = 1, .timeout = end };

		HYPERVISOR_sched_op(SCHEDOP_poll, &p);
	}
}

/* ------------------------------------------------------------------ dom0: building */

/* A domU's life as this test leads it; its spare page 0 is the report page, 1 the hypercall page. */
struct life {
	struct domu b;
	unsigned int vcpus;
	bool crash;                /* told to end with SHUTDOWN_crash */
	evtchn_port_t dom0_port;   /* ours, bound to the domU's console port */
};

#define REPORT_PFN(l) ((l)->b.spare_pfn)
#define HCALL_PFN(l) ((l)->b.spare_pfn + 1)

static struct life dom;
static struct vcpu_guest_context vctx;
static struct xen_domctl_getvcpuinfo vinfo;

static long get_context(domid_t id, unsigned int vcpu, struct vcpu_guest_context *c)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpucontext, .domain = id };

	memset(c, 0, sizeof(*c));
	op.u.vcpucontext.vcpu = vcpu;
	op.u.vcpucontext.ctxt = PV_GVA(c);
	return domctl(&op);
}

/*
 * Everything up to unpausedomain, each step checked under prefix.
 * Returns false (after a FAIL line) when the domain cannot be started.
 */
static bool build(struct life *l, const char *prefix)
{
	struct domu *b = &l->b;
	struct evtchn_alloc_unbound au = { .dom = b->id, .remote_dom = 0 };
	struct evtchn_bind_interdomain bi = { .remote_dom = b->id };
	struct xen_domctl_getdomaininfo info;
	char cmdline[128];

	if (!check_eq(name_of("%s.layout_fits", prefix), 1, domu_plan(b)) ||
	    !check_eq(name_of("%s.max_mem", prefix), 0, max_mem(b->id, DOMU_PAGES * 4)) ||
	    !check_eq(name_of("%s.populate_physmap", prefix), DOMU_PAGES,
		      domu_populate(b, DOMU_PAGES)) ||
	    !check_eq(name_of("%s.getdomaininfo", prefix), 0, domain_info(b->id, &info)))
		return false;
	b->shared_info_mfn = info.shared_info_frame;
	if (!check_eq(name_of("%s.alloc_unbound_for_domu", prefix), 0,
		      HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au)))
		return false;
	b->console_port = au.port;
	bi.remote_port = au.port;
	if (!check_eq(name_of("%s.bind_interdomain", prefix), 0,
		      HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi)))
		return false;
	l->dom0_port = bi.local_port;
	snprintf(cmdline, sizeof(cmdline), "domid=%u report=%#lx go=%u end=%s", b->id,
		 VIRT_BASE + REPORT_PFN(l) * PAGE, au.port, l->crash ? "crash" : "poweroff");
	if (!check_eq(name_of("%s.load_through_foreign_mappings", prefix), 0,
		      domu_load(b, cmdline)) ||
	    !check_eq(name_of("%s.pin_l4_foreign", prefix), 0, domu_pin_l4(b, b->id)))
		return false;
	if (IMPLEMENTED(grant_table_op))
		check_eq(name_of("%s.grant_seed", prefix), 0, domu_seed_grants(b));
	for (unsigned int v = 0; v < l->vcpus; v++)
		if (!check_eq(name_of("%s.setvcpucontext[%u]", prefix, v), 0,
			      domu_set_context(b, v, &vctx)))
			return false;
	return true;
}

static uint64_t spin_count(struct life *l, unsigned int vcpu)
{
	uint64_t w[8 * DOMU_MAX_VCPUS];

	domu_read(&l->b, REPORT_PFN(l), w, sizeof(w));
	return w[8 * vcpu];
}

/* ------------------------------------------------------------------ dom0: the checks */

static evtchn_port_t dom_exc;      /* VIRQ_DOM_EXC */
static evtchn_port_t idle_port;    /* never raised: sleep_ns polls it */
static uint64_t free_before;

static void version_and_errors(void)
{
	struct xen_domctl d = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = 0,
				.interface_version = 0x14 };
	struct xen_sysctl s = { .cmd = XEN_SYSCTL_physinfo, .interface_version = 0x16 };
	struct xen_domctl_getdomaininfo info;

	check_eq("domctl.bad_version_eacces", -XEN_EACCES, HYPERVISOR_domctl(&d));
	check_eq("sysctl.bad_version_eacces", -XEN_EACCES, HYPERVISOR_sysctl(&s));
	check_eq("domctl.null_efault", -XEN_EFAULT, HYPERVISOR_domctl(NULL));
	check_eq("sysctl.null_efault", -XEN_EFAULT, HYPERVISOR_sysctl(NULL));
	check_eq("domctl.unknown_domain_esrch", -XEN_ESRCH, dom_op(XEN_DOMCTL_pausedomain, NO_DOMAIN));
	check_eq("domctl.destroy_unknown_esrch", -XEN_ESRCH, destroy(NO_DOMAIN));
	check_eq("domctl.unknown_cmd_unknown_domain_esrch", -XEN_ESRCH, dom_op(9999, NO_DOMAIN));
	check_eq("domctl.unknown_cmd_enosys", -XEN_ENOSYS, dom_op(9999, 0));
	check_eq("domctl.set_target_enosys", -XEN_ENOSYS, dom_op(XEN_DOMCTL_set_target, 0));
	s.interface_version = XEN_SYSCTL_INTERFACE_VERSION;
	s.cmd = 9999;
	check_eq("sysctl.unknown_cmd_enosys", -XEN_ENOSYS, HYPERVISOR_sysctl(&s));
	check_eq("domctl.pause_self_einval", -XEN_EINVAL, dom_op(XEN_DOMCTL_pausedomain, 0));
	check_eq("domctl.destroy_self_einval", -XEN_EINVAL, destroy(0));

	/* 4.17: getdomaininfo of a free id answers for the next domain up, if any. */
	check_eq("domctl.getdomaininfo.dom0", 0, domain_info(0, &info));
	check_eq("domctl.getdomaininfo.dom0.domain", 0, info.domain);
	check_eq("domctl.getdomaininfo.dom0.max_vcpu_id_ge0", 1, info.max_vcpu_id != ~0u);
	check_eq("domctl.getdomaininfo.dom0.online", 1, info.nr_online_vcpus >= 1);
	check_eq("domctl.getdomaininfo.dom0.tot_pages", pv_start_info->nr_pages, info.tot_pages);
	check_hex("domctl.getdomaininfo.dom0.shared_info_frame", pv_start_info->shared_info >> 12,
		  info.shared_info_frame);
	check_bits("domctl.getdomaininfo.dom0.running_not_paused",
		   XEN_DOMINF_running | XEN_DOMINF_paused | XEN_DOMINF_dying | XEN_DOMINF_shutdown,
		   XEN_DOMINF_running, info.flags);
	check_eq("domctl.getdomaininfo.free_id_none_above_esrch", -XEN_ESRCH, domain_info(1, &info));
	check_eq("domctl.getdomaininfo.reserved_id_einval", -XEN_EINVAL,
		 domain_info(DOMID_SELF, &info));
}

static void createdomain_errors(void)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain, .domain = 5 };
	struct xen_domctl_createdomain *c = &op.u.createdomain;
	const struct { const char *name; uint32_t flags, vcpus, grant_opts, emu; long rc; } bad[] = {
		{ "no_vcpus_einval", 0, 0, 1, 0, -XEN_EINVAL },
		{ "too_many_vcpus_einval", 0, 65, 1, 0, -XEN_EINVAL },
		{ "hvm_einval", XEN_DOMCTL_CDF_hvm, 1, 1, 0, -XEN_EINVAL },
		{ "iommu_einval", XEN_DOMCTL_CDF_iommu, 1, 1, 0, -XEN_EINVAL },
		{ "unknown_flag_einval", 1u << 20, 1, 1, 0, -XEN_EINVAL },
		{ "grant_v2_einval", 0, 1, 2, 0, -XEN_EINVAL },
		{ "emulation_eopnotsupp", 0, 1, 1, 1, -XEN_EOPNOTSUPP },
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(c, 0, sizeof(*c));
		c->flags = bad[i].flags;
		c->max_vcpus = bad[i].vcpus;
		c->grant_opts = bad[i].grant_opts;
		c->max_grant_frames = -1;
		c->max_maptrack_frames = -1;
		c->arch.emulation_flags = bad[i].emu;
		check_eq(name_of("domctl.createdomain.%s", bad[i].name), bad[i].rc, domctl(&op));
	}
	check_eq("domctl.createdomain.failures_leak_nothing", (long long)free_before,
		 (long long)free_pages());
}

/*
 * SCHEDOP_remote_shutdown from dom0: the argument checks, then a fresh
 * (never started) domain shut down with a reason getdomaininfo reports,
 * and VIRQ_DOM_EXC raised for it.
 */
static long remote_shutdown(domid_t target, uint32_t reason)
{
	struct sched_remote_shutdown rs = { .domain_id = target, .reason = reason };

	return HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs);
}

static void remote_shutdown_checks(void)
{
	struct xen_domctl_getdomaininfo info;
	domid_t id;

	check_eq("sched.remote_shutdown.null_efault", -XEN_EFAULT,
		 HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, NULL));
	check_eq("sched.remote_shutdown.unknown_esrch", -XEN_ESRCH,
		 remote_shutdown(NO_DOMAIN, SHUTDOWN_poweroff));
	check_eq("sched.remote_shutdown.reason_einval", -XEN_EINVAL,
		 remote_shutdown(0, SHUTDOWN_MAX + 1));
	if (!check_eq("sched.remote_shutdown.create", 0, create(0, 1, &id)))
		return;
	check_eq("sched.remote_shutdown.fresh_domain", 0, remote_shutdown(id, SHUTDOWN_reboot));
	check_eq("sched.remote_shutdown.dom_exc", 1, wait_port(dom_exc, 5 * SEC));
	check_eq("sched.remote_shutdown.getdomaininfo", 0, domain_info(id, &info));
	check_hex("sched.remote_shutdown.flags",
		  XEN_DOMINF_shutdown | SHUTDOWN_reboot << XEN_DOMINF_shutdownshift,
		  info.flags & (XEN_DOMINF_shutdown | 0xff << XEN_DOMINF_shutdownshift));
	check_eq("sched.remote_shutdown.destroy", 0, destroy(id));
	check_eq("sched.remote_shutdown.dom_exc_on_death", 1, wait_port(dom_exc, 5 * SEC));
}

static void sysctl_checks(void)
{
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_physinfo };
	struct xen_sysctl_physinfo *pi = &op.u.physinfo;
	check_eq("sysctl.physinfo", 0, sysctl(&op));
	check_eq("sysctl.physinfo.nr_cpus", (long long)cmdline_value("cpus="), pi->nr_cpus);
	check_eq("sysctl.physinfo.max_cpu_id", pi->nr_cpus - 1, pi->max_cpu_id);
	check_eq("sysctl.physinfo.nr_nodes", 1, pi->nr_nodes);
	check_eq("sysctl.physinfo.free_below_total", 1,
		 pi->free_pages > 0 && pi->free_pages < pi->total_pages);
	check_eq("sysctl.physinfo.dom0_fits", 1,
		 pi->total_pages > pv_start_info->nr_pages + pi->free_pages);
	check_bits("sysctl.physinfo.capabilities_pv", XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_hvm,
		   XEN_SYSCTL_PHYSCAP_pv, pi->capabilities);
	check_eq("sysctl.physinfo.max_mfn_covers_dom0", 1, pi->max_mfn >= pv_pfn_to_mfn(0));
	check_eq("sysctl.physinfo.cpu_khz", 1, pi->cpu_khz > 0);
	/* CPUID 1 EDX: FPU and TSC, which every x86-64 CPU has. */
	check_hex("sysctl.physinfo.hw_cap0_fpu_tsc", 0x11, pi->hw_cap[0] & 0x11);

	memset(&op, 0, sizeof(op));
	op.cmd = XEN_SYSCTL_sched_id;
	check_eq("sysctl.sched_id", 0, sysctl(&op));
	check_eq("sysctl.sched_id.credit", XEN_SCHEDULER_CREDIT, op.u.sched_id.sched_id);
}

/* readconsole: the log, incremental reads, clearing. */
static void readconsole_checks(void)
{
	static char buf[65536];
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_readconsole };
	struct xen_sysctl_readconsole *r = &op.u.readconsole;
	uint32_t end;

	r->buffer = PV_GVA(buf);
	r->count = sizeof(buf) - 1;
	check_eq("sysctl.readconsole", 0, sysctl(&op));
	buf[r->count] = 0;
	check_eq("sysctl.readconsole.has_banner", 1, strstr(buf, "(mica) [") != NULL);
	check_eq("sysctl.readconsole.has_destroy_line", 1, strstr(buf, "d1: destroyed") != NULL);
	end = r->index;

	/* Incremental from where the last read stopped: nothing new. */
	memset(&op, 0, sizeof(op));
	op.cmd = XEN_SYSCTL_readconsole;
	r->incremental = 1;
	r->index = end;
	r->buffer = PV_GVA(buf);
	r->count = sizeof(buf);
	check_eq("sysctl.readconsole.incremental", 0, sysctl(&op));
	check_eq("sysctl.readconsole.incremental_nothing_new", 0, r->count);
	check_eq("sysctl.readconsole.incremental_index_kept", end, r->index);

	/* A small buffer: count is what fit, index where it stopped. */
	memset(&op, 0, sizeof(op));
	op.cmd = XEN_SYSCTL_readconsole;
	r->buffer = PV_GVA(buf);
	r->count = 10;
	check_eq("sysctl.readconsole.small", 0, sysctl(&op));
	check_eq("sysctl.readconsole.small_count", 10, r->count);

	memset(&op, 0, sizeof(op));
	op.cmd = XEN_SYSCTL_readconsole;
	r->buffer = ADDR_UNMAPPED_LOW;
	r->count = 16;
	check_eq("sysctl.readconsole.bad_buffer_efault", -XEN_EFAULT, sysctl(&op));

	/* Clear: reading from the start then gives only what was logged since. */
	memset(&op, 0, sizeof(op));
	op.cmd = XEN_SYSCTL_readconsole;
	r->clear = 1;
	r->buffer = PV_GVA(buf);
	r->count = sizeof(buf);
	check_eq("sysctl.readconsole.clear", 0, sysctl(&op));
	memset(&op, 0, sizeof(op));
	op.cmd = XEN_SYSCTL_readconsole;
	r->buffer = PV_GVA(buf);
	r->count = sizeof(buf);
	check_eq("sysctl.readconsole.after_clear", 0, sysctl(&op));
	check_eq("sysctl.readconsole.after_clear_empty", 0, r->count);

}

static void domaininfolist_checks(domid_t other)
{
	static struct xen_domctl_getdomaininfo list[4];
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_getdomaininfolist };
	struct xen_sysctl_getdomaininfolist *l = &op.u.getdomaininfolist;

	l->first_domain = 0;
	l->max_domains = 4;
	l->buffer = PV_GVA(list);
	check_eq("sysctl.getdomaininfolist", 0, sysctl(&op));
	check_eq("sysctl.getdomaininfolist.num", 2, l->num_domains);
	check_eq("sysctl.getdomaininfolist.first_is_dom0", 0, list[0].domain);
	check_eq("sysctl.getdomaininfolist.second", other, list[1].domain);
	check_eq("sysctl.getdomaininfolist.second_max_vcpu_id", DOMU_MAX_VCPUS - 1,
		 list[1].max_vcpu_id);
	l->first_domain = 1;
	check_eq("sysctl.getdomaininfolist.from1", 0, sysctl(&op));
	check_eq("sysctl.getdomaininfolist.from1_num", 1, l->num_domains);
	l->first_domain = 0;
	l->max_domains = 1;
	check_eq("sysctl.getdomaininfolist.max1", 0, sysctl(&op));
	check_eq("sysctl.getdomaininfolist.max1_num", 1, l->num_domains);
	l->max_domains = 0;
	check_eq("sysctl.getdomaininfolist.max0_num", 0, sysctl(&op) || l->num_domains);
	l->max_domains = 4;
	l->buffer = ADDR_UNMAPPED_LOW;
	check_eq("sysctl.getdomaininfolist.bad_buffer_efault", -XEN_EFAULT, sysctl(&op));
}

/* The pause count: 255 toolstack pauses at most, unpausing below 0 refused. */
static void pause_limit(domid_t id)
{
	long bad = 0;

	/* createdomain left one pause: 254 more reach the limit. */
	for (int i = 0; i < 254; i++)
		bad += dom_op(XEN_DOMCTL_pausedomain, id) != 0;
	check_eq("domctl.pause.nested_254", 0, bad);
	check_eq("domctl.pause.over_255_eoverflow", -XEN_EOVERFLOW,
		 dom_op(XEN_DOMCTL_pausedomain, id));
	bad = 0;
	for (int i = 0; i < 254; i++)
		bad += dom_op(XEN_DOMCTL_unpausedomain, id) != 0;
	check_eq("domctl.pause.unnested_254", 0, bad);
}

/* vCPU contexts, before and after setvcpucontext, and their errors. */
static void context_checks(struct life *l)
{
	struct domu *b = &l->b;
	struct xen_domctl op = { .cmd = XEN_DOMCTL_setvcpucontext, .domain = b->id };

	check_eq("domctl.getvcpucontext.uninitialised_enodata", -XEN_ENODATA,
		 get_context(b->id, 0, &vctx));
	check_eq("domctl.getvcpucontext.no_such_vcpu_einval", -XEN_EINVAL,
		 get_context(b->id, DOMU_MAX_VCPUS, &vctx));
	check_eq("domctl.getvcpucontext.own_vcpu_einval", -XEN_EINVAL, get_context(0, 0, &vctx));
	check_eq("domctl.getvcpuinfo.uninitialised", 0, vcpu_info(b->id, 0, &vinfo));
	check_eq("domctl.getvcpuinfo.uninitialised_down", 0, vinfo.online);
	check_eq("domctl.getvcpuinfo.uninitialised_not_run", 0, vinfo.cpu_time);
	check_eq("domctl.getvcpuinfo.no_such_vcpu_einval", -XEN_EINVAL,
		 vcpu_info(b->id, DOMU_MAX_VCPUS, &vinfo));
	/* Our own vCPU 0 is the one asking: online, on a CPU. */
	check_eq("domctl.getvcpuinfo.own", 0, vcpu_info(0, 0, &vinfo));
	check_eq("domctl.getvcpuinfo.own_online_running", 0x101, vinfo.online << 8 | vinfo.running);
	check_eq("domctl.getvcpuinfo.own_has_run", 1, vinfo.cpu_time > 0);
	op.u.vcpucontext.vcpu = 99;
	op.u.vcpucontext.ctxt = PV_GVA(&vctx);
	check_eq("domctl.setvcpucontext.no_such_vcpu_einval", -XEN_EINVAL, domctl(&op));
	op.u.vcpucontext.vcpu = 0;
	op.u.vcpucontext.ctxt = ADDR_UNMAPPED_LOW;
	check_eq("domctl.setvcpucontext.bad_pointer_efault", -XEN_EFAULT, domctl(&op));
	op.domain = 0;
	op.u.vcpucontext.ctxt = PV_GVA(&vctx);
	check_eq("domctl.setvcpucontext.self_einval", -XEN_EINVAL, domctl(&op));
	/* A context without a page-table root is refused. */
	domu_set_context(b, 0, &vctx);
	vctx.ctrlreg[3] = 0;
	op.domain = b->id;
	check_eq("domctl.setvcpucontext.no_root_einval", -XEN_EINVAL, domctl(&op));
	/* Another domain's frame as the root. */
	vctx.ctrlreg[3] = pv_virt_to_mfn((void *)(uintptr_t)pv_start_info->pt_base) << 12;
	check_eq("domctl.setvcpucontext.foreign_root_einval", -XEN_EINVAL, domctl(&op));
}

static void hypercall_page_checks(struct life *l)
{
	struct domu *b = &l->b;
	struct xen_domctl op = { .cmd = XEN_DOMCTL_hypercall_init, .domain = b->id };
	uint8_t stub36[8];

	op.u.hypercall_init.gmfn = b->mfn[HCALL_PFN(l)];
	check_eq("domctl.hypercall_init", 0, domctl(&op));
	if (foreign_map(b->id, b->mfn[HCALL_PFN(l)]) == 0)
		memcpy(stub36, foreign_window + 36 * 32, sizeof(stub36));
	foreign_unmap();
	/* push %rcx; push %r11; mov $36, ... */
	check_hex("domctl.hypercall_init.stub36", 0x24b8534151ULL,
		  stub36[0] | (uint64_t)stub36[1] << 8 | (uint64_t)stub36[2] << 16 |
			  (uint64_t)stub36[3] << 24 | (uint64_t)stub36[4] << 32);
	op.u.hypercall_init.gmfn = pv_virt_to_mfn(foreign_window);
	check_eq("domctl.hypercall_init.not_its_frame_einval", -XEN_EINVAL, domctl(&op));
	op.u.hypercall_init.gmfn = b->mfn[b->l4_pfn];
	check_eq("domctl.hypercall_init.page_table_eperm", -XEN_EPERM, domctl(&op));
}

static void misc_checks(domid_t id, unsigned int vcpus)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_max_vcpus, .domain = id };

	op.u.max_vcpus.max = vcpus;
	check_eq("domctl.max_vcpus.same", 0, domctl(&op));
	op.u.max_vcpus.max = vcpus + 1;
	check_eq("domctl.max_vcpus.other_einval", -XEN_EINVAL, domctl(&op));
	memset(&op.u, 0, sizeof(op.u));
	op.cmd = XEN_DOMCTL_set_address_size;
	op.u.address_size.size = 64;
	check_eq("domctl.set_address_size.64", 0, domctl(&op));
	op.u.address_size.size = 32;
	check_eq("domctl.set_address_size.32_eopnotsupp", -XEN_EOPNOTSUPP, domctl(&op));
	op.u.address_size.size = 48;
	check_eq("domctl.set_address_size.48_einval", -XEN_EINVAL, domctl(&op));
	memset(&op.u, 0, sizeof(op.u));
	op.cmd = XEN_DOMCTL_settimeoffset;
	op.u.settimeoffset.time_offset_seconds = -3600;
	check_eq("domctl.settimeoffset", 0, domctl(&op));
	memset(&op.u, 0, sizeof(op.u));
	op.cmd = XEN_DOMCTL_setdomainhandle;
	memcpy(op.u.setdomainhandle.handle, "0123456789abcdef", 16);
	check_eq("domctl.setdomainhandle", 0, domctl(&op));
}

/* Waits until vCPU v's counter moves (the vCPU runs): true if it did within a few seconds. */
static bool counter_moves(struct life *l, unsigned int v)
{
	uint64_t start = spin_count(l, v);

	for (int i = 0; i < 100; i++) {
		sleep_ns(20000000ULL, idle_port);
		if (spin_count(l, v) != start)
			return true;
	}
	return false;
}

/* pausedomain and unpausedomain on a running multi-vCPU domain. */
static void pause_checks(struct life *l)
{
	struct domu *b = &l->b;
	struct xen_domctl_getdomaininfo info;
	uint64_t before[DOMU_MAX_VCPUS];
	unsigned int stopped = 0, moving = 0;

	for (unsigned int v = 1; v < l->vcpus; v++)
		moving += counter_moves(l, v);
	check_eq("domctl.running.spinners_count", l->vcpus - 1, moving);
	check_eq("domctl.running.getdomaininfo", 0, domain_info(b->id, &info));
	check_bits("domctl.running.not_paused", XEN_DOMINF_paused | XEN_DOMINF_shutdown |
		   XEN_DOMINF_dying | XEN_DOMINF_blocked, 0, info.flags);
	check_eq("domctl.running.cpu_time", 1, info.cpu_time > 0);

	check_eq("domctl.pause", 0, dom_op(XEN_DOMCTL_pausedomain, b->id));
	/* Paused means off every CPU by the time pausedomain returns. */
	check_eq("domctl.pause.getdomaininfo", 0, domain_info(b->id, &info));
	check_bits("domctl.pause.paused_not_running", XEN_DOMINF_paused | XEN_DOMINF_running,
		   XEN_DOMINF_paused, info.flags);
	for (unsigned int v = 1; v < l->vcpus; v++)
		before[v] = spin_count(l, v);
	sleep_ns(100000000ULL, idle_port);
	for (unsigned int v = 1; v < l->vcpus; v++)
		stopped += spin_count(l, v) == before[v];
	check_eq("domctl.pause.spinners_stopped", l->vcpus - 1, stopped);
	check_eq("domctl.pause.getvcpucontext", 0, get_context(b->id, 1, &vctx));
	check_eq("domctl.pause.getvcpuinfo", 0, vcpu_info(b->id, 1, &vinfo));
	check_eq("domctl.pause.getvcpuinfo_online_not_running", 0x100,
		 vinfo.online << 8 | vinfo.running);
	check_eq("domctl.pause.getvcpuinfo_has_run", 1, vinfo.cpu_time > 0);
	check_eq("domctl.pause.getvcpuinfo_cpu", 1, vinfo.cpu < 64);
	check_eq("domctl.pause.context_in_spin_loop", 1,
		 vctx.user_regs.rip >= (uint64_t)(uintptr_t)domu_spin &&
			 vctx.user_regs.rip < (uint64_t)(uintptr_t)domu_spin + 16);
	check_hex("domctl.pause.context_counter_reg", VIRT_BASE + REPORT_PFN(l) * PAGE + 64,
		  vctx.user_regs.rdi);
	check_eq("domctl.pause.context_root", b->mfn[b->l4_pfn] << 12, vctx.ctrlreg[3]);
	check_eq("domctl.pause.context_online", VGCF_online, vctx.flags & VGCF_online);

	check_eq("domctl.unpause", 0, dom_op(XEN_DOMCTL_unpausedomain, b->id));
	moving = 0;
	for (unsigned int v = 1; v < l->vcpus; v++)
		moving += counter_moves(l, v);
	check_eq("domctl.unpause.spinners_count_again", l->vcpus - 1, moving);
	check_eq("domctl.unpause.at_zero_einval", -XEN_EINVAL,
		 dom_op(XEN_DOMCTL_unpausedomain, b->id));
}

/*
 * One whole life: build, run, let the domU end, destroy. prefix names the
 * checks; full runs every check on the way (the first life only).
 * Returns whether the domain was destroyed.
 */
static bool life(struct life *l, const char *prefix, bool full)
{
	struct domu *b = &l->b;
	struct xen_domctl_getdomaininfo info;
	struct evtchn_status st;
	uint64_t report[4];
	const struct domu_report *r = (const void *)report;
	struct evtchn_send send;
	unsigned int reason = l->crash ? SHUTDOWN_crash : SHUTDOWN_poweroff;
	long rc;
	bool exc;

	if (full) {
		check_eq("domctl.created.getdomaininfo", 0, domain_info(b->id, &info));
		check_eq("domctl.created.domain", b->id, info.domain);
		check_hex("domctl.created.flags_paused_only", XEN_DOMINF_paused, info.flags);
		check_eq("domctl.created.max_vcpu_id", l->vcpus - 1, info.max_vcpu_id);
		check_eq("domctl.created.nr_online_vcpus", 0, info.nr_online_vcpus);
		check_eq("domctl.created.tot_pages", 0, info.tot_pages);
		check_eq("domctl.created.handle", 0, memcmp(info.handle, "mica-domctl-test", 16));
		check_eq("domctl.created.shared_info_frame", 1, info.shared_info_frame != 0);
		check_eq("domctl.createdomain.id_in_use_eexist", -XEN_EEXIST,
			 create(b->id, 1, NULL));
		pause_limit(b->id);
		misc_checks(b->id, l->vcpus);
	}
	if (!build(l, prefix))
		return false;
	if (full) {
		struct xen_memory_reservation over = { .extent_start = PV_GVA(report),
						       .nr_extents = 1, .domid = b->id };

		/* max_mem is the ceiling: one more frame is refused (0 extents done). */
		check_eq("domctl.max_mem.enforced", 0,
			 HYPERVISOR_memory_op(XENMEM_populate_physmap, &over));
		check_eq("domctl.built.getdomaininfo", 0, domain_info(b->id, &info));
		check_eq("domctl.built.tot_pages", DOMU_PAGES, info.tot_pages);
		check_eq("domctl.built.max_pages", DOMU_PAGES, info.max_pages);
		check_eq("domctl.built.nr_online_vcpus", l->vcpus, info.nr_online_vcpus);
		check_hex("domctl.built.flags_paused", XEN_DOMINF_paused, info.flags);
		check_eq("domctl.pin_l4_foreign.again_einval", -XEN_EINVAL, domu_pin_l4(b, b->id));
		check_eq("domctl.getvcpucontext", 0, get_context(b->id, 0, &vctx));
		check_hex("domctl.getvcpucontext.rip", b->entry, vctx.user_regs.rip);
		check_hex("domctl.getvcpucontext.rsi", VIRT_BASE + b->si_pfn * PAGE,
			  vctx.user_regs.rsi);
		check_hex("domctl.getvcpucontext.cs", FLAT_KERNEL_CS, vctx.user_regs.cs);
		check_hex("domctl.getvcpucontext.root", b->mfn[b->l4_pfn] << 12, vctx.ctrlreg[3]);
		check_hex("domctl.getvcpucontext.flags",
			  VGCF_in_kernel | VGCF_online, vctx.flags & (VGCF_in_kernel | VGCF_online));
		hypercall_page_checks(l);
		check_eq("domctl.evtchn.status", 0, evtchn_status(DOMID_SELF, l->dom0_port, &st));
		check_eq("domctl.evtchn.interdomain", EVTCHNSTAT_interdomain, st.status);
		check_eq("domctl.evtchn.peer", b->id, st.u.interdomain.dom);
	}
	if (!check_eq(name_of("%s.unpause", prefix), 0, dom_op(XEN_DOMCTL_unpausedomain, b->id)))
		return false;
	if (full)
		pause_checks(l);

	/*
	 * Let the domU finish: it waits for our event, then prints and shuts
	 * down. We print nothing until it is done, so that its line and the
	 * hypervisor's do not land inside ours (libpv writes a byte at a time).
	 */
	send.port = l->dom0_port;
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
	exc = wait_port(dom_exc, 30 * SEC);
	check_eq(name_of("%s.send_go", prefix), 0, rc);
	check_eq(name_of("%s.dom_exc_on_shutdown", prefix), 1, exc);
	check_eq(name_of("%s.shutdown.getdomaininfo", prefix), 0, domain_info(b->id, &info));
	check_hex(name_of("%s.shutdown.flags", prefix),
		  XEN_DOMINF_shutdown | reason << XEN_DOMINF_shutdownshift,
		  info.flags & (XEN_DOMINF_shutdown | XEN_DOMINF_paused | XEN_DOMINF_dying |
				0xff << XEN_DOMINF_shutdownshift));
	domu_read(b, REPORT_PFN(l), report, sizeof(report));
	check_hex(name_of("%s.domu.reported", prefix), REPORT_MAGIC, r->magic);
	check_eq(name_of("%s.domu.domctl_eperm", prefix), -XEN_EPERM, r->domctl_rc);
	check_eq(name_of("%s.domu.sysctl_eperm", prefix), -XEN_EPERM, r->sysctl_rc);
	check_eq(name_of("%s.domu.remote_shutdown_eperm", prefix), -XEN_EPERM, r->remote_rc);
	check_eq(name_of("%s.domu.event_from_dom0", prefix), 1, r->go_seen);
	if (full)
		domaininfolist_checks(b->id);

	if (!check_eq(name_of("%s.destroy", prefix), 0, destroy(b->id)))
		return false;
	check_eq(name_of("%s.dom_exc_on_death", prefix), 1, wait_port(dom_exc, 5 * SEC));
	check_eq(name_of("%s.gone", prefix), -XEN_ESRCH, dom_op(XEN_DOMCTL_pausedomain, b->id));
	/* Our end of the channel is back to unbound: the peer closed its end. */
	check_eq(name_of("%s.evtchn.peer_closed", prefix), 0,
		 evtchn_status(DOMID_SELF, l->dom0_port, &st));
	check_eq(name_of("%s.evtchn.unbound", prefix), EVTCHNSTAT_unbound, st.status);
	{
		struct evtchn_close c = { .port = l->dom0_port };

		HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
	}
	return true;
}

/*
 * A bystander: a domain whose vCPU 1 spins on another CPU while other
 * domains are built and destroyed, and which is destroyed while it runs.
 */
static struct life bystander;

static bool bystander_start(void)
{
	struct life *l = &bystander;

	memset(l, 0, sizeof(*l));
	l->vcpus = 2;
	return check_eq("domctl.bystander.create", 0, create(0, l->vcpus, &l->b.id)) &&
	       build(l, "domctl.bystander") &&
	       check_eq("domctl.bystander.unpause", 0, dom_op(XEN_DOMCTL_unpausedomain, l->b.id)) &&
	       check_eq("domctl.bystander.spins", 1, counter_moves(l, 1));
}

static void bystander_end(void)
{
	struct life *l = &bystander;
	struct xen_domctl_getdomaininfo info;
	struct evtchn_close c = { .port = l->dom0_port };

	check_eq("domctl.bystander.still_spins", 1, counter_moves(l, 1));
	check_eq("domctl.bystander.running", 0, domain_info(l->b.id, &info));
	check_bits("domctl.bystander.not_shut_down", XEN_DOMINF_shutdown | XEN_DOMINF_paused, 0,
		   info.flags);
	/* Destroyed while it runs, without shutting down first. */
	check_eq("domctl.bystander.destroy_running", 0, destroy(l->b.id));
	check_eq("domctl.bystander.gone", -XEN_ESRCH, dom_op(XEN_DOMCTL_pausedomain, l->b.id));
	check_eq("domctl.bystander.dom_exc_on_death", 1, wait_port(dom_exc, 5 * SEC));
	HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
}

/* A domain that another domain still references stays a zombie until the reference goes. */
static void zombie_checks(void)
{
	struct xen_domctl_getdomaininfo info;
	domid_t id;

	if (!check_eq("domctl.zombie.create", 0, create(0, 1, &id)))
		return;
	dom.b.id = id;
	check_eq("domctl.zombie.max_mem", 0, max_mem(id, 64));
	check_eq("domctl.zombie.populate", 16, domu_populate(&dom.b, 16));
	check_eq("domctl.zombie.map", 0, foreign_map(id, dom.b.mfn[3]));
	check_eq("domctl.zombie.destroy_returns", 0, destroy(id));
	check_eq("domctl.zombie.getdomaininfo", 0, domain_info(id, &info));
	check_eq("domctl.zombie.still_there", id, info.domain);
	check_bits("domctl.zombie.dying", XEN_DOMINF_dying, XEN_DOMINF_dying, info.flags);
	check_eq("domctl.zombie.keeps_the_mapped_frame", 1, info.tot_pages);
	check_eq("domctl.zombie.id_taken_eexist", -XEN_EEXIST, create(id, 1, NULL));
	check_eq("domctl.zombie.no_new_foreign_mapping", -XEN_ESRCH, foreign_map(id, dom.b.mfn[4]));
	foreign_unmap();
	check_eq("domctl.zombie.destroy_again", 0, destroy(id));
	check_eq("domctl.zombie.gone", -XEN_ESRCH, domain_info(id, &info));
	check_eq("domctl.zombie.free_pages_exact", (long long)free_before,
		 (long long)free_pages());
}

/* A larger domain (32 MiB), populated in 2 MiB extents: destruction continues itself. */
static void big_domain(void)
{
	static uint64_t extents[16];
	struct xen_memory_reservation r = { .extent_start = PV_GVA(extents), .nr_extents = 16,
					    .extent_order = 9 };
	domid_t id;

	if (!check_eq("domctl.big.create", 0, create(0, 2, &id)))
		return;
	r.domid = id;
	for (unsigned int i = 0; i < 16; i++)
		extents[i] = i * 512;
	check_eq("domctl.big.max_mem", 0, max_mem(id, 32 * 1024));
	check_eq("domctl.big.populate", 16, HYPERVISOR_memory_op(XENMEM_populate_physmap, &r));
	check_eq("domctl.big.destroy", 0, destroy(id));
	check_eq("domctl.big.free_pages_exact", (long long)free_before, (long long)free_pages());
}

/* The domU image: our second boot module, which dom0's builder mapped for us. */
static bool find_image(void)
{
	if (!pv_start_info->mod_len || (pv_start_info->flags & SIF_MOD_START_PFN))
		return false;
	return domu_image((const void *)(uintptr_t)pv_start_info->mod_start,
			  pv_start_info->mod_len);
}

int main(void)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_DOM_EXC };
	unsigned int destroyed = 0;
	uint64_t free_now;
	bool running;

	if (!(pv_start_info->flags & SIF_INITDOMAIN))
		return domu_main();
	check_guest(GUEST_NAME);
	if (skip_unless_implemented(IMPLEMENTED(domctl), "domctl", HYPERVISOR_domctl(NULL), "all") ||
	    skip_unless_implemented(IMPLEMENTED(sysctl), "sysctl", HYPERVISOR_sysctl(NULL), "all"))
		return check_done();

	check_eq("domctl.setup.bind_dom_exc", 0,
		 HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv));
	dom_exc = bv.port;
	check_eq("domctl.setup.idle_port", 0, pv_evtchn_alloc_unbound(0, &idle_port));
	free_before = free_pages();
	check_eq("domctl.setup.free_pages", 1, free_before > 0);

	version_and_errors();
	createdomain_errors();
	remote_shutdown_checks();
	sysctl_checks();
	if (!foreign_init() || !find_image()) {
		check_skip("domctl.life", "no domU image: boot a libpv image as the second module");
		return check_done();
	}

	/* The first life: domain 1, four vCPUs, every check on the way. */
	memset(&dom, 0, sizeof(dom));
	dom.vcpus = DOMU_MAX_VCPUS;
	if (check_eq("domctl.createdomain", 0, create(1, dom.vcpus, &dom.b.id)) &&
	    check_eq("domctl.createdomain.id", 1, dom.b.id)) {
		context_checks(&dom);
		if (life(&dom, "domctl.life", true))
			destroyed++;
	}
	check_eq("domctl.life.free_pages_exact", (long long)free_before, (long long)free_pages());
	readconsole_checks();

	/*
	 * Then twenty more, ids chosen by the hypervisor, ending alternately in
	 * a crash, while the bystander runs.
	 */
	running = bystander_start();
	free_now = free_pages();
	for (unsigned int i = 0; i < CYCLES; i++) {
		const char *prefix = name_of("domctl.cycle%02u", i);
		char p[32];

		strncpy(p, prefix, sizeof(p) - 1);
		p[sizeof(p) - 1] = 0;
		memset(&dom, 0, sizeof(dom));
		dom.vcpus = 1 + i % 2;
		dom.crash = i % 2;
		if (!check_eq(name_of("%s.create", p), 0, create(0, dom.vcpus, &dom.b.id)))
			break;
		if (life(&dom, p, false))
			destroyed++;
		check_eq(name_of("%s.free_pages_exact", p), (long long)free_now,
			 (long long)free_pages());
	}
	check_eq("domctl.cycles.all_destroyed", CYCLES + 1, destroyed);
	if (running)
		bystander_end();
	check_eq("domctl.cycles.free_pages_exact", (long long)free_before, (long long)free_pages());
	zombie_checks();
	big_domain();
	return check_done();
}
