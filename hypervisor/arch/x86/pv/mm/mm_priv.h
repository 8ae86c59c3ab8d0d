/*
 * Inside the PV memory manager: the type_info encoding, page-table entry
 * bits, the context of a page-table change, and the hooks through which
 * the pure code (page_type.c, validate.c, ptwr_emul.c) reaches the
 * machine. Pure: no arch headers, so host unit tests build the real
 * source with fake frames, fake memory and fake hooks.
 */
#ifndef PV_MM_PRIV_H
#define PV_MM_PRIV_H

#include <asm/pv_mm.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/types.h>

/* Internal: "stop here and have the hypercall continued". Never reaches a guest. */
#ifndef ERESTART
#define ERESTART 85
#endif

/*
 * frame.type_info (the theory of operation is in page_type.c):
 *
 *   bits  0-23  type count: references of the current type
 *   bits 24-26  type (enum pv_page_type)
 *   bit     27  VALIDATED: the contents were checked for this type
 *   bit     28  PINNED: one type reference belongs to a pin
 *   bit     29  DEAD: devalidated by domain teardown; no new type references
 *   bit     30  QUEUED: waits on a CPU's devalidation queue (count 1: the queue's)
 *   bits 32-63  flush stamp: TLB flush clock when the frame last lost a
 *               reference; while QUEUED, the next queued frame's index + 1
 */
#define PGT_COUNT_MASK 0x0000000000ffffffUL
#define PGT_COUNT_MAX PGT_COUNT_MASK
#define PGT_TYPE_SHIFT 24
#define PGT_TYPE_MASK (7UL << PGT_TYPE_SHIFT)
#define PGT_VALIDATED (1UL << 27)
#define PGT_PINNED (1UL << 28)
#define PGT_DEAD (1UL << 29)
#define PGT_QUEUED (1UL << 30)
#define PGT_STAMP_SHIFT 32

static inline unsigned int pgt_type(u64 ti)
{
	return (unsigned int)((ti & PGT_TYPE_MASK) >> PGT_TYPE_SHIFT);
}

static inline u64 pgt_count(u64 ti)
{
	return ti & PGT_COUNT_MASK;
}

static inline u32 pgt_stamp(u64 ti)
{
	return (u32)(ti >> PGT_STAMP_SHIFT);
}

static inline bool pgt_is_table(unsigned int type)
{
	return type >= PGT_L1 && type <= PGT_L4;
}

/* Page-table entry bits (the hardware's; named apart from asm/page.h's). */
#define PG_P (1UL << 0)
#define PG_RW (1UL << 1)
#define PG_US (1UL << 2)
#define PG_PWT (1UL << 3)
#define PG_PCD (1UL << 4)
#define PG_A (1UL << 5)
#define PG_D (1UL << 6)
#define PG_PSE (1UL << 7) /* L2/L3: large page */
#define PG_PAT (1UL << 7) /* L1: PAT index bit */
#define PG_G (1UL << 8)
#define PG_NX (1UL << 63)
#define PG_ADDR 0x000ffffffffff000UL

#define PT_ENTRIES 512
#define PT_HV_SLOT_FIRST 256 /* L4 slots the hypervisor owns in every address space */
#define PT_HV_SLOT_LAST 271

static inline mfn_t pte_mfn(u64 e)
{
	return (e & PG_ADDR) >> 12;
}

static inline bool pt_l4_slot_reserved(unsigned int slot)
{
	return slot >= PT_HV_SLOT_FIRST && slot <= PT_HV_SLOT_LAST;
}

/* Owners with a meaning of their own (values of the Xen ABI). */
#define PT_DOMID_IO 0x7ff1

/*
 * Who a page-table change acts for. Validation of a table recurses with
 * pt_owner = pg_owner = the table's owner; only a single mmu_update or
 * update_va_mapping entry may name another pg_owner (foreigndom).
 */
struct pt_ctx {
	u16 pt_owner;      /* owner of the page tables: child tables must be its own */
	u16 pg_owner;      /* whose frames L1 entries map; PT_DOMID_IO for I/O memory */
	bool pt_priv;      /* pt_owner is privileged: I/O memory, PCD/PWT/PAT */
	bool pg_priv;      /* pg_owner (the caller, for PT_DOMID_IO) is privileged */
	bool preemptible;  /* validation may stop with -ERESTART */
	u32 progress;      /* frames validated so far by this operation */
	s32 budget;        /* entries a preemptible validation may still check */
};

/* Entries a preemptible validation checks before it stops (once it finished a table). */
#define PT_VALIDATE_BUDGET 8192

/* A context for the tables of domid alone (validation, pins, roots). */
void pt_ctx_self(struct pt_ctx *ctx, u16 domid, bool preemptible);

/* ---- hooks: env.c in the hypervisor, fakes in the unit tests ---- */

/* The hypervisor's mapping of RAM frame mfn (the direct map). */
u64 *pt_map(mfn_t mfn);
/* True when a preemptible operation should stop (hypercall_preempt_check). */
bool pt_preempt_pending(void);
/* Body of every spin-wait: pause, and answer TLB-flush requests meanwhile. */
void pt_relax(void);
/* Flushes the TLB of every CPU that runs guest code, this one included; returns when done. */
void pt_flush_guest_tlbs(void);
/* Whether domain domid is privileged (dom0). */
bool pt_domain_privileged(u16 domid);
/* Whether a privileged domain may map non-RAM frame mfn (not the hypervisor's devices). */
bool pt_io_frame_allowed(mfn_t mfn);
/* A broken invariant of the memory manager itself: panics in the hypervisor. */
void pt_bug(const char *what);
/* This CPU's index (below PT_MAX_CPUS): whose devalidation queue is ours. */
unsigned int pt_this_cpu(void);
#define PT_MAX_CPUS 64

/* The RAM frame mfn, or NULL (validate.c). */
struct frame *pv_ram_frame(u64 mfn);

/* ---- page_type.c: references and types ---- */

/* A general reference to a frame owned by owner (count > 0 required). */
bool pt_get_page(struct frame *f, u16 owner);
/* A general reference whatever the owner; returns the owner, or FRAME_OWNER_NONE on failure. */
u16 pt_get_page_any(struct frame *f);
void pt_put_page(struct frame *f);

/* A type reference, validating on a type change: 0, -EINVAL or -ERESTART. */
int pt_get_type(struct frame *f, unsigned int type, struct pt_ctx *ctx);
/* A general reference (owner's frame, else -EINVAL), then a type reference as pt_get_type. */
int pt_get_page_and_type(struct frame *f, u16 owner, unsigned int type, struct pt_ctx *ctx);
/* A type reference only if f is already validated as type with a count: 0 or -EINVAL. */
int pt_get_type_in_use(struct frame *f, unsigned int type);
/*
 * How a put treats a page table whose last type reference it drops:
 *   PT_PUT_NOW    devalidate it, and every table below left unused by
 *                 that, through this CPU's queue, draining up to
 *                 PT_DRAIN_FRAMES tables now (pt_put_type)
 *   PT_PUT_QUEUE  queue it for devalidation (puts made by a devalidation)
 *   PT_PUT_LAZY   leave it validated and unused (a preempted validation
 *                 unwinding: the next attempt takes it back cheaply)
 */
enum pt_put_mode { PT_PUT_LAZY, PT_PUT_QUEUE, PT_PUT_NOW };
#define PT_DRAIN_FRAMES 32

void pt_put_type(struct frame *f);
void pt_put_type_mode(struct frame *f, enum pt_put_mode mode);

/*
 * Devalidates up to frames queued tables of this CPU's queue. Returns
 * true when the queue is empty. Hypercalls that may queue work call it
 * until it is, continuing themselves in between, so a guest never sees
 * a table it released still in use. Queued tables are safe meanwhile:
 * no type reference can be taken on them (pt_get_type helps drain).
 */
bool pt_drain(unsigned int frames);

/* Pin (0, -EINVAL, -ERESTART) and unpin (0, -EINVAL) a table of owner. */
int pt_pin(struct frame *f, unsigned int type, struct pt_ctx *ctx);
int pt_unpin(struct frame *f, u16 owner);

/* The TLB flush clock: a stamp now, and a flush unless one ran since stamp. */
u32 pt_flush_clock(void);
void pt_flush_if_stale(u32 stamp);

/* ---- validate.c: entries and tables ---- */

/* Checks every entry of f as a table of level, taking references (0, -EINVAL, -EBUSY, ...). */
int pt_validate_table(struct frame *f, unsigned int level, struct pt_ctx *ctx);
/* Drops the references every entry of validated table f holds (mode: for lower tables). */
void pt_devalidate_table(struct frame *f, unsigned int level, enum pt_put_mode mode);
/* Checks and fixes up all 512 descriptors of f: 0 or -EINVAL. */
int pt_validate_desc_page(struct frame *f);

/*
 * Read-modify-write of entry idx of table f (validated as level, with a
 * type reference held by the caller). fn computes the new entry from the
 * current one, or returns false to leave it. The new entry is checked,
 * adjusted (U/S set, G cleared in L1s) and swapped in atomically; the old
 * entry's references are dropped. *old_out gets the entry fn saw last.
 * Returns 0, -EINVAL (bad flags, reserved L4 slot), -EBUSY (L1: frame not
 * mappable so), -EPERM (I/O frame refused), -ERESTART.
 */
typedef bool (*pt_rmw_fn)(u64 old, u64 *new_entry, void *arg);
int pt_modify_entry(struct frame *f, unsigned int level, unsigned int idx, pt_rmw_fn fn,
		    void *arg, struct pt_ctx *ctx, u64 *old_out);
/* The plain write: *new_entry = *(u64 *)arg; PRESERVE_AD: also keeps A/D set in old. */
bool pt_rmw_set(u64 old, u64 *new_entry, void *arg);
bool pt_rmw_set_keep_ad(u64 old, u64 *new_entry, void *arg);

/*
 * Finds the L1 entry mapping va in the tables under root_mfn. Returns 0
 * with *l1 (the L1 frame) and *idx, or -EINVAL if a level is absent, a
 * large page, not RAM, or va is not canonical. Racy by nature: the caller
 * must take references on *l1 and check its type before trusting it.
 */
int pt_walk_l1(mfn_t root_mfn, u64 va, mfn_t *l1, unsigned int *idx);

/* Descriptor validation (section 3.1): fixes *desc up; false if refused. */
bool pt_check_descriptor(u64 *desc);

/* ---- ptwr_emul.c: the stores a guest kernel makes to its read-only L1s ---- */

enum ptwr_op {
	PTWR_MOV,
	PTWR_XCHG,
	PTWR_CMPXCHG,
	PTWR_OR,
	PTWR_AND,
	PTWR_XOR,
	PTWR_BTS,
	PTWR_BTR,
	PTWR_BTC,
};

/* General registers in the hardware's numbering: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15. */
#define PTWR_NR_GPRS 16

struct ptwr_insn {
	enum ptwr_op op;
	u8 len;          /* instruction bytes, prefixes included */
	u8 size;         /* operand size: 1, 2, 4 or 8 */
	u8 reg;          /* the register operand (xchg and cmpxchg write to it) */
	bool high_byte;  /* reg names AH, CH, DH or BH */
	u64 src;         /* the value stored or combined, truncated to size; BTx: the bit */
	u64 ea;          /* effective address of the memory operand (BTx: of the bit's unit) */
};

/*
 * Decodes the instruction at code[0..n) (at address rip, registers gpr)
 * if it is one of the memory stores ptwr emulates: MOV (88 89 C6 C7),
 * XCHG (86 87), CMPXCHG (0F B0/B1), OR/AND/XOR with a register or an
 * immediate (08 09 20 21 30 31 80 81 83), BTS/BTR/BTC (0F AB B3 BB, 0F BA).
 * 64-bit addressing only; FS/GS overrides and REP prefixes are refused.
 * Returns 0 or -EINVAL.
 */
int ptwr_decode(const u8 *code, unsigned int n, u64 rip, const u64 gpr[PTWR_NR_GPRS],
		struct ptwr_insn *in);

struct ptwr_result {
	u64 entry;       /* the 8-byte entry afterwards */
	bool write;      /* false: cmpxchg saw a different value and stores nothing */
	bool set_reg;    /* write reg_val to register reg (size in->size) */
	u8 reg;
	bool high_byte;
	u64 reg_val;
	u64 rflags;      /* RFLAGS afterwards */
};

/*
 * Runs in on the 8-byte entry old, whose operand starts at byte off
 * (off + size <= 8), with registers gpr and flags rflags.
 */
void ptwr_execute(const struct ptwr_insn *in, u64 old, unsigned int off,
		  const u64 gpr[PTWR_NR_GPRS], u64 rflags, struct ptwr_result *r);

/* Writes val to register reg the way an operand of size bytes does (32-bit writes zero-extend). */
void ptwr_write_reg(u64 gpr[PTWR_NR_GPRS], unsigned int reg, bool high_byte, unsigned int size,
		    u64 val);

#endif
