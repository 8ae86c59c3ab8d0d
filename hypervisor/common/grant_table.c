/*
 * Grant tables, version 1: each domain's table of grant entries, the
 * active state Mica keeps beside it, the maptrack of the mappings a domain
 * holds, and grant_table_op (hypercall 20).
 *
 * Pure logic: this file includes no arch header. The page-table and frame
 * work goes through the arch_gnttab_* hooks of mica/grant_table.h, so the
 * host unit test (tests/unit/test_grant_table.c) drives this very source.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/grant_table.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/spinlock.h>
#include <pv/grant_table.h>
#include <pv/hypercall_handlers.h>

/*
 * Theory of operation.
 *
 * The shared table. A domain's grant table is a run of frames it owns and
 * maps read-write (GNTTABOP_setup_table hands out their MFNs), holding
 * 512 eight-byte entries each. The guest writes them; the hypervisor only
 * reads them and sets or clears GTF_reading and GTF_writing with atomic
 * operations on the first four bytes (flags and domid together), the way
 * the guest itself revokes an entry. It never trusts an entry beyond the
 * instant it reads it.
 *
 * Active entries. Beside every entry the hypervisor keeps a private
 * record: pin, the number of mappings and copies in progress, in four
 * 8-bit counters (host writable, host read-only, device writable, device
 * read-only, as on Xen); the domain that pinned it; and the frame it
 * named when the first pin was taken. While pin is non-zero that record,
 * not the guest's entry, is what counts: the granter may rewrite the entry
 * but cannot move a live mapping to another frame or another domain. The
 * first pin checks the entry (type permit_access, no sub_page for a map,
 * domid the caller's real id, not GTF_readonly for a writable use) and
 * sets GTF_reading, plus GTF_writing for a writable use; a writable use of
 * an entry pinned read-only so far sets GTF_writing (refused if the entry
 * became GTF_readonly meanwhile). GTF_writing goes when the last writable
 * pin goes, GTF_reading with the last pin, after the mappings are gone from
 * every TLB. So the granter sees the bits exactly while its page is in use.
 *
 * References. Every pinned use holds one general reference on the frame
 * per kind of mapping (host, device) or per copy side, plus a writable
 * type reference when it is not read-only, so the frame can neither be
 * freed nor become a page table while in use. The first pin takes its
 * reference only if the frame is RAM the granter owns (else GNTST_bad_page):
 * a grant never reaches anything its granter could not map itself. A host
 * mapping's PTE, written by the memory manager, holds references of its
 * own as every L1 entry does, so a guest that zaps it behind our back only
 * drops those; the grant's references stay until the handle is unmapped
 * (which then fails, as on Xen: the PTE no longer matches) or the mapping
 * domain dies (grant_table_release).
 *
 * Maptrack. A domain's mappings of grants (its own or others') live in its
 * maptrack, pages of 256 records allocated as needed up to a limit; the
 * handle a map returns is the record's index. A record keeps a reference
 * on the granting domain, whose active entry it pins, until the mapping is
 * gone. A record being set up or torn down is marked busy, so a second
 * unmap of the same handle racing with the first gets GNTST_bad_handle.
 *
 * Locking. One spinlock per table guards its frames, active entries and
 * maptrack. No path holds two tables' locks at once, and no path holds one
 * across a call into the memory manager that may flush TLBs (writable type
 * references, PTE writes, flushes, freeing frames): those happen between
 * pinning and unpinning, with the pin and the references keeping
 * everything in place. Taking a general reference (arch_gnttab_get_page)
 * is lock-free and is done under the lock.
 *
 * Lifetime. A domain reference keeps the struct domain, not its table:
 * domain_destroy frees the table (grant_table_destroy) while others may
 * still hold references. Two rules make that safe. An operation that
 * found the granter with domain_get (map, copy, setup_table, query_size)
 * holds it only within one hypercall, and destruction passes a
 * cpus_quiesce after is_dying (which domain_get refuses) and before the
 * table goes: every CPU has left the hypercall it was in. A reference
 * kept across hypercalls (a maptrack record's) comes with a pin, and the
 * table goes only once nr_pinned, read under the table lock, is 0; so
 * the unpin that ended the last use has also left the lock.
 *
 * Batches. map, unmap and copy handle at most GNTTAB_BATCH operations per
 * call, and fewer when other work is pending, then continue the hypercall
 * with the rest; unmap flushes TLBs once per chunk of UNMAP_CHUNK before it
 * drops the references and flags of that chunk.
 */

#define ENTRIES_PER_FRAME GRANT_ENTRIES_V1_PER_FRAME
#define GNTTAB_CMD_MASK 0xfffu        /* cmd bits above are continuation state (Xen's) */
#define GNTTAB_BATCH 128
#define UNMAP_CHUNK 32
#define RELEASE_BATCH 256

/* Pin counters, 8 bits each; a counter at 128 refuses further pins. */
#define PIN_HOST_W 0x00000001u
#define PIN_HOST_R 0x00000100u
#define PIN_DEV_W 0x00010000u
#define PIN_DEV_R 0x01000000u
#define PIN_WRITABLE_MASK 0x00ff00ffu
#define PIN_OVERFLOW_MASK 0x80808080u

/* The mapping kinds a maptrack record holds, and the flags it keeps. */
#define MAP_KINDS (GNTMAP_device_map | GNTMAP_host_map)
#define MAP_KEPT (MAP_KINDS | GNTMAP_readonly | GNTMAP_application_map | GNTMAP_contains_pte)
#define MT_BUSY (1u << 31)
#define MT_NONE 0xffffffffu
#define FRAME_GONE (~0ULL)        /* frame_mfn[] of a table frame already freed */

struct gnttab_active {
	u32 pin;                  /* PIN_* counters; 0: not in use */
	domid_t domid;            /* who pinned it, while pin != 0 */
	u16 _pad;
	u32 frame;                /* the MFN the entry named at the first pin */
	u32 _pad2;
};
_Static_assert(sizeof(struct gnttab_active) == 16, "active entries pack 256 to a page");

struct gnttab_maptrack {
	struct domain *rd;        /* the granting domain, referenced while in use */
	u32 ref;                  /* in use: the grant reference; free: the next free handle */
	u32 flags;                /* MAP_KEPT bits still held, MT_BUSY; 0: free */
};
_Static_assert(sizeof(struct gnttab_maptrack) == 16, "maptrack records pack 256 to a page");

#define MT_PER_PAGE (PAGE_SIZE / sizeof(struct gnttab_maptrack))

struct grant_table {
	spinlock_t lock;          /* guards everything below that is not (const) */
	unsigned int max_frames;  /* (const) */
	unsigned int max_mt_pages; /* (const) */
	unsigned int nr_frames;   /* frames [0, nr_frames) exist; only grows */
	u32 nr_pinned;            /* active entries with pin != 0 */

	/* Per frame: the hypervisor's mapping (words: flags|domid<<16, frame), its MFN, the active records. */
	u32 *shared[GNTTAB_MAX_FRAMES_LIMIT];
	u64 frame_mfn[GNTTAB_MAX_FRAMES_LIMIT];
	struct gnttab_active *active[GNTTAB_MAX_FRAMES_LIMIT];
	bool frame_hv_ref[GNTTAB_MAX_FRAMES_LIMIT]; /* the hypervisor's reference is still held */

	struct gnttab_maptrack **maptrack; /* [max_mt_pages], pages allocated as needed */
	unsigned int mt_pages;
	u32 mt_free;              /* first free handle, MT_NONE if none */
	u32 mt_used;              /* records not free */
	u32 release_cursor;       /* grant_table_release's progress */
};

/* ---- small helpers ---- */

static u32 nr_entries(const struct grant_table *gt)
{
	return gt->nr_frames * ENTRIES_PER_FRAME;
}

/* The entry's first word (flags in bits 15:0, domid in 31:16); [1] is its frame. */
static u32 *entry_words(const struct grant_table *gt, u32 ref)
{
	return &gt->shared[ref / ENTRIES_PER_FRAME][(ref % ENTRIES_PER_FRAME) * 2];
}

static struct gnttab_active *active_of(const struct grant_table *gt, u32 ref)
{
	return &gt->active[ref / ENTRIES_PER_FRAME][ref % ENTRIES_PER_FRAME];
}

static struct gnttab_maptrack *mt_of(const struct grant_table *gt, u32 handle)
{
	return &gt->maptrack[handle / MT_PER_PAGE][handle % MT_PER_PAGE];
}

/*
 * The domain named by dom, whose table cur may look at or set up (itself,
 * or any for a privileged cur): GNTST_okay with *d referenced, or the
 * status. The reference alone does not keep d's table: domain_destroy
 * frees it once no pin is left, after a cpus_quiesce that follows
 * is_dying, so a table found here stays until this hypercall returns
 * (see "Lifetime" above).
 */
static s16 lookup_table(struct domain *cur, domid_t dom, struct domain **d)
{
	long rc = domain_get_target(cur, dom, d);

	if (rc)
		return rc == -ESRCH ? GNTST_bad_domain : GNTST_permission_denied;
	return GNTST_okay;
}

/* ---- pins: the active entry and the GTF flags ---- */

/*
 * Sets GTF_reading (and GTF_writing) in entry w for domain ldom, checking
 * the entry first when it is not pinned yet. The guest may race with us
 * on the word: a few retries, then the entry counts as unstable.
 */
static s16 set_entry_flags(u32 *w, u32 pin, domid_t ldom, bool readonly, bool mapping)
{
	u32 mask = GTF_type_mask | (mapping ? GTF_sub_page : 0);
	u32 old = __atomic_load_n(w, __ATOMIC_SEQ_CST);

	for (unsigned int tries = 0;; tries++) {
		u32 flags = old & 0xffff, domid = old >> 16;
		u32 want = old | GTF_reading | (readonly ? 0 : GTF_writing);

		if ((!pin && ((flags & mask) != GTF_permit_access || domid != ldom)) ||
		    (!readonly && (flags & GTF_readonly)))
			return GNTST_general_error;
		if (__atomic_compare_exchange_n(w, &old, want, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return GNTST_okay;
		if (tries == 4)
			return GNTST_general_error;
	}
}

/* Clears the flags a use of the given writability no longer needs. Lock held. */
static void settle_entry_flags(struct grant_table *gt, u32 ref, bool readonly)
{
	const struct gnttab_active *act = active_of(gt, ref);
	u32 bits = 0;

	if (!readonly && !(act->pin & PIN_WRITABLE_MASK))
		bits |= GTF_writing;
	if (!act->pin)
		bits |= GTF_reading;
	if (bits)
		__atomic_fetch_and(entry_words(gt, ref), ~bits, __ATOMIC_SEQ_CST);
}

/*
 * Pins entry ref of rd for a use by domain ldom: adds incr to the pin,
 * keeps the GTF flags right and takes one general reference on the frame.
 * mapping: map_grant_ref (else a copy), which decides two statuses, as on
 * Xen. Returns GNTST_okay with *frame set, or the status.
 */
static s16 pin_entry(struct domain *rd, u32 ref, domid_t ldom, u32 incr, bool readonly,
		     bool mapping, u64 *frame)
{
	struct grant_table *gt = rd->grant;
	struct gnttab_active *act;
	bool have_ref = false;
	s16 rc = GNTST_okay;
	u32 *w;

	spin_lock(&gt->lock);
	if (ref >= nr_entries(gt)) {
		rc = GNTST_bad_gntref;
		goto out;
	}
	act = active_of(gt, ref);
	w = entry_words(gt, ref);
	if (act->pin && (act->domid != ldom || (act->pin & PIN_OVERFLOW_MASK))) {
		rc = GNTST_general_error;
		goto out;
	}
	if (!act->pin || (!readonly && !(act->pin & PIN_WRITABLE_MASK))) {
		rc = set_entry_flags(w, act->pin, ldom, readonly, mapping);
		if (rc)
			goto out;
		if (!act->pin) {
			u32 f = __atomic_load_n(&w[1], __ATOMIC_ACQUIRE);

			if (!arch_gnttab_get_page(rd, f)) {
				rc = GNTST_bad_page;
				goto out_settle;
			}
			have_ref = true;
			act->frame = f;
			act->domid = ldom;
		}
	}
	if (!have_ref && !arch_gnttab_get_page(rd, act->frame)) {
		/* Pinned, yet no longer the granter's: it is dying. */
		rc = mapping ? GNTST_general_error : GNTST_bad_domain;
		goto out_settle;
	}
	if (!act->pin)
		gt->nr_pinned++;
	act->pin += incr;
	*frame = act->frame;
	spin_unlock(&gt->lock);
	return GNTST_okay;

out_settle:
	settle_entry_flags(gt, ref, readonly);
out:
	spin_unlock(&gt->lock);
	return rc;
}

/* Takes decr off the pin of rd's entry ref and settles its flags (references are the caller's). */
static void unpin_entry(struct domain *rd, u32 ref, u32 decr, bool readonly)
{
	struct grant_table *gt = rd->grant;
	struct gnttab_active *act;

	spin_lock(&gt->lock);
	act = active_of(gt, ref);
	act->pin -= decr;
	if (!act->pin)
		gt->nr_pinned--;
	settle_entry_flags(gt, ref, readonly);
	spin_unlock(&gt->lock);
}

/* The frame a pinned entry names; stable while the caller's pin lasts. */
static u64 pinned_frame(struct domain *rd, u32 ref)
{
	struct grant_table *gt = rd->grant;
	u64 f;

	spin_lock(&gt->lock);
	f = active_of(gt, ref)->frame;
	spin_unlock(&gt->lock);
	return f;
}

/* ---- maptrack ---- */

/* A free handle, marked busy; MT_NONE when the domain may track no more mappings. */
static u32 maptrack_get(struct grant_table *gt)
{
	struct gnttab_maptrack *page = NULL, *mt;
	u32 h;

	spin_lock(&gt->lock);
	if (gt->mt_free == MT_NONE && gt->mt_pages < gt->max_mt_pages) {
		spin_unlock(&gt->lock);
		page = hv_zalloc(PAGE_SIZE);
		spin_lock(&gt->lock);
		/* Another vCPU may have added a page meanwhile: then ours goes back. */
		if (page && gt->mt_free == MT_NONE && gt->mt_pages < gt->max_mt_pages) {
			u32 base = gt->mt_pages * MT_PER_PAGE;

			for (u32 i = 0; i < MT_PER_PAGE; i++)
				page[i].ref = i + 1 < MT_PER_PAGE ? base + i + 1 : MT_NONE;
			gt->maptrack[gt->mt_pages++] = page;
			gt->mt_free = base;
			page = NULL;
		}
	}
	h = gt->mt_free;
	if (h != MT_NONE) {
		mt = mt_of(gt, h);
		gt->mt_free = mt->ref;
		*mt = (struct gnttab_maptrack){ .flags = MT_BUSY };
		gt->mt_used++;
	}
	spin_unlock(&gt->lock);
	hv_free(page, PAGE_SIZE);
	return h;
}

static void maptrack_put(struct grant_table *gt, u32 h)
{
	struct gnttab_maptrack *mt;

	spin_lock(&gt->lock);
	mt = mt_of(gt, h);
	*mt = (struct gnttab_maptrack){ .ref = gt->mt_free };
	gt->mt_free = h;
	gt->mt_used--;
	spin_unlock(&gt->lock);
}

/* ---- the table over a domain's life ---- */

/* Adds frames until the table has want. Lock held. 0 or -ENOMEM (the frames added stay). */
static int grow_table(struct domain *d, struct grant_table *gt, unsigned int want)
{
	while (gt->nr_frames < want) {
		unsigned int i = gt->nr_frames;
		size_t act_size = ENTRIES_PER_FRAME * sizeof(struct gnttab_active);
		struct gnttab_active *act = hv_zalloc(act_size);
		void *va;
		u64 mfn;

		if (!act)
			return -ENOMEM;
		va = arch_gnttab_alloc_frame(d, &mfn);
		if (!va) {
			hv_free(act, act_size);
			return -ENOMEM;
		}
		gt->active[i] = act;
		gt->shared[i] = va;
		gt->frame_mfn[i] = mfn;
		gt->frame_hv_ref[i] = true;
		gt->nr_frames = i + 1;
	}
	return 0;
}

int grant_table_init(struct domain *d, unsigned int max_frames, unsigned int max_maptrack_frames)
{
	struct grant_table *gt;

	if (!max_frames || max_frames > GNTTAB_MAX_FRAMES_LIMIT ||
	    max_maptrack_frames > GNTTAB_MAX_MAPTRACK_LIMIT)
		return -EINVAL;
	gt = hv_zalloc(sizeof(*gt));
	if (!gt)
		return -ENOMEM;
	gt->max_frames = max_frames;
	gt->max_mt_pages = max_maptrack_frames;
	gt->mt_free = MT_NONE;
	d->grant = gt;
	/* No maptrack at all is allowed (as on Xen): such a domain maps no grant. */
	if (max_maptrack_frames)
		gt->maptrack = hv_zalloc(max_maptrack_frames * sizeof(*gt->maptrack));
	if ((max_maptrack_frames && !gt->maptrack) || grow_table(d, gt, 1)) {
		grant_table_destroy(d);
		return -ENOMEM;
	}
	return 0;
}

/* Unmap's second half: drops what a mapping held, after the TLB flush. */
struct unmap_state {
	struct domain *rd;
	u32 handle, ref;
	u64 frame;
	u32 done;                 /* MAP_KINDS this unmap took away */
	bool readonly;
	bool free_handle;         /* no kind left: the record goes */
};

static void unmap_complete(struct domain *ld, const struct unmap_state *st)
{
	u32 decr = 0;

	if (!st->done)
		return;
	if (st->done & GNTMAP_device_map) {
		decr += st->readonly ? PIN_DEV_R : PIN_DEV_W;
		arch_gnttab_put_page(st->frame, !st->readonly);
	}
	if (st->done & GNTMAP_host_map) {
		decr += st->readonly ? PIN_HOST_R : PIN_HOST_W;
		arch_gnttab_put_page(st->frame, !st->readonly);
	}
	unpin_entry(st->rd, st->ref, decr, st->readonly);
	if (st->free_handle) {
		domain_put(st->rd);
		maptrack_put(ld->grant, st->handle);
	}
}

int grant_table_release(struct domain *d)
{
	struct grant_table *gt = d->grant;
	unsigned int n = 0;

	if (!gt)
		return 0;
	for (;; gt->release_cursor++) {
		struct unmap_state st = { .free_handle = true };
		struct gnttab_maptrack *mt;
		u32 flags;

		spin_lock(&gt->lock);
		if (gt->release_cursor >= gt->mt_pages * MT_PER_PAGE) {
			spin_unlock(&gt->lock);
			return 0;
		}
		mt = mt_of(gt, gt->release_cursor);
		flags = mt->flags;
		if (!(flags & MAP_KINDS) || (flags & MT_BUSY)) {
			spin_unlock(&gt->lock);
			continue;
		}
		mt->flags = MT_BUSY;
		st.rd = mt->rd;
		st.ref = mt->ref;
		st.handle = gt->release_cursor;
		spin_unlock(&gt->lock);

		st.done = flags & MAP_KINDS;
		st.readonly = flags & GNTMAP_readonly;
		st.frame = pinned_frame(st.rd, st.ref);
		unmap_complete(d, &st);
		if (++n >= RELEASE_BATCH || hypercall_preempt_check()) {
			gt->release_cursor++;
			return -EAGAIN;
		}
	}
}

int grant_table_destroy(struct domain *d)
{
	struct grant_table *gt = d->grant;
	int rc = 0;

	if (!gt)
		return 0;
	/*
	 * Under the lock, not a bare read: an unpin lowers nr_pinned before
	 * it settles the entry's flags and lets go of the lock, so a count of
	 * 0 seen without the lock may still have a CPU inside the table.
	 */
	spin_lock(&gt->lock);
	rc = gt->nr_pinned || gt->mt_used ? -EBUSY : 0;
	spin_unlock(&gt->lock);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < gt->nr_frames; i++) {
		if (gt->frame_mfn[i] == FRAME_GONE)
			continue;
		gt->shared[i] = NULL;
		if (arch_gnttab_free_frame(gt->frame_mfn[i], gt->frame_hv_ref[i])) {
			gt->frame_hv_ref[i] = false;
			rc = -EBUSY;
			continue;
		}
		gt->frame_mfn[i] = FRAME_GONE;
	}
	if (rc)
		return rc;
	for (unsigned int i = 0; i < gt->nr_frames; i++)
		hv_free(gt->active[i], ENTRIES_PER_FRAME * sizeof(struct gnttab_active));
	if (gt->maptrack) {
		for (unsigned int i = 0; i < gt->mt_pages; i++)
			hv_free(gt->maptrack[i], PAGE_SIZE);
		hv_free(gt->maptrack, gt->max_mt_pages * sizeof(*gt->maptrack));
	}
	hv_free(gt, sizeof(*gt));
	d->grant = NULL;
	return 0;
}

bool grant_table_first_pinned(struct domain *d, u32 *ref, domid_t *by, u64 *mfn)
{
	struct grant_table *gt = d->grant;
	bool found = false;

	if (!gt)
		return false;
	spin_lock(&gt->lock);
	for (u32 r = 0; r < nr_entries(gt) && !found; r++) {
		const struct gnttab_active *act = active_of(gt, r);

		if (act->pin) {
			*ref = r;
			*by = act->domid;
			*mfn = act->frame;
			found = true;
		}
	}
	spin_unlock(&gt->lock);
	return found;
}

/* ---- map_grant_ref ---- */

/* One map_grant_ref: fills in op's handle and dev_bus_addr and returns the status. */
static s16 map_one(struct domain *ld, struct gnttab_map_grant_ref *op)
{
	bool readonly = op->flags & GNTMAP_readonly;
	bool dev = op->flags & GNTMAP_device_map, host = op->flags & GNTMAP_host_map;
	u32 incr = 0, handle;
	unsigned int refs = 1, typed = 0;
	struct gnttab_maptrack *mt;
	struct domain *rd;
	u64 frame;
	s16 rc;

	if (!dev && !host)
		return GNTST_bad_gntref;
	/* Only a real id names the granter: DOMID_SELF is no domain here, as on Xen. */
	rd = op->dom == DOMID_SELF ? NULL : domain_get_by_any_id(ld, op->dom);
	if (!rd)
		return GNTST_bad_domain;
	handle = maptrack_get(ld->grant);
	if (handle == MT_NONE) {
		domain_put(rd);
		return GNTST_no_space;
	}
	if (dev)
		incr += readonly ? PIN_DEV_R : PIN_DEV_W;
	if (host)
		incr += readonly ? PIN_HOST_R : PIN_HOST_W;
	rc = pin_entry(rd, op->ref, ld->id, incr, readonly, true, &frame);
	if (rc)
		goto out_handle;

	/* One general reference per kind, and a writable type reference each unless read-only. */
	rc = GNTST_general_error;
	if (dev && host) {
		if (!arch_gnttab_get_page(rd, frame))
			goto undo;
		refs++;
	}
	for (; !readonly && typed < refs; typed++)
		if (arch_gnttab_get_writable(frame))
			goto undo;
	if (host && arch_gnttab_create_mapping(ld, op->host_addr, op->flags, frame, rd->id))
		goto undo;

	/* The maptrack record keeps the reference to rd. */
	spin_lock(&ld->grant->lock);
	mt = mt_of(ld->grant, handle);
	mt->rd = rd;
	mt->ref = op->ref;
	mt->flags = op->flags & MAP_KEPT;
	spin_unlock(&ld->grant->lock);
	op->dev_bus_addr = frame << PAGE_SHIFT;
	op->handle = handle;
	return GNTST_okay;

undo:
	while (refs--)
		arch_gnttab_put_page(frame, refs < typed);
	unpin_entry(rd, op->ref, incr, readonly);
out_handle:
	maptrack_put(ld->grant, handle);
	domain_put(rd);
	return rc;
}

/* ---- unmap_grant_ref ---- */

/* The first half: checks the handle and clears the PTE; the rest waits for the flush. */
static s16 unmap_one(struct domain *ld, const struct gnttab_unmap_grant_ref *op,
		     struct unmap_state *st)
{
	struct grant_table *lgt = ld->grant;
	struct gnttab_maptrack *mt;
	u32 flags, left;
	s16 rc = GNTST_okay;

	*st = (struct unmap_state){ .handle = op->handle };
	spin_lock(&lgt->lock);
	if (op->handle >= lgt->mt_pages * MT_PER_PAGE) {
		spin_unlock(&lgt->lock);
		return GNTST_bad_handle;
	}
	mt = mt_of(lgt, op->handle);
	flags = mt->flags;
	if (!(flags & MAP_KINDS) || (flags & MT_BUSY)) {
		spin_unlock(&lgt->lock);
		return GNTST_bad_handle;
	}
	mt->flags = flags | MT_BUSY;
	st->rd = mt->rd;
	st->ref = mt->ref;
	spin_unlock(&lgt->lock);

	st->readonly = flags & GNTMAP_readonly;
	st->frame = pinned_frame(st->rd, st->ref);
	if (op->dev_bus_addr && op->dev_bus_addr != st->frame << PAGE_SHIFT) {
		rc = GNTST_general_error;
	} else {
		if (op->host_addr && (flags & GNTMAP_host_map)) {
			if (arch_gnttab_destroy_mapping(ld, op->host_addr, flags, st->frame))
				rc = GNTST_general_error;
			else
				st->done |= GNTMAP_host_map;
		}
		if (!rc && op->dev_bus_addr && (flags & GNTMAP_device_map))
			st->done |= GNTMAP_device_map;
	}

	left = flags & ~st->done;
	spin_lock(&lgt->lock);
	if (left & MAP_KINDS) {
		mt->flags = left;
	} else {
		/* Stays busy until unmap_complete frees it. */
		st->free_handle = true;
		mt->flags = MT_BUSY;
	}
	spin_unlock(&lgt->lock);
	return rc;
}

/* ---- copy ---- */

/* One side of a copy: the domain named, and what was taken on the frame. */
struct copy_side {
	struct domain *d;
	u64 frame;
	u32 ref;
	bool readonly;
	bool pinned;              /* ref is pinned (a grant side) */
	bool have_ref;            /* a general reference on frame */
	bool typed;               /* a writable type reference too */
};

static s16 copy_lock_domain(struct domain *ld, const struct gnttab_copy_ptr *p, bool gref,
			    struct copy_side *s)
{
	/* Only the caller's own frames can be named by frame number. */
	if (p->domid != DOMID_SELF && !gref)
		return GNTST_permission_denied;
	s->d = domain_get_by_any_id(ld, p->domid);
	return s->d ? GNTST_okay : GNTST_bad_domain;
}

static s16 copy_claim(struct domain *ld, const struct gnttab_copy_ptr *p, bool gref,
		      struct copy_side *s)
{
	s16 rc;

	if (gref) {
		rc = pin_entry(s->d, p->u.ref, ld->id, s->readonly ? PIN_HOST_R : PIN_HOST_W,
			       s->readonly, false, &s->frame);
		if (rc)
			return rc;
		s->ref = p->u.ref;
		s->pinned = true;
	} else {
		if (!arch_gnttab_get_page(s->d, p->u.gmfn))
			return GNTST_bad_page;
		s->frame = p->u.gmfn;
	}
	s->have_ref = true;
	if (!s->readonly) {
		if (arch_gnttab_get_writable(s->frame))
			return GNTST_general_error;
		s->typed = true;
	}
	return GNTST_okay;
}

static void copy_release(struct copy_side *s)
{
	if (s->have_ref)
		arch_gnttab_put_page(s->frame, s->typed);
	if (s->pinned)
		unpin_entry(s->d, s->ref, s->readonly ? PIN_HOST_R : PIN_HOST_W, s->readonly);
	if (s->d)
		domain_put(s->d);
}

static s16 copy_one(struct domain *ld, const struct gnttab_copy *op)
{
	struct copy_side src = { .readonly = true }, dst = { .readonly = false };
	bool src_gref = op->flags & GNTCOPY_source_gref, dst_gref = op->flags & GNTCOPY_dest_gref;
	s16 rc;

	rc = copy_lock_domain(ld, &op->source, src_gref, &src);
	if (!rc)
		rc = copy_lock_domain(ld, &op->dest, dst_gref, &dst);
	if (!rc)
		rc = copy_claim(ld, &op->source, src_gref, &src);
	if (!rc)
		rc = copy_claim(ld, &op->dest, dst_gref, &dst);
	if (!rc && ((u32)op->source.offset + op->len > PAGE_SIZE ||
		    (u32)op->dest.offset + op->len > PAGE_SIZE))
		rc = GNTST_bad_copy_arg;
	if (!rc && op->len)
		memmove((u8 *)arch_gnttab_map_frame(dst.frame) + op->dest.offset,
			(const u8 *)arch_gnttab_map_frame(src.frame) + op->source.offset, op->len);
	copy_release(&dst);
	copy_release(&src);
	return rc;
}

/* ---- the table operations ---- */

static long setup_table(struct domain *cur, pv_gva_t arg, u32 count)
{
	struct gnttab_setup_table op;
	u64 mfns[GNTTAB_MAX_FRAMES_LIMIT];
	struct domain *d;

	if (count != 1)
		return -EINVAL;
	if (copy_from_guest(&op, arg, sizeof(op)) ||
	    !guest_range_ok(op.frame_list, (u64)op.nr_frames * sizeof(u64)))
		return -EFAULT;
	op.status = lookup_table(cur, op.dom, &d);
	if (op.status == GNTST_okay) {
		spin_lock(&d->grant->lock);
		if (op.nr_frames > d->grant->max_frames || grow_table(d, d->grant, op.nr_frames))
			op.status = GNTST_general_error;
		else
			memcpy(mfns, d->grant->frame_mfn, op.nr_frames * sizeof(u64));
		spin_unlock(&d->grant->lock);
		/* A list the guest cannot take is its problem: the status says so, the call succeeds. */
		for (u32 i = 0; op.status == GNTST_okay && i < op.nr_frames; i++)
			if (copy_to_guest(op.frame_list + i * sizeof(u64), &mfns[i], sizeof(u64)))
				op.status = GNTST_bad_virt_addr;
		domain_put(d);
	}
	return copy_to_guest(arg + offsetof(struct gnttab_setup_table, status), &op.status,
			     sizeof(op.status)) ? -EFAULT : 0;
}

static long query_size(struct domain *cur, pv_gva_t arg, u32 count)
{
	struct gnttab_query_size op;
	struct domain *d;

	if (count != 1)
		return -EINVAL;
	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	op.status = lookup_table(cur, op.dom, &d);
	if (op.status == GNTST_okay) {
		spin_lock(&d->grant->lock);
		op.nr_frames = d->grant->nr_frames;
		op.max_nr_frames = d->grant->max_frames;
		spin_unlock(&d->grant->lock);
		domain_put(d);
	}
	return copy_to_guest(arg, &op, sizeof(op)) ? -EFAULT : 0;
}

/* Version 1 only: asking for 2 is -ENOSYS, Xen's answer when v2 is off, and Linux then uses 1. */
static long set_version(pv_gva_t arg)
{
	struct gnttab_set_version op;
	long rc;

	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	rc = op.version == 1 ? 0 : (op.version == 2 ? -ENOSYS : -EINVAL);
	op.version = 1;
	return copy_to_guest(arg, &op, sizeof(op)) ? -EFAULT : rc;
}

static long get_version(struct domain *cur, pv_gva_t arg)
{
	struct gnttab_get_version op;
	struct domain *d;
	long rc;

	if (copy_from_guest(&op, arg, sizeof(op)))
		return -EFAULT;
	rc = domain_get_target(cur, op.dom, &d);
	if (rc)
		return rc;
	domain_put(d);
	op.version = 1;
	return copy_to_guest(arg + offsetof(struct gnttab_get_version, version), &op.version,
			     sizeof(op.version)) ? -EFAULT : 0;
}

/* Re-issues the hypercall for operations [done, count) of the array at ops. */
static long continue_batch(u32 cmd, pv_gva_t ops, size_t size, u32 done, u32 count)
{
	u64 args[3] = { cmd, ops + (u64)done * size, count - done };

	return hypercall_create_continuation(3, args);
}

/* Whether a batch that has done i operations should stop here and continue. */
static bool batch_stop(u32 i)
{
	return i && (i >= GNTTAB_BATCH || hypercall_preempt_check());
}

static long map_batch(struct domain *ld, u32 cmd, pv_gva_t ops, u32 count)
{
	for (u32 i = 0; i < count; i++) {
		struct gnttab_map_grant_ref op;
		pv_gva_t va = ops + (u64)i * sizeof(op);

		if (batch_stop(i))
			return continue_batch(cmd, ops, sizeof(op), i, count);
		if (copy_from_guest(&op, va, sizeof(op)))
			return -EFAULT;
		op.status = map_one(ld, &op);
		if (copy_to_guest(va, &op, sizeof(op)))
			return -EFAULT;
	}
	return 0;
}

static long unmap_batch(struct domain *ld, u32 cmd, pv_gva_t ops, u32 count)
{
	struct unmap_state st[UNMAP_CHUNK];
	u32 i = 0;

	while (i < count) {
		u32 chunk = MIN(count - i, (u32)UNMAP_CHUNK), n;
		bool flush = false;
		long rc = 0;

		if (batch_stop(i))
			return continue_batch(cmd, ops, sizeof(struct gnttab_unmap_grant_ref), i, count);
		for (n = 0; n < chunk; n++) {
			struct gnttab_unmap_grant_ref op;
			pv_gva_t va = ops + (u64)(i + n) * sizeof(op);

			if (copy_from_guest(&op, va, sizeof(op))) {
				rc = -EFAULT;
				break;
			}
			op.status = unmap_one(ld, &op, &st[n]);
			flush |= (st[n].done & GNTMAP_host_map) != 0;
			if (copy_to_guest(va + offsetof(struct gnttab_unmap_grant_ref, status),
					  &op.status, sizeof(op.status))) {
				rc = -EFAULT;
				n++;
				break;
			}
		}
		/* No CPU may still reach a frame through a cleared PTE once its flags go. */
		if (flush)
			arch_gnttab_flush_tlb(ld);
		for (u32 k = 0; k < n; k++)
			unmap_complete(ld, &st[k]);
		if (rc)
			return rc;
		i += chunk;
	}
	return 0;
}

static long copy_batch(struct domain *ld, u32 cmd, pv_gva_t ops, u32 count)
{
	for (u32 i = 0; i < count; i++) {
		struct gnttab_copy op;
		pv_gva_t va = ops + (u64)i * sizeof(op);

		if (batch_stop(i))
			return continue_batch(cmd, ops, sizeof(op), i, count);
		if (copy_from_guest(&op, va, sizeof(op)))
			return -EFAULT;
		op.status = copy_one(ld, &op);
		if (copy_to_guest(va + offsetof(struct gnttab_copy, status), &op.status,
				  sizeof(op.status)))
			return -EFAULT;
	}
	return 0;
}

/*
 * grant_table_op(cmd, ops, count): count operations of cmd's type from the
 * array at ops, each with its own status (GNTST_*). The return value is 0,
 * or an error for the call as a whole: -EINVAL (count over 2^31, stray
 * bits in cmd, count != 1 where one structure is expected), -EFAULT
 * (unreadable array), -ENOSYS (unknown or unimplemented command).
 */
long do_grant_table_op(pv_u32 cmd, pv_gva_t ops, pv_u32 nr_ops)
{
	struct domain *cur = current_vcpu()->domain;
	u32 op = cmd & GNTTAB_CMD_MASK;

	if ((s32)nr_ops < 0 || (op != GNTTABOP_cache_flush && (cmd & ~GNTTAB_CMD_MASK)))
		return -EINVAL;
	if (!cur->grant)
		return -ENOSYS;

	switch (op) {
	case GNTTABOP_map_grant_ref:
		if (!guest_range_ok(ops, (u64)nr_ops * sizeof(struct gnttab_map_grant_ref)))
			return -EFAULT;
		return map_batch(cur, op, ops, nr_ops);
	case GNTTABOP_unmap_grant_ref:
		if (!guest_range_ok(ops, (u64)nr_ops * sizeof(struct gnttab_unmap_grant_ref)))
			return -EFAULT;
		return unmap_batch(cur, op, ops, nr_ops);
	case GNTTABOP_setup_table:
		return setup_table(cur, ops, nr_ops);
	case GNTTABOP_copy:
		if (!guest_range_ok(ops, (u64)nr_ops * sizeof(struct gnttab_copy)))
			return -EFAULT;
		return copy_batch(cur, op, ops, nr_ops);
	case GNTTABOP_query_size:
		return query_size(cur, ops, nr_ops);
	case GNTTABOP_set_version:
		return set_version(ops);
	case GNTTABOP_get_version:
		return get_version(cur, ops);
	default:
		/*
		 * dump_table (gone from Xen), transfer and unmap_and_replace
		 * (unused by Linux 6.1), the v2-only get_status_frames,
		 * swap_grant_ref and cache_flush: not implemented.
		 */
		return -ENOSYS;
	}
}
