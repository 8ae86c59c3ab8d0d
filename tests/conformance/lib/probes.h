/*
 * Probes: tiny assembly functions that each execute one instruction which
 * traps (or may), after recording where it is (probe_at), where it ends
 * (probe_after) and the stack pointer just before it (probe_rsp). RCX and
 * R11 hold 0x1111... and 0x2222... at the instruction, so a frame's copies
 * of them can be checked.
 *
 * A test arms a vector with trap_expect(): the hook then records the
 * frame libpv's stub saw into last_trap and resumes at probe_after with
 * probe_rsp, as if the instruction had completed. trap_count counts them.
 */
#ifndef CONFORMANCE_PROBES_H
#define CONFORMANCE_PROBES_H

#include <stdint.h>

#include <libpv.h>

#define PROBE_RCX 0x1111111111111111UL
#define PROBE_R11 0x2222222222222222UL

extern volatile uint64_t probe_at, probe_after, probe_rsp;

struct trap_record {
	uint64_t vector, error_code, rip, cs, rflags, rsp, ss, rcx, r11;
	uint64_t frame_top;     /* address just above the frame's SS word */
	uint64_t cr2;           /* vcpu_info.arch.cr2 in the handler (~0: no shared_info) */
	uint64_t mask;          /* vcpu_info.evtchn_upcall_mask in the handler (~0: unknown) */
};
extern volatile struct trap_record last_trap;
extern volatile unsigned int trap_count;

/* Records traps of vector from now on (resuming after the probe). */
void trap_expect(unsigned int vector);
/* Back to libpv's default (report and crash) for vector. */
void trap_unexpect(unsigned int vector);
/* Clears last_trap and trap_count. */
void trap_reset(void);

/* The probes (lib/probes.S). Arguments are as named; results where noted. */
void probe_int3(void);
void probe_int3_aligned(void);       /* RSP 16-byte aligned at the INT3 (probe_int3: 8 mod 16) */
void probe_int_cd03(void);           /* INT $3 spelled CD 03 */
void probe_int80(void);
void probe_int81(void);
void probe_int82(void);
void probe_ud2(void);
void probe_forced_not_cpuid(void);   /* ud2 "xen" then a NOP: not an emulated insn */
uint64_t probe_load(uint64_t addr);
void probe_store(uint64_t addr);
void probe_call(uint64_t addr);
void probe_div0(void);
void probe_hlt(void);
void probe_cli(void);
void probe_sse(void);
uint64_t probe_rdmsr(uint32_t msr);
void probe_wrmsr(uint32_t msr, uint64_t value);
uint64_t probe_xgetbv(void);         /* XCR0 */
void probe_xsetbv(uint64_t xcr0);
uint64_t probe_inb(uint16_t port);   /* RAX 0x1122334455667788 before the IN */
uint64_t probe_inw(uint16_t port);
uint64_t probe_inl(uint16_t port);
uint64_t probe_inb_imm(void);      /* in $0xe4, %al */
void probe_outb(uint16_t port, uint8_t value);
uint64_t probe_insb(uint16_t port, void *dst); /* returns RDI after */
/* iret to the NOP after it with RFLAGS.TF: a #DB trap follows, at probe_after. */
void probe_single_step(void);
/* Forced-emulation CPUID: out[0..3] = EAX EBX ECX EDX. */
void probe_xen_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* Reads FS:0 / GS:0. */
uint64_t read_fs0(void);
uint64_t read_gs0(void);

/*
 * Returns through the iret hypercall to its caller with RFLAGS.IF = !mask,
 * which sets the event mask (no shared_info needed).
 */
void iret_set_mask(unsigned int mask);
/*
 * iret to the caller with the given extra RFLAGS bits (TF: single-step),
 * CS and RAX: returns the RAX the hypercall restored.
 */
uint64_t iret_with(uint64_t rflags_or, uint64_t cs, uint64_t rax);
/* 0 if RCX and R11 survive an iret hypercall unchanged. */
uint64_t iret_keeps_rcx_r11(void);
uint64_t read_cs(void);
uint64_t read_ss(void);
uint64_t read_rflags(void);
/* Hypercall nr with args, with RBX RBP R12-R15 set to patterns; returns 0 if all survived. */
uint64_t hypercall_clobber_check(uint64_t nr, uint64_t a1, uint64_t a2);

#endif
