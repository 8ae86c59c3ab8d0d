/* Names for hypervisor code addresses, from a table built at link time. */
#ifndef MICA_SYMBOLS_H
#define MICA_SYMBOLS_H

#include <mica/types.h>

/*
 * Finds the function containing addr. Returns its name and sets *offset,
 * or returns NULL if addr is not in the hypervisor's text.
 */
const char *symbol_lookup(u64 addr, u64 *offset);

#endif
