/*
 * Domain and vCPU objects: creation, lookup by id, the ends of a domain's
 * life (shutdown, crash; destruction is common/domain_destroy.c), and
 * reference counting, whose last put frees a destroyed domain.
 */
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/frame.h>
#include <mica/grant_table.h>
#include <mica/heap.h>
#include <mica/lib.h>
#include <mica/sched.h>
#include <mica/vcpu_time.h>
#include <pv/event_channel.h>
#include <pv/sched.h>
#include <pv/xen.h>

#define DOMAIN_HASH_SIZE 256

static spinlock_t domain_table_lock = SPINLOCK_INIT;
static struct domain *domain_hash[DOMAIN_HASH_SIZE];

/* The domain with this id in the table, and a reference to it (dying ones only if asked). */
static struct domain *lookup(domid_t id, bool dying_too)
{
	struct domain *d;
	u64 flags = spin_lock_irqsave(&domain_table_lock);

	for (d = domain_hash[id % DOMAIN_HASH_SIZE]; d; d = d->next_in_hash)
		if (d->id == id && (dying_too || !READ_ONCE(d->is_dying)))
			break;
	if (d)
		domain_hold(d);
	spin_unlock_irqrestore(&domain_table_lock, flags);
	return d;
}

struct domain *domain_get(domid_t id)
{
	return lookup(id, false);
}

struct domain *domain_get_any(domid_t id)
{
	return lookup(id, true);
}

struct domain *domain_get_next(domid_t first)
{
	struct domain *best = NULL;
	/* A walk of the whole table: the toolstack lists domains rarely. */
	u64 flags = spin_lock_irqsave(&domain_table_lock);

	for (unsigned int b = 0; b < DOMAIN_HASH_SIZE; b++)
		for (struct domain *d = domain_hash[b]; d; d = d->next_in_hash)
			if (d->id >= first && (!best || d->id < best->id))
				best = d;
	if (best)
		domain_hold(best);
	spin_unlock_irqrestore(&domain_table_lock, flags);
	return best;
}

void domain_unlink(struct domain *d)
{
	u64 flags = spin_lock_irqsave(&domain_table_lock);

	for (struct domain **p = &domain_hash[d->id % DOMAIN_HASH_SIZE]; *p; p = &(*p)->next_in_hash) {
		if (*p == d) {
			*p = d->next_in_hash;
			break;
		}
	}
	spin_unlock_irqrestore(&domain_table_lock, flags);
	domain_put(d);
}

/*
 * The last reference to a destroyed domain is gone: nothing can reach d
 * any more, and domain_destroy already made sure no CPU runs its vCPUs
 * or their timers. What is left is hypervisor memory.
 */
void domain_put(struct domain *d)
{
	if (__atomic_sub_fetch(&d->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* The last reference: only a dying domain loses it. */
	BUG_ON(!READ_ONCE(d->is_dying));
	evtchn_domain_free(d);
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		hv_free(d->vcpus[i], sizeof(struct vcpu));
	hv_free(d, sizeof(*d));
}

static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
	struct vcpu *v = hv_zalloc(sizeof(*v));

	if (!v)
		return NULL;
	v->id = id;
	v->domain = d;
	v->pause_flags = VPF_DOWN;
	v->arch.kernel_mode = true;
	if (id < XEN_LEGACY_MAX_VCPUS) {
		v->vcpu_info = &d->shared_info->vcpu_info[id];
		v->vcpu_info->evtchn_upcall_mask = 1;
	}
	sched_add_vcpu(v);
	return v;
}

struct domain *domain_create(domid_t id, bool privileged, unsigned int max_vcpus)
{
	struct domain *d;
	struct frame *si;
	u64 flags;

	if (id >= DOMID_FIRST_RESERVED || max_vcpus == 0 || max_vcpus > MAX_VCPUS_PER_DOMAIN)
		return NULL;
	d = hv_zalloc(sizeof(*d));
	if (!d)
		return NULL;
	d->id = id;
	d->is_privileged = privileged;
	d->max_vcpus = max_vcpus;
	d->page_list_head = FRAME_NIL;
	d->refcount = 1;

	/* shared_info: the domain may map it, so it is the domain's frame. */
	si = alloc_frames(0, id);
	if (!si)
		goto fail;
	d->shared_info_mfn = frame_to_mfn(si);
	d->shared_info = __va(d->shared_info_mfn << PAGE_SHIFT);
	memset(d->shared_info, 0, PAGE_SIZE);
	/* The domain's own reference: it may map the page (RW) from now on. */
	pv_page_assign(si);

	for (unsigned int i = 0; i < max_vcpus; i++) {
		d->vcpus[i] = vcpu_create(d, i);
		if (!d->vcpus[i])
			goto fail;
	}
	if (evtchn_domain_init(d) || vcpu_time_domain_init(d) ||
	    grant_table_init(d, GNTTAB_DEFAULT_MAX_FRAMES, GNTTAB_DEFAULT_MAX_MAPTRACK_FRAMES))
		goto fail;

	flags = spin_lock_irqsave(&domain_table_lock);
	for (struct domain *o = domain_hash[id % DOMAIN_HASH_SIZE]; o; o = o->next_in_hash) {
		if (o->id == id) {
			spin_unlock_irqrestore(&domain_table_lock, flags);
			goto fail;
		}
	}
	d->next_in_hash = domain_hash[id % DOMAIN_HASH_SIZE];
	domain_hash[id % DOMAIN_HASH_SIZE] = d;
	spin_unlock_irqrestore(&domain_table_lock, flags);
	return d;

fail:
	grant_table_destroy(d);
	vcpu_time_domain_destroy(d);
	evtchn_domain_destroy(d);
	evtchn_domain_free(d);
	for (unsigned int i = 0; i < max_vcpus; i++) {
		if (d->vcpus[i]) {
			sched_remove_vcpu(d->vcpus[i]);
			hv_free(d->vcpus[i], sizeof(struct vcpu));
		}
	}
	if (si && pv_page_release(si) == 0)
		free_frames(si, 0);
	hv_free(d, sizeof(*d));
	return NULL;
}

static const char *shutdown_reason_name(unsigned int reason)
{
	switch (reason) {
	case SHUTDOWN_poweroff: return "poweroff";
	case SHUTDOWN_reboot: return "reboot";
	case SHUTDOWN_suspend: return "suspend";
	case SHUTDOWN_crash: return "crash";
	case SHUTDOWN_watchdog: return "watchdog";
	default: return "unknown";
	}
}

/* d has shut down: VIRQ_DOM_EXC to dom0, or the end of the machine for dom0. */
static void domain_shutdown_notify(struct domain *d)
{
	if (d->id != 0) {
		send_global_virq(VIRQ_DOM_EXC);
		return;
	}
	/* dom0 ending ends the machine, the way a host ends when its OS does. */
	switch (d->shutdown_reason) {
	case SHUTDOWN_poweroff:
		pr_info("dom0 powered off: halting the machine");
		machine_power_off();
	case SHUTDOWN_reboot:
		pr_info("dom0 asked for a reboot: restarting the machine");
		machine_restart();
	default:
		pr_err("dom0 stopped (%s): halting the machine",
		       shutdown_reason_name(d->shutdown_reason));
		arch_halt_all();
	}
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
	if (__atomic_exchange_n(&d->is_shutdown, true, __ATOMIC_SEQ_CST))
		return;
	d->shutdown_reason = (u8)reason;
	pr_info("d%u: shut down (%s)", d->id, shutdown_reason_name(reason));
	for (unsigned int i = 0; i < d->max_vcpus; i++)
		vcpu_sleep(d->vcpus[i]);
	domain_shutdown_notify(d);
}

void domain_crash(struct domain *d, const char *why)
{
	struct vcpu *v = current_vcpu();

	if (v && v->domain == d) {
		const struct cpu_regs *r = &v->arch.regs;

		if (v->is_running)
			r = guest_regs_of_current();
		pr_err("d%u v%u crashed: %s (RIP %#lx RSP %#lx, guest %s mode)", d->id, v->id, why,
		       r->rip, r->rsp, v->arch.kernel_mode ? "kernel" : "user");
	} else {
		pr_err("d%u crashed: %s", d->id, why);
	}
	domain_shutdown(d, SHUTDOWN_crash);
}
