/*
 * The one door to guest memory. Hypercall arguments are guest virtual
 * addresses in the current guest address space; these functions check
 * the range (canonical, outside the hypervisor's slots, no wrap) and
 * survive faults, returning -EFAULT instead. No other code dereferences
 * a guest address.
 */
#ifndef MICA_GUEST_ACCESS_H
#define MICA_GUEST_ACCESS_H

#include <mica/types.h>

/* Copies len bytes from guest address src; 0 or -EFAULT (dst then undefined). */
int copy_from_guest(void *dst, u64 src, size_t len);
/* Copies len bytes to guest address dst; 0 or -EFAULT (some bytes may be written). */
int copy_to_guest(u64 dst, const void *src, size_t len);

/* True if [va, va+len) is a range a guest may name. */
bool guest_range_ok(u64 va, size_t len);

#endif
