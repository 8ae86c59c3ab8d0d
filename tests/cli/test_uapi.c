/*
 * libmica's statement of Linux's Xen device interface (hypercall/libmica/
 * linux_xen.h) against the system's own headers where they are installed
 * (linux-libc-dev: xen/evtchn.h, gntdev.h, gntalloc.h), and against the
 * known values of the privcmd ioctls (whose header needs kernel-internal
 * ones).
 */
/* tool-sources: */
#include "check.h"

#include <stddef.h>

#include "linux_xen.h"

#if __has_include(<xen/evtchn.h>) && __has_include(<xen/gntdev.h>) && __has_include(<xen/gntalloc.h>)
#include <linux/types.h>
#include <pv/types.h> /* domid_t and grant_ref_t, which the system headers expect */
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include <xen/gntdev.h>
#define HAVE_SYSTEM_HEADERS 1
#endif

static void privcmd_numbers(void)
{
	CHECK_EQ(LX_PRIVCMD_HYPERCALL, 0x305000);
	CHECK_EQ(LX_PRIVCMD_MMAPBATCH_V2, 0x205004);
	CHECK_EQ(LX_PRIVCMD_MMAP_RESOURCE, 0x205007);
	CHECK_EQ(offsetof(struct lx_privcmd_mmapbatch_v2, addr), 8);
	CHECK_EQ(offsetof(struct lx_privcmd_mmapbatch_v2, arr), 16);
	CHECK_EQ(offsetof(struct lx_privcmd_mmapbatch_v2, err), 24);
	CHECK_EQ(offsetof(struct lx_privcmd_mmap_resource, type), 4);
	CHECK_EQ(offsetof(struct lx_privcmd_mmap_resource, num), 16);
}

static void against_system_headers(void)
{
#ifdef HAVE_SYSTEM_HEADERS
	CHECK_EQ(LX_EVTCHN_BIND_VIRQ, IOCTL_EVTCHN_BIND_VIRQ);
	CHECK_EQ(LX_EVTCHN_BIND_INTERDOMAIN, IOCTL_EVTCHN_BIND_INTERDOMAIN);
	CHECK_EQ(LX_EVTCHN_BIND_UNBOUND_PORT, IOCTL_EVTCHN_BIND_UNBOUND_PORT);
	CHECK_EQ(LX_EVTCHN_UNBIND, IOCTL_EVTCHN_UNBIND);
	CHECK_EQ(LX_EVTCHN_NOTIFY, IOCTL_EVTCHN_NOTIFY);
	CHECK_EQ(LX_EVTCHN_RESET, IOCTL_EVTCHN_RESET);
	CHECK_EQ(LX_GNTDEV_MAP_GRANT_REF, IOCTL_GNTDEV_MAP_GRANT_REF);
	CHECK_EQ(LX_GNTDEV_UNMAP_GRANT_REF, IOCTL_GNTDEV_UNMAP_GRANT_REF);
	CHECK_EQ(LX_GNTDEV_GET_OFFSET_FOR_VADDR, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR);
	CHECK_EQ(offsetof(struct lx_gntdev_map_one, index),
		 offsetof(struct ioctl_gntdev_map_grant_ref, index));
	CHECK_EQ(offsetof(struct lx_gntdev_map_one, domid),
		 offsetof(struct ioctl_gntdev_map_grant_ref, refs[0].domid));
	CHECK_EQ(offsetof(struct lx_gntdev_map_one, ref),
		 offsetof(struct ioctl_gntdev_map_grant_ref, refs[0].ref));
	CHECK_EQ(LX_GNTALLOC_ALLOC_GREF, IOCTL_GNTALLOC_ALLOC_GREF);
	CHECK_EQ(LX_GNTALLOC_DEALLOC_GREF, IOCTL_GNTALLOC_DEALLOC_GREF);
	CHECK_EQ(offsetof(struct lx_gntalloc_alloc_one, index),
		 offsetof(struct ioctl_gntalloc_alloc_gref, index));
	CHECK_EQ(offsetof(struct lx_gntalloc_alloc_one, gref),
		 offsetof(struct ioctl_gntalloc_alloc_gref, gref_ids[0]));
#else
	printf("  (no xen/*.h system headers: only the fixed values are checked)\n");
#endif
}

int main(void)
{
	RUN(privcmd_numbers);
	RUN(against_system_headers);
	return check_done();
}
