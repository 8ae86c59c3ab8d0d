/*
 * memory_op (12): a domain's memory reservation and its physical map.
 * For a PV guest "gfn" and "gmfn" are machine frame numbers.
 */
#ifndef PV_MEMORY_H
#define PV_MEMORY_H

#include "types.h"

/*
 * cmd bits 5:0 are the sub-op; the bits above carry the extent to resume
 * from when the hypervisor continues a long request (guests pass 0).
 */
#define MEMOP_CMD_MASK 0x3f
#define MEMOP_EXTENT_SHIFT 6

#define XENMEM_increase_reservation 0  /* xen_memory_reservation */
#define XENMEM_decrease_reservation 1  /* xen_memory_reservation, extents = MFNs to free */
#define XENMEM_maximum_ram_page 2
#define XENMEM_current_reservation 3   /* domid_t *: returns pages */
#define XENMEM_maximum_reservation 4   /* domid_t *: returns pages */
#define XENMEM_populate_physmap 6      /* xen_memory_reservation, extents = pfns in, MFNs out */
#define XENMEM_memory_map 9            /* xen_memory_map: this domain's E820 */
#define XENMEM_machine_memory_map 10   /* xen_memory_map: the host's E820 (dom0) */
#define XENMEM_exchange 11             /* xen_memory_exchange */
#define XENMEM_machphys_mapping 12     /* xen_machphys_mapping, OUT */
#define XENMEM_acquire_resource 28     /* xen_mem_acquire_resource */

/*
 * Reservation ops return how many extents they completed (so a partial
 * result is a short count, not an error). populate_physmap sets the M2P
 * entry of each new frame to the pfn given and writes the MFN back into
 * the array slot.
 */
struct xen_memory_reservation {
	pv_gva_t extent_start;     /* array of u64 frame numbers */
	pv_u64 nr_extents;
	pv_u32 extent_order;       /* each extent is 2^order pages */
	pv_u32 mem_flags;          /* XENMEMF_* */
	domid_t domid;
	pv_u16 _pad[3];
};
PV_CHECK_SIZE(struct xen_memory_reservation, 32);
PV_CHECK_OFFSET(struct xen_memory_reservation, nr_extents, 8);
PV_CHECK_OFFSET(struct xen_memory_reservation, extent_order, 16);
PV_CHECK_OFFSET(struct xen_memory_reservation, mem_flags, 20);
PV_CHECK_OFFSET(struct xen_memory_reservation, domid, 24);

/* mem_flags: bits 7:0 limit the address width; bits 15:8 = NUMA node + 1. */
#define XENMEMF_get_address_bits(f) ((f) & 0xff)

/*
 * Trade in extents for others (e.g. machine-contiguous ones). nr_exchanged
 * counts input extents done; Linux BUG()s on a partial answer that does
 * not add up.
 */
struct xen_memory_exchange {
	struct xen_memory_reservation in;
	struct xen_memory_reservation out;
	pv_u64 nr_exchanged;
};
PV_CHECK_SIZE(struct xen_memory_exchange, 72);
PV_CHECK_OFFSET(struct xen_memory_exchange, out, 32);
PV_CHECK_OFFSET(struct xen_memory_exchange, nr_exchanged, 64);

/*
 * memory_map / machine_memory_map. nr_entries is the capacity on input and
 * the count on output. A domU's memory_map may answer -ENOSYS (Linux then
 * assumes one RAM range of nr_pages + 8 MiB); dom0's machine map must work.
 */
struct xen_memory_map {
	pv_u32 nr_entries;
	pv_u32 _pad;
	pv_gva_t buffer;           /* array of struct e820_entry */
};
PV_CHECK_SIZE(struct xen_memory_map, 16);
PV_CHECK_OFFSET(struct xen_memory_map, buffer, 8);

/* The BIOS E820 record, packed: 20 bytes, no padding between entries. */
struct e820_entry {
	pv_u64 addr;
	pv_u64 size;
	pv_u32 type;               /* E820_* */
} __attribute__((packed));
PV_CHECK_SIZE(struct e820_entry, 20);
PV_CHECK_OFFSET(struct e820_entry, type, 16);

#define E820_RAM 1

/*
 * Where the read-only M2P is mapped and its size; Xen answers
 * MACH2PHYS_VIRT_START, MACH2PHYS_VIRT_END and 2^35 - 1.
 */
struct xen_machphys_mapping {
	pv_u64 v_start, v_end;
	pv_u64 max_mfn;
};
PV_CHECK_SIZE(struct xen_machphys_mapping, 24);

#endif
