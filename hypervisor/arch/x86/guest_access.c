/*
 * copy_from_guest / copy_to_guest: range checks, then a REP MOVSB whose
 * faults the #PF/#GP handler turns into -EFAULT through the fixup table.
 */
#include <asm/fixup.h>
#include <asm/layout.h>
#include <asm/x86.h>
#include <mica/errno.h>
#include <mica/guest_access.h>

#define HV_RANGE_START 0xffff800000000000UL
#define HV_RANGE_END 0xffff880000000000UL

bool guest_range_ok(u64 va, size_t len)
{
	u64 end = va + len;

	if (end < va)
		return false;
	if (len == 0)
		return true;
	/* Canonical: both ends in the lower or upper half (end cannot pass the top). */
	if (!canonical(va) || (va < 0x0000800000000000UL && end > 0x0000800000000000UL))
		return false;
	return end <= HV_RANGE_START || va >= HV_RANGE_END;
}

/* Returns the number of bytes not copied (0 on success). */
static size_t copy_with_fixup(void *dst, const void *src, size_t len)
{
	__asm__ volatile("1: rep movsb\n"
			 "2:\n"
			 FIXUP_ENTRY("1b", "2b")
			 : "+D"(dst), "+S"(src), "+c"(len)
			 :
			 : "memory");
	return len;
}

int copy_from_guest(void *dst, u64 src, size_t len)
{
	if (!guest_range_ok(src, len))
		return -EFAULT;
	return copy_with_fixup(dst, (const void *)(uintptr_t)src, len) ? -EFAULT : 0;
}

int copy_to_guest(u64 dst, const void *src, size_t len)
{
	if (!guest_range_ok(dst, len))
		return -EFAULT;
	return copy_with_fixup((void *)(uintptr_t)dst, src, len) ? -EFAULT : 0;
}
