/* mica-store: the ring backend over Linux's /dev/xen devices and xenfs (ring_xen.c). */
#ifndef STORE_RING_XEN_H
#define STORE_RING_XEN_H

#include <stdbool.h>
#include <stddef.h>

#include "ring.h"

#define RING_XEN_EVTCHN "/dev/xen/evtchn"
#define RING_XEN_GNTDEV "/dev/xen/gntdev"
#define RING_XEN_PRIVCMD "/dev/xen/privcmd"
#define RING_XEN_XSD_KVA "/proc/xen/xsd_kva"
#define RING_XEN_XSD_PORT "/proc/xen/xsd_port"

/* Whether /dev/xen/evtchn is there (we run in a Xen-ABI dom0). */
bool ring_xen_available(void);
/* Opens the devices; 0, or -errno with a message for a person in err. */
int ring_xen_init(struct ring_backend *be, struct store *st, char *err, size_t errsz);
/* Connects dom0's kernel through xenfs's xsd_kva/xsd_port; 0 or -errno and err. */
int ring_xen_connect_local(struct ring_backend *be, char *err, size_t errsz);

#endif
