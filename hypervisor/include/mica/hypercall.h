/* Hypercall dispatch and the continuation of long hypercalls. */
#ifndef MICA_HYPERCALL_H
#define MICA_HYPERCALL_H

#include <asm/regs.h>
#include <mica/types.h>
#include <pv/hypercall_handlers.h>

/*
 * Runs the hypercall in regs (RAX = number, arguments in RDI RSI RDX
 * R10 R8 R9) for the current vCPU and puts the result in RAX.
 */
void hypercall_dispatch(struct cpu_regs *regs);

/* True when a long hypercall should stop and let other work run. */
bool hypercall_preempt_check(void);

/*
 * Makes the current hypercall start again, with its argument registers
 * replaced by args[0..nargs), when the guest next runs: RIP goes back to
 * the SYSCALL instruction. Returns the value the handler should return
 * (it is discarded: RAX is restored to the hypercall number). Inside a
 * multicall the continuation belongs to the multicall entry instead.
 */
long hypercall_create_continuation(unsigned int nargs, const u64 *args);

#endif
