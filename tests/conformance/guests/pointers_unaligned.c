/*
 * Unaligned but valid guest pointers work exactly like aligned ones: the
 * hypervisor copies arguments byte-wise (Xen has no alignment rule for
 * hypercall arguments), so each structure placed at an odd address, or
 * across a page boundary, gives the same result as its aligned twin:
 * xen_version get_features, memory_op machphys_mapping, event channel
 * alloc_unbound (the port written back in place) and status, a multicall
 * list, a trap table, an mmuext_op batch, a vcpu_op timer, a sched_op
 * poll with its port array, grant_table_op query_size, callback_op.
 */
#include <string.h>

#include <pv/memory.h>

#include "check.h"
#include "mmu.h"

/* Two pages: the second starts at buf + PAGE, so buf + PAGE - k straddles. */
static uint8_t buf[2 * PAGE] __attribute__((aligned(PAGE)));

static void *at(size_t off)
{
	return buf + off;
}

static void version(size_t off)
{
	struct xen_feature_info fi = { .submap_idx = 0 }, *u = at(off);

	memcpy(u, &fi, sizeof(fi));
	HYPERVISOR_xen_version(XENVER_get_features, &fi);
	check_eq(name_of("pointers_unaligned.get_features[+%zu].rc", off), 0,
		 HYPERVISOR_xen_version(XENVER_get_features, u));
	check_hex(name_of("pointers_unaligned.get_features[+%zu].submap", off), fi.submap,
		  ((volatile struct xen_feature_info *)u)->submap);
}

static void machphys(size_t off)
{
	struct xen_machphys_mapping *u = at(off);

	memset(u, 0, sizeof(*u));
	check_eq(name_of("pointers_unaligned.machphys[+%zu].rc", off), 0,
		 HYPERVISOR_memory_op(XENMEM_machphys_mapping, u));
	check_hex(name_of("pointers_unaligned.machphys[+%zu].v_start", off), MACH2PHYS_VIRT_START,
		  u->v_start);
}

static void evtchn(size_t off)
{
	struct evtchn_alloc_unbound *u = at(off);
	struct evtchn_status *st = at(off + 64);

	memset(u, 0, sizeof(*u));
	u->dom = DOMID_SELF;
	u->remote_dom = DOMID_SELF;
	check_eq(name_of("pointers_unaligned.alloc_unbound[+%zu].rc", off), 0,
		 HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, u));
	memset(st, 0, sizeof(*st));
	st->dom = DOMID_SELF;
	st->port = u->port;
	check_eq(name_of("pointers_unaligned.status[+%zu].rc", off), 0,
		 HYPERVISOR_event_channel_op(EVTCHNOP_status, st));
	check_eq(name_of("pointers_unaligned.status[+%zu].unbound", off), EVTCHNSTAT_unbound,
		 st->status);
	pv_evtchn_close(u->port);
}

static void multicall(size_t off)
{
	struct multicall_entry *m = at(off);

	memset(m, 0, 2 * sizeof(*m));
	m[0].op = PV_HC_xen_version;
	m[1].op = PV_HC_xen_version;
	m[1].args[0] = 99; /* no such command */
	check_eq(name_of("pointers_unaligned.multicall[+%zu].rc", off), 0, HYPERVISOR_multicall(m, 2));
	check_hex(name_of("pointers_unaligned.multicall[+%zu].entry0", off), 0x40011, m[0].result);
	check_eq(name_of("pointers_unaligned.multicall[+%zu].entry1", off), -XEN_ENOSYS,
		 (long)m[1].result);
}

static void traps(size_t off)
{
	struct trap_info *t = at(off);

	t[0] = pv_trap_info(3);
	memset(&t[1], 0, sizeof(t[1]));
	check_eq(name_of("pointers_unaligned.set_trap_table[+%zu]", off), 0, HYPERVISOR_set_trap_table(t));
}

static void mmuext(size_t off)
{
	struct mmuext_op *o = at(off);

	memset(o, 0, 2 * sizeof(*o));
	o[0].cmd = MMUEXT_TLB_FLUSH_LOCAL;
	o[1].cmd = MMUEXT_INVLPG_LOCAL;
	o[1].arg1 = va_of(buf);
	check_eq(name_of("pointers_unaligned.mmuext[+%zu]", off), 0,
		 HYPERVISOR_mmuext_op(o, 2, NULL, DOMID_SELF));
}

static void timer(size_t off)
{
	struct vcpu_set_singleshot_timer *t = at(off);

	t->timeout_abs_ns = 1;
	t->flags = VCPU_SSHOTTMR_future;
	check_eq(name_of("pointers_unaligned.singleshot[+%zu]_etime", off), -XEN_ETIME,
		 HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, t));
}

static void poll(size_t off)
{
	struct sched_poll *p = at(off);
	evtchn_port_t *ports = at(off + 40), port = 0;

	if (pv_evtchn_bind_ipi(&port))
		return;
	pv_evtchn_mask(port);
	pv_evtchn_send(port);
	memcpy(ports, &port, sizeof(port));
	p->ports = va_of(ports);
	p->nr_ports = 1;
	p->timeout = 0;
	check_eq(name_of("pointers_unaligned.poll[+%zu]_pending_returns", off), 0,
		 HYPERVISOR_sched_op(SCHEDOP_poll, p));
	pv_evtchn_close(port);
}

static void grant(size_t off)
{
	struct gnttab_query_size *q = at(off);

	memset(q, 0, sizeof(*q));
	q->dom = DOMID_SELF;
	check_eq(name_of("pointers_unaligned.query_size[+%zu].rc", off), 0,
		 HYPERVISOR_grant_table_op(GNTTABOP_query_size, q, 1));
	check_eq(name_of("pointers_unaligned.query_size[+%zu].status", off), GNTST_okay, q->status);
}

static void callback(size_t off)
{
	struct callback_register *c = at(off);

	c->type = CALLBACKTYPE_event;
	c->flags = CALLBACKF_mask_events;
	c->address = pv_event_entry();
	check_eq(name_of("pointers_unaligned.callback_register[+%zu]", off), 0,
		 HYPERVISOR_callback_op(CALLBACKOP_register, c));
}

int main(void)
{
	/* Odd offsets, and ones that cross from the first page into the second. */
	static const size_t offs[] = { 1, 3, 7, PAGE - 5, PAGE - 13 };

	check_guest(GUEST_NAME);
	for (unsigned int i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t o = offs[i];

		version(o);
		machphys(o);
		evtchn(o);
		multicall(o);
		traps(o);
		mmuext(o);
		timer(o);
		poll(o);
		grant(o);
		callback(o);
	}
	pv_traps_reset();
	return check_done();
}
