/*
 * libmica: setting up another domain's memory, tables, event channels and
 * grants on its behalf (memory_op, mmuext_op, event_channel_op and
 * grant_table_op with a foreign domain).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <pv/event_channel.h>
#include <pv/grant_table.h>
#include <pv/hypercall_nr.h>
#include <pv/memory.h>

#include "internal.h"

#define DATA_BYTES (MICA_SCRATCH_SIZE - MICA_SCRATCH_DATA)

long mica_populate_physmap(struct mica *m, uint32_t domid, uint64_t nr, unsigned int order,
			   uint64_t *extents)
{
	struct xen_memory_reservation *r = (void *)m->scratch;
	uint64_t *list = (void *)(m->scratch + MICA_SCRATCH_DATA);
	const uint64_t batch = DATA_BYTES / sizeof(uint64_t);
	uint64_t done = 0;

	if (domid >= DOMID_FIRST_RESERVED || order > 18)
		return -EINVAL;
	while (done < nr) {
		uint64_t n = nr - done < batch ? nr - done : batch;
		long rc;

		memcpy(list, extents + done, n * sizeof(*list));
		memset(r, 0, sizeof(*r));
		r->extent_start = PV_GVA(list);
		r->nr_extents = n;
		r->extent_order = order;
		r->domid = (domid_t)domid;
		rc = mica_hypercall(m, PV_HC_memory_op, XENMEM_populate_physmap, (uintptr_t)r, 0, 0, 0);
		if (rc < 0)
			return done ? (long)done : rc;
		if ((uint64_t)rc > n)
			return -EIO;
		memcpy(extents + done, list, (size_t)rc * sizeof(*list));
		done += (uint64_t)rc;
		if ((uint64_t)rc < n)
			break;
	}
	return (long)done;
}

int mica_mmuext(struct mica *m, uint32_t domid, const struct mmuext_op *ops, unsigned int nr)
{
	struct mmuext_op *list = (void *)(m->scratch + MICA_SCRATCH_DATA);
	uint32_t *pdone = (uint32_t *)m->scratch;
	unsigned int done = 0;

	while (done < nr) {
		unsigned int n = nr - done;
		long rc;

		if (n > DATA_BYTES / sizeof(*list))
			n = DATA_BYTES / sizeof(*list);
		memcpy(list, ops + done, n * sizeof(*list));
		*pdone = 0;
		rc = mica_hypercall(m, PV_HC_mmuext_op, (uintptr_t)list, n, (uintptr_t)pdone, domid, 0);
		if (rc < 0)
			return (int)rc;
		done += n;
	}
	return 0;
}

int mica_pin_l4(struct mica *m, uint32_t domid, uint64_t mfn)
{
	struct mmuext_op op = { .cmd = MMUEXT_PIN_L4_TABLE, .arg1 = mfn };

	return mica_mmuext(m, domid, &op, 1);
}

int mica_evtchn_alloc_unbound(struct mica *m, uint32_t dom, uint32_t remote, uint32_t *port)
{
	struct evtchn_alloc_unbound *au = (void *)m->scratch;
	long rc;

	au->dom = (domid_t)dom;
	au->remote_dom = (domid_t)remote;
	au->port = 0;
	rc = mica_hypercall(m, PV_HC_event_channel_op, EVTCHNOP_alloc_unbound, (uintptr_t)au, 0, 0,
			    0);
	if (rc < 0)
		return (int)rc;
	*port = au->port;
	return 0;
}

/* A GNTST_* status as the nearest errno. */
static int gntst_errno(int16_t st)
{
	switch (st) {
	case GNTST_okay:
		return 0;
	case GNTST_bad_domain:
		return -ESRCH;
	case GNTST_permission_denied:
		return -EPERM;
	case GNTST_bad_virt_addr:
		return -EFAULT;
	default:
		return -EINVAL;
	}
}

int mica_grant_frames(struct mica *m, uint32_t domid, unsigned int nr, uint64_t *mfns)
{
	struct gnttab_setup_table *op = (void *)m->scratch;
	uint64_t *list = (void *)(m->scratch + MICA_SCRATCH_DATA);
	long rc;

	if (!nr || nr > DATA_BYTES / sizeof(*list))
		return -EINVAL;
	memset(op, 0, sizeof(*op));
	op->dom = (domid_t)domid;
	op->nr_frames = nr;
	op->frame_list = PV_GVA(list);
	rc = mica_hypercall(m, PV_HC_grant_table_op, GNTTABOP_setup_table, (uintptr_t)op, 1, 0, 0);
	if (rc < 0)
		return (int)rc;
	if (op->status)
		return gntst_errno(op->status);
	memcpy(mfns, list, nr * sizeof(*list));
	return 0;
}

static void grant_entry(struct grant_entry_v1 *e, uint64_t mfn, uint32_t backend)
{
	e->domid = (domid_t)backend;
	e->frame = (uint32_t)mfn;
	/* The entry becomes valid only once domid and frame are in place. */
	__atomic_store_n(&e->flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);
}

int mica_grant_seed(struct mica *m, uint32_t domid, uint64_t console_mfn, uint32_t console_be,
		    uint64_t store_mfn, uint32_t store_be)
{
	struct grant_entry_v1 *table;
	uint64_t frame;
	int rc;

	/* A v1 entry holds a 32-bit frame number. */
	if (console_mfn > UINT32_MAX || store_mfn > UINT32_MAX)
		return -ERANGE;
	rc = mica_grant_frames(m, domid, 1, &frame);
	if (rc)
		return rc;
	table = mica_map_foreign(m, domid, PROT_READ | PROT_WRITE, &frame, 1, NULL);
	if (!table)
		return -errno;
	grant_entry(&table[GNTTAB_RESERVED_CONSOLE], console_mfn, console_be);
	grant_entry(&table[GNTTAB_RESERVED_XENSTORE], store_mfn, store_be);
	mica_unmap(table, 1);
	return 0;
}
