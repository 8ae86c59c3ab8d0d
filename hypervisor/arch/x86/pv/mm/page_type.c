/*
 * Page types and reference counts of guest frames: the state machine that
 * lets a PV guest write its own page tables while never holding a
 * writable mapping of one. Pure logic, host-tested (tests/unit/test_pv_mm*).
 *
 * Theory of operation
 * ===================
 *
 * Two counts per frame (struct frame in mica/frame.h).
 *
 * frame.count holds general references: reasons the frame must stay with
 * its owner. The owning domain itself holds one from pv_page_assign() to
 * pv_page_release(); every present entry that maps the frame, every pin,
 * vCPU root and GDT slot, every hypervisor pointer into it holds one more.
 * A frame with count 0 is nobody's guest frame, and no reference can be
 * taken on it (get_page only increments a non-zero count, then checks the
 * owner). So the release that takes a count from 1 to 0 is final: the
 * frame can be freed without a reference sneaking in.
 *
 * frame.type_info holds a type, a type count and flags (mm_priv.h):
 *
 *   PGT_WRITABLE   mapped writable by at least one L1 entry
 *   PGT_L1..L4     a page table of that level, every entry checked
 *   PGT_SEG_DESC   a GDT page, every descriptor checked
 *
 * A frame has one type at a time, and the type can change only while the
 * type count is 0. That is the whole protection. A writable mapping takes
 * a PGT_WRITABLE reference, which a page table with a type count cannot
 * give; a frame mapped writable anywhere cannot become a page table or a
 * descriptor page. Every present L2 entry takes an L1 type reference on
 * the table it points to (L3 -> L2, L4 -> L3), so a table in use by a
 * higher table, a pin or a vCPU root keeps its type, and with it the
 * guarantee that its contents passed validation. Every other type
 * reference holder also holds a general reference.
 *
 * Taking a reference of type t (pt_get_type):
 *   - type count > 0, type t, VALIDATED: count + 1.
 *   - type count > 0, type t, not VALIDATED: another CPU is validating;
 *     wait for it (pt_relax) and look again.
 *   - type count > 0, another type: -EINVAL.
 *   - type count 0, type t, VALIDATED: count + 1, no checks. The frame
 *     kept its validation while unused (see below).
 *   - QUEUED: being devalidated; help drain the queues and look again.
 *   - type count 0 otherwise: claim it, by one compare-and-swap to
 *     (type t, count 1, not VALIDATED). From then on this CPU owns the
 *     frame's contents: others wait or fail. It then drops the references
 *     an old validation of another type still holds, flushes stale TLB
 *     entries if the type changes, validates the contents for t (every
 *     entry of a table, which takes references on what they map and may
 *     claim and validate lower tables in turn), and sets VALIDATED. If
 *     validation fails it releases the claim (count 0, still not
 *     VALIDATED) and returns the error.
 *
 * Dropping the last type reference of a page table devalidates it, as
 * on Xen: the references its entries hold go, and every table below
 * whose count falls to 0 that way is devalidated in turn, so once a guest
 * unpins a tree every page of it is an ordinary page again, in whatever
 * order the guest takes them back. A whole address space may go at once,
 * so the work is queued, not recursed: the dropped table is claimed
 * (count 1, QUEUED, with a general reference) and pushed on this CPU's
 * devalidation queue; devalidating a queued table (its 512 entries) may
 * queue more. pt_put_type drains a few tables at once (PT_DRAIN_FRAMES),
 * mmu_update and mmuext_op drain the rest before they return, continuing
 * themselves in between. A queued table is safe meanwhile: no type
 * reference can be taken on it, and whoever wants one helps drain.
 *
 * One exception keeps validation restartable: a table whose last
 * reference goes because a preempted validation unwinds keeps its
 * validation, and its references, while unused (a lazy put). The next
 * attempt takes it back with one increment and no checks; asked for as
 * another type, the claim above devalidates it first.
 *
 * Preemption. Validating an L4 may validate hundreds of lower tables. A
 * preemptible validation (pt_ctx.preemptible) checks for pending work
 * between entries of L2-L4 tables once it has finished at least one
 * table of its own (pt_ctx.progress), or has spent its budget
 * (pt_ctx.budget), and then unwinds: each table on the way up drops what
 * its entries took, with lazy puts, and releases its claim; the
 * hypercall is continued. The tables finished meanwhile stay validated
 * at type count 0, so the next attempt takes them with one increment
 * each and makes progress; every attempt finishes at least one table.
 * Recursion depth is bounded by the four levels: a table can only ever
 * wait for tables of a lower level, so waits cannot form a cycle (an L1
 * validation waits only for queued devalidations, which it helps along).
 *
 * Pins (MMUEXT_PIN_Ln) are one general and one type reference plus the
 * PINNED flag, which makes "already pinned" and "not pinned" detectable.
 * Roots (NEW_BASEPTR) and GDT frames hold references of their own.
 *
 * TLB flushing. Dropping a writable mapping leaves the translation in
 * the TLBs of the CPUs that used it; dropping the last table reference
 * leaves paging-structure caches pointing at the table. Either would let
 * a guest write a frame after it became a page table (or after a page
 * table became writable). So a frame records a stamp, the value of a
 * global flush clock, whenever it loses its last type reference or its
 * last mapping (count back to the owner's 1), and a type change flushes
 * every CPU that runs guest code unless a full flush has started since
 * that stamp. The flush happens after the claim, when no new mapping of
 * the old kind can appear, and before the new type is usable. One flush
 * serves every frame dropped before it, so pinning a whole new address
 * space costs one flush, not one per table. Releasing a frame from its
 * domain obeys the same rule. Stamps are 32 bits compared modulo 2^32;
 * a wrap can only cause an extra flush, never a missed one.
 *
 * Locking: every change to count or type_info is one atomic
 * compare-and-swap; the CPU that claims a frame has its contents to
 * itself until it sets VALIDATED or releases the claim. Each
 * devalidation queue has a spinlock, held only to push or pop. Page-table
 * entries change only by compare-and-swap too (validate.c), so a racing
 * update, or the CPU setting accessed/dirty bits, is retried, not lost.
 */
#include <mica/spinlock.h>
#include "mm_priv.h"

/* ---- the TLB flush clock ---- */

static u32 flush_started;  /* flushes begun; a stamp is this value */
static u32 flush_done;     /* highest flush number known to have completed */

/* The later of two stamps, modulo 2^32. */
static u32 stamp_max(u32 a, u32 b)
{
	return (s32)(b - a) > 0 ? b : a;
}

u32 pt_flush_clock(void)
{
	return __atomic_load_n(&flush_started, __ATOMIC_SEQ_CST);
}

void pt_flush_if_stale(u32 stamp)
{
	u32 done = __atomic_load_n(&flush_done, __ATOMIC_SEQ_CST);
	u32 me;

	/* A flush numbered after the stamp has completed: it began after the drop. */
	if (done - stamp - 1 < 0x80000000u)
		return;
	me = __atomic_add_fetch(&flush_started, 1, __ATOMIC_SEQ_CST);
	pt_flush_guest_tlbs();
	done = __atomic_load_n(&flush_done, __ATOMIC_SEQ_CST);
	while (stamp_max(done, me) != done &&
	       !__atomic_compare_exchange_n(&flush_done, &done, me, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST))
		;
}

static u64 with_stamp(u64 ti, u32 stamp)
{
	return (ti & 0xffffffffUL) | ((u64)stamp << PGT_STAMP_SHIFT);
}

/* Records that f just lost a mapping or its last type reference. */
static void stamp_now(struct frame *f)
{
	u64 x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);
	u32 now = pt_flush_clock();

	/* A queued frame's stamp field is its queue link; it is stamped when it leaves. */
	while (!(x & PGT_QUEUED) && stamp_max(pgt_stamp(x), now) != pgt_stamp(x) &&
	       !__atomic_compare_exchange_n(&f->type_info, &x, with_stamp(x, now), false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

void pt_ctx_self(struct pt_ctx *ctx, u16 domid, bool preemptible)
{
	*ctx = (struct pt_ctx){
		.pt_owner = domid,
		.pg_owner = domid,
		.pt_priv = pt_domain_privileged(domid),
		.preemptible = preemptible,
		.budget = PT_VALIDATE_BUDGET,
	};
	ctx->pg_priv = ctx->pt_priv;
}

/* ---- general references ---- */

u16 pt_get_page_any(struct frame *f)
{
	u32 c = __atomic_load_n(&f->count, __ATOMIC_SEQ_CST);

	do {
		if (c == 0 || c == 0xffffffffu)
			return FRAME_OWNER_NONE;
	} while (!__atomic_compare_exchange_n(&f->count, &c, c + 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	/* The owner cannot change while the count is above 0. */
	if (!(f->flags & FRAME_F_RAM)) {
		pt_put_page(f);
		return FRAME_OWNER_NONE;
	}
	return READ_ONCE(f->owner);
}

bool pt_get_page(struct frame *f, u16 owner)
{
	u16 o = pt_get_page_any(f);

	if (o == owner)
		return true;
	if (o != FRAME_OWNER_NONE)
		pt_put_page(f);
	return false;
}

void pt_put_page(struct frame *f)
{
	u32 c = __atomic_load_n(&f->count, __ATOMIC_SEQ_CST);

	do {
		/* The owner's reference goes only through pv_page_release. */
		if (c <= 1) {
			pt_bug("put_page: no reference to drop");
			return;
		}
	} while (!__atomic_compare_exchange_n(&f->count, &c, c - 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	if (c == 2)
		stamp_now(f);
}

/* ---- type references ---- */

/*
 * Gives up a claim (type count 1 -> 0, not VALIDATED): after a failed
 * validation, or with stamp after devalidating a table nobody uses.
 */
static void release_claim(struct frame *f, bool stamp)
{
	u64 x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST), nx;

	do {
		nx = (x - 1) & ~(PGT_VALIDATED | PGT_QUEUED);
		if (stamp)
			nx = with_stamp(nx, (x & PGT_QUEUED) ? pt_flush_clock() :
							       stamp_max(pgt_stamp(x), pt_flush_clock()));
	} while (!__atomic_compare_exchange_n(&f->type_info, &x, nx, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
}

/* ---- the devalidation queues ---- */

/*
 * One per CPU: tables whose last type reference went, claimed (count 1,
 * QUEUED, not VALIDATED) and holding a general reference each, linked
 * through their stamp fields (frame index + 1; 0 ends the list).
 */
static struct devalidation_queue {
	spinlock_t lock;
	u32 head;
} queues[PT_MAX_CPUS];

static void queue_push(struct frame *f)
{
	struct devalidation_queue *q = &queues[pt_this_cpu()];
	u64 x;

	spin_lock(&q->lock);
	x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);
	while (!__atomic_compare_exchange_n(&f->type_info, &x, with_stamp(x, q->head), false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	q->head = (u32)(frame_to_mfn(f) + 1);
	spin_unlock(&q->lock);
}

static struct frame *queue_pop(unsigned int cpu)
{
	struct devalidation_queue *q = &queues[cpu];
	struct frame *f = NULL;

	if (!__atomic_load_n(&q->head, __ATOMIC_SEQ_CST))
		return NULL;
	spin_lock(&q->lock);
	if (q->head) {
		f = &frame_table[q->head - 1];
		q->head = pgt_stamp(__atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST));
	}
	spin_unlock(&q->lock);
	return f;
}

/* The queued table f's turn: its entries' references go (queueing tables left unused). */
static void devalidate_queued(struct frame *f)
{
	pt_devalidate_table(f, pgt_type(__atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST)),
			    PT_PUT_QUEUE);
	release_claim(f, true);
	pt_put_page(f);
}

bool pt_drain(unsigned int frames)
{
	unsigned int me = pt_this_cpu();
	struct frame *f;

	while (frames-- > 0 && (f = queue_pop(me)))
		devalidate_queued(f);
	return !__atomic_load_n(&queues[me].head, __ATOMIC_SEQ_CST);
}

/* Devalidates one queued table from any CPU's queue, this one's first; false if none. */
static bool drain_one_anywhere(void)
{
	unsigned int me = pt_this_cpu();

	for (unsigned int i = 0; i < PT_MAX_CPUS; i++) {
		struct frame *f = queue_pop((me + i) % PT_MAX_CPUS);

		if (f) {
			devalidate_queued(f);
			return true;
		}
	}
	return false;
}

/*
 * This CPU has just claimed f for type (count 1, not VALIDATED), taking
 * it from the state old. Makes the contents fit the new type.
 */
static int finish_claim(struct frame *f, u64 old, unsigned int type, struct pt_ctx *ctx)
{
	unsigned int was = pgt_type(old);
	int rc = 0;

	if (was != type && (old & PGT_VALIDATED) && pgt_is_table(was))
		pt_devalidate_table(f, was, PT_PUT_QUEUE);
	if (was != type && was != PGT_NONE)
		pt_flush_if_stale(pgt_stamp(old));
	if (pgt_is_table(type))
		rc = pt_validate_table(f, type, ctx);
	else if (type == PGT_SEG_DESC)
		rc = pt_validate_desc_page(f);
	if (rc) {
		release_claim(f, false);
		return rc;
	}
	__atomic_fetch_or(&f->type_info, PGT_VALIDATED, __ATOMIC_SEQ_CST);
	if (type != PGT_WRITABLE)
		ctx->progress++;
	return 0;
}

int pt_get_type(struct frame *f, unsigned int type, struct pt_ctx *ctx)
{
	u64 x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);

	if (type == PGT_NONE || type > PGT_WRITABLE)
		return -EINVAL;
	for (;;) {
		u64 c = pgt_count(x), nx;

		if (x & PGT_DEAD)
			return -EINVAL;
		if (c == 0 && !(pgt_type(x) == type && (x & PGT_VALIDATED))) {
			nx = (x & ~(PGT_COUNT_MASK | PGT_TYPE_MASK | PGT_VALIDATED)) |
			     ((u64)type << PGT_TYPE_SHIFT) | 1;
			if (__atomic_compare_exchange_n(&f->type_info, &x, nx, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				return finish_claim(f, x, type, ctx);
			continue;
		}
		/* Being validated or devalidated (queued) elsewhere: wait for the outcome. */
		if ((pgt_type(x) == type && !(x & PGT_VALIDATED)) || (x & PGT_QUEUED)) {
			if (ctx->preemptible && pt_preempt_pending())
				return -ERESTART;
			/* Another CPU's claim must end: help with devalidations meanwhile. */
			if (!drain_one_anywhere())
				pt_relax();
			x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);
			continue;
		}
		if (pgt_type(x) != type)
			return -EINVAL;
		if (c == PGT_COUNT_MAX)
			return -EINVAL;
		if (__atomic_compare_exchange_n(&f->type_info, &x, x + 1, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return 0;
	}
}

int pt_get_type_in_use(struct frame *f, unsigned int type)
{
	u64 x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);

	do {
		if (pgt_type(x) != type || !(x & PGT_VALIDATED) || (x & PGT_DEAD) ||
		    pgt_count(x) == 0 || pgt_count(x) == PGT_COUNT_MAX)
			return -EINVAL;
	} while (!__atomic_compare_exchange_n(&f->type_info, &x, x + 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return 0;
}

void pt_put_type_mode(struct frame *f, enum pt_put_mode mode)
{
	u64 x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST), nx;

	for (;;) {
		if (pgt_count(x) == 0) {
			pt_bug("put_page_type: no type reference to drop");
			return;
		}
		if (mode != PT_PUT_LAZY && pgt_count(x) == 1 && (x & PGT_VALIDATED) &&
		    pgt_is_table(pgt_type(x))) {
			/* The last reference becomes the queue's claim, with a general reference. */
			if (pt_get_page_any(f) == FRAME_OWNER_NONE) {
				pt_bug("put_page_type: a table in use with no general reference");
				return;
			}
			if (__atomic_compare_exchange_n(&f->type_info, &x,
							(x & ~PGT_VALIDATED) | PGT_QUEUED, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
				queue_push(f);
				if (mode == PT_PUT_NOW)
					pt_drain(PT_DRAIN_FRAMES);
				return;
			}
			pt_put_page(f);
			continue;
		}
		nx = x - 1;
		if (pgt_count(nx) == 0)
			nx = with_stamp(nx, stamp_max(pgt_stamp(x), pt_flush_clock()));
		if (__atomic_compare_exchange_n(&f->type_info, &x, nx, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return;
	}
}

void pt_put_type(struct frame *f)
{
	pt_put_type_mode(f, PT_PUT_NOW);
}

int pt_get_page_and_type(struct frame *f, u16 owner, unsigned int type, struct pt_ctx *ctx)
{
	int rc;

	if (!pt_get_page(f, owner))
		return -EINVAL;
	rc = pt_get_type(f, type, ctx);
	if (rc)
		pt_put_page(f);
	return rc;
}

/* ---- pins ---- */

int pt_pin(struct frame *f, unsigned int type, struct pt_ctx *ctx)
{
	int rc;

	if (!pgt_is_table(type))
		return -EINVAL;
	rc = pt_get_page_and_type(f, ctx->pt_owner, type, ctx);
	if (rc)
		return rc;
	if (__atomic_fetch_or(&f->type_info, PGT_PINNED, __ATOMIC_SEQ_CST) & PGT_PINNED) {
		put_page_and_type(f);
		return -EINVAL;
	}
	return 0;
}

/* Drops the pin f holds, if any, on its owner's behalf; returns whether there was one. */
static bool drop_pin(struct frame *f)
{
	bool pinned = __atomic_fetch_and(&f->type_info, ~PGT_PINNED, __ATOMIC_SEQ_CST) & PGT_PINNED;

	if (pinned)
		put_page_and_type(f);
	return pinned;
}

int pt_unpin(struct frame *f, u16 owner)
{
	bool pinned;

	if (!pt_get_page(f, owner))
		return -EINVAL;
	pinned = drop_pin(f);
	pt_put_page(f);
	return pinned ? 0 : -EINVAL;
}

/* ---- the pv_mm.h interface that needs no struct domain ---- */

int get_page_type(struct frame *f, enum pv_page_type t)
{
	struct pt_ctx ctx;

	pt_ctx_self(&ctx, READ_ONCE(f->owner), false);
	return pt_get_type(f, t, &ctx);
}

void put_page(struct frame *f)
{
	pt_put_page(f);
}

void put_page_and_type(struct frame *f)
{
	pt_put_type(f);
	pt_put_page(f);
}

void pv_page_assign(struct frame *f)
{
	if (f->count || pgt_count(f->type_info) || (f->type_info & PGT_PINNED)) {
		pt_bug("pv_page_assign: frame already in use");
		return;
	}
	f->type_info = 0;
	__atomic_store_n(&f->count, 1, __ATOMIC_SEQ_CST);
}

/* Bounds the help a release gives the queues before it reports -EBUSY. */
#define RELEASE_DRAIN_FRAMES 64

int pv_page_release(struct frame *f)
{
	u32 one = 1;
	u64 x;

	drop_pin(f);
	/* Queued for devalidation (the queue holds a reference): help it along. */
	for (unsigned int i = 0; i < RELEASE_DRAIN_FRAMES &&
	     (__atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST) & PGT_QUEUED); i++)
		if (!drain_one_anywhere())
			break;
	if (!__atomic_compare_exchange_n(&f->count, &one, 0, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return -EBUSY;
	/* Count 0: no reference can appear any more; the frame is ours alone. */
	x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);
	if (pgt_count(x)) {
		pt_bug("pv_page_release: type references without general ones");
		return -EBUSY;
	}
	if ((x & PGT_VALIDATED) && !(x & PGT_DEAD) && pgt_is_table(pgt_type(x)))
		pt_devalidate_table(f, pgt_type(x), PT_PUT_QUEUE);
	pt_flush_if_stale(pgt_stamp(x));
	__atomic_store_n(&f->type_info, 0, __ATOMIC_SEQ_CST);
	return 0;
}

void pv_page_relinquish(struct frame *f)
{
	u64 x;

	drop_pin(f);
	x = __atomic_load_n(&f->type_info, __ATOMIC_SEQ_CST);
	do {
		if (!(x & PGT_VALIDATED) || !pgt_is_table(pgt_type(x)))
			return;
	} while (!__atomic_compare_exchange_n(&f->type_info, &x,
					      (x & ~PGT_VALIDATED) | PGT_DEAD, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	/* Every frame of the domain goes through here: lower tables need no queue. */
	pt_devalidate_table(f, pgt_type(x), PT_PUT_LAZY);
}
