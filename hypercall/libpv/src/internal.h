/* What libpv's own files share and a guest does not see. */
#ifndef LIBPV_INTERNAL_H
#define LIBPV_INTERNAL_H

#include <libpv.h>

/* head.S */
extern const uint64_t pv_trap_stubs[256];
extern char pv_event_callback[], pv_failsafe_callback[], pv_syscall_callback[];

/* setup.c: C entry from _start, with RSI's start_info. */
void pv_start(struct start_info *si) __attribute__((noreturn));

/* traps.c: the virtual IDT and the callbacks; crashes the domain if refused. */
void pv_traps_init(void);
/* Called by every entry stub with the saved context. */
void pv_trap_dispatch(struct pv_regs *regs);

/* console_ring.c: a domU's console ring, if start_info names one (after shared_info). */
void pv_console_ring_init(void);

/* events.c: the 2-level upcall. */
void pv_evtchn_upcall(void);

/* vcpu.c and head.S: a secondary vCPU's entry, and its C side. */
extern char pv_secondary_entry[];
void pv_secondary_start(unsigned int id, void (*fn)(void *), void *arg) __attribute__((noreturn));

/* user.c and head.S: entering user mode and coming back. */
extern uint64_t pv_user_kernel_rsp;
extern char pv_user_resume[];
long pv_user_enter(long (*fn)(long), long arg, uint64_t user_sp, uint64_t rflags);
/* From the syscall callback: true if this was user code returning to pv_user_run. */
bool pv_user_exit(struct pv_regs *regs);

/* Compiler barrier: the hypervisor reads and writes shared pages behind our back. */
#define pv_barrier() __asm__ __volatile__("" ::: "memory")

#endif
