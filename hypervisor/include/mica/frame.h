/* The frame table (one record per machine frame) and the buddy allocator of RAM frames. */
#ifndef MICA_FRAME_H
#define MICA_FRAME_H

#include <mica/types.h>

/*
 * Owners a frame can have besides a domain id (0 .. FRAME_OWNER_MAX_DOMID).
 * The values sit in the domain-id range the Xen ABI reserves, clear of the
 * ids it gives a meaning (DOMID_SELF 0x7ff0 .. DOMID_INVALID 0x7ff4, and
 * DOMID_IDLE 0x7fff), so no domain can ever have one of them.
 */
#define FRAME_OWNER_MAX_DOMID 0x7fef
#define FRAME_OWNER_HV 0x7ff5   /* the hypervisor's own: page tables, stacks, heap */
#define FRAME_OWNER_NONE 0x7ff6 /* free, or not RAM */

/*
 * Per-frame state, in struct frame.flags. Every frame is in one of three
 * states:
 *   FRAME_F_RESERVED            not RAM: a hole, MMIO or firmware memory
 *   FRAME_F_RESERVED|FRAME_F_RAM RAM kept out of the allocator (image, modules ...)
 *   FRAME_F_RAM                 RAM the allocator manages
 * and the first frame of each block the allocator manages also carries
 * FRAME_F_FREE or FRAME_F_ALLOC (the other frames of a block carry neither).
 */
#define FRAME_F_RAM 0x01
#define FRAME_F_RESERVED 0x02
#define FRAME_F_FREE 0x04  /* heads a free block of 2^order frames */
#define FRAME_F_ALLOC 0x08 /* heads an allocated block of 2^order frames */

/* The largest block: 2^18 frames, 1 GiB. */
#define FRAME_MAX_ORDER 18

/* A frame index meaning "none" in the list links; also bounds the table size. */
#define FRAME_NIL 0xffffffffu

struct frame {
	/*
	 * Reserved for the PV memory manager: the frame's page type (L1..L4
	 * page table, writable, segment descriptor) and the count of type
	 * references. The allocator hands frames out with it 0 and expects it 0
	 * back.
	 */
	u64 type_info;
	/* General references (mappings, grants, ...): 0 when allocated and when freed. */
	u32 count;
	u16 owner;  /* a domain id, FRAME_OWNER_HV or FRAME_OWNER_NONE */
	u8 flags;   /* FRAME_F_* */
	u8 order;   /* block order, meaningful with FRAME_F_FREE or FRAME_F_ALLOC */
	/*
	 * Frame indices linking free blocks of one order, FRAME_NIL at the
	 * ends; guarded by the allocator's lock while the frame heads a free
	 * block. While a block is allocated its owner may use them (a
	 * domain's page list).
	 */
	u32 next, prev;
};

_Static_assert(sizeof(struct frame) <= 32, "struct frame must stay small: one per 4 KiB of RAM");

/* The table, indexed by machine frame number; set once by frame_table_init. */
extern struct frame *frame_table;
extern mfn_t frame_table_size;

/*
 * Makes table[0..nr_frames) the frame table, every frame FRAME_F_RESERVED
 * (not RAM) with owner FRAME_OWNER_NONE, and empties the allocator. At most
 * FRAME_NIL frames (16 TiB). Boot CPU only, before any other call here;
 * host tests call it again to start over.
 */
void frame_table_init(struct frame *table, mfn_t nr_frames);

/*
 * Hands the RAM frames [start, start + count) to the allocator as free,
 * merging them with free neighbours into the largest naturally aligned
 * blocks. Every frame must be in the table and not yet handed in (state
 * FRAME_F_RESERVED, with or without FRAME_F_RAM): otherwise frame_bug is
 * called and nothing changes. Takes the allocator lock.
 */
void frames_add_free(mfn_t start, mfn_t count);

/*
 * Marks [start, start + count) as RAM kept out of the allocator and owned
 * by owner (the hypervisor image, its page tables, boot modules), so
 * mfn_is_ram knows it. Same preconditions as frames_add_free, which may
 * later release such frames into the allocator.
 */
void frames_reserve_ram(mfn_t start, mfn_t count, u16 owner);

/*
 * Allocates 2^order frames aligned to 2^order frames, owned by owner (a
 * domain id or FRAME_OWNER_HV), every frame with count and type_info 0.
 * Returns the first frame, or NULL if no such block is free or order >
 * FRAME_MAX_ORDER. O(FRAME_MAX_ORDER) under the lock, plus setting the
 * owner of each frame outside it. Not for interrupt handlers.
 */
struct frame *alloc_frames(unsigned int order, u16 owner);

/*
 * Returns a block from alloc_frames, with the same order, to the allocator
 * and merges it with its free buddies. Every frame's count and type_info
 * must be 0 again. A block that is not allocated (double free), a wrong
 * order or a referenced frame is a hypervisor bug: frame_bug is called and
 * nothing changes. NULL is ignored. Takes the allocator lock.
 */
void free_frames(struct frame *f, unsigned int order);

/*
 * Reports a broken allocator contract (what says which). Not defined here:
 * the hypervisor's definition panics; a host test's records the report and
 * returns, and the offending call then has no effect. Called without the
 * allocator lock.
 */
void frame_bug(const char *what);

/* Frames now free, and RAM frames ever handed in by frames_add_free. Unlocked snapshots. */
u64 frames_free(void);
u64 frames_total(void);

/* Number of free blocks of exactly 2^order frames, for diagnostics and tests. */
u64 frames_free_blocks(unsigned int order);

static inline mfn_t frame_to_mfn(const struct frame *f)
{
	return (mfn_t)(f - frame_table);
}

/* The frame's record, or NULL if mfn is beyond the table. */
static inline struct frame *mfn_to_frame(mfn_t mfn)
{
	return mfn < frame_table_size ? &frame_table[mfn] : NULL;
}

/* True if mfn is RAM, whether free, allocated or kept out of the allocator. */
static inline bool mfn_is_ram(mfn_t mfn)
{
	return mfn < frame_table_size && (frame_table[mfn].flags & FRAME_F_RAM);
}

#endif
