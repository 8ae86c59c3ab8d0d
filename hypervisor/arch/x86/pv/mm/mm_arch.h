/*
 * The hypervisor side of the PV memory manager, shared by its hypercall
 * files: foreign-domain arguments, page-table roots and TLB flushes.
 */
#ifndef PV_MM_ARCH_H
#define PV_MM_ARCH_H

#include "mm_priv.h"
#include <pv/types.h>

struct domain;
struct vcpu;

/* Requests one batched hypercall handles before it continues itself. */
#define MM_BATCH 256
/* mmu_update/mmuext_op count flag of a continued call (Xen's encoding). */
#define MMU_UPDATE_PREEMPTED 0x80000000u

/*
 * The batch loop of mmu_update and mmuext_op. mm_batch_begin strips
 * MMU_UPDATE_PREEMPTED from *count and returns the total done so far (kept
 * in *done by a continued call). mm_batch_stop says whether to stop before
 * item i (a full batch, a spent validation budget, other work pending, or
 * devalidation still queued). mm_batch_end finishes a call that did i of
 * count items of size bytes at base with result rc: drains queued
 * devalidations, continues the hypercall on -ERESTART, and stores total + i
 * in *done. It returns the hypercall's result.
 */
pv_u32 mm_batch_begin(pv_u32 *count, pv_gva_t done);
bool mm_batch_stop(pv_u32 i, const struct pt_ctx *ctx);
long mm_batch_end(long rc, pv_gva_t base, size_t size, pv_u32 i, pv_u32 count, pv_gva_t done,
		  pv_u32 total, pv_u32 foreigndom);

/*
 * The page owner a foreigndom / domid argument names, for the current
 * domain cur: cur itself (DOMID_SELF), another domain (referenced), or
 * I/O memory (DOMID_IO: d NULL). foreign: not cur.
 */
struct pg_owner {
	struct domain *d;
	u16 id;
	bool priv;     /* may map I/O memory: d's privilege, or cur's for DOMID_IO */
	bool foreign;
};

/* 0, or -ESRCH (unknown domain, cur's own id, DOMID_XEN and other reserved ids). */
int pv_get_pg_owner(struct domain *cur, u16 domid, struct pg_owner *o);
void pv_put_pg_owner(struct pg_owner *o);

/* The L1 table mfn of owner's, in use: with a general and a type reference; else NULL. */
struct frame *pv_get_l1_in_use(u64 mfn, u16 owner);


/* descriptors.c: drops v's GDT frames. */
void pv_destroy_gdt(struct vcpu *v);

/* tlb.c */
/* INVLPG of a guest address on this CPU; other addresses are ignored. */
void tlb_invlpg_local(u64 va);
/* Full flush on every CPU in cpus (bit per CPU, this one included); waits. */
void tlb_flush_cpus(u64 cpus);
/* tlb_flush_cpus, but with invlpg this CPU (if in cpus) only forgets va. */
void tlb_flush_or_invlpg(u64 cpus, bool invlpg, u64 va);
/* CPUs running a vCPU of d now. */
u64 tlb_domain_cpus(const struct domain *d);
/* CPUs running the vCPUs of d named in the guest bitmap at gva: 0 or -EFAULT. */
int tlb_vcpumask_cpus(const struct domain *d, pv_gva_t gva, u64 *cpus);
/* This CPU's bit. */
u64 tlb_this_cpu(void);

#endif
