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
 * Each vCPU's vcpu_info: its slot in shared_info until the vCPU registers
 * a copy of its own (VCPUOP_register_vcpu_info), which from then on is
 * the only one the hypervisor reads and writes. 64-byte aligned, so none
 * crosses a page.
 */
static struct vcpu_info own_vcpu_info[PV_MAX_VCPUS] __attribute__((aligned(64)));
static struct vcpu_info *registered[PV_MAX_VCPUS];

struct vcpu_info *pv_vcpu_info(void)
{
	unsigned int id = pv_vcpu_id();

	if (registered[id])
		return registered[id];
	return pv_shared_info ? &pv_shared_info->vcpu_info[id] : NULL;
}

long pv_register_vcpu_info(void)
{
	unsigned int id = pv_vcpu_id();
	struct vcpu_info *mine = &own_vcpu_info[id];
	struct vcpu_register_vcpu_info r = {
		.mfn = pv_virt_to_mfn(mine),
		.offset = (uint32_t)((uintptr_t)mine & (LIBPV_PAGE_SIZE - 1)),
	};
	long rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, id, &r);

	if (rc == 0)
		registered[id] = mine;
	return rc;
}
