/* Leveled, timestamped logging to the serial console and the log ring. */
#include <stdarg.h>
#include <mica/console.h>
#include <mica/lib.h>
#include <mica/spinlock.h>

int console_loglevel = LOG_INFO;

static spinlock_t console_lock = SPINLOCK_INIT;
static volatile int report_cpu = -1; /* CPU holding the console for a report */

#define LOG_RING_SIZE (64 * 1024)
static char log_ring[LOG_RING_SIZE];
static u64 log_written; /* bytes ever logged; guarded by console_lock */

static const char level_tag[] = "EWID";

/* Interrupts stay off while the lock is held, so a handler that logs cannot deadlock. */
static u64 lock(void)
{
	u64 flags = arch_irq_save();

	if (report_cpu != arch_cpu_id())
		spin_lock(&console_lock);
	return flags;
}

static void unlock(u64 flags)
{
	if (report_cpu != arch_cpu_id())
		spin_unlock(&console_lock);
	arch_irq_restore(flags);
}

static void vprintk(int level, const char *fmt, va_list ap)
{
	char line[512];
	int hdr, len;
	u64 ns = arch_boot_ns(), flags;

	hdr = snprintf(line, sizeof(line), "(mica) [%5llu.%06llu] %c: ",
		       (unsigned long long)(ns / 1000000000),
		       (unsigned long long)(ns / 1000 % 1000000),
		       level_tag[level < 0 ? 0 : level > 3 ? 3 : level]);
	len = vsnprintf(line + hdr, sizeof(line) - (size_t)hdr, fmt, ap);
	len = hdr + len;
	if (len >= (int)sizeof(line) - 1) {
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	} else if (line[len - 1] != '\n') {
		line[len++] = '\n';
		line[len] = '\0';
	}
	flags = lock();
	for (int i = 0; i < len; i++)
		log_ring[(log_written + (u64)i) % LOG_RING_SIZE] = line[i];
	log_written += (u64)len;
	arch_console_write(line, (size_t)len);
	unlock(flags);
}

void printk(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > console_loglevel)
		return;
	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}

void console_lock_for_report(void)
{
	u64 spins = 0;

	arch_irq_save();
	while (!spin_trylock(&console_lock)) {
		/* The holder may have died mid-line: take over after a while. */
		if (++spins > 100000000) {
			console_lock = (spinlock_t)SPINLOCK_INIT;
			continue;
		}
		spin_pause();
	}
	report_cpu = arch_cpu_id();
}

void console_unlock_for_report(void)
{
	report_cpu = -1;
	spin_unlock(&console_lock);
}

size_t console_read_log(char *buf, size_t size, u64 *offset)
{
	size_t n = 0;
	u64 flags = lock();

	if (*offset + LOG_RING_SIZE < log_written)
		*offset = log_written - LOG_RING_SIZE;
	while (n < size && *offset < log_written) {
		buf[n++] = log_ring[*offset % LOG_RING_SIZE];
		(*offset)++;
	}
	unlock(flags);
	return n;
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_lock_for_report();
	printk(LOG_ERR, "PANIC on CPU%d: %s", arch_cpu_id(), msg);
	console_unlock_for_report();
	arch_halt_all();
}

void console_write_raw(const char *s, size_t n)
{
	u64 flags = lock();

	arch_console_write(s, n);
	unlock(flags);
}

void console_write_guest(unsigned int domid, const char *s, size_t n)
{
	char line[300];
	int len = snprintf(line, sizeof(line), "(d%u) %.*s%s", domid, (int)n, s,
			   n && s[n - 1] == '\n' ? "" : "\n");

	if (len > (int)sizeof(line) - 1)
		len = (int)sizeof(line) - 1;
	console_write_raw(line, (size_t)len);
}

/* Serial input waiting for dom0 (CONSOLEIO_read); guarded by console_lock. */
#define INPUT_RING_SIZE 1024
static char input_ring[INPUT_RING_SIZE];
static u32 input_head, input_tail; /* free-running; head - tail = bytes queued */

bool console_input_push(char c)
{
	u64 flags = lock();
	bool ok = input_head - input_tail < INPUT_RING_SIZE;

	if (ok)
		input_ring[input_head++ % INPUT_RING_SIZE] = c;
	unlock(flags);
	return ok;
}

size_t console_input_read(char *buf, size_t max)
{
	u64 flags = lock();
	size_t n = 0;

	while (n < max && input_tail != input_head)
		buf[n++] = input_ring[input_tail++ % INPUT_RING_SIZE];
	unlock(flags);
	return n;
}
