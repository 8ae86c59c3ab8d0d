/*
 * Segment-register loads against a GDT of the guest's (set_gdt), and the
 * exceptions they raise, each a fault at the MOV with the selector (RPL
 * and TI bits cleared) as the error code:
 *   #NP(sel)  vector 11: DS from a not-present data descriptor
 *   #SS(sel)  vector 12: SS from a not-present writable data descriptor
 *   #GP(sel)  vector 13: a selector past the GDT's limit, an LDT
 *             selector with no LDT, an execute-only code segment in DS, a
 *             read-only data segment in SS, the hypervisor's ring-0
 *             selector
 * A present DPL 3 data descriptor loads; so does one the guest wrote with
 * DPL 0, which set_gdt made DPL 3 (Xen's check_descriptor: guest code
 * runs in ring 3, so every usable descriptor gets DPL 3, rewritten in the
 * guest's own frame).
 */
#include <string.h>

#include "check.h"
#include "frame_check.h"
#include "mmu.h"
#include "probes_ext.h"

#define ENTRIES 16
#define DATA_RW 0x00cff3000000ffffUL       /* present, DPL 3, read/write */
#define DATA_RW_NP 0x00cf73000000ffffUL    /* the same, not present */
#define DATA_RO 0x00cff1000000ffffUL       /* read-only data */
#define CODE_XO 0x00aff8000000ffffUL       /* execute-only 64-bit code */
#define DATA_RW_DPL0 0x00cf93000000ffffUL  /* what a native kernel would write */
#define DPL_MASK (3UL << 45)

static uint64_t gdt[512] __attribute__((aligned(PAGE)));

static uint16_t sel(unsigned int index)
{
	return (uint16_t)(index << 3 | 3);
}

static void loads_ok(const char *what, uint16_t s)
{
	uint16_t got;

	trap_reset();
	trap_expect(11);
	trap_expect(12);
	trap_expect(13);
	probe_load_ds(s);
	trap_unexpect(11);
	trap_unexpect(12);
	trap_unexpect(13);
	check_eq(name_of("exc_seg.%s.loads", what), 0, trap_count);
	/* And it really is in DS: load it again and read it back. */
	__asm__ volatile("mov %1, %%ds\n\tmov %%ds, %0\n\tmov %2, %%ds"
			 : "=r"(got) : "r"(s), "r"((uint16_t)0));
	check_hex(name_of("exc_seg.%s.ds_reads_back", what), s, got);
}

static void faults(const char *what, void (*probe)(uint16_t), uint16_t s, unsigned int vector)
{
	frame_expect(vector);
	probe(s);
	frame_check(name_of("exc_seg.%s", what), vector, s & 0xfffc, FRAME_FAULT, 1);
}

int main(void)
{
	pv_u64 frame;
	long rc;

	check_guest(GUEST_NAME);
	memset(gdt, 0, sizeof(gdt));
	gdt[1] = DATA_RW;
	gdt[2] = DATA_RW_NP;
	gdt[3] = DATA_RO;
	gdt[4] = CODE_XO;
	gdt[5] = DATA_RW_DPL0;
	check_eq("exc_seg.gdt_page_read_only", 0, pt_make_ro(gdt));
	frame = mfn_of(gdt);
	rc = HYPERVISOR_set_gdt(&frame, ENTRIES);
	if (!check_eq("exc_seg.set_gdt", 0, rc))
		return check_done();
	check_hex("exc_seg.dpl0_made_dpl3", DPL_MASK, gdt[5] & DPL_MASK);

	loads_ok("data_dpl3", sel(1));
	loads_ok("data_written_dpl0", sel(5));
	loads_ok("null", 0);
	faults("np_data_in_ds", probe_load_ds, sel(2), 11);
	faults("np_data_in_ss", probe_load_ss, sel(2), 12);
	faults("past_limit", probe_load_ds, sel(ENTRIES + 4), 13);
	faults("ldt_selector_without_ldt", probe_load_ds, (uint16_t)(1 << 3 | 4 | 3), 13);
	faults("execute_only_code_in_ds", probe_load_ds, sel(4), 13);
	faults("read_only_data_in_ss", probe_load_ss, sel(3), 13);
	faults("hypervisor_ring0_cs_in_ds", probe_load_ds, 0xe008, 13);
	faults("null_in_ss", probe_load_ss, 0, 13);

	/* Back to no GDT of our own; the page is ordinary again. */
	check_eq("exc_seg.set_gdt_empty", 0, HYPERVISOR_set_gdt(&frame, 0));
	check_eq("exc_seg.gdt_page_writable_again", 0, pt_make_rw(gdt));
	return check_done();
}
