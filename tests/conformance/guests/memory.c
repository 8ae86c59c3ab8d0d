/*
 * The PV MMU and memory_op: the M2P the guest reads, single-PTE updates
 * (update_va_mapping), checked table writes (mmu_update), pinning and
 * base pointers (mmuext_op), and memory_op's sizes and maps. Hostile
 * requests get Xen's answers (xen/arch/x86/mm.c): mapping a frame the
 * domain does not own, or its own page table writable, is -EBUSY;
 * touching the hypervisor's L4 slots or a VA without an L1 is -EINVAL;
 * pinning a frame of the wrong type or already pinned is -EINVAL.
 */
#include <string.h>

#include <pv/memory.h>

#include "check.h"
#include "probes.h"

#define PTE_P 0x1UL
#define PTE_RW 0x2UL
#define PTE_A 0x20UL
#define PTE_D 0x40UL
#define PTE_NX (1UL << 63)
#define PTE_MFN(e) (((e) >> 12) & 0xffffffffffUL)
#define MAX_TRACKED_MFN (1UL << 21)

static uint8_t scratch[2][4096] __attribute__((aligned(4096)));
static uint64_t owned[MAX_TRACKED_MFN / 64];
static uint64_t foreign_mfn; /* RAM the domain does not own, 0 if none found */

static uint64_t va_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* M2P[mfn], read with a #PF hook: ~0 if the table cannot be read there. */
static uint64_t m2p(uint64_t mfn)
{
	uint64_t v;

	trap_reset();
	trap_expect(14);
	v = probe_load(MACH2PHYS_VIRT_START + mfn * 8);
	trap_unexpect(14);
	return trap_count ? ~0UL : v;
}

/* The VA of a bootstrap page-table frame (they are all in the 1:1 map), or NULL. */
static const uint64_t *table_va(uint64_t mfn)
{
	for (uint64_t i = 0; i < pv_start_info->nr_pt_frames; i++) {
		const void *va = (const void *)(uintptr_t)(pv_start_info->pt_base + i * 4096);

		if (pv_virt_to_mfn(va) == mfn)
			return va;
	}
	return NULL;
}

/* Machine address of the L1 entry that maps va in the bootstrap tables (0: none). */
static uint64_t l1e_maddr(uint64_t va)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)pv_start_info->pt_base;

	for (int level = 4; level > 1; level--) {
		uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P) || !(t = table_va(PTE_MFN(e))))
			return 0;
	}
	return (pv_virt_to_mfn(t) << 12) | (((va >> 12) & 511) * 8);
}

static long uvm(const void *va, uint64_t pte)
{
	return HYPERVISOR_update_va_mapping(va_of(va), pte, UVMF_INVLPG);
}

static long mmuext1(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
	struct mmuext_op op = { .cmd = cmd, .arg1 = arg1, .arg2 = arg2 };

	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static void memory_op(void)
{
	struct xen_machphys_mapping mm = { 0 };
	static struct e820_entry map[128];
	struct xen_memory_map mmap = { .nr_entries = 128, .buffer = PV_GVA(map) };
	domid_t self = DOMID_SELF, nobody = 0x7fe0;
	uint64_t first_mfn = pv_pfn_to_mfn(0), max_mfn = 0;
	bool in_ram = false, ram = false;
	long rc;

	for (uint64_t pfn = 0; pfn < pv_start_info->nr_pages; pfn++)
		if (pv_pfn_to_mfn(pfn) > max_mfn)
			max_mfn = pv_pfn_to_mfn(pfn);

	check_eq("memory.machphys_mapping.rc", 0,
		 HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mm));
	check_hex("memory.machphys_mapping.v_start", MACH2PHYS_VIRT_START, mm.v_start);
	check_hex("memory.machphys_mapping.v_end", MACH2PHYS_VIRT_END, mm.v_end);
	check_eq("memory.machphys_mapping.max_mfn_covers_ours", 1, mm.max_mfn >= max_mfn);
	check_eq("memory.machphys_mapping.null_efault", -XEN_EFAULT,
		 HYPERVISOR_memory_op(XENMEM_machphys_mapping, NULL));

	check_eq("memory.current_reservation", pv_start_info->nr_pages,
		 HYPERVISOR_memory_op(XENMEM_current_reservation, &self));
	check_eq("memory.maximum_reservation_at_least_current", 1,
		 HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self) >=
			 (long)pv_start_info->nr_pages);
	check_eq("memory.current_reservation.no_such_domain_esrch", -XEN_ESRCH,
		 HYPERVISOR_memory_op(XENMEM_current_reservation, &nobody));
	check_eq("memory.unknown_subop_enosys", -XEN_ENOSYS, HYPERVISOR_memory_op(63, &self));

	rc = HYPERVISOR_memory_op(XENMEM_machine_memory_map, &mmap);
	check_eq("memory.machine_memory_map.rc", 0, rc);
	check_eq("memory.machine_memory_map.entries", 1, mmap.nr_entries > 0 && mmap.nr_entries <= 128);
	for (unsigned int i = 0; rc == 0 && i < mmap.nr_entries && i < 128; i++) {
		uint64_t lo = map[i].addr >> 12, hi = (map[i].addr + map[i].size) >> 12;

		if (map[i].type != E820_RAM)
			continue;
		ram = true;
		if (first_mfn >= lo && first_mfn < hi)
			in_ram = true;
		/* The first RAM frame above 2 MiB that is not ours: the hypervisor's, or free. */
		for (uint64_t m = lo > 0x200 ? lo : 0x200; !foreign_mfn && m < hi && m < MAX_TRACKED_MFN; m++)
			if (!(owned[m / 64] & (1UL << (m % 64))))
				foreign_mfn = m;
	}
	check_eq("memory.machine_memory_map.has_ram", 1, ram);
	check_eq("memory.machine_memory_map.our_frames_are_ram", 1, in_ram);
}

static void m2p_checks(void)
{
	uint64_t last = pv_start_info->nr_pages - 1;
	uint64_t kernel = pv_virt_to_pfn(scratch);

	check_hex("memory.m2p.pfn0", 0, m2p(pv_pfn_to_mfn(0)));
	check_hex("memory.m2p.kernel_pfn", kernel, m2p(pv_pfn_to_mfn(kernel)));
	check_hex("memory.m2p.last_pfn", last, m2p(pv_pfn_to_mfn(last)));
	/* Read-only: a store there is the guest's #PF, protection violation + write. */
	trap_reset();
	trap_expect(14);
	probe_store(MACH2PHYS_VIRT_START);
	trap_unexpect(14);
	check_eq("memory.m2p.read_only_pf", 14, last_trap.vector);
	check_hex("memory.m2p.read_only_pf_error", 3, last_trap.error_code);
}

static void update_va_mapping(void)
{
	uint64_t m0 = pv_virt_to_mfn(scratch[0]), m1 = pv_virt_to_mfn(scratch[1]);
	uint64_t l4 = pv_virt_to_mfn((void *)(uintptr_t)pv_start_info->pt_base);
	const uint64_t rw = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;

	memset(scratch[0], 0xa0, 4096);
	memset(scratch[1], 0xb1, 4096);

	check_eq("memory.uvm.remap_own_frame", 0, uvm(scratch[0], (m1 << 12) | rw));
	check_hex("memory.uvm.remap_reads_new_frame", 0xb1, *(volatile uint8_t *)scratch[0]);
	check_eq("memory.uvm.restore", 0, uvm(scratch[0], (m0 << 12) | rw));
	check_hex("memory.uvm.restore_reads_old_frame", 0xa0, *(volatile uint8_t *)scratch[0]);

	/* Not present: a read faults at that address. */
	check_eq("memory.uvm.unmap", 0, uvm(scratch[0], 0));
	trap_reset();
	trap_expect(14);
	probe_load(va_of(scratch[0]) + 8);
	trap_unexpect(14);
	check_eq("memory.uvm.unmapped_read_pf", 14, last_trap.vector);
	check_hex("memory.uvm.unmapped_read_error", 0, last_trap.error_code);
	if (pv_shared_info)
		check_hex("memory.uvm.unmapped_read_cr2", va_of(scratch[0]) + 8, last_trap.cr2);

	/* Read-only: reads work, a write is a protection #PF (error P|W). */
	check_eq("memory.uvm.read_only", 0, uvm(scratch[0], (m0 << 12) | PTE_P | PTE_A));
	check_hex("memory.uvm.read_only_reads", 0xa0, *(volatile uint8_t *)scratch[0]);
	trap_reset();
	trap_expect(14);
	probe_store(va_of(scratch[0]));
	trap_unexpect(14);
	check_hex("memory.uvm.read_only_write_error", 3, last_trap.error_code);
	check_eq("memory.uvm.restore_rw", 0, uvm(scratch[0], (m0 << 12) | rw));

	/* Hostile: someone else's frame, our own L4 writable, bad addresses. */
	if (foreign_mfn) {
		check_eq("memory.uvm.foreign_frame_rw_ebusy", -XEN_EBUSY,
			 uvm(scratch[0], (foreign_mfn << 12) | rw));
		check_eq("memory.uvm.foreign_frame_ro_ebusy", -XEN_EBUSY,
			 uvm(scratch[0], (foreign_mfn << 12) | PTE_P | PTE_A));
		check_hex("memory.uvm.foreign_refused_kept_mapping", 0xa0,
			  *(volatile uint8_t *)scratch[0]);
	} else {
		check_skip("memory.uvm.foreign_frame", "no frame found that is not ours");
	}
	check_eq("memory.uvm.own_l4_writable_ebusy", -XEN_EBUSY, uvm(scratch[0], (l4 << 12) | rw));
	check_eq("memory.uvm.own_l4_read_only", 0, uvm(scratch[0], (l4 << 12) | PTE_P | PTE_A));
	check_eq("memory.uvm.own_l4_read_only_restore", 0, uvm(scratch[0], (m0 << 12) | rw));
	check_eq("memory.uvm.va_without_l1_einval", -XEN_EINVAL,
		 HYPERVISOR_update_va_mapping(ADDR_UNMAPPED_LOW, (m0 << 12) | rw, UVMF_INVLPG));
	check_eq("memory.uvm.va_hypervisor_einval", -XEN_EINVAL,
		 HYPERVISOR_update_va_mapping(ADDR_HYPERVISOR, (m0 << 12) | rw, UVMF_INVLPG));
	check_eq("memory.uvm.va_noncanonical_einval", -XEN_EINVAL,
		 HYPERVISOR_update_va_mapping(ADDR_NONCANONICAL, (m0 << 12) | rw, UVMF_INVLPG));
	/* The shared_info frame is the domain's to map, read-write (Linux does). */
	check_eq("memory.uvm.shared_info_rw", 0,
		 uvm(scratch[0], (pv_start_info->shared_info & ~0xfffUL) | rw));
	check_eq("memory.uvm.shared_info_restore", 0, uvm(scratch[0], (m0 << 12) | rw));
}

static void mmu_update(void)
{
	uint64_t m0 = pv_virt_to_mfn(scratch[0]), m1 = pv_virt_to_mfn(scratch[1]);
	uint64_t pte = l1e_maddr(va_of(scratch[0]));
	uint64_t l4 = pv_virt_to_mfn((void *)(uintptr_t)pv_start_info->pt_base);
	const uint64_t rw = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
	struct mmu_update req[2];
	pv_u32 done = 77;

	if (!pte) {
		check_skip("memory.mmu_update", "cannot find scratch's L1 entry");
		return;
	}
	req[0] = (struct mmu_update){ .ptr = pte | MMU_NORMAL_PT_UPDATE, .val = (m1 << 12) | rw };
	check_eq("memory.mmu_update.normal", 0, HYPERVISOR_mmu_update(req, 1, &done, DOMID_SELF));
	check_eq("memory.mmu_update.normal_done", 1, done);
	mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch[0]), 0);
	check_hex("memory.mmu_update.normal_in_effect", 0xb1, *(volatile uint8_t *)scratch[0]);
	req[0].val = (m0 << 12) | rw;
	check_eq("memory.mmu_update.restore", 0, HYPERVISOR_mmu_update(req, 1, NULL, DOMID_SELF));
	mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch[0]), 0);
	check_hex("memory.mmu_update.restore_in_effect", 0xa0, *(volatile uint8_t *)scratch[0]);

	/* The hypervisor's L4 slots (256-271) are not the guest's to write. */
	req[0] = (struct mmu_update){ .ptr = (l4 << 12) + 256 * 8, .val = 0 };
	done = 77;
	check_eq("memory.mmu_update.l4_slot256_einval", -XEN_EINVAL,
		 HYPERVISOR_mmu_update(req, 1, &done, DOMID_SELF));
	check_eq("memory.mmu_update.l4_slot256_done_0", 0, done);
	req[0].ptr = (l4 << 12) + 271 * 8;
	check_eq("memory.mmu_update.l4_slot271_einval", -XEN_EINVAL,
		 HYPERVISOR_mmu_update(req, 1, NULL, DOMID_SELF));

	/* A batch stopping at its bad second request says one was done. */
	req[0] = (struct mmu_update){ .ptr = pte | MMU_NORMAL_PT_UPDATE, .val = (m0 << 12) | rw };
	req[1] = (struct mmu_update){ .ptr = (l4 << 12) + 256 * 8, .val = 0 };
	done = 77;
	check_eq("memory.mmu_update.batch_fails", -XEN_EINVAL,
		 HYPERVISOR_mmu_update(req, 2, &done, DOMID_SELF));
	check_eq("memory.mmu_update.batch_done_1", 1, done);

	/* Mapping a foreign frame through the PTE: -EBUSY, as update_va_mapping. */
	if (foreign_mfn) {
		req[0] = (struct mmu_update){ .ptr = pte, .val = (foreign_mfn << 12) | rw };
		check_eq("memory.mmu_update.foreign_frame_ebusy", -XEN_EBUSY,
			 HYPERVISOR_mmu_update(req, 1, NULL, DOMID_SELF));
	}

	/* MACHPHYS_UPDATE: our own frame's M2P entry. */
	req[0] = (struct mmu_update){ .ptr = (m1 << 12) | MMU_MACHPHYS_UPDATE, .val = 0x12345 };
	check_eq("memory.mmu_update.machphys", 0, HYPERVISOR_mmu_update(req, 1, NULL, DOMID_SELF));
	check_hex("memory.mmu_update.machphys_in_m2p", 0x12345, m2p(m1));
	req[0].val = pv_virt_to_pfn(scratch[1]);
	check_eq("memory.mmu_update.machphys_restore", 0,
		 HYPERVISOR_mmu_update(req, 1, NULL, DOMID_SELF));

	check_eq("memory.mmu_update.count0", 0, HYPERVISOR_mmu_update(req, 0, NULL, DOMID_SELF));
	check_eq("memory.mmu_update.null_efault", -XEN_EFAULT,
		 HYPERVISOR_mmu_update(NULL, 1, NULL, DOMID_SELF));
	check_eq("memory.mmu_update.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_mmu_update((void *)ADDR_HYPERVISOR, 1, NULL, DOMID_SELF));
}

static void mmuext_op(void)
{
	uint64_t m0 = pv_virt_to_mfn(scratch[0]);
	uint64_t l4 = pv_virt_to_mfn((void *)(uintptr_t)pv_start_info->pt_base);
	struct mmuext_op ops[3];
	pv_u32 done = 77;

	check_eq("memory.mmuext.tlb_flush_local", 0, mmuext1(MMUEXT_TLB_FLUSH_LOCAL, 0, 0));
	check_eq("memory.mmuext.invlpg_local", 0, mmuext1(MMUEXT_INVLPG_LOCAL, va_of(scratch[0]), 0));
	check_eq("memory.mmuext.tlb_flush_all", 0, mmuext1(MMUEXT_TLB_FLUSH_ALL, 0, 0));
	check_eq("memory.mmuext.invlpg_all", 0, mmuext1(MMUEXT_INVLPG_ALL, va_of(scratch[0]), 0));
	check_eq("memory.mmuext.set_ldt_none", 0, mmuext1(MMUEXT_SET_LDT, 0, 0));
	check_eq("memory.mmuext.new_baseptr_current", 0, mmuext1(MMUEXT_NEW_BASEPTR, l4, 0));

	/* The builder pinned our L4: pinning again is refused. */
	check_eq("memory.mmuext.pin_l4_pinned_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L4_TABLE, l4, 0));
	/* A data page with a writable mapping cannot become a page table. */
	check_eq("memory.mmuext.pin_l1_writable_page_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_PIN_L1_TABLE, m0, 0));
	check_eq("memory.mmuext.new_baseptr_data_page_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_NEW_BASEPTR, m0, 0));
	check_eq("memory.mmuext.unpin_not_pinned_einval", -XEN_EINVAL,
		 mmuext1(MMUEXT_UNPIN_TABLE, m0, 0));
	if (foreign_mfn)
		check_eq("memory.mmuext.pin_foreign_einval", -XEN_EINVAL,
			 mmuext1(MMUEXT_PIN_L1_TABLE, foreign_mfn, 0));
	check_eq("memory.mmuext.mark_super_eopnotsupp", -XEN_EOPNOTSUPP,
		 mmuext1(MMUEXT_MARK_SUPER, m0, 0));
	check_eq("memory.mmuext.unknown_cmd_enosys", -XEN_ENOSYS, mmuext1(99, 0, 0));

	/* A batch: done counts up to the failure. */
	ops[0] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	ops[1] = (struct mmuext_op){ .cmd = MMUEXT_UNPIN_TABLE, .arg1 = m0 };
	ops[2] = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	check_eq("memory.mmuext.batch_fails", -XEN_EINVAL,
		 HYPERVISOR_mmuext_op(ops, 3, &done, DOMID_SELF));
	check_eq("memory.mmuext.batch_done_1", 1, done);
	check_eq("memory.mmuext.count0", 0, HYPERVISOR_mmuext_op(ops, 0, NULL, DOMID_SELF));
	check_eq("memory.mmuext.null_efault", -XEN_EFAULT,
		 HYPERVISOR_mmuext_op(NULL, 1, NULL, DOMID_SELF));
}

int main(void)
{
	check_guest(GUEST_NAME);
	for (uint64_t pfn = 0; pfn < pv_start_info->nr_pages; pfn++) {
		uint64_t m = pv_pfn_to_mfn(pfn);

		if (m < MAX_TRACKED_MFN)
			owned[m / 64] |= 1UL << (m % 64);
	}

	if (!skip_unless_implemented(IMPLEMENTED(memory_op), "memory.memory_op",
				     HYPERVISOR_memory_op(XENMEM_machphys_mapping, NULL), "all"))
		memory_op();
	m2p_checks();
	if (!skip_unless_implemented(IMPLEMENTED(update_va_mapping), "memory.uvm",
				     HYPERVISOR_update_va_mapping(0, 0, 0), "all"))
		update_va_mapping();
	if (!skip_unless_implemented(IMPLEMENTED(mmu_update), "memory.mmu_update",
				     HYPERVISOR_mmu_update(NULL, 0, NULL, DOMID_SELF), "all"))
		mmu_update();
	if (!skip_unless_implemented(IMPLEMENTED(mmuext_op), "memory.mmuext",
				     HYPERVISOR_mmuext_op(NULL, 0, NULL, DOMID_SELF), "all"))
		mmuext_op();
	return check_done();
}
