/*
 * INT n for every vector n, against the trap table's DPL (PV ABI notes
 * 3.4; Xen's pv/traps.c: a software interrupt reaches the guest only if
 * its trap_info DPL admits the caller, kernel mode counting as 1).
 *
 *  - libpv's table: vectors 0-31 with DPL 0 except 3 and 4 (DPL 3);
 *    nothing above. INT 3 and INT 4 arrive as traps (RIP after the INT,
 *    no error code); every other INT n is #GP with error code
 *    (n << 3) | 2 (an IDT entry) at the INT.
 *  - Every vector installed with DPL 3: INT n arrives as vector n for
 *    all n, after the INT, with no error code even for vectors whose
 *    exceptions have one (8, 10-14, 17, 21), so those are pointed at a
 *    stub without an error code and recorded as vector 0xf8.
 *  - DPL 1 admits the guest kernel, DPL 0 nobody.
 */
#include "check.h"
#include "frame_check.h"
#include "probes_ext.h"

#define RECORD_VECTOR 0xf8 /* a stub without an error code for vectors that have one */

static bool has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static struct trap_info table[257];

static unsigned int expect_all(void)
{
	trap_reset();
	for (unsigned int v = 0; v < 256; v++)
		trap_expect(v);
	return 0;
}

static void unexpect_all(void)
{
	for (unsigned int v = 0; v < 256; v++)
		trap_unexpect(v);
}

int main(void)
{
	unsigned int wrong_default = 0, wrong_dpl3 = 0, first_default = 256, first_dpl3 = 256;

	check_guest(GUEST_NAME);
	/* libpv's table. */
	for (unsigned int n = 0; n < 256; n++) {
		bool ok;

		expect_all();
		probe_int_n(n);
		unexpect_all();
		if (n == 3 || n == 4)
			ok = trap_count == 1 && last_trap.vector == n && last_trap.rip == probe_after &&
			     last_trap.error_code == 0;
		else
			ok = trap_count == 1 && last_trap.vector == 13 && last_trap.rip == probe_at &&
			     last_trap.error_code == ((n << 3) | 2);
		if (!ok && !wrong_default++)
			first_default = n;
	}
	check_eq("exc_int.libpv_table.wrong_vectors", 0, wrong_default);
	check_eq("exc_int.libpv_table.first_wrong", 256, first_default);
	/* One in full, for the record. */
	frame_expect(13);
	probe_int_n(0x40);
	frame_check("exc_int.libpv_table.int40", 13, (0x40 << 3) | 2, FRAME_FAULT, 1);
	frame_expect(4);
	probe_int_n(4);
	frame_check("exc_int.libpv_table.int4", 4, 0, FRAME_TRAP, 1);

	/* Every vector with DPL 3. */
	for (unsigned int v = 0; v < 256; v++)
		table[v] = (struct trap_info){
			.vector = (uint8_t)v, .flags = 3 | TI_MASK_EVENTS, .cs = FLAT_KERNEL_CS,
			.address = pv_trap_entry(has_error(v) ? RECORD_VECTOR : v),
		};
	table[256] = (struct trap_info){ 0 };
	check_eq("exc_int.all_dpl3.installed", 0, HYPERVISOR_set_trap_table(table));
	for (unsigned int n = 0; n < 256; n++) {
		unsigned int want = has_error(n) ? RECORD_VECTOR : n;

		expect_all();
		probe_int_n(n);
		unexpect_all();
		if (!(trap_count == 1 && last_trap.vector == want && last_trap.rip == probe_after &&
		      last_trap.error_code == 0 && last_trap.rsp == probe_rsp &&
		      last_trap.cs == (0xe030UL | 1UL << 32)) && !wrong_dpl3++)
			first_dpl3 = n;
	}
	check_eq("exc_int.all_dpl3.wrong_vectors", 0, wrong_dpl3);
	check_eq("exc_int.all_dpl3.first_wrong", 256, first_dpl3);
	frame_expect(RECORD_VECTOR);
	probe_int_n(14);
	frame_check("exc_int.all_dpl3.int14_no_error_code", RECORD_VECTOR, 0, FRAME_TRAP, 1);
	frame_expect(0x99);
	probe_int_n(0x99);
	frame_check("exc_int.all_dpl3.int99", 0x99, 0, FRAME_TRAP, 1);

	/* Back to libpv's table (its #GP stub takes the error code), then DPL 1 and 0. */
	check_eq("exc_int.libpv_table_reinstalled", 0, pv_traps_reset());
	/* DPL 1: the kernel may. DPL 0: nobody. */
	check_eq("exc_int.dpl1.install", 0, pv_trap_install(0x99, 1 | TI_MASK_EVENTS));
	frame_expect(0x99);
	probe_int_n(0x99);
	frame_check("exc_int.dpl1.int99", 0x99, 0, FRAME_TRAP, 1);
	check_eq("exc_int.dpl0.install", 0, pv_trap_install(0x99, TI_MASK_EVENTS));
	frame_expect(13);
	probe_int_n(0x99);
	frame_check("exc_int.dpl0.int99_gp", 13, (0x99 << 3) | 2, FRAME_FAULT, 1);

	check_eq("exc_int.clear", 0, HYPERVISOR_set_trap_table(NULL));
	check_eq("exc_int.libpv_table_again", 0, pv_traps_reset());
	return check_done();
}
