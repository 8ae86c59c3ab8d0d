/* The serial console UART. */
#ifndef ASM_UART_H
#define ASM_UART_H

#include <mica/types.h>

#define COM1_PORT 0x3f8
#define COM2_PORT 0x2f8

/* Programs the UART at port for baud 8N1; a missing UART leaves the console silent. */
void uart_init(u16 port, u32 baud);
void uart_disable(void);
/* Starts polling serial input for dom0's console (after timers work). */
void uart_input_start(void);

#endif
