/* libmica: sysctl (35), the toolstack's view of the machine, and xen_version (17). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pv/hypercall_nr.h>
#include <pv/version.h>

#include "internal.h"

int mica_sysctl(struct mica *m, struct xen_sysctl *op)
{
	struct xen_sysctl *buf = (struct xen_sysctl *)m->scratch;
	long rc;

	op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
	memcpy(buf, op, sizeof(*op));
	rc = mica_hypercall(m, PV_HC_sysctl, (uintptr_t)buf, 0, 0, 0, 0);
	memcpy(op, buf, sizeof(*op));
	return rc < 0 ? (int)rc : 0;
}

int mica_physinfo(struct mica *m, struct xen_sysctl_physinfo *out)
{
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_physinfo };
	int rc = mica_sysctl(m, &op);

	if (!rc)
		*out = op.u.physinfo;
	return rc;
}

int mica_sched_id(struct mica *m, uint32_t *out)
{
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_sched_id };
	int rc = mica_sysctl(m, &op);

	if (!rc)
		*out = op.u.sched_id.sched_id;
	return rc;
}

#define INFO_BATCH ((MICA_SCRATCH_SIZE - MICA_SCRATCH_DATA) / sizeof(struct xen_domctl_getdomaininfo))

int mica_domain_list(struct mica *m, struct xen_domctl_getdomaininfo **out, unsigned int *nr)
{
	struct xen_domctl_getdomaininfo *all = NULL, *batch = (void *)(m->scratch + MICA_SCRATCH_DATA);
	unsigned int n = 0, cap = 0;
	uint32_t first = 0;

	for (;;) {
		struct xen_sysctl op = { .cmd = XEN_SYSCTL_getdomaininfolist };
		uint32_t got;
		int rc;

		op.u.getdomaininfolist.first_domain = (domid_t)first;
		op.u.getdomaininfolist.max_domains = INFO_BATCH;
		op.u.getdomaininfolist.buffer = PV_GVA(batch);
		rc = mica_sysctl(m, &op);
		if (rc) {
			free(all);
			return rc;
		}
		got = op.u.getdomaininfolist.num_domains;
		if (got > INFO_BATCH) {
			free(all);
			return -EIO;
		}
		if (n + got > cap) {
			unsigned int ncap = (n + got) * 2;
			void *p = realloc(all, ncap * sizeof(*all));

			if (!p) {
				free(all);
				return -ENOMEM;
			}
			all = p;
			cap = ncap;
		}
		memcpy(all + n, batch, got * sizeof(*all));
		n += got;
		if (got < INFO_BATCH || !got)
			break;
		first = (uint32_t)all[n - 1].domain + 1;
		if (first >= DOMID_FIRST_RESERVED)
			break;
	}
	*out = all;
	*nr = n;
	return 0;
}

int mica_readconsole(struct mica *m, char *buf, uint32_t *len, uint32_t *index, bool incremental,
		     bool clear)
{
	char *data = (char *)m->scratch + MICA_SCRATCH_DATA;
	struct xen_sysctl op = { .cmd = XEN_SYSCTL_readconsole };
	uint32_t want = *len;
	int rc;

	if (want > MICA_SCRATCH_SIZE - MICA_SCRATCH_DATA)
		want = MICA_SCRATCH_SIZE - MICA_SCRATCH_DATA;
	op.u.readconsole.clear = clear;
	op.u.readconsole.incremental = incremental;
	op.u.readconsole.index = *index;
	op.u.readconsole.buffer = PV_GVA(data);
	op.u.readconsole.count = want;
	rc = mica_sysctl(m, &op);
	if (rc)
		return rc;
	if (op.u.readconsole.count > want)
		return -EIO;
	memcpy(buf, data, op.u.readconsole.count);
	*len = op.u.readconsole.count;
	*index = op.u.readconsole.index;
	return 0;
}

/* xen_version(cmd) into the scratch data area; copies at most size bytes and terminates. */
static int version_string(struct mica *m, int cmd, char *dst, size_t size, size_t wire_len)
{
	char *data = (char *)m->scratch + MICA_SCRATCH_DATA;
	long rc;

	memset(data, 0, wire_len + 1);
	rc = mica_hypercall(m, PV_HC_xen_version, (uint64_t)cmd, (uintptr_t)data, 0, 0, 0);
	if (rc < 0) {
		dst[0] = '\0';
		return (int)rc;
	}
	data[wire_len] = '\0';
	strncpy(dst, data, size - 1);
	dst[size - 1] = '\0';
	return 0;
}

int mica_version(struct mica *m, struct mica_version *out)
{
	struct xen_compile_info *ci = (void *)(m->scratch + MICA_SCRATCH_DATA);
	long v;

	memset(out, 0, sizeof(*out));
	v = mica_hypercall(m, PV_HC_xen_version, XENVER_version, 0, 0, 0, 0);
	if (v < 0)
		return (int)v;
	out->major = (unsigned int)(v >> 16);
	out->minor = (unsigned int)(v & 0xffff);
	version_string(m, XENVER_extraversion, out->extra, sizeof(out->extra), XEN_EXTRAVERSION_LEN);
	version_string(m, XENVER_capabilities, out->capabilities, sizeof(out->capabilities),
		       XEN_CAPABILITIES_INFO_LEN);
	version_string(m, XENVER_changeset, out->changeset, sizeof(out->changeset),
		       XEN_CHANGESET_INFO_LEN);
	version_string(m, XENVER_commandline, out->commandline, sizeof(out->commandline),
		       XEN_COMMANDLINE_LEN);
	memset(ci, 0, sizeof(*ci));
	if (mica_hypercall(m, PV_HC_xen_version, XENVER_compile_info, (uintptr_t)ci, 0, 0, 0) >= 0) {
#define COPY_FIELD(f)                                                    \
	do {                                                             \
		memcpy(out->f, ci->f, sizeof(out->f) - 1);               \
		out->f[sizeof(out->f) - 1] = '\0';                       \
	} while (0)
		COPY_FIELD(compiler);
		COPY_FIELD(compile_by);
		COPY_FIELD(compile_domain);
		COPY_FIELD(compile_date);
#undef COPY_FIELD
	}
	return 0;
}
