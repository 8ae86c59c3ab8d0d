/*
 * console_io (18): writes (the text appears on the console: run.py finds
 * the marker line), reads for dom0, bad buffers and commands.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

int main(void)
{
	static const char marker[] = "console-io marker: written by console_io\n";
	char buf[64];

	check_guest(GUEST_NAME);

	check_eq("console.write.rc", 0,
		 HYPERVISOR_console_io(CONSOLEIO_write, sizeof(marker) - 1, (char *)marker));
	check_eq("console.write.zero_bytes", 0, HYPERVISOR_console_io(CONSOLEIO_write, 0, buf));
	check_eq("console.write.zero_bytes_null", 0,
		 HYPERVISOR_console_io(CONSOLEIO_write, 0, NULL));

	/* Bad buffers: nothing is printed and the answer is -EFAULT. */
	check_eq("console.write.null_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 5, NULL));
	check_eq("console.write.unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 5, (char *)ADDR_UNMAPPED_LOW));
	check_eq("console.write.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)ADDR_HYPERVISOR));
	check_eq("console.write.noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 16, (char *)ADDR_NONCANONICAL));
	/* A buffer running from the top of the user half into the non-canonical hole. */
	check_eq("console.write.wraps_noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 32,
				       (char *)(ADDR_NONCANONICAL_LOW - 16)));
	/* A buffer whose end wraps around the address space. */
	check_eq("console.write.wraps_64bit_efault", -XEN_EFAULT,
		 HYPERVISOR_console_io(CONSOLEIO_write, 0x100,
				       (char *)0xffffffffffffff80UL));

	/* dom0 reads console input; none is typed, so 0 bytes, and nothing is written. */
	memset(buf, 'x', sizeof(buf));
	check_eq("console.read.no_input", 0, HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf));
	check_eq("console.read.buffer_untouched", 'x', buf[0]);
	check_eq("console.read.zero_bytes", 0, HYPERVISOR_console_io(CONSOLEIO_read, 0, buf));

	/* Commands other than write (0) and read (1). */
	check_eq("console.cmd2_enosys", -XEN_ENOSYS, HYPERVISOR_console_io(2, 1, buf));
	check_eq("console.cmd_negative_enosys", -XEN_ENOSYS, HYPERVISOR_console_io(-1, 1, buf));

	/* stdio reaches the console through the same call. */
	check_eq("console.printf", 12, printf("printf: ok.\n"));
	return check_done();
}
