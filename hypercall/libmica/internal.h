/* libmica's private state and helpers, shared by its source files. */
#ifndef LIBMICA_INTERNAL_H
#define LIBMICA_INTERNAL_H

#include "libmica.h"

/*
 * Locked scratch memory for hypercall arguments, allocated once per
 * handle: the domctl or sysctl structure at offset 0, a vCPU context
 * (5168 bytes) or a short list at MICA_SCRATCH_DATA.
 */
#define MICA_SCRATCH_SIZE (16 * 1024)
#define MICA_SCRATCH_DATA 4096

struct mica {
	int privcmd;                    /* /dev/xen/privcmd */
	unsigned char *scratch;         /* MICA_SCRATCH_SIZE bytes from mica_buf_alloc */
};

/* Linux's ERESTART, which a hypervisor may hand back to be called again. */
#define MICA_ERESTART 85

#endif
