/*
 * The conformance guests' side of the protocol with tests/conformance/run.py:
 * one console line per check,
 *
 *   PASS <name>
 *   FAIL <name>: expected <x> got <y>
 *   SKIP <name>: <why>              (not counted: a prerequisite is missing)
 *
 * and at the end `END <guest>: <n> checks`, after which main returns and
 * libpv powers the domain off. Names are <guest>.<what>[.<detail>], no
 * spaces. Every check compares against one exact expected value.
 *
 * Hypercall results are compared as signed numbers (-38 is -ENOSYS, with
 * Xen's errno values from pv/errno.h); addresses and bit patterns in hex.
 */
#ifndef CONFORMANCE_CHECK_H
#define CONFORMANCE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <libpv.h>

/* Set once by the guest, printed in the END line. */
void check_guest(const char *name);

bool check_eq(const char *name, long long expected, long long got);
bool check_hex(const char *name, uint64_t expected, uint64_t got);
bool check_str(const char *name, const char *expected, const char *got);
/* A bit pattern under mask: prints both masked values in hex. */
bool check_bits(const char *name, uint64_t mask, uint64_t expected, uint64_t got);
void check_skip(const char *name, const char *why);
/* Prints the END line; returns 0 for main to return. */
int check_done(void);

/* printf-formatted check names: returns a static buffer (one at a time). */
const char *name_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Which hypercalls the table (hypercall_table.def) marks implemented, as
 * IMPLEMENTED(name). A guest runs the semantic checks of an implemented
 * hypercall; for one still NOSYS it checks the -ENOSYS answer and skips
 * the rest, so the suite grows by itself as handlers land.
 */
#define PV_IMPL_IMPL 1
#define PV_IMPL_NOSYS 0
enum {
#define PV_HC_IMPL_(nr, name, impl, ...) impl_##name = PV_IMPL_##impl,
#define PV_HC0(nr, name, impl, flags) PV_HC_IMPL_(nr, name, impl)
#define PV_HC1 PV_HC_IMPL_
#define PV_HC2 PV_HC_IMPL_
#define PV_HC3 PV_HC_IMPL_
#define PV_HC4 PV_HC_IMPL_
#define PV_HC5 PV_HC_IMPL_
#define PV_HC6 PV_HC_IMPL_
#include <pv/hypercall_table.def>
#undef PV_HC_IMPL_
#undef PV_HC0
#undef PV_HC1
#undef PV_HC2
#undef PV_HC3
#undef PV_HC4
#undef PV_HC5
#undef PV_HC6
};
#define IMPLEMENTED(name) (impl_##name == PV_IMPL_IMPL)

/*
 * For a hypercall still marked NOSYS: checks that calling it (rc, from a
 * call with harmless arguments) gave -ENOSYS, prints SKIP for what, and
 * returns true. For an implemented one returns false and checks nothing.
 */
bool skip_unless_implemented(bool implemented, const char *hypercall, long rc,
			     const char *what);

/* Unmapped guest addresses of each kind, for -EFAULT checks. */
#define ADDR_NULL 0x0UL
#define ADDR_UNMAPPED_LOW 0x0000000100000000UL    /* user half: dom0 maps nothing there */
#define ADDR_HYPERVISOR 0xffff800000000000UL      /* the hypervisor's L4 slots (M2P start) */
#define ADDR_HYPERVISOR_END 0xffff87fffffff000UL  /* last page of those slots */
#define ADDR_NONCANONICAL 0x8000000000000000UL
#define ADDR_NONCANONICAL_LOW 0x0000800000000000UL /* first non-canonical address */

#endif
