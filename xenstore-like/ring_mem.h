/*
 * mica-store: a ring backend over plain memory, for host tests and fuzzers.
 * The test owns the ring pages (registered per domid), raises events with
 * ring_port_event(), and reads how often the store notified each port.
 */
#ifndef STORE_RING_MEM_H
#define STORE_RING_MEM_H

#include "ring.h"

#define RING_MEM_MAX 64

struct ring_mem {
	struct {
		unsigned domid;
		struct xenstore_domain_interface *page;
		int port;                    /* bound local port, or -1 */
		unsigned notifies;
	} dom[RING_MEM_MAX];
	unsigned ndom;
	unsigned next_port;
	bool fail_map, fail_bind;
};

/* Sets up be with the memory backend; 0 or -ENOMEM. Free with ring_backend_fini(). */
int ring_mem_init(struct ring_backend *be, struct store *st);
/* The page the store will find for domid (INTRODUCE's mfn is ignored). */
void ring_mem_set_page(struct ring_backend *be, unsigned domid,
		       struct xenstore_domain_interface *page);
/* The local port bound for domid, or -1. */
int ring_mem_port(struct ring_backend *be, unsigned domid);
/* Notifications the store sent to domid so far. */
unsigned ring_mem_notifies(struct ring_backend *be, unsigned domid);

#endif
