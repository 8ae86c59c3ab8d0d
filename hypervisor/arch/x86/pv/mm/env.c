/*
 * The machine as the pure memory-manager code sees it (the hooks declared
 * in mm_priv.h), and the parts of the pv_mm.h interface that need a
 * struct domain: general references, foreign-domain arguments.
 */
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/hypercall.h>
#include "mm_arch.h"

/*
 * Device memory the hypervisor keeps for itself, as Xen does: the I/O
 * APICs' conventional window, and the local APIC / MSI window. (The
 * HPET and the chipset ranges between are dom0's: Mica does not use
 * them, and Linux's ACPI code reads them.)
 */
#define IOAPIC_MFN_FIRST 0xfec00UL
#define IOAPIC_MFN_END 0xfed00UL
#define LAPIC_MSI_MFN_FIRST 0xfee00UL
#define LAPIC_MSI_MFN_END 0xfef00UL

u64 *pt_map(mfn_t mfn)
{
	return __va(mfn << PAGE_SHIFT);
}

bool pt_preempt_pending(void)
{
	return hypercall_preempt_check();
}

void pt_relax(void)
{
	cpu_relax();
	pv_tlb_flush_interrupt();
}

bool pt_domain_privileged(u16 domid)
{
	struct vcpu *v = current_vcpu();
	struct domain *d;
	bool priv;

	if (v && v->domain->id == domid)
		return v->domain->is_privileged;
	d = domain_get(domid);
	if (!d)
		return false;
	priv = d->is_privileged;
	domain_put(d);
	return priv;
}

bool pt_io_frame_allowed(mfn_t mfn)
{
	return !(mfn >= IOAPIC_MFN_FIRST && mfn < IOAPIC_MFN_END) &&
	       !(mfn >= LAPIC_MSI_MFN_FIRST && mfn < LAPIC_MSI_MFN_END);
}

void pt_bug(const char *what)
{
	panic("PV memory manager: %s", what);
}

_Static_assert(MAX_CPUS <= PT_MAX_CPUS, "a devalidation queue for every CPU");

unsigned int pt_this_cpu(void)
{
	return this_cpu()->cpu;
}

struct frame *pv_get_l1_in_use(u64 mfn, u16 owner)
{
	struct frame *f = pv_ram_frame(mfn);

	if (!f || !pt_get_page(f, owner))
		return NULL;
	if (pt_get_type_in_use(f, PGT_L1)) {
		pt_put_page(f);
		return NULL;
	}
	return f;
}

bool get_page(struct frame *f, const struct domain *d)
{
	return pt_get_page(f, d->id);
}

int get_page_and_type(struct frame *f, const struct domain *d, enum pv_page_type t)
{
	struct pt_ctx ctx;

	pt_ctx_self(&ctx, d->id, false);
	return pt_get_page_and_type(f, d->id, t, &ctx);
}

int pv_get_pg_owner(struct domain *cur, u16 domid, struct pg_owner *o)
{
	*o = (struct pg_owner){ .d = cur, .id = cur->id, .priv = cur->is_privileged };
	if (domid == DOMID_SELF)
		return 0;
	if (domid == DOMID_IO) {
		*o = (struct pg_owner){ .id = PT_DOMID_IO, .priv = cur->is_privileged,
					.foreign = true };
		return 0;
	}
	/* Naming oneself as foreign, DOMID_XEN and the other reserved ids are refused, as on Xen. */
	if (domid == cur->id || domid >= DOMID_FIRST_RESERVED)
		return -ESRCH;
	o->d = domain_get(domid);
	if (!o->d)
		return -ESRCH;
	o->id = domid;
	o->priv = o->d->is_privileged;
	o->foreign = true;
	return 0;
}

void pv_put_pg_owner(struct pg_owner *o)
{
	if (o->foreign && o->d)
		domain_put(o->d);
	o->d = NULL;
}
