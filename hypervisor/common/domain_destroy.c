/*
 * Destroying a domain (domctl destroydomain): stopping it for good and
 * giving back everything it holds, in bounded steps.
 *
 * Theory of operation
 * ===================
 *
 * d->destroy_stage records how far destruction got; each call of
 * domain_destroy() goes on from there and returns -EAGAIN whenever it
 * stops to let other work run (the domctl re-issues itself), so no call
 * does more than a bounded amount of work.
 *
 * STOP. is_dying is set: domain_get() no longer finds d, so nothing new
 * (a foreign mapping, an event binding, a memory_op) can start on it, and
 * no vCPU of d is runnable any more. Each vCPU is taken off its CPU and
 * waited for (vcpu_sleep_sync), off its run queue, and its timers are
 * stopped. Every event channel is closed: an interdomain peer sees its
 * port fall back to unbound.
 *
 * GRANTS. The mappings d holds of grants (its own or others') are undone
 * (grant_table_release, bounded). Then every other CPU passes once
 * through its softirq work (cpus_quiesce): a timer function of d's vCPUs,
 * a context switch away from one of them, that was under way when they
 * stopped has ended, so their time state and vcpu_info can go, and their
 * page-table roots and GDT frames are dropped (the CPU that last ran a
 * vCPU has loaded another root since). The same pass is what lets the
 * later stages free what a domain reference does not keep (the grant
 * table, the memory, shared_info): hypercalls run with interrupts off
 * and softirqs run only on the way back to a guest, so every hypercall
 * that found d with domain_get before is_dying (a grant map or copy, a
 * memory_op, an mmu_update on d) has returned, and dropped its
 * reference, once the pass is done. Keep it ahead of UNTYPE.
 *
 * UNTYPE, FREE. Two passes over d's page list (mica/memory.h), each
 * going on from d->destroy_cursor, FRAME_BATCH frames per call at most:
 * the first drops every pin and page-table validation in d's memory
 * (pv_page_relinquish), and with them the references page tables hold
 * on other frames of d; the second frees every frame nothing else
 * references any more (domain_free_frame). The first pass must be
 * complete before the second starts: a frame is only free once no table
 * maps it. Nothing else adds frames to or takes them from a dying
 * domain's list (domain_get refuses it), so a cursor stays valid between
 * calls.
 *
 * TABLES. d's grant table frames and its shared_info frame are freed.
 * What may still reach the table then is only a mapping of one of d's
 * grants (a maptrack record, with its pin): grant_table_destroy waits
 * for the last pin to go, under the table lock.
 *
 * DEAD. d leaves the domain table (its id is free again), dom0 gets
 * VIRQ_DOM_EXC, and the table's reference is dropped: the struct, its
 * vCPU records and event-channel memory go with the last reference
 * (domain_put), which no CPU can still be using for d's vCPUs.
 *
 * Zombies. FREE and TABLES fail with -EBUSY while another domain still
 * references a frame of d: a foreign mapping the toolstack did not undo,
 * a grant of d that another domain maps. Destruction then stops there and
 * reports success, as Xen does: d stays in the table, dying, holding only
 * those frames (getdomaininfo shows them), and its id stays taken. Once
 * the reference is gone, destroying d again finishes the job.
 *
 * Locking: the caller holds the domctl lock (one destruction step at a
 * time) and a reference to d; nothing else is held, as several steps may
 * flush TLBs and wait for other CPUs. d->page_lock guards each step along
 * the page list.
 */
#include <asm/pv_mm.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/frame.h>
#include <mica/grant_table.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/memory.h>
#include <mica/spinlock.h>
#include <mica/sched.h>
#include <mica/vcpu_time.h>
#include <pv/event_channel.h>

enum destroy_stage {
	STAGE_ALIVE = 0,
	STAGE_STOP,
	STAGE_GRANTS,
	STAGE_UNTYPE,
	STAGE_FREE,
	STAGE_TABLES,
	STAGE_DEAD,
};

/* Frames a pass over the page list handles per call (fewer if other work is waiting). */
#define FRAME_BATCH 4096
#define FRAME_PREEMPT_EVERY 256

/* Every vCPU off its CPU and run queue, its timers stopped. */
static void stop_vcpus(struct domain *d)
{
	for (unsigned int i = 0; i < d->max_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		vcpu_sleep_sync(v);
		sched_remove_vcpu(v);
		vcpu_stop_singleshot_timer(v);
		vcpu_set_periodic_timer(v, 0);
	}
}

/* After cpus_quiesce: what the vCPUs held that nothing may touch any more. */
static void release_vcpus(struct domain *d)
{
	vcpu_time_domain_destroy(d);
	for (unsigned int i = 0; i < d->max_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		vcpu_info_release(v);
		/* A slot in shared_info, which goes too. */
		v->vcpu_info = NULL;
		pv_mm_vcpu_destroy(v);
	}
}

/*
 * One call's share of a pass over d's page list, from d->destroy_cursor:
 * untype (pass 1) or free (pass 2) each frame. Returns -EAGAIN if the
 * pass goes on, 0 at its end. A frame something else still references
 * stays on the list.
 */
static int page_list_pass(struct domain *d, bool free)
{
	u32 idx = d->destroy_cursor;

	for (unsigned int n = 0; idx != FRAME_NIL; n++) {
		struct frame *f = &frame_table[idx];

		if (n == FRAME_BATCH || (n && n % FRAME_PREEMPT_EVERY == 0 &&
					 hypercall_preempt_check())) {
			d->destroy_cursor = idx;
			return -EAGAIN;
		}
		/* Read before a free takes f off the list. */
		spin_lock(&d->page_lock);
		idx = f->next;
		spin_unlock(&d->page_lock);
		if (free)
			domain_free_frame(d, f);
		else
			pv_page_relinquish(f);
	}
	d->destroy_cursor = FRAME_NIL;
	return 0;
}

/* Starts a pass over d's page list at its head. */
static void page_list_rewind(struct domain *d, enum destroy_stage stage)
{
	spin_lock(&d->page_lock);
	d->destroy_cursor = d->page_list_head;
	spin_unlock(&d->page_lock);
	d->destroy_stage = stage;
}

static int release_shared_info(struct domain *d)
{
	struct frame *f = mfn_to_frame(d->shared_info_mfn);

	if (!d->shared_info)
		return 0;
	if (pv_page_release(f))
		return -EBUSY;
	free_frames(f, 0);
	d->shared_info = NULL;
	return 0;
}

/*
 * Destruction cannot go on until another domain lets go of d's frames: 0,
 * as on Xen. The warning names what holds on, as far as the hypervisor
 * knows it: a grant of d that another domain still maps (a backend that
 * has not unmapped it yet), else a mapping of the frame itself (a
 * privileged domain's foreign mapping, made with mmu_update).
 */
static int zombie(struct domain *d, const char *what)
{
	domid_t by;
	u32 ref;
	u64 mfn;

	if (grant_table_first_pinned(d, &ref, &by, &mfn))
		pr_warn("d%u: %s still referenced: d%u still maps or copies its grant %u "
			"(mfn %#llx); the domain stays, dying, until it is destroyed again once "
			"d%u lets go", d->id, what, by, ref, (unsigned long long)mfn, by);
	else
		pr_warn("d%u: %s still referenced by a foreign mapping (mmu_update by a privileged "
			"domain: the toolstack or a daemon in dom0); the domain stays, dying, until "
			"it is destroyed again once it is unmapped", d->id, what);
	return 0;
}

/* The zombie report for frames left on d's page list: the first of them and its count. */
static int zombie_memory(struct domain *d)
{
	u32 idx = READ_ONCE(d->page_list_head);
	char what[96];

	if (idx == FRAME_NIL)
		return zombie(d, "its memory is");
	snprintf(what, sizeof(what), "its memory (first mfn %#llx, %u references) is",
		 (unsigned long long)idx, READ_ONCE(frame_table[idx].count));
	return zombie(d, what);
}

int domain_destroy(struct domain *d)
{
	int rc;

	switch (d->destroy_stage) {
	case STAGE_ALIVE:
		__atomic_store_n(&d->is_dying, true, __ATOMIC_SEQ_CST);
		d->destroy_stage = STAGE_STOP;
		/* fall through */
	case STAGE_STOP:
		stop_vcpus(d);
		evtchn_domain_destroy(d);
		d->destroy_stage = STAGE_GRANTS;
		if (hypercall_preempt_check())
			return -EAGAIN;
		/* fall through */
	case STAGE_GRANTS:
		rc = grant_table_release(d);
		if (rc)
			return rc;
		cpus_quiesce();
		release_vcpus(d);
		page_list_rewind(d, STAGE_UNTYPE);
		/* fall through */
	case STAGE_UNTYPE:
		if (page_list_pass(d, false))
			return -EAGAIN;
		page_list_rewind(d, STAGE_FREE);
		/* fall through */
	case STAGE_FREE:
		if (page_list_pass(d, true))
			return -EAGAIN;
		if (READ_ONCE(d->page_list_head) != FRAME_NIL) {
			/* Another try goes over the list again from the start. */
			page_list_rewind(d, STAGE_UNTYPE);
			return zombie_memory(d);
		}
		d->destroy_stage = STAGE_TABLES;
		/* fall through */
	case STAGE_TABLES:
		if (grant_table_destroy(d))
			return zombie(d, "its grant table is");
		if (release_shared_info(d))
			return zombie(d, "its shared_info page is");
		d->destroy_stage = STAGE_DEAD;
		pr_info("d%u: destroyed", d->id);
		domain_unlink(d);
		send_global_virq(VIRQ_DOM_EXC);
		return 0;
	default:
		return 0;
	}
}
