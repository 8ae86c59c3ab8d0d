/* 16550 UART driver for the serial console (COM1 by default, 115200 8N1). */
#include <asm/x86.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/lib.h>
#include <asm/uart.h>
#include <mica/event.h>
#include <mica/timer.h>
#include <pv/event_channel.h>

#define UART_THR 0 /* transmit holding */
#define UART_RBR 0 /* receive buffer */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1

#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

static u16 uart_port; /* 0: no serial console */

void uart_init(u16 port, u32 baud)
{
	u16 div = (u16)(115200 / (baud ? baud : 115200));

	outb(port + UART_IER, 0x00);
	outb(port + UART_LCR, 0x80); /* divisor latch */
	outb(port + UART_DLL, (u8)div);
	outb(port + UART_DLM, (u8)(div >> 8));
	outb(port + UART_LCR, 0x03); /* 8N1 */
	outb(port + UART_FCR, 0x07); /* FIFOs on and cleared */
	outb(port + UART_MCR, 0x03); /* DTR, RTS */
	/* A missing UART reads back all ones: stay silent rather than spin. */
	uart_port = inb(port + UART_LSR) == 0xff ? 0 : port;
}

void uart_disable(void)
{
	uart_port = 0;
}

/*
 * Waits for room in the transmitter for as long as it takes: QEMU's 16550
 * keeps THR-empty clear while the host side of its serial line (a pipe or
 * pty) is not being read, and a byte written then overwrites the oldest one
 * in its FIFO, so giving up after a fixed number of polls lost whole blocks
 * of output on a loaded host. A UART that goes away reads all ones (which
 * includes THR-empty), so this cannot hang on a missing device; it is then
 * no longer used. Returns false if the UART is gone.
 */
static bool uart_putc(char c)
{
	u8 lsr;

	while (!((lsr = inb(uart_port + UART_LSR)) & LSR_THR_EMPTY))
		cpu_relax();
	if (lsr == 0xff) {
		uart_port = 0;
		return false;
	}
	outb(uart_port + UART_THR, (u8)c);
	return true;
}

void arch_console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n && uart_port; i++) {
		if (s[i] == '\n' && !uart_putc('\r'))
			return;
		uart_putc(s[i]);
	}
}

/*
 * Serial input for dom0, polled every 10 ms on the boot CPU (the UART's
 * interrupt would need an IO-APIC driver). Each batch of received bytes
 * is queued for CONSOLEIO_read and announced with VIRQ_CONSOLE.
 */
#define INPUT_POLL_NS 10000000ULL

static struct timer input_timer;

static void input_poll(void *unused)
{
	bool got = false;

	/* Every received byte that is waiting. */
	while (uart_port && (inb(uart_port + UART_LSR) & LSR_DATA_READY)) {
		console_input_push((char)inb(uart_port + UART_RBR));
		got = true;
	}
	if (got)
		send_global_virq(VIRQ_CONSOLE);
	set_timer(&input_timer, now_ns() + INPUT_POLL_NS);
}

void uart_input_start(void)
{
	if (!uart_port)
		return;
	timer_init(&input_timer, input_poll, NULL, 0);
	set_timer(&input_timer, now_ns() + INPUT_POLL_NS);
}
