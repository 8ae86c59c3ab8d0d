/*
 * Vector 14, #PF: a fault at the access with CR2 in vcpu_info.arch.cr2
 * and the error code the CPU gave, except that bit 2 (user) tells the
 * guest's mode (kernel here: clear). One case per error code a guest
 * kernel can cause: read (0) and write (2) of a not-present page, write
 * to a read-only page (3), fetch from a not-present page (0x10) and from
 * a present no-execute page (0x11).
 */
#include <string.h>

#include "check.h"
#include "frame_check.h"
#include "mmu.h"

static uint8_t page[PAGE] __attribute__((aligned(PAGE)));

static void pf(const char *what, void (*access)(uint64_t), uint64_t addr, uint64_t error,
	       int kind_rip_at_target)
{
	frame_expect(14);
	access(addr);
	if (kind_rip_at_target) {
		/* A fetch fault: RIP is the target, RSP has the call's return address. */
		trap_unexpect(14);
		check_eq(name_of("exc_pf.%s.delivered_once", what), 1, trap_count);
		check_hex(name_of("exc_pf.%s.error_code", what), error, last_trap.error_code);
		check_hex(name_of("exc_pf.%s.rip_at_target", what), addr, last_trap.rip);
		check_hex(name_of("exc_pf.%s.rsp", what), probe_rsp - 8, last_trap.rsp);
	} else {
		frame_check(name_of("exc_pf.%s", what), 14, error, FRAME_FAULT, 1);
	}
	check_hex(name_of("exc_pf.%s.cr2", what), addr, last_trap.cr2);
}

static void store(uint64_t a)
{
	probe_store(a);
}

static void load(uint64_t a)
{
	probe_load(a);
}

int main(void)
{
	uint64_t a = va_of(page);

	check_guest(GUEST_NAME);
	if (!pv_shared_info) {
		check_skip("exc_pf.all", "no shared_info: CR2 cannot be read");
		return check_done();
	}
	memset(page, 0xc3, sizeof(page)); /* RET: harmless if a fetch ever succeeded */
	check_eq("exc_pf.unmap", 0, uvm(page, 0));
	pf("read_not_present", load, a + 0x10, 0, 0);
	pf("write_not_present", store, a + 0x18, 2, 0);
	pf("fetch_not_present", probe_call, a + 0x20, 0x10, 1);
	check_eq("exc_pf.read_only_nx", 0, uvm(page, (mfn_of(page) << 12) | PTE_RO_FLAGS));
	pf("write_read_only", store, a + 0x28, 3, 0);
	pf("fetch_no_execute", probe_call, a + 0x30, 0x11, 1);
	check_eq("exc_pf.restore", 0, uvm(page, (mfn_of(page) << 12) | PTE_RW_FLAGS));
	return check_done();
}
