/*
 * What a guest may put in its page tables and descriptor tables: the
 * per-level entry checks, validation of whole tables (taking a reference
 * for every present entry), checked read-modify-write of one entry, the
 * walk that finds the L1 entry for an address, and descriptor checks.
 * Pure logic, host-tested.
 *
 * Entry rules (section 3.9 of the PV ABI notes):
 *  - L1: P RW US A D G, available bits 9-11 and 52-62, NX. PWT, PCD and
 *    PAT only for a privileged table owner (dom0, which may map device
 *    memory); everyone else gets -EINVAL. The frame must belong to the
 *    page owner (the table owner, or mmu_update's foreign domain); RW
 *    needs a PGT_WRITABLE type reference. Non-RAM frames ("I/O memory")
 *    only for privileged owners, never the hypervisor's own devices.
 *  - L2, L3, L4: P RW US A D, available bits, NX. PSE, G, PWT and PCD
 *    are refused: no superpages. The child must be the table owner's and
 *    becomes a table of the level below.
 *  - L4 slots 256-271 belong to the hypervisor: validation skips what the
 *    guest left there and fills them (pv_init_guest_l4_slots); writes to
 *    them are refused.
 * Present entries are stored with U/S set (guest kernel and user both
 * run at CPL 3) and, in L1s, with G clear: Mica switches CR3 between
 * domains and between guest kernel and user without flushing global
 * entries, so a global guest mapping would outlive its address space.
 */
#include "mm_priv.h"

/* Entry flags a table of this level (1-4) refuses; priv: the owner has I/O privilege. */
static u64 disallowed(unsigned int level, bool priv)
{
	if (level == 1)
		return priv ? 0 : PG_PWT | PG_PCD | PG_PAT;
	return PG_PWT | PG_PCD | PG_PSE | PG_G;
}

/* The form a present entry is stored in. */
static u64 adjust(u64 e, unsigned int level)
{
	if (!(e & PG_P))
		return e;
	e |= PG_US;
	if (level == 1)
		e &= ~PG_G;
	return e;
}

struct frame *pv_ram_frame(u64 mfn)
{
	return mfn_is_ram(mfn) ? mfn_to_frame(mfn) : NULL;
}

/* Whose frames an L1 entry of ctx may map: Xen's rules, with dom0 trusted over every domain. */
static bool l1_owner_ok(u16 owner, const struct pt_ctx *ctx)
{
	if (owner == ctx->pg_owner)
		return true;
	/* A privileged page owner other than the table owner lends its right to map anyone's. */
	return ctx->pg_owner != ctx->pt_owner && ctx->pg_owner <= FRAME_OWNER_MAX_DOMID &&
	       ctx->pg_priv && owner <= FRAME_OWNER_MAX_DOMID;
}

static int l1e_get(u64 e, struct pt_ctx *ctx)
{
	mfn_t mfn = pte_mfn(e);
	struct frame *f = pv_ram_frame(mfn);
	u16 owner;
	int rc;

	if (!f) {
		/* I/O memory: no reference counting, only the privilege. */
		if (!ctx->pt_priv || !ctx->pg_priv || !pt_io_frame_allowed(mfn))
			return -EPERM;
		return 0;
	}
	owner = pt_get_page_any(f);
	if (owner == FRAME_OWNER_NONE)
		return -EBUSY;
	if (!l1_owner_ok(owner, ctx)) {
		pt_put_page(f);
		return -EBUSY;
	}
	if (e & PG_RW) {
		rc = pt_get_type(f, PGT_WRITABLE, ctx);
		if (rc) {
			pt_put_page(f);
			return rc == -ERESTART ? rc : -EBUSY;
		}
	}
	return 0;
}

/* Takes / drops the references one present entry of a level-level table holds. */
static int entry_get(u64 e, unsigned int level, struct pt_ctx *ctx)
{
	struct frame *f;
	struct pt_ctx sub;
	int rc;

	if (e & disallowed(level, ctx->pt_priv))
		return -EINVAL;
	if (level == 1)
		return l1e_get(e, ctx);
	f = pv_ram_frame(pte_mfn(e));
	if (!f || !pt_get_page(f, ctx->pt_owner))
		return -EINVAL;
	/* Lower tables hold only the table owner's frames, whatever the caller's foreigndom. */
	sub = *ctx;
	sub.pg_owner = ctx->pt_owner;
	sub.pg_priv = ctx->pt_priv;
	rc = pt_get_type(f, level - 1, &sub);
	ctx->progress = sub.progress;
	ctx->budget = sub.budget;
	if (rc)
		pt_put_page(f);
	return rc;
}

static void entry_put(u64 e, unsigned int level, enum pt_put_mode mode)
{
	struct frame *f;

	if (!(e & PG_P))
		return;
	f = pv_ram_frame(pte_mfn(e));
	if (!f)
		return; /* I/O memory holds no references */
	if (level > 1 || (e & PG_RW))
		pt_put_type_mode(f, mode);
	pt_put_page(f);
}

/*
 * Whether a preemptible validation should stop before the next entry:
 * only once it finished a table of its own, so every attempt progresses.
 */
static bool should_stop(const struct pt_ctx *ctx)
{
	if (!ctx->preemptible || !ctx->progress)
		return false;
	return ctx->budget < 0 || pt_preempt_pending();
}

int pt_validate_table(struct frame *f, unsigned int level, struct pt_ctx *ctx)
{
	u64 *t = pt_map(frame_to_mfn(f));
	struct pt_ctx sub = *ctx;
	unsigned int i;
	int rc = 0;

	sub.pg_owner = sub.pt_owner;
	sub.pg_priv = sub.pt_priv;
	for (i = 0; i < PT_ENTRIES; i++) {
		u64 e;

		if (level == 4 && pt_l4_slot_reserved(i))
			continue;
		e = READ_ONCE(t[i]);
		if (!(e & PG_P))
			continue;
		if (level > 1 && should_stop(&sub)) {
			rc = -ERESTART;
			break;
		}
		sub.budget--;
		rc = entry_get(e, level, &sub);
		if (rc)
			break;
		WRITE_ONCE(t[i], adjust(e, level));
	}
	ctx->progress = sub.progress;
	ctx->budget = sub.budget;
	if (rc) {
		/* Preempted: keep what was validated for the next attempt. Failed: let it all go. */
		enum pt_put_mode mode = rc == -ERESTART ? PT_PUT_LAZY : PT_PUT_QUEUE;

		while (i-- > 0)
			if (!(level == 4 && pt_l4_slot_reserved(i)))
				entry_put(READ_ONCE(t[i]), level, mode);
		return rc;
	}
	if (level == 4)
		pv_init_guest_l4_slots(t);
	return 0;
}

void pt_devalidate_table(struct frame *f, unsigned int level, enum pt_put_mode mode)
{
	u64 *t = pt_map(frame_to_mfn(f));

	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		if (!(level == 4 && pt_l4_slot_reserved(i)))
			entry_put(READ_ONCE(t[i]), level, mode);
}

int pt_modify_entry(struct frame *f, unsigned int level, unsigned int idx, pt_rmw_fn fn,
		    void *arg, struct pt_ctx *ctx, u64 *old_out)
{
	u64 *slot, old, new_entry;
	int rc;

	if (idx >= PT_ENTRIES || (level == 4 && pt_l4_slot_reserved(idx)))
		return -EINVAL;
	slot = &pt_map(frame_to_mfn(f))[idx];
	old = __atomic_load_n(slot, __ATOMIC_SEQ_CST);
	for (;;) {
		*old_out = old;
		if (!fn(old, &new_entry, arg))
			return 0;
		new_entry = adjust(new_entry, level);
		if (new_entry & PG_P) {
			rc = entry_get(new_entry, level, ctx);
			if (rc)
				return rc;
		}
		/* New references first, old ones after: no mapping ever lacks its references. */
		if (__atomic_compare_exchange_n(slot, &old, new_entry, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			entry_put(*old_out, level, PT_PUT_NOW);
			return 0;
		}
		/* Changed under us (another update, or the CPU setting A/D): start over. */
		entry_put(new_entry, level, PT_PUT_LAZY);
	}
}

bool pt_rmw_set(u64 old, u64 *new_entry, void *arg)
{
	*new_entry = *(const u64 *)arg;
	return true;
}

bool pt_rmw_set_keep_ad(u64 old, u64 *new_entry, void *arg)
{
	*new_entry = *(const u64 *)arg | (old & (PG_A | PG_D));
	return true;
}

int pt_walk_l1(mfn_t root_mfn, u64 va, mfn_t *l1, unsigned int *idx)
{
	mfn_t mfn = root_mfn;

	/* Canonical, and outside the hypervisor's slots. */
	if ((u64)((s64)(va << 16) >> 16) != va || pt_l4_slot_reserved((va >> 39) & 511))
		return -EINVAL;
	for (unsigned int shift = 39; shift > 12; shift -= 9) {
		u64 e;

		if (!mfn_is_ram(mfn))
			return -EINVAL;
		e = READ_ONCE(pt_map(mfn)[(va >> shift) & 511]);
		if (!(e & PG_P) || (e & PG_PSE))
			return -EINVAL;
		mfn = pte_mfn(e);
	}
	if (!mfn_is_ram(mfn))
		return -EINVAL;
	*l1 = mfn;
	*idx = (va >> 12) & 511;
	return 0;
}

/* ---- descriptors (section 3.1) ---- */

#define SEG_P (1u << 15)
#define SEG_S (1u << 12)
#define SEG_DPL_SHIFT 13
#define SEG_ACCESSED (1u << 8)
#define SEG_TYPE(b) (((b) >> 8) & 0xf)
#define SYS_CALL_GATE64 0xc
#define GDT_GUEST_ENTRIES 7168
#define GATE_FLAT_KERNEL_CS 0xe033

bool pt_check_descriptor(u64 *desc)
{
	u32 a = (u32)*desc, b = (u32)(*desc >> 32), cs;

	/* Not present: any use faults. */
	if (!(b & SEG_P))
		return true;
	/* Guest code runs at CPL 3: every descriptor it can use gets DPL 3. */
	b |= 3u << SEG_DPL_SHIFT;
	if (b & SEG_S) {
		/*
		 * Code and data: fine as they are. Marked accessed, so the CPU
		 * never writes the descriptor (the GDT is mapped read-only).
		 */
		b |= SEG_ACCESSED;
		*desc = a | ((u64)b << 32);
		return true;
	}
	/* Type 0 is the upper half of a 16-byte gate: harmless. */
	if (SEG_TYPE(b) == 0)
		return true;
	if (SEG_TYPE(b) != SYS_CALL_GATE64)
		return false;
	/* A call gate may lead to a guest GDT or LDT selector, or the flat kernel code selector. */
	cs = a >> 16;
	if ((cs >> 3) >= GDT_GUEST_ENTRIES && cs != GATE_FLAT_KERNEL_CS && !(cs & 4))
		return false;
	/* DPL 0 makes every use fault; the original DPL (3) rides in the selector's RPL. */
	b &= ~(3u << SEG_DPL_SHIFT);
	cs |= 3;
	a = (a & 0xffff) | (cs << 16);
	if (b & 0xff)
		return false;
	*desc = a | ((u64)b << 32);
	return true;
}

int pt_validate_desc_page(struct frame *f)
{
	u64 *t = pt_map(frame_to_mfn(f));

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		u64 d = READ_ONCE(t[i]);

		if (!pt_check_descriptor(&d))
			return -EINVAL;
		WRITE_ONCE(t[i], d);
	}
	return 0;
}
