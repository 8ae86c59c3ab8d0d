/*
 * More probes (see probes.h for how probes work): stores of a chosen
 * value in each form a PV kernel writes page-table entries with (MOV of
 * 8 and 4 bytes, XCHG, LOCK CMPXCHG, LOCK BTS), and the instructions that
 * raise the exceptions the exc_* guests check. Each records probe_at,
 * probe_after and probe_rsp, and loads RCX/R11 with PROBE_RCX/PROBE_R11
 * where it can, so a frame can be checked exactly and a hook can resume
 * after the instruction.
 */
#ifndef CONFORMANCE_PROBES_EXT_H
#define CONFORMANCE_PROBES_EXT_H

#include <stdint.h>

#include "probes.h"

/* mov %rsi, (%rdi) */
void probe_store64(uint64_t addr, uint64_t value);
/* movl %esi, (%rdi) */
void probe_store32(uint64_t addr, uint32_t value);
/* xchg %rsi, (%rdi): returns the old value */
uint64_t probe_xchg64(uint64_t addr, uint64_t value);
/* lock cmpxchg %rdx, (%rdi) with RAX = expected: returns RAX after (the old value) */
uint64_t probe_cmpxchg64(uint64_t addr, uint64_t expected, uint64_t value);
/* lock bts %rsi, (%rdi) */
void probe_lock_bts(uint64_t addr, uint64_t bit);

/* idiv of INT64_MIN by -1: #DE (the quotient does not fit) */
void probe_idiv_overflow(void);
/* 8-bit div by zero */
void probe_div8_zero(void);
/* ICEBP (F1, INT1) */
void probe_icebp(void);
/* LOCK NOP: #UD */
void probe_lock_nop(void);
/* INT n for the vectors the exc_int guest tries (CD nn) */
void probe_int_n(unsigned int n);
/* mov %di, %ds: loads a data selector (#GP/#NP with the selector as error code) */
void probe_load_ds(uint16_t sel);
/* mov %di, %ss */
void probe_load_ss(uint16_t sel);
/* fdiv by zero with the zero-divide exception unmasked, then FWAIT: #MF at the FWAIT */
void probe_x87_divzero(void);
/* Privileged instructions, each a #GP(0) in ring 3 unless the hypervisor emulates it */
void probe_lgdt(void);
void probe_lidt(void);
void probe_ltr(void);
void probe_invlpg(void);
/* MOV %cr0, %rax padded with prefixes to 15 bytes (returns RAX), 16 and 17 (#GP) */
uint64_t probe_mov_cr0_15(void);
void probe_mov_cr0_16(void);
void probe_mov_cr0_17(void);
void probe_swapgs(void);
void probe_sysret(void);

#endif
