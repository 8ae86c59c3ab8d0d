/*
 * The user-space interface of Linux's Xen drivers, as libmica needs it:
 * ioctl numbers and argument layouts of privcmd, evtchn, gntdev and
 * gntalloc. These are facts of Linux's ABI (include/uapi/xen/privcmd.h,
 * evtchn.h, gntdev.h, gntalloc.h in Linux 6.1), restated here with
 * fixed-width types and checked sizes; the system's own copies pull in
 * kernel-internal headers and are not installed everywhere.
 *
 * Every ioctl is _IOC(_IOC_NONE, magic, nr, sizeof(argument)): the size is
 * part of the number, so a layout mistake shows up as -ENOTTY, not as a
 * misread argument.
 */
#ifndef LIBMICA_LINUX_XEN_H
#define LIBMICA_LINUX_XEN_H

#include <stdint.h>
#include <sys/ioctl.h>

#define LX_CHECK_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), "sizeof(" #type ") != " #size)

/* ---- privcmd: magic 'P' ---------------------------------------------------- */

/* Hypercall number and its five arguments, passed through to the hypervisor. */
struct lx_privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
LX_CHECK_SIZE(struct lx_privcmd_hypercall, 48);

/*
 * Maps num frames of domain dom at addr, which must be inside a mapping
 * of the privcmd fd made with mmap() beforehand. arr holds the frames
 * (MFNs for a PV domain); err receives each frame's result (0 or -errno).
 * The ioctl itself fails with ENOENT if some frame gave -ENOENT (paged out)
 * and everything else worked.
 */
struct lx_privcmd_mmapbatch_v2 {
	uint32_t num;
	uint16_t dom;
	uint16_t _pad;
	uint64_t addr;
	const uint64_t *arr;
	int *err;
};
LX_CHECK_SIZE(struct lx_privcmd_mmapbatch_v2, 32);

/*
 * Maps num frames of resource type/id of domain dom, starting at frame
 * idx, at addr (XENMEM_acquire_resource underneath). type 1 is the grant
 * table, id 0 its shared frames.
 */
struct lx_privcmd_mmap_resource {
	uint16_t dom;
	uint16_t _pad;
	uint32_t type;
	uint32_t id;
	uint32_t idx;
	uint64_t num;
	uint64_t addr;
};
LX_CHECK_SIZE(struct lx_privcmd_mmap_resource, 32);

#define LX_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct lx_privcmd_hypercall))
#define LX_PRIVCMD_MMAPBATCH_V2 _IOC(_IOC_NONE, 'P', 4, sizeof(struct lx_privcmd_mmapbatch_v2))
#define LX_PRIVCMD_MMAP_RESOURCE _IOC(_IOC_NONE, 'P', 7, sizeof(struct lx_privcmd_mmap_resource))

/* ---- evtchn: magic 'E' ----------------------------------------------------- */

/*
 * read() returns pending local ports as u32s and masks each; write() of
 * u32 ports unmasks them again. Arguments are plain unsigned ints.
 */
struct lx_evtchn_bind_virq {
	uint32_t virq;
};
struct lx_evtchn_bind_interdomain {
	uint32_t remote_domain, remote_port;
};
struct lx_evtchn_bind_unbound_port {
	uint32_t remote_domain;
};
struct lx_evtchn_port {
	uint32_t port;
};
LX_CHECK_SIZE(struct lx_evtchn_bind_interdomain, 8);

/* Each bind returns the new local port as the ioctl's result. */
#define LX_EVTCHN_BIND_VIRQ _IOC(_IOC_NONE, 'E', 0, sizeof(struct lx_evtchn_bind_virq))
#define LX_EVTCHN_BIND_INTERDOMAIN \
	_IOC(_IOC_NONE, 'E', 1, sizeof(struct lx_evtchn_bind_interdomain))
#define LX_EVTCHN_BIND_UNBOUND_PORT \
	_IOC(_IOC_NONE, 'E', 2, sizeof(struct lx_evtchn_bind_unbound_port))
#define LX_EVTCHN_UNBIND _IOC(_IOC_NONE, 'E', 3, sizeof(struct lx_evtchn_port))
#define LX_EVTCHN_NOTIFY _IOC(_IOC_NONE, 'E', 4, sizeof(struct lx_evtchn_port))
#define LX_EVTCHN_RESET _IOC(_IOC_NONE, 'E', 5, 0)

/* ---- gntdev: magic 'G', numbers 0-3, 7, 8 ----------------------------------- */

/*
 * MAP_GRANT_REF takes count (domid, ref) pairs and answers index, the
 * offset at which to mmap() the gntdev fd to get those pages; the mapping
 * itself happens at mmap(). UNMAP_GRANT_REF releases the index after
 * munmap(). This layout holds exactly one ref, like Linux's declared
 * structure (whose array has one element), so the sizes and ioctl numbers
 * agree.
 */
struct lx_gntdev_map_one {
	uint32_t count;
	uint32_t _pad;
	uint64_t index;                 /* OUT */
	uint32_t domid;
	uint32_t ref;
};
LX_CHECK_SIZE(struct lx_gntdev_map_one, 24);

struct lx_gntdev_unmap {
	uint64_t index;
	uint32_t count;
	uint32_t _pad;
};
LX_CHECK_SIZE(struct lx_gntdev_unmap, 16);

/* Finds the index (and page count) of a mapping from its address. */
struct lx_gntdev_offset_for_vaddr {
	uint64_t vaddr;
	uint64_t offset;                /* OUT */
	uint32_t count;                 /* OUT */
	uint32_t _pad;
};
LX_CHECK_SIZE(struct lx_gntdev_offset_for_vaddr, 24);

/*
 * The same ioctl with count refs: Linux's argument ends in a one-element
 * array, so its number carries the one-ref size while the kernel reads
 * count (domid, ref) pairs from the end of this header.
 */
struct lx_gntdev_map_head {
	uint32_t count;
	uint32_t _pad;
	uint64_t index;                 /* OUT */
	struct lx_gntdev_grant_ref {
		uint32_t domid;
		uint32_t ref;
	} refs[];
};
LX_CHECK_SIZE(struct lx_gntdev_map_head, 16);

/*
 * GRANT_COPY: count segments, each copying between a granted page of
 * another domain and a local buffer (the local side may cross pages; the
 * foreign side may not). The segment layout is struct mica_grant_copy in
 * libmica.h; the ioctl returns 0 once every segment has its status.
 */
struct lx_gntdev_grant_copy {
	uint32_t count;
	uint32_t _pad;
	uint64_t segments;
};
LX_CHECK_SIZE(struct lx_gntdev_grant_copy, 16);

#define LX_GNTDEV_MAP_GRANT_REF _IOC(_IOC_NONE, 'G', 0, sizeof(struct lx_gntdev_map_one))
#define LX_GNTDEV_UNMAP_GRANT_REF _IOC(_IOC_NONE, 'G', 1, sizeof(struct lx_gntdev_unmap))
#define LX_GNTDEV_GET_OFFSET_FOR_VADDR \
	_IOC(_IOC_NONE, 'G', 2, sizeof(struct lx_gntdev_offset_for_vaddr))
#define LX_GNTDEV_GRANT_COPY _IOC(_IOC_NONE, 'G', 8, sizeof(struct lx_gntdev_grant_copy))

/* ---- gntalloc: magic 'G', numbers 5-7 --------------------------------------- */

/*
 * ALLOC_GREF allocates count zeroed pages, grants each to domid (writable
 * with flag 1) and answers index, to mmap() on the gntalloc fd, and the
 * grant references. DEALLOC_GREF releases them once unmapped.
 */
struct lx_gntalloc_alloc_one {
	uint16_t domid;
	uint16_t flags;
	uint32_t count;
	uint64_t index;                 /* OUT */
	uint32_t gref;                  /* OUT */
	uint32_t _pad;
};
LX_CHECK_SIZE(struct lx_gntalloc_alloc_one, 24);

struct lx_gntalloc_dealloc {
	uint64_t index;
	uint32_t count;
	uint32_t _pad;
};
LX_CHECK_SIZE(struct lx_gntalloc_dealloc, 16);

#define LX_GNTALLOC_FLAG_WRITABLE 1

/*
 * Linux's ALLOC_GREF argument ends in a one-element gref array after a u64,
 * so its sizeof is 24 with tail padding: the same as this layout's.
 */
#define LX_GNTALLOC_ALLOC_GREF _IOC(_IOC_NONE, 'G', 5, 24)
#define LX_GNTALLOC_DEALLOC_GREF _IOC(_IOC_NONE, 'G', 6, sizeof(struct lx_gntalloc_dealloc))

#endif
