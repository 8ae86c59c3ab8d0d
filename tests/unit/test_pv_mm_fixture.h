/*
 * The fake machine the PV memory-manager unit tests run the real
 * page_type.c / validate.c on: a frame table of NR_FRAMES frames (the
 * first FIRST_RAM are not RAM: "I/O memory"), their contents in fake_mem,
 * and the hooks of mm_priv.h recording what the code asked for.
 */
#ifndef TEST_PV_MM_FIXTURE_H
#define TEST_PV_MM_FIXTURE_H

#include <stdlib.h>

#include "check.h"

#include "../../hypervisor/arch/x86/pv/mm/mm_priv.h"

#define __unused __attribute__((unused)) /* helpers some tests leave unused */

#define NR_FRAMES 640
#define FIRST_RAM 16
#define IO_DENIED 15          /* a non-RAM frame even dom0 may not map (the hypervisor's device) */
#define HV_SLOT_MARK 0x4242000000000000UL

#define DOM0 0                /* privileged */
#define DOMU 1
#define DOMU2 2

static struct frame fake_table[NR_FRAMES];
static u64 fake_mem[NR_FRAMES][PT_ENTRIES] __attribute__((aligned(4096)));

/* pt_preempt_pending turns true after this many calls; -1: never. */
static int preempt_countdown = -1;
static int preempt_calls;
static int flushes;
static int bugs;
static const char *last_bug;
static long relax_calls;

u64 *pt_map(mfn_t mfn)
{
	if (mfn >= NR_FRAMES) {
		fprintf(stderr, "pt_map of mfn %#llx outside the fake memory\n",
			(unsigned long long)mfn);
		abort();
	}
	return fake_mem[mfn];
}

bool pt_preempt_pending(void)
{
	preempt_calls++;
	if (preempt_countdown < 0)
		return false;
	if (preempt_countdown == 0)
		return true;
	preempt_countdown--;
	return false;
}

void pt_relax(void)
{
	/* Single-threaded: nobody else can finish a validation we wait for. */
	if (++relax_calls > 1000) {
		fprintf(stderr, "pt_relax: waiting for ever\n");
		abort();
	}
}

void pt_flush_guest_tlbs(void)
{
	flushes++;
}

bool pt_domain_privileged(u16 domid)
{
	return domid == DOM0;
}

bool pt_io_frame_allowed(mfn_t mfn)
{
	return mfn != IO_DENIED;
}

void pt_bug(const char *what)
{
	bugs++;
	last_bug = what;
}

void frame_bug(const char *what)
{
	bugs++;
	last_bug = what;
}

unsigned int pt_this_cpu(void)
{
	return 0;
}

void pv_init_guest_l4_slots(u64 *l4)
{
	for (unsigned int s = PT_HV_SLOT_FIRST; s <= PT_HV_SLOT_LAST; s++)
		l4[s] = HV_SLOT_MARK | s;
}

static bool queued(mfn_t mfn);

static __unused void setup(void)
{
	/* Devalidations a previous case left queued still belong to its frames. */
	while (!pt_drain(1u << 20))
		;
	memset(fake_mem, 0, sizeof(fake_mem));
	frame_table_init(fake_table, NR_FRAMES);
	frames_add_free(FIRST_RAM, NR_FRAMES - FIRST_RAM);
	preempt_countdown = -1;
	preempt_calls = 0;
	flushes = 0;
	bugs = 0;
	last_bug = NULL;
	relax_calls = 0;
}

/* A fresh frame of dom, assigned (count 1). */
static __unused mfn_t new_frame(u16 dom)
{
	struct frame *f = alloc_frames(0, dom);

	REQUIRE(f != NULL);
	pv_page_assign(f);
	return frame_to_mfn(f);
}

static struct frame *F(mfn_t mfn)
{
	return &fake_table[mfn];
}

static __unused u64 pte(mfn_t mfn, u64 flags)
{
	return (mfn << 12) | flags;
}

static __unused struct pt_ctx ctx_of(u16 dom)
{
	struct pt_ctx c;

	pt_ctx_self(&c, dom, false);
	return c;
}

static __unused u32 gcount(mfn_t mfn)
{
	return F(mfn)->count;
}

static __unused u64 tcount(mfn_t mfn)
{
	return pgt_count(F(mfn)->type_info);
}

static __unused unsigned int ptype(mfn_t mfn)
{
	return pgt_type(F(mfn)->type_info);
}

static __unused bool validated(mfn_t mfn)
{
	return (F(mfn)->type_info & PGT_VALIDATED) != 0;
}

static __unused bool queued(mfn_t mfn)
{
	return (F(mfn)->type_info & PGT_QUEUED) != 0;
}

static __unused bool pinned(mfn_t mfn)
{
	return (F(mfn)->type_info & PGT_PINNED) != 0;
}

/* Takes a type reference through the API a hypercall would use. */
static __unused int get_type(mfn_t mfn, unsigned int type)
{
	struct pt_ctx c = ctx_of(F(mfn)->owner);

	return pt_get_type(F(mfn), type, &c);
}

/* An L1 of dom mapping data frame data read-only in entry 0. */
static __unused mfn_t l1_with(u16 dom, mfn_t data, u64 flags)
{
	mfn_t l1 = new_frame(dom);

	fake_mem[l1][0] = pte(data, flags);
	return l1;
}

/* Builds L4 -> L3 -> L2 -> one L1 mapping data (entry 0 at each level); returns the L4. */
static __unused mfn_t tree_with(u16 dom, mfn_t data, mfn_t *l3, mfn_t *l2, mfn_t *l1)
{
	mfn_t a = l1_with(dom, data, PG_P | PG_RW);
	mfn_t b = new_frame(dom), c = new_frame(dom), d = new_frame(dom);

	fake_mem[b][0] = pte(a, PG_P | PG_RW);
	fake_mem[c][0] = pte(b, PG_P | PG_RW);
	fake_mem[d][0] = pte(c, PG_P | PG_RW);
	if (l3)
		*l3 = c;
	if (l2)
		*l2 = b;
	if (l1)
		*l1 = a;
	return d;
}

/* Each case ends with no invariant broken. */
static __unused void no_bugs(void)
{
	CHECK_MSG(bugs == 0, "%d broken invariant(s), last: %s", bugs, last_bug ? last_bug : "?");
}

#endif
