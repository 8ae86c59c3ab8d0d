/*
 * console_io (18): the hypervisor's own console. dom0's hvc0 is nothing
 * else (output by write, input by read after VIRQ_CONSOLE); a domU uses it
 * for early debug output before its ring console works.
 */
#ifndef PV_CONSOLE_IO_H
#define PV_CONSOLE_IO_H

/* console_io(cmd, count, buffer) */
#define CONSOLEIO_write 0   /* count bytes from buffer; returns 0 or -errno */
#define CONSOLEIO_read 1    /* up to count bytes into buffer; returns how many */

#endif
