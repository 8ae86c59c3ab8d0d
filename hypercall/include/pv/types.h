/*
 * Fixed-width types for the PV ABI headers. These headers compile alone in
 * three places: the hypervisor (freestanding clang), a libpv guest (newlib)
 * and host programs (dom0 tools, unit tests). Only <stdint.h> and
 * <stddef.h> are assumed; both exist in every freestanding C11 compiler.
 */
#ifndef PV_TYPES_H
#define PV_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t pv_u8;
typedef uint16_t pv_u16;
typedef uint32_t pv_u32;
typedef uint64_t pv_u64;
typedef int8_t pv_s8;
typedef int16_t pv_s16;
typedef int32_t pv_s32;
typedef int64_t pv_s64;

/*
 * A guest virtual address, in a structure or a hypercall argument. The
 * guest stores a pointer here (PV_GVA(p)); the hypervisor never
 * dereferences it, it copies through copy_from_guest/copy_to_guest.
 */
typedef pv_u64 pv_gva_t;
#define PV_GVA(p) ((pv_gva_t)(uintptr_t)(p))

/* Scalar names the ABI uses everywhere. */
typedef pv_u16 domid_t;
typedef pv_u32 evtchn_port_t;
typedef pv_u32 grant_ref_t;
typedef pv_u32 grant_handle_t;
typedef pv_u8 xen_domain_handle_t[16]; /* a UUID chosen by the toolstack */

/*
 * Layout checks used right after each structure: its size and a few key
 * offsets, so a header that goes wrong fails to compile wherever it is
 * used. The unit test tests/unit/test_abi_layout.c checks the offset of
 * every field the hypervisor or a guest relies on.
 */
#define PV_CHECK_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), "sizeof(" #type ") != " #size)
#define PV_CHECK_OFFSET(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " is not at " #off)

#endif
