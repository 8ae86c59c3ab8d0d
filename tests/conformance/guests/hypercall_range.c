/*
 * Every hypercall number outside the table answers -ENOSYS, and nothing
 * else happens: the unassigned numbers below 64 one by one, every number
 * from 64 to 65535, every power of two up to 2^63 (and one less and one
 * more), and each assigned number with high bits set (RAX is one 64-bit
 * number: Xen compares all of it against NR_hypercalls). The same numbers
 * as multicall ops give -ENOSYS in their entries while the multicall
 * itself returns 0. Afterwards the domain still works (a known call still
 * answers).
 */
#include <stdio.h>

#include "check.h"

#define TABLE_END 64 /* Xen's NR_hypercalls on x86 */

static bool assigned(uint64_t nr)
{
#define PV_HC_IS_(n, name, impl, ...) if (nr == (n)) return true;
#define PV_HC0(n, name, impl, flags) PV_HC_IS_(n, name, impl)
#define PV_HC1 PV_HC_IS_
#define PV_HC2 PV_HC_IS_
#define PV_HC3 PV_HC_IS_
#define PV_HC4 PV_HC_IS_
#define PV_HC5 PV_HC_IS_
#define PV_HC6 PV_HC_IS_
#include <pv/hypercall_table.def>
#undef PV_HC_IS_
#undef PV_HC0
#undef PV_HC1
#undef PV_HC2
#undef PV_HC3
#undef PV_HC4
#undef PV_HC5
#undef PV_HC6
	return false;
}

static long call(uint64_t nr)
{
	/* Arguments that would be harmful if any handler ran: pointers into the hypervisor. */
	return pv_hypercall(nr, ADDR_HYPERVISOR, ADDR_HYPERVISOR, ADDR_HYPERVISOR, 0, 0, 0);
}

/* Counts the numbers lo, lo+1, ... (n of them) that do not answer -ENOSYS; names the first. */
static void range(const char *what, uint64_t lo, uint64_t n)
{
	uint64_t wrong = 0, first = 0;
	long first_rc = 0;

	for (uint64_t nr = lo; nr != lo + n; nr++) {
		long rc = call(nr);

		if (rc != -XEN_ENOSYS && !wrong++) {
			first = nr;
			first_rc = rc;
		}
	}
	if (!check_eq(name_of("hypercall_range.%s.all_enosys", what), 0, wrong))
		printf("hypercall_range: %s: number %#llx answered %ld\n", what,
		       (unsigned long long)first, first_rc);
}

static void in_multicall(void)
{
	static const uint64_t ops[] = { 11, 38, 63, 64, 255, 4096, 1UL << 32, 1UL << 63, ~0UL,
					(1UL << 32) + PV_HC_multicall };
	static struct multicall_entry mc[sizeof(ops) / sizeof(ops[0])];
	unsigned int n = sizeof(ops) / sizeof(ops[0]), wrong = 0;

	for (unsigned int i = 0; i < n; i++)
		mc[i] = (struct multicall_entry){ .op = ops[i], .result = 0x5a5a,
						  .args = { ADDR_HYPERVISOR, ADDR_HYPERVISOR } };
	check_eq("hypercall_range.multicall.rc", 0, HYPERVISOR_multicall(mc, n));
	for (unsigned int i = 0; i < n; i++)
		if ((long)mc[i].result != -XEN_ENOSYS)
			wrong++;
	check_eq("hypercall_range.multicall.every_entry_enosys", 0, wrong);
	check_eq("hypercall_range.multicall.last_entry", -XEN_ENOSYS, (long)mc[n - 1].result);
}

int main(void)
{
	check_guest(GUEST_NAME);
	for (uint64_t nr = 0; nr < TABLE_END; nr++)
		if (!assigned(nr))
			check_eq(name_of("hypercall_range.unassigned[%llu]", (unsigned long long)nr),
				 -XEN_ENOSYS, call(nr));
	range("64_to_65535", TABLE_END, 65536 - TABLE_END);
	for (unsigned int k = 6; k < 64; k++) {
		uint64_t p = 1UL << k;

		check_eq(name_of("hypercall_range.pow2[%u]", k), -XEN_ENOSYS, call(p));
		check_eq(name_of("hypercall_range.pow2_minus1[%u]", k), -XEN_ENOSYS, call(p - 1));
		check_eq(name_of("hypercall_range.pow2_plus1[%u]", k), -XEN_ENOSYS, call(p + 1));
	}
	for (uint64_t nr = 0; nr < TABLE_END; nr++) {
		if (!assigned(nr))
			continue;
		check_eq(name_of("hypercall_range.bit32_set[%llu]", (unsigned long long)nr),
			 -XEN_ENOSYS, call(nr | 1UL << 32));
		check_eq(name_of("hypercall_range.bit63_set[%llu]", (unsigned long long)nr),
			 -XEN_ENOSYS, call(nr | 1UL << 63));
		check_eq(name_of("hypercall_range.high_half_ones[%llu]", (unsigned long long)nr),
			 -XEN_ENOSYS, call(nr | 0xffffffff00000000UL));
	}
	range("minus_4096_to_minus_1", (uint64_t)-4096, 4096);
	in_multicall();
	check_hex("hypercall_range.still_works", 0x40011,
		  (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL));
	return check_done();
}
