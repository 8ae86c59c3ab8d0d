/*
 * dom0's command line (the words after the guest image in run.py's boot
 * module string), for guests that run with several settings: the number
 * of vCPUs they are booted with, a scenario name.
 */
#ifndef CONFORMANCE_CMDLINE_H
#define CONFORMANCE_CMDLINE_H

#include <stdbool.h>

/* The number after "key=" (key given with its '='), or dflt if absent. */
unsigned long cmdline_uint(const char *key, unsigned long dflt);
/* Whether the word "key=value" is on the command line. */
bool cmdline_has(const char *word);

#endif
