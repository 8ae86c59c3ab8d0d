/* libmica: domctl (36), the toolstack's control of one domain, and remote shutdown. */
#include <errno.h>
#include <string.h>

#include <pv/hypercall_nr.h>
#include <pv/sched.h>

#include "internal.h"

int mica_domctl(struct mica *m, struct xen_domctl *op)
{
	struct xen_domctl *buf = (struct xen_domctl *)m->scratch;
	long rc;

	op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	memcpy(buf, op, sizeof(*op));
	rc = mica_hypercall(m, PV_HC_domctl, (uintptr_t)buf, 0, 0, 0, 0);
	memcpy(op, buf, sizeof(*op));
	return rc < 0 ? (int)rc : 0;
}

static int simple(struct mica *m, uint32_t cmd, uint32_t domid)
{
	struct xen_domctl op = { .cmd = cmd, .domain = (domid_t)domid };

	if (domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	return mica_domctl(m, &op);
}

int mica_domain_create(struct mica *m, const struct mica_domain_config *cfg, uint32_t *domid)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain, .domain = 0 };
	struct xen_domctl_createdomain *c = &op.u.createdomain;
	int rc;

	c->flags = 0; /* PV */
	memcpy(c->handle, cfg->handle, sizeof(c->handle));
	c->max_vcpus = cfg->max_vcpus;
	c->max_evtchn_port = cfg->max_evtchn_port;
	c->max_grant_frames = cfg->max_grant_frames;
	c->max_maptrack_frames = cfg->max_maptrack_frames;
	c->grant_opts = XEN_DOMCTL_GRANT_version(1);
	rc = mica_domctl(m, &op);
	if (!rc)
		*domid = op.domain;
	return rc;
}

int mica_domain_destroy(struct mica *m, uint32_t domid)
{
	int rc;

	/* The hypervisor tears a domain down in bounded steps; it may ask to be called again. */
	do {
		rc = simple(m, XEN_DOMCTL_destroydomain, domid);
	} while (rc == -EAGAIN || rc == -MICA_ERESTART || rc == -EINTR);
	return rc;
}

int mica_domain_pause(struct mica *m, uint32_t domid)
{
	return simple(m, XEN_DOMCTL_pausedomain, domid);
}

int mica_domain_unpause(struct mica *m, uint32_t domid)
{
	return simple(m, XEN_DOMCTL_unpausedomain, domid);
}

int mica_domain_max_mem(struct mica *m, uint32_t domid, uint64_t max_kib)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_max_mem, .domain = (domid_t)domid };

	op.u.max_mem.max_memkb = max_kib;
	return mica_domctl(m, &op);
}

int mica_domain_max_vcpus(struct mica *m, uint32_t domid, uint32_t max)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_max_vcpus, .domain = (domid_t)domid };

	op.u.max_vcpus.max = max;
	return mica_domctl(m, &op);
}

int mica_domain_set_address_size(struct mica *m, uint32_t domid, uint32_t bits)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_set_address_size, .domain = (domid_t)domid };

	op.u.address_size.size = bits;
	return mica_domctl(m, &op);
}

int mica_domain_hypercall_init(struct mica *m, uint32_t domid, uint64_t mfn)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_hypercall_init, .domain = (domid_t)domid };

	op.u.hypercall_init.gmfn = mfn;
	return mica_domctl(m, &op);
}

int mica_domain_info(struct mica *m, uint32_t domid, struct xen_domctl_getdomaininfo *info)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = (domid_t)domid };
	int rc;

	if (domid >= DOMID_FIRST_RESERVED)
		return -ESRCH;
	rc = mica_domctl(m, &op);
	if (rc)
		return rc;
	/* As in Xen 4.17, a missing id is answered with the next domain above it. */
	if (op.u.getdomaininfo.domain != domid)
		return -ESRCH;
	*info = op.u.getdomaininfo;
	return 0;
}

int mica_domain_shutdown(struct mica *m, uint32_t domid, uint32_t reason)
{
	struct sched_remote_shutdown *rs = (struct sched_remote_shutdown *)m->scratch;
	long rc;

	rs->domain_id = (domid_t)domid;
	rs->_pad = 0;
	rs->reason = reason;
	rc = mica_hypercall(m, PV_HC_sched_op, SCHEDOP_remote_shutdown, (uintptr_t)rs, 0, 0, 0);
	return rc < 0 ? (int)rc : 0;
}

static int vcpucontext(struct mica *m, uint32_t cmd, uint32_t domid, uint32_t vcpu,
		       const struct vcpu_guest_context *in, struct vcpu_guest_context *out)
{
	struct vcpu_guest_context *ctx = (void *)(m->scratch + MICA_SCRATCH_DATA);
	struct xen_domctl op = { .cmd = cmd, .domain = (domid_t)domid };
	int rc;

	_Static_assert(MICA_SCRATCH_DATA + sizeof(*ctx) <= MICA_SCRATCH_SIZE, "scratch too small");
	if (in)
		memcpy(ctx, in, sizeof(*ctx));
	else
		memset(ctx, 0, sizeof(*ctx));
	op.u.vcpucontext.vcpu = vcpu;
	op.u.vcpucontext.ctxt = PV_GVA(ctx);
	rc = mica_domctl(m, &op);
	if (!rc && out)
		memcpy(out, ctx, sizeof(*ctx));
	return rc;
}

int mica_vcpu_set_context(struct mica *m, uint32_t domid, uint32_t vcpu,
			  const struct vcpu_guest_context *ctx)
{
	return vcpucontext(m, XEN_DOMCTL_setvcpucontext, domid, vcpu, ctx, NULL);
}

int mica_vcpu_get_context(struct mica *m, uint32_t domid, uint32_t vcpu,
			  struct vcpu_guest_context *ctx)
{
	return vcpucontext(m, XEN_DOMCTL_getvcpucontext, domid, vcpu, NULL, ctx);
}

int mica_vcpu_info(struct mica *m, uint32_t domid, uint32_t vcpu, struct mica_vcpu_info *out)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpuinfo, .domain = (domid_t)domid };
	int rc;

	op.u.getvcpuinfo.vcpu = vcpu;
	rc = mica_domctl(m, &op);
	if (rc)
		return rc;
	out->online = op.u.getvcpuinfo.online;
	out->blocked = op.u.getvcpuinfo.blocked;
	out->running = op.u.getvcpuinfo.running;
	out->cpu_time_ns = op.u.getvcpuinfo.cpu_time;
	out->cpu = op.u.getvcpuinfo.cpu;
	return 0;
}
