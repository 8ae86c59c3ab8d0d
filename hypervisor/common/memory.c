/*
 * Domain memory: giving frames to a domain and taking them back, the
 * tot_pages/max_pages accounting, and the memory_op hypercall (its
 * reservation sub-ops and the memory maps). See mica/memory.h.
 */
#include <asm/page.h>
#include <asm/pv_mm.h>
#include <mica/bootinfo.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/memory.h>
#include <pv/memory.h>
#include <pv/xen.h>

/* Largest extent a guest may ask for: 2 MiB for a domU, 16 MiB for a privileged domain (as Xen). */
#define DOMU_MAX_ORDER 9
#define PRIV_MAX_ORDER 12

/* Reservation requests longer than this cannot encode their continuation in a 32-bit cmd. */
#define MAX_EXTENTS (0xffffffffu >> MEMOP_EXTENT_SHIFT)

static struct e820_entry machine_map[BOOT_MAX_REGIONS];
static unsigned int machine_map_nr;
static u64 dom0_pfns;

/* -- the page list ------------------------------------------------------- */

static void page_list_add(struct domain *d, struct frame *f)
{
	u32 idx = (u32)frame_to_mfn(f);

	f->prev = FRAME_NIL;
	f->next = d->page_list_head;
	if (d->page_list_head != FRAME_NIL)
		frame_table[d->page_list_head].prev = idx;
	d->page_list_head = idx;
}

static void page_list_del(struct domain *d, struct frame *f)
{
	if (f->prev != FRAME_NIL)
		frame_table[f->prev].next = f->next;
	else
		d->page_list_head = f->next;
	if (f->next != FRAME_NIL)
		frame_table[f->next].prev = f->prev;
	f->next = f->prev = FRAME_NIL;
}

struct frame *domain_alloc_frames(struct domain *d, unsigned int order, unsigned int addr_bits)
{
	u64 n = 1ULL << order;
	struct frame *f;

	if (order > FRAME_MAX_ORDER)
		return NULL;
	/* Count the frames first, so that racing allocations cannot pass max_pages together. */
	spin_lock(&d->page_lock);
	if (d->tot_pages + n > d->max_pages) {
		spin_unlock(&d->page_lock);
		return NULL;
	}
	d->tot_pages += n;
	spin_unlock(&d->page_lock);

	f = alloc_frames(order, d->id);
	if (f && addr_bits && addr_bits < 64 &&
	    ((frame_to_mfn(f) + n) << PAGE_SHIFT) > (1ULL << addr_bits)) {
		free_frames(f, order);
		f = NULL;
	}
	/*
	 * The block becomes 2^order allocated single-frame blocks, so
	 * free_frames() takes each back alone: the representation frame.h
	 * documents for an allocated block of order 0 (head flag
	 * FRAME_F_ALLOC, order 0). The frames are ours, and the allocator only
	 * ever looks at them for FRAME_F_FREE, which none of them carries.
	 */
	for (u64 i = 0; f && i < n; i++) {
		f[i].flags |= FRAME_F_ALLOC;
		f[i].order = 0;
		pv_page_assign(&f[i]);
	}
	spin_lock(&d->page_lock);
	if (!f) {
		d->tot_pages -= n;
	} else {
		for (u64 i = 0; i < n; i++)
			page_list_add(d, &f[i]);
	}
	spin_unlock(&d->page_lock);
	return f;
}

/*
 * Takes f out of d: off the list, d's reference dropped, not counted. The
 * frame stays allocated (still marked d's) for the caller to free or to
 * give back with attach_frame. -EINVAL if f is not d's memory, -EBUSY if
 * something else references it.
 */
static int detach_frame(struct domain *d, struct frame *f)
{
	int rc;

	/*
	 * Off the list first: no one else can then take this frame away,
	 * and the release (which may flush TLBs) runs without the lock.
	 */
	spin_lock(&d->page_lock);
	/* On d's page list: a predecessor, or the head. */
	if (READ_ONCE(f->owner) != d->id ||
	    (f->prev == FRAME_NIL && d->page_list_head != frame_to_mfn(f))) {
		spin_unlock(&d->page_lock);
		return -EINVAL;
	}
	page_list_del(d, f);
	spin_unlock(&d->page_lock);

	rc = pv_page_release(f);
	spin_lock(&d->page_lock);
	if (rc)
		page_list_add(d, f);
	else
		d->tot_pages--;
	spin_unlock(&d->page_lock);
	return rc ? -EBUSY : 0;
}

/* Undoes detach_frame: f is d's again, contents untouched. */
static void attach_frame(struct domain *d, struct frame *f)
{
	pv_page_assign(f);
	spin_lock(&d->page_lock);
	page_list_add(d, f);
	d->tot_pages++;
	spin_unlock(&d->page_lock);
}

static void free_detached(struct frame *f)
{
	m2p_set(frame_to_mfn(f), M2P_INVALID);
	free_frames(f, 0);
}

int domain_free_frame(struct domain *d, struct frame *f)
{
	int rc = detach_frame(d, f);

	if (!rc)
		free_detached(f);
	return rc;
}

/* -- memory maps --------------------------------------------------------- */

void memory_set_machine_map(const struct mem_region *map, unsigned int n)
{
	machine_map_nr = 0;
	for (unsigned int i = 0; i < n && i < ARRAY_SIZE(machine_map); i++) {
		unsigned int j = machine_map_nr++;

		/* Insertion by address: the firmware's order is not guaranteed. */
		while (j && machine_map[j - 1].addr > map[i].base) {
			machine_map[j] = machine_map[j - 1];
			j--;
		}
		machine_map[j] = (struct e820_entry){ map[i].base, map[i].size, map[i].type };
	}
}

void memory_set_dom0_pfns(u64 nr_pfns)
{
	dom0_pfns = nr_pfns;
}

/*
 * Copies entries [0, n) to the guest's xen_memory_map at arg, at most its
 * capacity, and stores the count written.
 */
static long put_memory_map(pv_gva_t arg, const struct e820_entry *entries, unsigned int n)
{
	struct xen_memory_map map;

	if (copy_from_guest(&map, arg, sizeof(map)))
		return -EFAULT;
	if (n > map.nr_entries)
		n = map.nr_entries;
	if (n && copy_to_guest(map.buffer, entries, n * sizeof(*entries)))
		return -EFAULT;
	map.nr_entries = n;
	return copy_to_guest(arg, &map.nr_entries, sizeof(map.nr_entries)) ? -EFAULT : 0;
}

/* -- reservations -------------------------------------------------------- */

struct reservation {
	struct domain *d;
	struct xen_memory_reservation r;
	unsigned int addr_bits;
};

/* One extent of increase_reservation (gpfn_in false) or populate_physmap (true). */
static bool add_extent(struct reservation *a, u64 i, bool gpfn_in)
{
	unsigned int order = a->r.extent_order;
	u64 slot = a->r.extent_start + i * sizeof(u64), gpfn = 0, mfn;
	struct frame *f;

	if (gpfn_in && copy_from_guest(&gpfn, slot, sizeof(gpfn)))
		return false;
	f = domain_alloc_frames(a->d, order, a->addr_bits);
	if (!f)
		return false;
	mfn = frame_to_mfn(f);
	/* The frames may have held another domain's data. */
	memset(__va(mfn << PAGE_SHIFT), 0, PAGE_SIZE << order);
	for (u64 j = 0; j < (1ULL << order); j++)
		m2p_set(mfn + j, gpfn_in ? gpfn + j : M2P_INVALID);
	if (!gpfn_in && !a->r.extent_start)
		return true;
	/* A guest that cannot take the answer keeps the frames without knowing them, as on Xen. */
	return !copy_to_guest(slot, &mfn, sizeof(mfn));
}

/* One extent of decrease_reservation: 2^order frames from the MFN in the slot. */
static bool remove_extent(struct reservation *a, u64 i)
{
	u64 mfn;

	if (copy_from_guest(&mfn, a->r.extent_start + i * sizeof(u64), sizeof(mfn)))
		return false;
	for (u64 j = 0; j < (1ULL << a->r.extent_order); j++) {
		struct frame *f = mfn_to_frame(mfn + j);

		if (mfn + j < mfn || !f || domain_free_frame(a->d, f))
			return false;
	}
	return true;
}

/*
 * increase_reservation, decrease_reservation, populate_physmap: return how
 * many extents are done in all (from extent 0). Like Xen, a request that
 * cannot start (unreadable, too many extents, an order too large, an
 * unusable address width) answers start, the extents done so far.
 * Preemptible between extents: the hypercall is re-issued with the next
 * extent in cmd's upper bits.
 */
static long reservation_op(struct domain *cur, unsigned int op, u64 start, pv_gva_t arg)
{
	struct reservation a;
	long err;
	u64 i;

	if (copy_from_guest(&a.r, arg, sizeof(a.r)))
		return (long)start;
	a.addr_bits = XENMEMF_get_address_bits(a.r.mem_flags);
	if (a.r.nr_extents > MAX_EXTENTS || start >= a.r.nr_extents ||
	    (a.r.extent_start && !guest_range_ok(a.r.extent_start + start * sizeof(u64),
						 (a.r.nr_extents - start) * sizeof(u64))) ||
	    a.r.extent_order > (cur->is_privileged ? PRIV_MAX_ORDER : DOMU_MAX_ORDER) ||
	    (op != XENMEM_decrease_reservation && a.addr_bits && a.addr_bits <= PAGE_SHIFT))
		return (long)start;
	err = domain_get_target(cur, a.r.domid, &a.d);
	if (err)
		return err;

	for (i = start; i < a.r.nr_extents; i++) {
		bool ok;

		if (i > start && hypercall_preempt_check()) {
			u64 args[2] = { op | i << MEMOP_EXTENT_SHIFT, arg };

			domain_put(a.d);
			return hypercall_create_continuation(2, args);
		}
		if (op == XENMEM_decrease_reservation)
			ok = remove_extent(&a, i);
		else
			ok = add_extent(&a, i, op == XENMEM_populate_physmap);
		if (!ok)
			break;
	}
	domain_put(a.d);
	return (long)i;
}

/*
 * XENMEM_exchange, one chunk: 2^chunk pages, in_per input extents traded
 * for out_per output extents, all or nothing. scratch holds 2^chunk + 2 *
 * out_per u64s. The inputs are taken first (each must be d's and
 * unreferenced), the outputs allocated, and only then are the inputs
 * freed; any failure before that puts everything back as it was.
 */
static long exchange_chunk(struct domain *d, const struct xen_memory_exchange *x, u64 chunk_nr,
			   unsigned int in_per, unsigned int out_per, unsigned int addr_bits,
			   u64 *scratch, unsigned int chunk)
{
	u64 *in = scratch, *gpfn = scratch + (1ULL << chunk), *out = gpfn + out_per;
	unsigned int taken = 0, made = 0, oo = x->out.extent_order;
	long rc = 0;

	for (unsigned int i = 0; i < in_per; i++) {
		u64 mfn;

		if (copy_from_guest(&mfn, x->in.extent_start + (chunk_nr * in_per + i) * 8, 8)) {
			rc = -EFAULT;
			goto undo;
		}
		for (u64 j = 0; j < (1ULL << x->in.extent_order); j++) {
			struct frame *f = mfn + j >= mfn ? mfn_to_frame(mfn + j) : NULL;

			if (!f || detach_frame(d, f)) {
				rc = -EINVAL;
				goto undo;
			}
			in[taken++] = mfn + j;
		}
	}
	if (copy_from_guest(gpfn, x->out.extent_start + chunk_nr * out_per * 8, out_per * 8)) {
		rc = -EFAULT;
		goto undo;
	}
	for (; made < out_per; made++) {
		struct frame *f = domain_alloc_frames(d, oo, addr_bits);

		if (!f) {
			rc = -ENOMEM;
			goto undo;
		}
		out[made] = frame_to_mfn(f);
	}

	/* Committed: nothing below can be undone, a guest's bad list only costs it the answer. */
	for (unsigned int i = 0; i < taken; i++)
		free_detached(mfn_to_frame(in[i]));
	for (unsigned int i = 0; i < made; i++) {
		memset(__va(out[i] << PAGE_SHIFT), 0, PAGE_SIZE << oo);
		for (u64 j = 0; j < (1ULL << oo); j++)
			m2p_set(out[i] + j, gpfn[i] + j);
		if (copy_to_guest(x->out.extent_start + (chunk_nr * out_per + i) * 8, &out[i], 8))
			rc = -EFAULT;
	}
	return rc;

undo:
	for (unsigned int i = 0; i < made; i++)
		for (u64 j = 0; j < (1ULL << oo); j++)
			domain_free_frame(d, mfn_to_frame(out[i] + j));
	for (unsigned int i = 0; i < taken; i++)
		attach_frame(d, mfn_to_frame(in[i]));
	return rc;
}

/*
 * XENMEM_exchange: trades the caller's frames for others (Linux asks for
 * machine-contiguous ones below an address width for DMA). Works in chunks
 * of the larger extent order, each all or nothing; nr_exchanged in the
 * guest's structure counts the input extents done and carries progress
 * across a preemption (the hypercall is re-issued as it was). Errors as
 * Xen: -EINVAL for inconsistent sizes or a frame that cannot be given up,
 * -EPERM for an order over the caller's limit, -ENOMEM, -EFAULT.
 */
static long memory_exchange(struct domain *cur, pv_gva_t arg)
{
	unsigned int max_order = cur->is_privileged ? PRIV_MAX_ORDER : DOMU_MAX_ORDER;
	struct xen_memory_exchange x;
	unsigned int chunk, in_per, out_per, addr_bits;
	struct domain *d = NULL;
	u64 *scratch = NULL;
	size_t scratch_size = 0;
	long rc = 0;

	if (copy_from_guest(&x, arg, sizeof(x)))
		return -EFAULT;
	if (x.nr_exchanged > x.in.nr_extents || x.in.domid != x.out.domid ||
	    x.in.nr_extents > MAX_EXTENTS || x.out.nr_extents > MAX_EXTENTS ||
	    x.in.extent_order > FRAME_MAX_ORDER || x.out.extent_order > FRAME_MAX_ORDER ||
	    (x.in.nr_extents << x.in.extent_order) != (x.out.nr_extents << x.out.extent_order)) {
		rc = -EINVAL;
		goto out;
	}
	if (x.nr_exchanged == x.in.nr_extents)
		return 0;
	if (x.in.extent_order > max_order || x.out.extent_order > max_order) {
		rc = -EPERM;
		goto out;
	}
	chunk = MAX(x.in.extent_order, x.out.extent_order);
	in_per = 1u << (chunk - x.in.extent_order);
	out_per = 1u << (chunk - x.out.extent_order);
	addr_bits = XENMEMF_get_address_bits(x.out.mem_flags);
	if (x.nr_exchanged % in_per || (addr_bits && addr_bits <= PAGE_SHIFT + chunk) ||
	    !guest_range_ok(x.in.extent_start, x.in.nr_extents * 8) ||
	    !guest_range_ok(x.out.extent_start, x.out.nr_extents * 8)) {
		rc = -EINVAL;
		goto out;
	}
	rc = domain_get_target(cur, x.in.domid, &d);
	if (rc)
		goto out;
	scratch_size = ((1ULL << chunk) + 2 * out_per) * sizeof(u64);
	scratch = hv_zalloc(scratch_size);
	if (!scratch) {
		rc = -ENOMEM;
		goto out;
	}
	for (bool progress = false; x.nr_exchanged < x.in.nr_extents; progress = true) {
		if (progress && hypercall_preempt_check()) {
			u64 args[2] = { XENMEM_exchange, arg };

			if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
					  &x.nr_exchanged, sizeof(x.nr_exchanged)))
				rc = -EFAULT;
			else
				rc = hypercall_create_continuation(2, args);
			hv_free(scratch, scratch_size);
			domain_put(d);
			return rc;
		}
		rc = exchange_chunk(d, &x, x.nr_exchanged / in_per, in_per, out_per, addr_bits,
				    scratch, chunk);
		if (rc)
			break;
		x.nr_exchanged += in_per;
	}
out:
	hv_free(scratch, scratch_size);
	if (d)
		domain_put(d);
	if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
			  &x.nr_exchanged, sizeof(x.nr_exchanged)) && !rc)
		rc = -EFAULT;
	return rc;
}

/* current_reservation and maximum_reservation: the pages of the domain named at arg. */
static long reservation_count(struct domain *cur, unsigned int op, pv_gva_t arg)
{
	struct domain *d;
	domid_t id;
	long ret;

	if (copy_from_guest(&id, arg, sizeof(id)))
		return -EFAULT;
	ret = domain_get_target(cur, id, &d);
	if (ret)
		return ret;
	ret = (long)(op == XENMEM_current_reservation ? READ_ONCE(d->tot_pages)
						      : READ_ONCE(d->max_pages));
	domain_put(d);
	return ret;
}

/* -- the hypercall ------------------------------------------------------- */

long do_memory_op(pv_u64 cmd, pv_gva_t arg)
{
	struct domain *cur = current_vcpu()->domain;
	unsigned int op = cmd & MEMOP_CMD_MASK;
	u64 start = cmd >> MEMOP_EXTENT_SHIFT;

	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return reservation_op(cur, op, start, arg);
	case XENMEM_maximum_ram_page:
		return start ? -EINVAL : (long)frame_table_size;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		return reservation_count(cur, op, arg);
	}

	/* The rest take no continuation: stray upper bits make an unknown command, as on Xen. */
	if (start)
		return -ENOSYS;
	switch (op) {
	case XENMEM_exchange:
		return memory_exchange(cur, arg);
	case XENMEM_machphys_mapping: {
		/* The M2P holds an entry for every frame in the frame table, and no more. */
		struct xen_machphys_mapping m = {
			.v_start = MACH2PHYS_VIRT_START,
			.v_end = MACH2PHYS_VIRT_END,
			.max_mfn = frame_table_size ? frame_table_size - 1 : 0,
		};

		return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
	}
	case XENMEM_memory_map: {
		struct e820_entry ram = { 0, dom0_pfns << PAGE_SHIFT, E820_RAM };

		/* Only dom0 has a map; a domU builds its own from nr_pages (Linux does). */
		if (cur->id != 0 || !dom0_pfns)
			return -ENOSYS;
		return put_memory_map(arg, &ram, 1);
	}
	case XENMEM_machine_memory_map:
		if (!cur->is_privileged)
			return -EPERM;
		return put_memory_map(arg, machine_map, machine_map_nr);
	case XENMEM_acquire_resource:
		/* The toolstack then falls back to GNTTABOP_setup_table. */
		return -EOPNOTSUPP;
	default:
		return -ENOSYS;
	}
}
