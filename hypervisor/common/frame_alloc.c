/* The frame table and the buddy allocator of machine frames. Pure logic: host-testable. */

/*
 * Theory of operation
 *
 * The frame table has one struct frame per machine frame, indexed by
 * frame number, covering all RAM and the holes between. Boot code hands
 * RAM ranges to the allocator (frames_add_free) and marks the RAM it keeps
 * for itself (frames_reserve_ram); everything else stays "not RAM".
 *
 * The allocator is a binary buddy system over frame numbers. Free memory
 * is a set of blocks of 2^k frames (0 <= k <= FRAME_MAX_ORDER) whose first
 * frame number is a multiple of 2^k; because alignment is by absolute
 * frame number, the physical address of a block of order k is aligned to
 * 2^k pages. The buddy of the block at frame i of order k is the block at
 * i ^ 2^k: together they form the aligned block of order k + 1.
 *
 * Only the first frame (the head) of a block records the block: it carries
 * FRAME_F_FREE or FRAME_F_ALLOC and the order; the other frames carry
 * neither. Free heads sit on one doubly linked list per order, linked by
 * frame index (u32) rather than pointer to keep struct frame small.
 *
 * Invariant (eager merging): no two free buddies of the same order exist.
 * Freeing a block therefore looks only at its buddy: if that is a free
 * head of the same order, the two are unlinked and joined, and the check
 * repeats one order up. Consequently every naturally aligned run of 2^k
 * free frames lies inside one free block of order >= k, so an allocation
 * of order k fails only when no such run exists at all. Allocating takes
 * the first block of the smallest non-empty order >= k and splits it,
 * putting the upper halves back on the lists.
 *
 * Both directions cost O(FRAME_MAX_ORDER) list operations; no operation
 * scans the table. Setting the owner of each frame of a block (and
 * checking its counts on free) is proportional to the block, as touching
 * its memory would be anyway.
 *
 * The state of a block is checked on free: only the head of an allocated
 * block, given its own order, is accepted. A double free, a free of a
 * tail frame, of a free or reserved frame, or with another order is
 * reported through frame_bug and leaves everything as it was.
 *
 * Locking: heap.lock guards the free lists, the counters, the flags and
 * order of every frame the allocator manages, and the links of free
 * heads. A frame's owner, count, type_info and links belong to whoever
 * holds the block once it is allocated.
 */
#include <mica/frame.h>
#include <mica/spinlock.h>

struct frame *frame_table;
mfn_t frame_table_size;

static struct {
	spinlock_t lock;
	u32 free_list[FRAME_MAX_ORDER + 1];   /* first free head of each order */
	u64 free_blocks[FRAME_MAX_ORDER + 1]; /* blocks on each list */
	u64 nr_free;                          /* frames in free blocks */
	u64 nr_total;                         /* frames ever handed in */
} heap = { .lock = SPINLOCK_INIT, .free_list = { [0 ... FRAME_MAX_ORDER] = FRAME_NIL } };

#define ORDER_FRAMES(order) ((mfn_t)1 << (order))

static void list_push(mfn_t idx, unsigned int order)
{
	struct frame *f = &frame_table[idx];
	u32 head = heap.free_list[order];

	f->flags |= FRAME_F_FREE;
	f->order = (u8)order;
	f->prev = FRAME_NIL;
	f->next = head;
	if (head != FRAME_NIL)
		frame_table[head].prev = (u32)idx;
	heap.free_list[order] = (u32)idx;
	heap.free_blocks[order]++;
}

static void list_del(mfn_t idx)
{
	struct frame *f = &frame_table[idx];

	if (f->prev != FRAME_NIL)
		frame_table[f->prev].next = f->next;
	else
		heap.free_list[f->order] = f->next;
	if (f->next != FRAME_NIL)
		frame_table[f->next].prev = f->prev;
	heap.free_blocks[f->order]--;
	f->flags &= (u8)~FRAME_F_FREE;
	f->next = FRAME_NIL;
	f->prev = FRAME_NIL;
}

/* Puts the block at idx of the given order on the free lists, merging with free buddies. */
static void free_block(mfn_t idx, unsigned int order)
{
	while (order < FRAME_MAX_ORDER) {
		mfn_t buddy = idx ^ ORDER_FRAMES(order);
		const struct frame *b;

		if (buddy >= frame_table_size)
			break;
		b = &frame_table[buddy];
		if (!(b->flags & FRAME_F_FREE) || b->order != order)
			break;
		list_del(buddy);
		idx &= ~ORDER_FRAMES(order);
		order++;
	}
	list_push(idx, order);
}

/* Entries [start, end) of table: nobody's, unlinked, counts 0, with only flags set. */
static void reset_frames(struct frame *table, mfn_t start, mfn_t end, u8 flags)
{
	for (mfn_t i = start; i < end; i++)
		table[i] = (struct frame){
			.owner = FRAME_OWNER_NONE,
			.flags = flags,
			.next = FRAME_NIL,
			.prev = FRAME_NIL,
		};
}

void frame_table_init(struct frame *table, mfn_t nr_frames)
{
	if (nr_frames > FRAME_NIL) {
		frame_bug("frame table larger than 2^32 - 1 frames");
		nr_frames = FRAME_NIL;
	}
	reset_frames(table, 0, nr_frames, FRAME_F_RESERVED);
	spin_lock(&heap.lock);
	frame_table = table;
	frame_table_size = nr_frames;
	for (unsigned int k = 0; k <= FRAME_MAX_ORDER; k++) {
		heap.free_list[k] = FRAME_NIL;
		heap.free_blocks[k] = 0;
	}
	heap.nr_free = 0;
	heap.nr_total = 0;
	spin_unlock(&heap.lock);
}

/*
 * Takes the lock and checks that [start, start + count) is in the table
 * and not yet handed in; if not, reports it as what's bug and returns
 * false without the lock.
 */
static bool claim_range(mfn_t start, mfn_t count, const char *what)
{
	bool ok;

	spin_lock(&heap.lock);
	ok = start <= frame_table_size && count <= frame_table_size - start;
	for (mfn_t i = start; ok && i < start + count; i++)
		ok = frame_table[i].flags & FRAME_F_RESERVED;
	if (ok)
		return true;
	spin_unlock(&heap.lock);
	frame_bug(what);
	return false;
}

void frames_add_free(mfn_t start, mfn_t count)
{
	mfn_t i, end = start + count;

	if (!claim_range(start, count,
			 "frames_add_free: range outside the table or already handed in"))
		return;
	reset_frames(frame_table, start, end, FRAME_F_RAM);
	for (i = start; i < end;) {
		unsigned int order = 0;

		while (order < FRAME_MAX_ORDER && IS_ALIGNED(i, ORDER_FRAMES(order + 1)) &&
		       end - i >= ORDER_FRAMES(order + 1))
			order++;
		free_block(i, order);
		i += ORDER_FRAMES(order);
	}
	heap.nr_free += count;
	heap.nr_total += count;
	spin_unlock(&heap.lock);
}

void frames_reserve_ram(mfn_t start, mfn_t count, u16 owner)
{
	if (!claim_range(start, count,
			 "frames_reserve_ram: range outside the table or already handed in"))
		return;
	for (mfn_t i = start; i < start + count; i++) {
		frame_table[i].flags = FRAME_F_RESERVED | FRAME_F_RAM;
		frame_table[i].owner = owner;
	}
	spin_unlock(&heap.lock);
}

struct frame *alloc_frames(unsigned int order, u16 owner)
{
	unsigned int k;
	mfn_t idx;

	if (order > FRAME_MAX_ORDER)
		return NULL;
	if (owner > FRAME_OWNER_MAX_DOMID && owner != FRAME_OWNER_HV) {
		frame_bug("alloc_frames: owner is neither a domain nor the hypervisor");
		return NULL;
	}
	spin_lock(&heap.lock);
	for (k = order; k <= FRAME_MAX_ORDER && heap.free_list[k] == FRAME_NIL; k++)
		;
	if (k > FRAME_MAX_ORDER) {
		spin_unlock(&heap.lock);
		return NULL;
	}
	idx = heap.free_list[k];
	list_del(idx);
	while (k > order) {
		k--;
		list_push(idx + ORDER_FRAMES(k), k);
	}
	frame_table[idx].flags |= FRAME_F_ALLOC;
	frame_table[idx].order = (u8)order;
	heap.nr_free -= ORDER_FRAMES(order);
	spin_unlock(&heap.lock);

	for (mfn_t i = 0; i < ORDER_FRAMES(order); i++)
		frame_table[idx + i].owner = owner;
	return &frame_table[idx];
}

void free_frames(struct frame *f, unsigned int order)
{
	uintptr_t off = (uintptr_t)f - (uintptr_t)frame_table;
	const char *why;
	mfn_t idx, i;

	if (!f)
		return;
	idx = off / sizeof(*f);
	if ((uintptr_t)f < (uintptr_t)frame_table || off % sizeof(*f) || idx >= frame_table_size) {
		frame_bug("free_frames: not a frame table entry");
		return;
	}
	spin_lock(&heap.lock);
	why = "free_frames: block is not allocated (double free, or not its first frame)";
	if (!(f->flags & FRAME_F_ALLOC))
		goto bug;
	why = "free_frames: order differs from the allocation's";
	if (order != f->order)
		goto bug;
	why = "free_frames: a frame of the block is still referenced";
	for (i = idx; i < idx + ORDER_FRAMES(order); i++)
		if (frame_table[i].count || frame_table[i].type_info)
			goto bug;

	for (i = idx; i < idx + ORDER_FRAMES(order); i++) {
		frame_table[i].owner = FRAME_OWNER_NONE;
		frame_table[i].next = FRAME_NIL;
		frame_table[i].prev = FRAME_NIL;
	}
	f->flags &= (u8)~FRAME_F_ALLOC;
	heap.nr_free += ORDER_FRAMES(order);
	free_block(idx, order);
	spin_unlock(&heap.lock);
	return;

bug:
	spin_unlock(&heap.lock);
	frame_bug(why);
}

u64 frames_free(void)
{
	return READ_ONCE(heap.nr_free);
}

u64 frames_total(void)
{
	return READ_ONCE(heap.nr_total);
}

u64 frames_free_blocks(unsigned int order)
{
	return order <= FRAME_MAX_ORDER ? READ_ONCE(heap.free_blocks[order]) : 0;
}
