/*
 * mica-store: the Unix-socket transport for dom0 programs (libxenstore,
 * Debian's xenstore-* tools, the mica CLI). Every socket client is dom0,
 * privileged, as with Xen's xenstored; the socket file is mode 0600.
 */
#ifndef STORE_SOCK_H
#define STORE_SOCK_H

#include <stddef.h>

#include "loop.h"
#include "store.h"

struct sock_server {
	struct pitem pi;        /* the listening socket */
	int epfd;
	struct store *st;
	char *path;
};

/*
 * Listens on path (its directory is made if missing; a stale socket file
 * is replaced, a live one is an error). Returns 0, or -errno with a message
 * for a person in err.
 */
int sock_listen(struct sock_server *s, struct store *st, int epfd, const char *path,
		char *err, size_t errsz);
/* Stops listening and removes the socket file (client connections close with the store). */
void sock_shutdown(struct sock_server *s);

#endif
