/*
 * The last vCPU of a domain going down (VCPUOP_down on itself, with no
 * other vCPU up) powers the domain off, as on Xen (common/domain.c: "Last
 * vcpu going down?" -> domain_shutdown(SHUTDOWN_poweroff)). The call
 * never returns; run.py expects the poweroff (CRASH_RUNS).
 */
#include <stdio.h>

#include "check.h"

int main(void)
{
	check_guest(GUEST_NAME);
	check_eq("vcpu_down_last.is_up", 1, HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL));
	printf("vcpu_down_last: taking the last vCPU down\n");
	HYPERVISOR_vcpu_op(VCPUOP_down, 0, NULL);
	printf("vcpu_down_last: VCPUOP_down returned\n");
	return 3;
}
