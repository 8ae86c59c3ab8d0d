/* The hypervisor console (console_io), printk, and the ways a libpv domain ends. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

long pv_console_write(const char *s, size_t n)
{
	return HYPERVISOR_console_io(CONSOLEIO_write, (pv_u32)n, (char *)s);
}

static void vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	pv_console_print(buf, (size_t)n);
}

void pv_printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

long pv_shutdown(unsigned int reason)
{
	struct sched_shutdown s = { .reason = reason };

	return HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}

void pv_crash(const char *fmt, ...)
{
	va_list ap;
	long rc;

	pv_printk("libpv: crash: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	pv_printk("\n");
	rc = pv_shutdown(SHUTDOWN_crash);
	/* Still here: the hypervisor refused. Nothing else to do but wait. */
	pv_printk("libpv: SCHEDOP_shutdown(crash) returned %ld; spinning\n", rc);
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}
