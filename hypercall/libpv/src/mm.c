/* Addresses: the bootstrap 1:1 map, the p2m, and single-page remaps. */
#include "internal.h"

uint64_t pv_virt_to_pfn(const void *va)
{
	return ((uintptr_t)va - LIBPV_VIRT_BASE) >> 12;
}

uint64_t pv_pfn_to_mfn(uint64_t pfn)
{
	const uint64_t *p2m = (const uint64_t *)(uintptr_t)pv_start_info->mfn_list;

	return p2m[pfn];
}

uint64_t pv_virt_to_mfn(const void *va)
{
	return pv_pfn_to_mfn(pv_virt_to_pfn(va));
}

long pv_map_mfn(void *va, uint64_t mfn, uint64_t flags)
{
	return HYPERVISOR_update_va_mapping((uintptr_t)va, (mfn << 12) | flags, UVMF_INVLPG);
}

/*
 * vCPU 0's vcpu_info: the slot in shared_info until the guest registers
 * a copy of its own (VCPUOP_register_vcpu_info), which from then on is
 * the only one the hypervisor reads and writes. 64-byte aligned, so it
 * never crosses a page.
 */
static struct vcpu_info own_vcpu_info __attribute__((aligned(64)));
static struct vcpu_info *registered;

struct vcpu_info *pv_vcpu_info(void)
{
	if (registered)
		return registered;
	return pv_shared_info ? &pv_shared_info->vcpu_info[0] : NULL;
}

long pv_register_vcpu_info(void)
{
	struct vcpu_register_vcpu_info r = {
		.mfn = pv_virt_to_mfn(&own_vcpu_info),
		.offset = (uint32_t)((uintptr_t)&own_vcpu_info & (LIBPV_PAGE_SIZE - 1)),
	};
	long rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r);

	if (rc == 0)
		registered = &own_vcpu_info;
	return rc;
}
