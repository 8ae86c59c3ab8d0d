/*
 * sysctl (hypercall 35): the toolstack's view of the whole machine, in
 * Xen 4.17's layouts and numbers (interface version 0x15): readconsole,
 * physinfo, sched_id, getdomaininfolist; every other command answers
 * -ENOSYS. Privileged: the dispatcher refuses any other caller with
 * -EPERM (PV_HCF_DOM0). As on Xen, the structure is read (-EFAULT), the
 * version compared (-EACCES), and the structure copied back after every
 * implemented command, its outputs filled in.
 */
#include <asm/percpu.h>
#include <asm/toolstack.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/domctl.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/spinlock.h>
#include <pv/domctl.h>
#include <pv/sysctl.h>

/*
 * Mica's round robin with fixed placement reports itself as Xen's credit
 * scheduler, the nearest kind (time-sliced, every vCPU on one CPU's
 * queue); scheduler_op, which would tune it, is not implemented.
 */
#define MICA_SCHED_ID XEN_SCHEDULER_CREDIT

/* Bytes copied per round of readconsole: a stack buffer. */
#define READ_CHUNK 256

/*
 * The log as the toolstack reads it. The hypervisor's log ring
 * (console_read_log) counts every byte ever logged; readconsole sees the
 * part from log_start on, which `clear` moves to where a read stopped.
 * The ABI's index is 32 bits: the low half of such a count, widened again
 * next to log_start. Guarded by readconsole_lock.
 */
static spinlock_t readconsole_lock = SPINLOCK_INIT;
static u64 log_start;

/* The full count whose low 32 bits are index, nearest to near. */
static u64 widen_index(u32 index, u64 near)
{
	u64 full = (near & ~0xffffffffULL) | index;

	if (full + 0x80000000ULL < near)
		full += 0x100000000ULL;
	else if (full > near + 0x80000000ULL && full >= 0x100000000ULL)
		full -= 0x100000000ULL;
	return full;
}

/*
 * readconsole: copies up to count bytes of the log, oldest first, from
 * log_start or (incremental) from index when that lies beyond it; answers
 * count = bytes copied and index = where reading stopped; clear makes
 * that the new log_start. xl dmesg reads incrementally from index 0 until
 * a read returns nothing. An index beyond the end of the log reads
 * nothing.
 */
static long read_console(struct xen_sysctl_readconsole *rc)
{
	u64 pos, want;
	u32 done = 0;
	long ret = 0;

	spin_lock(&readconsole_lock);
	pos = log_start;
	if (rc->incremental) {
		u64 at = widen_index(rc->index, log_start);

		if (at > pos)
			pos = at;
	}
	want = rc->count;
	while (done < want) {
		char chunk[READ_CHUNK];
		size_t n = console_read_log(chunk, MIN(want - done, (u64)READ_CHUNK), &pos);

		if (!n)
			break;
		if (copy_to_guest(rc->buffer + done, chunk, n)) {
			ret = -EFAULT;
			break;
		}
		done += (u32)n;
	}
	if (!ret && rc->clear)
		log_start = pos;
	spin_unlock(&readconsole_lock);
	rc->count = done;
	rc->index = (u32)pos;
	return ret;
}

static void physinfo(struct xen_sysctl_physinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
	arch_physinfo(pi);
	pi->nr_cpus = nr_cpus_online;
	pi->max_cpu_id = nr_cpus_online - 1;
	pi->nr_nodes = 1;
	pi->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_gnttab_v1;
	pi->total_pages = frames_total();
	pi->free_pages = frames_free();
	pi->max_mfn = frame_table_size ? frame_table_size - 1 : 0;
}

/* Fills the buffer with the domains from first_domain up, in id order, dying ones too. */
static long domain_info_list(struct xen_sysctl_getdomaininfolist *l)
{
	struct xen_domctl_getdomaininfo info;
	u32 n = 0;
	u32 next = l->first_domain;

	while (n < l->max_domains && next < DOMID_FIRST_RESERVED) {
		struct domain *d = domain_get_next((domid_t)next);

		if (!d)
			break;
		domain_info(d, &info);
		next = d->id + 1u;
		domain_put(d);
		if (copy_to_guest(l->buffer + (u64)n * sizeof(info), &info, sizeof(info)))
			return -EFAULT;
		n++;
	}
	l->num_domains = n;
	return 0;
}

long do_sysctl(pv_gva_t arg)
{
	struct xen_sysctl op;
	long rc = 0;

	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
		return -EACCES;
	switch (op.cmd) {
	case XEN_SYSCTL_readconsole:
		rc = read_console(&op.u.readconsole);
		break;
	case XEN_SYSCTL_physinfo:
		physinfo(&op.u.physinfo);
		break;
	case XEN_SYSCTL_sched_id:
		op.u.sched_id.sched_id = MICA_SCHED_ID;
		break;
	case XEN_SYSCTL_getdomaininfolist:
		rc = domain_info_list(&op.u.getdomaininfolist);
		break;
	default:
		return -ENOSYS;
	}
	if (copy_to_guest(arg, &op, sizeof(op)))
		rc = -EFAULT;
	return rc;
}
