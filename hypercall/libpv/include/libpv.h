/*
 * libpv: a tiny 64-bit PV kernel runtime on newlib. A libpv guest is an
 * ELF image the hypervisor (or a toolstack) builds like any PV kernel: it
 * starts in libpv's entry code, which installs the virtual IDT and the
 * callbacks, maps shared_info, sets up newlib, and calls the guest's
 *
 *     int main(void);
 *
 * with events masked. Returning from main (or exit()) shuts the domain
 * down: status 0 powers it off, anything else reports a crash. printf and
 * the rest of stdio write to the domain's console: the hypervisor console
 * (console_io) for dom0, the console ring dom0's console daemon serves
 * for a domU.
 *
 * The guest runs in guest kernel mode on vCPU 0; it may bring more vCPUs
 * up (pv_vcpu_start) and run code in guest user mode (pv_user_run). A
 * fault nobody handles prints the vector, error code, RIP and registers
 * and crashes the domain. Hypercalls are the HYPERVISOR_<name>() stubs of
 * <pv/hypercall_guest.h> (a `syscall` each).
 *
 * This header is the whole API; docs/libpv.md explains how to use it.
 */
#ifndef LIBPV_H
#define LIBPV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/callback.h>
#include <pv/console_io.h>
#include <pv/errno.h>
#include <pv/event_channel.h>
#include <pv/event_channel_fifo.h>
#include <pv/grant_table.h>
#include <pv/hypercall_guest.h>
#include <pv/mm.h>
#include <pv/sched.h>
#include <pv/vcpu.h>
#include <pv/version.h>
#include <pv/xen.h>

/* --- layout ------------------------------------------------------------- */

/* Where pseudo-physical 0 is mapped (the VIRT_BASE note), as for Linux. */
#define LIBPV_VIRT_BASE 0xffffffff80000000UL
#define LIBPV_PAGE_SIZE 4096UL

/* PTE bits for pv_map_mfn(). */
#define PV_PTE_P (1UL << 0)
#define PV_PTE_RW (1UL << 1)
#define PV_PTE_A (1UL << 5)
#define PV_PTE_D (1UL << 6)
#define PV_PTE_NX (1UL << 63)

/* --- what the builder gave us ------------------------------------------- */

extern struct start_info *pv_start_info;
/* The shared_info page, or NULL if it could not be mapped (no events, no time). */
extern struct shared_info *pv_shared_info;

/*
 * The calling vCPU's vcpu_info: inside shared_info, or libpv's own copy
 * once pv_register_vcpu_info() (called on that vCPU) moved it there
 * (VCPUOP_register_vcpu_info, what Linux does for every CPU); NULL
 * without shared_info.
 */
struct vcpu_info *pv_vcpu_info(void);
long pv_register_vcpu_info(void);

/* Pseudo-physical <-> machine, through the bootstrap 1:1 map and the p2m. */
uint64_t pv_virt_to_pfn(const void *va);
uint64_t pv_pfn_to_mfn(uint64_t pfn);
uint64_t pv_virt_to_mfn(const void *va);

/*
 * Points the page-aligned va (inside libpv's mapping) at machine frame
 * mfn with PTE flags (PV_PTE_*), flushing that va. Returns the
 * update_va_mapping result: 0 or -XEN_E*.
 */
long pv_map_mfn(void *va, uint64_t mfn, uint64_t flags);

/* --- console -------------------------------------------------------------- */

/*
 * The domain's console: for a domU with a console ring in start_info
 * (SIF_INITDOMAIN clear, console.domU.mfn and .evtchn set), that ring,
 * which dom0's console daemon serves; for dom0, or a domU without one,
 * the hypervisor console. pv_console_print writes n bytes ('\n' goes
 * into the ring as "\r\n"), waiting while the ring is full; once the
 * daemon has freed nothing for 5 s, what does not fit goes to the
 * hypervisor console. Returns n, or the console_io error.
 * pv_console_read takes up to n bytes of input without waiting: the
 * count, 0 if none is there.
 */
long pv_console_print(const char *s, size_t n);
long pv_console_read(char *buf, size_t n);
/* True once libpv writes to a console ring rather than the hypervisor console. */
bool pv_console_has_ring(void);
/* Writes n bytes to the hypervisor console, whatever the domain; returns the console_io result. */
long pv_console_write(const char *s, size_t n);
/* printf-style output to the domain's console that never goes through stdio (safe in trap handlers). */
void pv_printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- ending --------------------------------------------------------------- */

/* SCHEDOP_shutdown with reason (SHUTDOWN_*); returns only if the call fails. */
long pv_shutdown(unsigned int reason);
/* Reports why on the console and shuts down with SHUTDOWN_crash. */
void pv_crash(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* --- traps ------------------------------------------------------------------ */

/*
 * The interrupted context as the trap entry code saved it. The bounce
 * frame's RCX and R11 are folded back into rcx/r11; vector is the
 * exception vector (or PV_VECTOR_*), error_code 0 when the vector has
 * none. cs carries the saved event mask in bits 39:32, as delivered.
 * A hook may change any field: the iret hypercall returns to it.
 */
struct pv_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Pseudo vectors for the callbacks, above the 256 IDT vectors (hooks: failsafe, syscall). */
#define PV_VECTOR_EVENT 256
#define PV_VECTOR_FAILSAFE 257
#define PV_VECTOR_SYSCALL 258

/*
 * A trap hook sees an exception (or a failsafe or user system call
 * callback, PV_VECTOR_*) before libpv's fatal report. It returns true if
 * it dealt with it (usually after moving regs->rip past the faulting
 * instruction), false to let libpv report and crash. Hooks are the
 * domain's, shared by all vCPUs.
 */
typedef bool (*pv_trap_hook_t)(struct pv_regs *regs);
void pv_set_trap_hook(unsigned int vector, pv_trap_hook_t hook);

/* The entry stub of vector (0-255): where libpv's trap table points it. */
uint64_t pv_trap_entry(unsigned int vector);
/* Entry points registered with callback_op, for tests that re-register them. */
uint64_t pv_event_entry(void);
uint64_t pv_failsafe_entry(void);
uint64_t pv_syscall_entry(void);

/*
 * Installs one vector (set_trap_table with a one-entry table) with the
 * given flags (DPL in bits 1:0, TI_MASK_EVENTS); the handler is libpv's
 * stub, so hooks see it. Returns the hypercall result.
 */
long pv_trap_install(unsigned int vector, unsigned int flags);
/* Installs libpv's whole table again (vectors 0-31); returns the result. */
long pv_traps_reset(void);
/* libpv's trap_info for vector: its stub, DPL and event masking. */
struct trap_info pv_trap_info(unsigned int vector);

/* Prints the report libpv gives an unexpected trap (without crashing). */
void pv_trap_report(const struct pv_regs *regs);

/* --- events ----------------------------------------------------------------- */

/*
 * Events are masked when main() starts. pv_irq_enable() unmasks them (an
 * event already pending is delivered at once); pv_irq_disable() masks.
 * pv_irq_save() masks and returns the previous mask for pv_irq_restore().
 */
void pv_irq_disable(void);
void pv_irq_enable(void);
unsigned int pv_irq_save(void);
void pv_irq_restore(unsigned int mask);

/*
 * Handlers run in the upcall, with events masked, for each pending and
 * unmasked port (its pending bit already cleared), on the vCPU the port
 * is bound to.
 */
typedef void (*pv_evtchn_handler_t)(evtchn_port_t port, void *data);
void pv_evtchn_set_handler(evtchn_port_t port, pv_evtchn_handler_t fn, void *data);
/* Upcalls delivered so far, and events found for ports without a handler. */
extern volatile uint64_t pv_upcalls, pv_unhandled_events;

/*
 * EVTCHNOP wrappers: 0 (and the port) or -XEN_E*. bind_virq and bind_ipi
 * bind to the calling vCPU, bind_ipi_to to the one named; bind_vcpu moves
 * a port's notifications to another vCPU. Ports bound by a raw hypercall
 * are taken to notify vCPU 0.
 */
long pv_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
long pv_evtchn_bind_virq(uint32_t virq, evtchn_port_t *port);
long pv_evtchn_bind_ipi(evtchn_port_t *port);
long pv_evtchn_bind_ipi_to(unsigned int vcpu, evtchn_port_t *port);
long pv_evtchn_bind_vcpu(evtchn_port_t port, unsigned int vcpu);
long pv_evtchn_send(evtchn_port_t port);
long pv_evtchn_close(evtchn_port_t port);
long pv_evtchn_unmask(evtchn_port_t port);
/* Sets the port's mask bit in shared_info. */
void pv_evtchn_mask(evtchn_port_t port);

/*
 * Waits for an event: SCHEDOP_block, which unmasks events, sleeps unless
 * one is pending, and returns after the upcall ran. Events stay unmasked.
 */
long pv_block(void);

/* --- time ------------------------------------------------------------------- */

/* Guest system time in ns (the caller's vcpu_time_info and the TSC); 0 without shared_info. */
uint64_t pv_time_ns(void);
/*
 * The calling vCPU's one-shot VIRQ_TIMER at absolute system time
 * deadline_ns (0 cancels): VCPUOP_set_singleshot_timer, or set_timer_op
 * where vcpu_op is missing.
 */
long pv_timer_set(uint64_t deadline_ns);

/* --- vCPUs ------------------------------------------------------------------ */

/* vCPUs libpv can run: their stacks and vcpu_info copies are static. */
#define PV_MAX_VCPUS 8

/*
 * The calling vCPU's id. libpv knows its vCPUs by their stacks (vCPU 0
 * runs on the boot stack, each vCPU pv_vcpu_start brought up on one of
 * its own), so this holds whatever the guest does to its segment bases.
 */
unsigned int pv_vcpu_id(void);
/* How many vCPUs the domain has, up or down (VCPUOP_is_up until -ENOENT). */
unsigned int pv_nr_vcpus(void);
/*
 * Brings vCPU id (1 .. PV_MAX_VCPUS-1) up, running fn(arg) in guest
 * kernel mode with events masked, on its own stack, with libpv's trap
 * table and callbacks, on start_info's page tables: VCPUOP_initialise,
 * then VCPUOP_up. When fn returns the vCPU takes itself down
 * (VCPUOP_down). Returns 0 or the failing call's -XEN_E*. Call it from
 * one vCPU at a time. A vCPU can be initialised once: Xen and Mica
 * refuse a second VCPUOP_initialise with -EEXIST.
 */
long pv_vcpu_start(unsigned int id, void (*fn)(void *arg), void *arg);
/* The context pv_vcpu_start gives vCPU id, for tests that change it first. */
void pv_vcpu_context(unsigned int id, struct vcpu_guest_context *ctx, void (*fn)(void *arg),
		     void *arg);

/* --- guest user mode (vCPU 0) ----------------------------------------------- */

/*
 * pv_user_init() gives vCPU 0 a user page-table root that maps libpv's
 * image as the kernel root does (MMUEXT_NEW_USER_BASEPTR) and a kernel
 * stack for entries from user mode (stack_switch): 0 or -XEN_E*.
 * pv_user_run(fn, arg) then runs fn(arg) in guest user mode, on libpv's
 * user stack with the caller's event mask, and returns fn's result once
 * fn returns. Traps in user mode reach the trap hooks as usual, their
 * frames showing CS with RPL 3; system calls (`syscall` in user mode)
 * reach the PV_VECTOR_SYSCALL hook, except the one with RAX =
 * PV_USER_EXIT that ends pv_user_run.
 */
#define PV_USER_EXIT 0x5449584552455355UL /* "USEREXIT" */
long pv_user_init(void);
long pv_user_run(long (*fn)(long), long arg);
/* The user stack's top, the kernel stack entries from user mode use, the user root. */
uint64_t pv_user_stack_top(void);
uint64_t pv_user_kernel_stack_top(void);
uint64_t pv_user_root_mfn(void);

/* --- grant tables (v1) ------------------------------------------------------ */

/* Maps nr_frames grant frames (GNTTABOP_setup_table); 0 or -XEN_E* / GNTST. */
long pv_gnttab_init(unsigned int nr_frames);
/*
 * Grants domid access to machine frame mfn: returns the reference (>= 8,
 * the first eight are reserved), or -XEN_ENOSPC when the table is full.
 */
long pv_gnttab_grant(domid_t domid, uint64_t mfn, bool readonly);
/* Revokes ref; -XEN_EBUSY while the other side still maps or copies it. */
long pv_gnttab_end(grant_ref_t ref);

/* --- xenbus ----------------------------------------------------------------- */

/*
 * A minimal xenstore client over the start_info ring (one request at a
 * time, waiting with pv_block). -XEN_ENODEV when the domain has no store
 * ring (dom0 before the store runs). Replies that are errors come back as
 * -XEN_E* of the errno name the store sent.
 */
long pv_xenbus_init(void);
long pv_xenbus_read(const char *path, char *buf, size_t len);
long pv_xenbus_write(const char *path, const char *value);

#endif
