/*
 * A domain's memory: the frames it owns (its page list, tot_pages within
 * max_pages) and the memory_op hypercall (common/memory.c).
 */
#ifndef MICA_MEMORY_H
#define MICA_MEMORY_H

#include <mica/types.h>

struct domain;
struct frame;
struct mem_region;

/*
 * Theory of operation.
 *
 * Every frame a domain owns as memory has frame.owner = its id and sits on
 * its page list (frame.next/prev, head d->page_list_head, NIL-terminated),
 * counted in d->tot_pages, which never exceeds d->max_pages. Frames come
 * from the buddy allocator in blocks of any order and are split at once
 * into single-frame blocks, so that each can be given back on its own
 * (decrease_reservation) whatever block it came in. Frames a domain may
 * map but that are not its memory (its shared_info page) are owned by it
 * but are not on the list, and memory_op never frees them.
 *
 * The domain's ownership is itself a general reference (frame.count, the
 * PV memory manager's): pv_page_assign() gives it when a frame joins the
 * domain, and a frame leaves only through pv_page_release(), which drops
 * a pin the guest left on it and succeeds only when that reference is the
 * last one, so no mapping, pin, root or hypervisor pointer can remain.
 * While it is being released a frame is off the list, so two requests
 * cannot free it twice.
 *
 * Locking: d->page_lock guards the page list, tot_pages and max_pages; it
 * is taken inside no other lock and never from interrupt context.
 */

/*
 * Allocates 2^order frames (one aligned block) for d, below 2^addr_bits
 * bytes when addr_bits is non-zero, and adds them to d: owner, page list,
 * tot_pages. Returns the first frame, or NULL when d would exceed
 * max_pages, memory is short or no block fits addr_bits. The frames'
 * contents are whatever they held; callers giving them to a running guest
 * scrub them first.
 */
struct frame *domain_alloc_frames(struct domain *d, unsigned int order, unsigned int addr_bits);

/*
 * Takes frame f away from d and returns it to the allocator, if f is d's
 * memory (on its page list) and nothing but d references it (a pin of d's
 * own is dropped). Returns 0, -EINVAL (not d's memory) or -EBUSY (mapped,
 * used as a page table or root, or held by the hypervisor). Sets the
 * frame's M2P entry invalid. May flush TLBs: not under a spinlock.
 */
int domain_free_frame(struct domain *d, struct frame *f);

/*
 * Records the host's memory map (the loader's, as multiboot_parse gave it)
 * for XENMEM_machine_memory_map; at most the first 128 regions. Boot CPU,
 * before dom0 runs.
 */
void memory_set_machine_map(const struct mem_region *map, unsigned int n);

/*
 * Records dom0's pseudo-physical size, for XENMEM_memory_map: one RAM
 * range [0, nr_pfns * 4 KiB). The dom0 builder calls it once.
 */
void memory_set_dom0_pfns(u64 nr_pfns);

#endif
