/*
 * What every libpv reference frontend does with the store and the clock:
 * find its backend, read and write its own and the backend's nodes, and
 * wait (polling, libpv's xenbus has no watches) for the backend's state.
 * Directories are relative to the domain's home (device/vif/0) or
 * absolute (the backend's).
 */
#ifndef FRONTDEV_H
#define FRONTDEV_H

#include <stdbool.h>
#include <stddef.h>

#include <libpv.h>

/* An event handler that does nothing: the frontends poll their rings after each wake-up. */
void front_ignore_event(evtchn_port_t port, void *data);

/*
 * Sleeps ms milliseconds (a one-shot timer and pv_block, events masked
 * until the block so the timer's wake-up is never lost). Uses VIRQ_TIMER.
 */
void front_sleep_ms(unsigned int ms);

/* DIR/key as a number; -1 if absent or not one. */
long long front_read_num(const char *dir, const char *key);
/* DIR/key as a string into buf; 0, or -1 if absent or too long. */
int front_read_str(const char *dir, const char *key, char *buf, size_t size);
/* Writes DIR/key = v in decimal; 0 or the store's error. */
long front_write_num(const char *dir, const char *key, unsigned long long v);

/* The backend's directory from DIR/backend into buf; 0, or -1 after printing why. */
int front_find_backend(const char *dir, char *buf, size_t size);
/* The backend's state (XenbusState*), 0 if it cannot be read. */
int front_backend_state(const char *backend);
/*
 * Polls the backend's state until it is want (Closing also accepts Closed),
 * at most ms milliseconds; false if it never came.
 */
bool front_wait_backend(const char *backend, int want, unsigned int ms);
/*
 * Closes the device in DIR as the xenbus protocol says: Closing, waits (at
 * most 20 s) for the backend's Closing, Closed, waits for its Closed.
 * true once the backend is Closed; false after printing, with who, which
 * state the backend never reached.
 */
bool front_close(const char *dir, const char *backend, const char *who);

#endif
