/* mica-blkback: what its files share. */
#ifndef BLKBACK_H
#define BLKBACK_H

#include "disk.h"
#include "pvback.h"
#include "request.h"

/* The virtual block device (vbd.c). */
extern const struct pvb_ops vbd_ops;
/* Allocates the shared data buffers; 0 or -ENOMEM. */
int vbd_buffers(void);

#endif
