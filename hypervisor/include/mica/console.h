/*
 * The hypervisor log: leveled, timestamped messages to the serial console
 * and to an in-memory ring that the control domain can read later.
 */
#ifndef MICA_CONSOLE_H
#define MICA_CONSOLE_H

#include <mica/types.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Messages above this level are dropped (set by "loglvl="). */
extern int console_loglevel;

void printk(int level, const char *fmt, ...) __printf(2, 3);
#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/*
 * Prints, then stops the machine (arch_halt_all): reserved for the
 * hypervisor's own broken invariants, never for guest input.
 */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#define BUG_ON(cond)                                                     \
	do {                                                             \
		if (unlikely(cond))                                      \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/*
 * Take the console for a multi-line report (exception dumps), with
 * interrupts off for good: while held, other CPUs' printk waits, so the report is not interleaved. Breaks a
 * lock held by a CPU that died with it after a bounded wait.
 */
void console_lock_for_report(void);
void console_unlock_for_report(void);

/*
 * Copies up to size bytes of the log ring starting at *offset (an absolute
 * count of bytes ever logged) to buf and advances *offset; returns bytes
 * copied. Text older than the ring's capacity is skipped.
 */
size_t console_read_log(char *buf, size_t size, u64 *offset);

/* A guest's console output: dom0's goes out as it is, others' with "(dN) ". */
void console_write_raw(const char *s, size_t n);
void console_write_guest(unsigned int domid, const char *s, size_t n);

/*
 * Serial input for dom0: push() queues a received byte (false if the
 * queue is full and it was dropped); read() takes up to max bytes.
 */
bool console_input_push(char c);
size_t console_input_read(char *buf, size_t max);

/* Arch hooks. */
void arch_console_write(const char *s, size_t n);
u64 arch_boot_ns(void);   /* nanoseconds since boot, 0 until the clock is calibrated */
int arch_cpu_id(void);    /* index of the running CPU, 0 before SMP starts */
void arch_halt_all(void) __noreturn; /* stops every CPU */
void machine_power_off(void) __noreturn; /* halts every CPU; QEMU tests see a clean end */
void machine_restart(void) __noreturn;

#endif
