/*
 * Zeroed hypervisor memory in whole pages, taken from the frame allocator
 * and reached through the direct map. For objects made at domain creation
 * and the like: not for interrupt handlers (the frame allocator is not).
 */
#ifndef MICA_HEAP_H
#define MICA_HEAP_H

#include <mica/types.h>

/* At least size bytes, zeroed and page-aligned; NULL if memory is short. */
void *hv_zalloc(size_t size);
/* Returns what hv_zalloc(size) gave, with the same size; NULL is ignored. */
void hv_free(void *p, size_t size);

#endif
