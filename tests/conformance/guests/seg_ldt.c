/*
 * LDT selectors when the guest has no LDT. A PV guest gets an LDT only
 * through MMUEXT_SET_LDT (whose pages the hypervisor validates); with
 * none, the CPU's LDTR must be null, so every LDT selector is #GP(sel)
 * (Xen loads a null LDT for vCPUs without one). If the LDTR were left as
 * the CPU comes out of reset (base 0, limit 0xffff), the CPU would take
 * descriptors from linear address 0, which the guest can map: unchecked
 * descriptors, including call gates into ring 0. So this guest maps a
 * page of its own at VA 0 holding a valid DPL 3 data descriptor and a
 * call gate to the hypervisor's ring-0 code selector, and checks that
 * neither is used: loading DS and a far call through the gate both fault
 * with #GP(selector).
 */
#include <string.h>

#include "check.h"
#include "frame_check.h"
#include "mmu.h"
#include "probes_ext.h"

#define DATA_RW 0x00cff3000000ffffUL
#define LDT_SEL(i) ((uint16_t)((i) << 3 | 4 | 3))

static uint64_t l3[512] __attribute__((aligned(PAGE)));
static uint64_t l2[512] __attribute__((aligned(PAGE)));
static uint64_t l1[512] __attribute__((aligned(PAGE)));
static uint64_t descs[512] __attribute__((aligned(PAGE)));

/* lcall through a 6-byte far pointer {u32 offset, u16 selector} at RDI (probe layout). */
void probe_lcall(const void *farptr);
__asm__(".text\n.globl probe_lcall\nprobe_lcall:\n"
	"	lea 2f(%rip), %rax\n	mov %rax, probe_after(%rip)\n"
	"	lea 1f(%rip), %rax\n	mov %rax, probe_at(%rip)\n"
	"	movabs $0x1111111111111111, %rcx\n	movabs $0x2222222222222222, %r11\n"
	"	mov %rsp, probe_rsp(%rip)\n"
	"1:	lcall *(%rdi)\n"
	"2:	ret\n");

/* The gate's target: never reached. */
static void gate_target(void)
{
	pv_crash("seg_ldt: reached through an LDT call gate");
}

static bool map_page_at_zero(void)
{
	uint64_t *boot = boot_l4();

	if (boot[0] & PTE_P)
		return false;
	memset(l3, 0, PAGE);
	memset(l2, 0, PAGE);
	memset(l1, 0, PAGE);
	l1[0] = (mfn_of(descs) << 12) | PTE_RO_FLAGS;
	l2[0] = (mfn_of(l1) << 12) | PTE_TABLE_FLAGS;
	l3[0] = (mfn_of(l2) << 12) | PTE_TABLE_FLAGS;
	pt_make_ro(l1);
	pt_make_ro(l2);
	pt_make_ro(l3);
	if (mmuext1(MMUEXT_PIN_L3_TABLE, mfn_of(l3), 0))
		return false;
	return mmu1(boot_l4_mfn() << 12, (mfn_of(l3) << 12) | PTE_TABLE_FLAGS) == 0;
}

int main(void)
{
	uint64_t target = (uint64_t)(uintptr_t)gate_target;
	struct __attribute__((packed)) { uint32_t offset; uint16_t sel; } farptr = { 0, LDT_SEL(2) };

	check_guest(GUEST_NAME);
	check_eq("seg_ldt.set_ldt_none", 0, mmuext1(MMUEXT_SET_LDT, 0, 0));
	memset(descs, 0, sizeof(descs));
	descs[1] = DATA_RW;
	/* A 64-bit call gate, DPL 3, present, to 0xe008:target. */
	descs[2] = (target & 0xffff) | (0xe008UL << 16) | (0xecUL << 40) | ((target >> 16 & 0xffff) << 48);
	descs[3] = target >> 32;
	if (!check_eq("seg_ldt.page_mapped_at_0", 1, map_page_at_zero()))
		return check_done();
	check_hex("seg_ldt.page_at_0_reads", DATA_RW, *(volatile uint64_t *)(uintptr_t)8);

	frame_expect(13);
	probe_load_ds(LDT_SEL(1));
	frame_check("seg_ldt.data_selector", 13, LDT_SEL(1) & 0xfffc, FRAME_FAULT, 1);
	if (last_trap.vector == 13) {
		frame_expect(13);
		probe_lcall(&farptr);
		frame_check("seg_ldt.call_gate", 13, LDT_SEL(2) & 0xfffc, FRAME_FAULT, 1);
	} else {
		check_skip("seg_ldt.call_gate", "an LDT descriptor at VA 0 was used: not trying the gate");
	}

	check_eq("seg_ldt.unmap_page_at_0", 0, mmu1(boot_l4_mfn() << 12, 0));
	check_eq("seg_ldt.unpin", 0, mmuext1(MMUEXT_UNPIN_TABLE, mfn_of(l3), 0));
	return check_done();
}
