/*
 * Mapping a frame the domain does not own, by every door that takes a
 * frame number: an L1 entry (update_va_mapping, mmu_update, with and
 * without PRESERVE_AD, read-only or not), a table of ours as the target
 * of mmu_update, an upper-level entry naming the frame as a page table
 * (a live L2 slot, and fresh L2/L3/L4 tables being pinned), pinning it,
 * a base pointer, its M2P entry, a GDT frame, a descriptor write, a
 * vcpu_info; and the local APIC, which is the hypervisor's device.
 *
 * The frame is RAM that is not ours (the hypervisor's image, or free).
 * Xen's answers (xen/arch/x86/mm.c, pv/descriptor-tables.c,
 * common/domain.c): an L1 entry naming it is -EBUSY (get_page_from_l1e,
 * "could_not_pin"); everything that takes it as a typed page (table,
 * base pointer, GDT frame), as the target of an update, or for its M2P
 * entry, is -EINVAL; MMIO the hypervisor keeps is -EPERM. Nothing
 * changes: the slots we aimed at still hold what they held.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mmu.h"

#define LAPIC_MFN 0xfee00UL

static uint8_t scratch[PAGE] __attribute__((aligned(PAGE)));
static uint64_t l2[512] __attribute__((aligned(PAGE)));
static uint64_t l3[512] __attribute__((aligned(PAGE)));
static uint64_t l4[512] __attribute__((aligned(PAGE)));

static void l1_entry(uint64_t mfn)
{
	uint64_t pte = l1e_maddr(va_of(scratch)), before = l1e_of(va_of(scratch));
	struct mmu_update u[2];

	check_eq("mmu_foreign.uvm_rw_ebusy", -XEN_EBUSY, uvm(scratch, (mfn << 12) | PTE_RW_FLAGS));
	check_eq("mmu_foreign.uvm_ro_ebusy", -XEN_EBUSY, uvm(scratch, (mfn << 12) | PTE_RO_FLAGS));
	check_eq("mmu_foreign.uvm_invlpg_all_ebusy", -XEN_EBUSY,
		 HYPERVISOR_update_va_mapping(va_of(scratch), (mfn << 12) | PTE_RO_FLAGS,
					      UVMF_INVLPG | UVMF_ALL));
	check_eq("mmu_foreign.mmu_update_rw_ebusy", -XEN_EBUSY,
		 mmu1(pte | MMU_NORMAL_PT_UPDATE, (mfn << 12) | PTE_RW_FLAGS));
	check_eq("mmu_foreign.mmu_update_ro_ebusy", -XEN_EBUSY,
		 mmu1(pte | MMU_NORMAL_PT_UPDATE, (mfn << 12) | PTE_RO_FLAGS));
	check_eq("mmu_foreign.mmu_update_preserve_ad_ebusy", -XEN_EBUSY,
		 mmu1(pte | MMU_PT_UPDATE_PRESERVE_AD, (mfn << 12) | PTE_RO_FLAGS));
	/* The bad request second in a batch: the first is done, the count says 1. */
	u[0] = (struct mmu_update){ .ptr = pte, .val = (mfn_of(scratch) << 12) | PTE_RW_FLAGS };
	u[1] = (struct mmu_update){ .ptr = pte, .val = (mfn << 12) | PTE_RW_FLAGS };
	{
		pv_u32 done = 99;

		check_eq("mmu_foreign.batch_ebusy", -XEN_EBUSY,
			 HYPERVISOR_mmu_update(u, 2, &done, DOMID_SELF));
		check_eq("mmu_foreign.batch_done_1", 1, done);
	}
	check_hex("mmu_foreign.l1_slot_unchanged", PTE_MFN(before), PTE_MFN(l1e_of(va_of(scratch))));
	scratch[0] = 0x5c;
	check_hex("mmu_foreign.scratch_still_ours", 0x5c, *(volatile uint8_t *)scratch);
}

static void as_tables(uint64_t mfn)
{
	uint64_t *boot = boot_l4();
	uint64_t l3_mfn = PTE_MFN(boot[511]);
	uint64_t *live_l3 = table_va(l3_mfn), *live_l2;
	unsigned int free_slot = 0;

	/* The target of the update: a frame we do not own holds no table of ours. */
	check_eq("mmu_foreign.update_into_frame_einval", -XEN_EINVAL, mmu1(mfn << 12, 0));
	check_eq("mmu_foreign.machphys_einval", -XEN_EINVAL,
		 mmu1((mfn << 12) | MMU_MACHPHYS_UPDATE, 0x1234));

	/* A live L2 slot that is empty, pointed at the frame as an L1. */
	live_l2 = live_l3 ? table_va(PTE_MFN(live_l3[(va_of(scratch) >> 30) & 511])) : NULL;
	if (live_l2) {
		for (unsigned int i = 511; i > 0 && !free_slot; i--)
			if (!(live_l2[i] & PTE_P))
				free_slot = i;
	}
	if (free_slot) {
		uint64_t maddr = (mfn_of(live_l2) << 12) + free_slot * 8;

		check_eq("mmu_foreign.live_l2_entry_einval", -XEN_EINVAL,
			 mmu1(maddr, (mfn << 12) | PTE_TABLE_FLAGS));
		check_hex("mmu_foreign.live_l2_entry_unchanged", 0, live_l2[free_slot]);
	} else {
		check_skip("mmu_foreign.live_l2_entry", "no free slot in the bootstrap L2");
	}

	/* Fresh tables naming the frame one level down: pinning them fails. */
	memset(l2, 0, sizeof(l2));
	memset(l3, 0, sizeof(l3));
	memset(l4, 0, sizeof(l4));
	l2[0] = (mfn << 12) | PTE_TABLE_FLAGS;
	l3[0] = (mfn << 12) | PTE_TABLE_FLAGS;
	l4[0] = (mfn << 12) | PTE_TABLE_FLAGS;
	pt_make_ro(l2);
	pt_make_ro(l3);
	pt_make_ro(l4);
	check_eq("mmu_foreign.pin_l2_naming_it_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L2_TABLE, mfn_of(l2), 0));
	check_eq("mmu_foreign.pin_l3_naming_it_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L3_TABLE, mfn_of(l3), 0));
	check_eq("mmu_foreign.pin_l4_naming_it_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L4_TABLE, mfn_of(l4), 0));
	/* Refused tables stay ordinary pages: writable again. */
	check_eq("mmu_foreign.refused_tables_writable_again", 0,
		 pt_make_rw(l2) | pt_make_rw(l3) | pt_make_rw(l4));

	/* The frame itself as a table or a root. */
	check_eq("mmu_foreign.pin_l1_einval", -XEN_EINVAL, mmuext1(MMUEXT_PIN_L1_TABLE, mfn, 0));
	check_eq("mmu_foreign.pin_l2_einval", -XEN_EINVAL, mmuext1(MMUEXT_PIN_L2_TABLE, mfn, 0));
	check_eq("mmu_foreign.pin_l3_einval", -XEN_EINVAL, mmuext1(MMUEXT_PIN_L3_TABLE, mfn, 0));
	check_eq("mmu_foreign.pin_l4_einval", -XEN_EINVAL, mmuext1(MMUEXT_PIN_L4_TABLE, mfn, 0));
	check_eq("mmu_foreign.unpin_einval", -XEN_EINVAL, mmuext1(MMUEXT_UNPIN_TABLE, mfn, 0));
	check_eq("mmu_foreign.new_baseptr_einval", -XEN_EINVAL, mmuext1(MMUEXT_NEW_BASEPTR, mfn, 0));
	check_eq("mmu_foreign.new_user_baseptr_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_NEW_USER_BASEPTR, mfn, 0));
}

static void descriptors_and_vcpu_info(uint64_t mfn)
{
	pv_u64 frames[1] = { mfn };
	struct vcpu_register_vcpu_info r = { .mfn = mfn, .offset = 0 };

	check_eq("mmu_foreign.set_gdt_einval", -XEN_EINVAL, HYPERVISOR_set_gdt(frames, 16));
	check_eq("mmu_foreign.update_descriptor_einval", -XEN_EINVAL,
		 HYPERVISOR_update_descriptor(mfn << 12, 0));
	check_eq("mmu_foreign.register_vcpu_info_einval", -XEN_EINVAL,
		 HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r));
	/* Still registrable on our own page afterwards: the refusal left no trace. */
	check_eq("mmu_foreign.register_vcpu_info_own_page_after", 0, pv_register_vcpu_info());
}

int main(void)
{
	uint64_t mfn;

	check_guest(GUEST_NAME);
	mfn = foreign_ram_mfn();
	if (!mfn || !l1e_maddr(va_of(scratch))) {
		check_skip("mmu_foreign.all", "no foreign RAM frame or no L1 entry for scratch");
		return check_done();
	}
	printf("mmu_foreign: frame %#llx is not ours\n", (unsigned long long)mfn);
	l1_entry(mfn);
	as_tables(mfn);
	/* The local APIC: I/O memory the hypervisor keeps, even from dom0. */
	check_eq("mmu_foreign.lapic_eperm", -XEN_EPERM,
		 uvm(scratch, (LAPIC_MFN << 12) | PTE_RW_FLAGS | PTE_PCD | PTE_PWT));
	check_eq("mmu_foreign.lapic_ro_eperm", -XEN_EPERM,
		 uvm(scratch, (LAPIC_MFN << 12) | PTE_RO_FLAGS));
	descriptors_and_vcpu_info(mfn);
	return check_done();
}
