/*
 * Domains and vCPUs: the objects every hypercall acts on. Each subsystem
 * keeps its own per-domain and per-vCPU state in a struct it defines in
 * its own header; this file only ties them together.
 *
 * Lifetime: a domain is created by domain_create() and lives until its
 * last reference goes after domain_destroy(). A reference keeps the
 * struct, its vCPU records and its event-channel memory; the grant
 * table, memory and shared_info go earlier, during destruction, and are
 * safe to use only for a holder that found d live (domain_get) in the
 * hypercall it is still in (common/domain_destroy.c says why), or that
 * holds a pin or frame reference of its own. Fields marked (const) are
 * set at creation and never change; others name the lock guarding them.
 */
#ifndef MICA_DOMAIN_H
#define MICA_DOMAIN_H

#include <mica/errno.h>
#include <mica/spinlock.h>
#include <mica/types.h>
#include <pv/xen.h> /* domid_t, the special DOMID_* ids, shared_info and vcpu_info */

#define MAX_VCPUS_PER_DOMAIN 64

struct domain;
struct evtchn_domain;  /* common/event_channel.c */
struct grant_table;    /* common/grant_table.c */

#include <asm/pv_vcpu.h>

/* Bits of vcpu->pause_flags: reasons a vCPU may not run. */
#define VPF_DOWN (1u << 0)     /* not brought up (VCPUOP_up) or taken down */
#define VPF_BLOCKED (1u << 1)  /* SCHEDOP_block: waits for an event */
#define VPF_POLLING (1u << 2)  /* SCHEDOP_poll: waits for given ports or a timeout */

struct vcpu {
	unsigned int id;          /* (const) index within the domain */
	struct domain *domain;    /* (const) */

	/* Scheduling: guarded by the run-queue lock of the vCPU's CPU. */
	unsigned int processor;   /* physical CPU it runs on, or last ran on (const after placement) */
	bool is_running;          /* its registers are in processor's guest frame */
	bool on_runq;
	struct vcpu *rq_next, *rq_prev;
	u64 slice_start_ns;       /* when it last started running */
	u32 pause_flags;          /* VPF_*; atomic bit operations */
	u32 pause_count;          /* toolstack pauses (domctl); atomic */
	bool initialising;        /* VCPUOP_initialise in progress; atomic */

	/*
	 * Where this vCPU's vcpu_info lives: in shared_info until the guest
	 * registers its own (VCPUOP_register_vcpu_info); then in guest memory,
	 * mapped here. Read and written by the hypervisor with atomics only:
	 * the guest changes it concurrently.
	 */
	struct vcpu_info *vcpu_info;
	u64 vcpu_info_mfn;        /* 0 while in shared_info */

	u64 cpu_time_ns;          /* total time run, for the toolstack */
	void *evtchn_priv;        /* event channels' per-vCPU state (VIRQ bindings, poll) */
	void *timer_priv;         /* singleshot and periodic timers */

	struct pv_vcpu arch;      /* registers, modes and callbacks (asm/pv_vcpu.h) */
};

struct domain {
	domid_t id;               /* (const) */
	bool is_privileged;       /* (const) dom0: may use domctl, sysctl, foreign mappings */
	spinlock_t lock;          /* guards the fields below unless noted */

	unsigned int max_vcpus;   /* (const) */
	/* (const) vcpus[0 .. max_vcpus) all exist from domain_create to the last domain_put. */
	struct vcpu *vcpus[MAX_VCPUS_PER_DOMAIN];

	/* Memory: frames owned by this domain, on a list through frame.next/prev. */
	spinlock_t page_lock;     /* guards the page list and the counts */
	u64 tot_pages;
	u64 max_pages;
	u32 page_list_head;       /* frame index, FRAME_NIL if empty */

	struct shared_info *shared_info; /* (const) hypervisor mapping */
	u64 shared_info_mfn;      /* (const) */

	struct evtchn_domain *evtchn;
	struct grant_table *grant;

	u64 vm_assist;            /* VMASST_* bits the guest enabled */
	char console_line[128];   /* console_io output not yet printed (no newline yet) */
	u8 console_len;
	bool is_dying;            /* being destroyed: no new references */
	bool is_shutdown;         /* all vCPUs stopped by SCHEDOP_shutdown */
	u8 shutdown_reason;       /* SHUTDOWN_* when is_shutdown */
	u32 pause_count;          /* toolstack pauses (domctl); atomic; 1 at domctl creation */
	u32 refcount;             /* references held by other objects; atomic */

	/* The toolstack's view (common/domctl.c), guarded by the domctl lock. */
	u8 handle[16];            /* xen_domain_handle_t: the toolstack's UUID */
	u32 create_flags;         /* XEN_DOMCTL_CDF_* it was created with */
	u8 destroy_stage;         /* domain_destroy's progress (common/domain_destroy.c) */
	u32 destroy_cursor;       /* the frame its pass over the page list goes on from */

	struct domain *next_in_hash; /* domain table chain, guarded by its lock */
};

/* The vCPU running on this physical CPU, or NULL in the idle loop. */
struct vcpu *current_vcpu(void);

/* vCPU id of d, or NULL if d has no such vCPU. */
static inline struct vcpu *domain_vcpu(const struct domain *d, u32 id)
{
	return id < d->max_vcpus ? d->vcpus[id] : NULL;
}

/*
 * A vCPU counts as initialised once it has a kernel page-table root: the
 * domain builder gives vCPU 0 one, VCPUOP_initialise or setvcpucontext
 * the others.
 */
static inline bool vcpu_initialised(const struct vcpu *v)
{
	return READ_ONCE(v->arch.kernel_root) != 0;
}

/* Another reference to d, for a caller whose own reference (or lock) keeps d alive meanwhile. */
static inline void domain_hold(struct domain *d)
{
	__atomic_fetch_add(&d->refcount, 1, __ATOMIC_RELAXED);
}

/* Looks up a live domain by id and takes a reference; NULL if none. */
struct domain *domain_get(domid_t id);
/*
 * Drops a reference. The last one, which only goes once domain_destroy
 * has finished and taken d out of the table, frees what is left of d
 * (its vCPU records and event-channel memory, the struct itself). Not
 * from interrupt context.
 */
void domain_put(struct domain *d);

/*
 * The toolstack's lookups: like domain_get, but a domain being destroyed
 * is found too (it keeps its id until destruction ends). domain_get_next
 * gives the domain with the lowest id >= first; NULL if none.
 */
struct domain *domain_get_any(domid_t id);
struct domain *domain_get_next(domid_t first);

/*
 * The domain a hypercall argument names, with a reference: cur itself for
 * DOMID_SELF or cur's own id (found even while cur is dying), else the
 * live domain with that id; NULL if there is none.
 */
static inline struct domain *domain_get_by_any_id(struct domain *cur, domid_t id)
{
	if (id == DOMID_SELF || id == cur->id) {
		domain_hold(cur);
		return cur;
	}
	return domain_get(id);
}

/*
 * The same for an operation on that domain (Xen's XSM_TARGET): another
 * domain only for a privileged cur. 0 with *d referenced; -ESRCH for no
 * such domain, then -EPERM for one cur may not act on (*d NULL).
 */
static inline long domain_get_target(struct domain *cur, domid_t id, struct domain **d)
{
	*d = domain_get_by_any_id(cur, id);
	if (!*d)
		return -ESRCH;
	if (*d != cur && !cur->is_privileged) {
		domain_put(*d);
		*d = NULL;
		return -EPERM;
	}
	return 0;
}

/*
 * Destroys d (domctl destroydomain; common/domain_destroy.c): stops its
 * vCPUs for good, closes its event channels, releases its grant
 * mappings, and gives every frame back. Bounded work per call: -EAGAIN
 * means call again. 0 when done, or when d is left a zombie because
 * another domain still references its memory (calling again after that
 * reference is gone finishes the job). Caller: the domctl lock, and a
 * reference to d; never d's own vCPU.
 */
int domain_destroy(struct domain *d);
/* For domain_destroy only: takes a dead d out of the domain table, then drops the table's reference. */
void domain_unlink(struct domain *d);

/*
 * Pausing (common/domain_pause.c). vcpu_sleep_sync: v was just made
 * unrunnable; returns once v is off its CPU, with its registers saved.
 * vcpu_pause_sync / vcpu_unpause nest (v->pause_count). The toolstack's
 * pause (domctl pausedomain, d->pause_count, which domctl creation sets
 * to 1) is limited to 255: -EOVERFLOW beyond, -EINVAL unpausing at 0.
 * The caller is never a vCPU being paused.
 */
void vcpu_sleep_sync(struct vcpu *v);
/*
 * Returns once every other CPU has begun a new pass through its softirq
 * work: a timer function, context switch or scheduling pass that was
 * under way anywhere when it was called has ended.
 */
void cpus_quiesce(void);
void vcpu_pause_sync(struct vcpu *v);
void vcpu_unpause(struct vcpu *v);
void domain_pause_vcpus(struct domain *d);
void domain_unpause_vcpus(struct domain *d);
int domain_pause_by_toolstack(struct domain *d);
int domain_unpause_by_toolstack(struct domain *d);

/*
 * Creates a domain with max_vcpus vCPUs (all down) and its shared_info
 * page. Returns NULL if id is taken or reserved, or memory is short.
 */
struct domain *domain_create(domid_t id, bool privileged, unsigned int max_vcpus);

/*
 * Stops every vCPU of d for good and records reason (SHUTDOWN_*); the
 * first call wins. Tells whoever manages d: dom0 with VIRQ_DOM_EXC, or for
 * dom0 itself the machine, which ends with it.
 */
void domain_shutdown(struct domain *d, unsigned int reason);

/*
 * Crashes a domain because of its own bad behaviour: logs why with the
 * guest's RIP, then domain_shutdown(d, SHUTDOWN_crash). Returns; the
 * domain's vCPUs are descheduled on their way back to the guest.
 */
void domain_crash(struct domain *d, const char *why);

#endif
