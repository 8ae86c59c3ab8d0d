/*
 * mica-store: a client connection, seen from the protocol core.
 *
 * A transport (sock.c, ring.c) owns the bytes; the connection owns the
 * message framing, the queue of replies and watch events waiting to go
 * out, and the client's transactions and watches. The framing takes
 * exactly the bytes of one message at a time, so a transport never reads
 * ahead of what the core can take: when an unprivileged client has
 * quota.outstanding replies waiting (it is not reading them), the core
 * stops asking for input and the client's requests wait in its socket or
 * ring.
 */
#ifndef STORE_CONN_H
#define STORE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The most messages a privileged connection may have queued before reading stops. */
#define PRIV_BACKLOG 4096

struct conn_ops {
	const char *kind;                   /* "socket", "ring" */
	/* Sends queued output now, as far as the transport allows. */
	void (*flush)(struct conn *c);
	/* Releases the transport's state; the core frees c itself later. */
	void (*close)(struct conn *c);
};

struct outmsg {
	struct outmsg *next;
	uint32_t len;                       /* header + payload */
	bool event;
	char data[];
};

struct conn {
	struct store *st;
	uint64_t id;                        /* unique, never reused */
	unsigned domid;
	bool privileged;
	struct domain *dom;                 /* accounting record of domid */
	char name[64];                      /* for the log: "domain 5", "socket (pid 42)" */
	const struct conn_ops *ops;
	void *tp;                           /* the transport's state */

	/* input: the message being assembled */
	struct xsd_sockmsg in_hdr;
	uint32_t in_got;                    /* bytes of header + payload so far */
	char *in_buf;                       /* XENSTORE_PAYLOAD_MAX + 1 */

	/* output */
	struct outmsg *out_head, *out_tail;
	uint32_t out_off;                   /* bytes of out_head already sent */
	unsigned out_replies, out_events;
	bool drop_logged;                   /* logged an event drop since the queue drained */

	struct txn *txns;                   /* open transactions */
	unsigned ntxns;
	uint32_t next_txid;
	struct watch *watches;
	unsigned nwatches;

	struct conn *next, *prev;           /* st->conns, or st->dead once closed */
	struct conn *dnext, *dprev;         /* dom->conns */
	struct conn *flush_next, *flush_prev;
	bool flush_queued;
	bool dead;
};

/*
 * A new connection for domid (dom0 and sockets are privileged). name is
 * copied. NULL when out of memory.
 */
struct conn *conn_new(struct store *st, unsigned domid, const struct conn_ops *ops, void *tp,
		      const char *name);
/*
 * Closes c: drops its watches, transactions and queued output, and calls
 * ops->close. c stays allocated (dead) until store_reap().
 */
void conn_close(struct conn *c);
/* Forgets all client state as if c had just connected (ring reconnection). */
void conn_reset(struct conn *c);

/*
 * Where the next input bytes go and how many the core wants (never more
 * than the rest of the current message); 0 while reading is paused.
 */
size_t conn_in_want(struct conn *c, void **dst);
/*
 * n bytes were stored at the place conn_in_want gave. Returns 1 when they
 * completed a message (now handled), 0 if not yet, -EPROTO if the header
 * is invalid (payload over XENSTORE_PAYLOAD_MAX): the transport must stop
 * reading from this client.
 */
int conn_in_got(struct conn *c, size_t n);

/* The next output bytes (false if none). */
bool conn_out_peek(struct conn *c, const void **p, size_t *len);
/* n of those bytes were sent. */
void conn_out_done(struct conn *c, size_t n);

/*
 * Queues a message whose payload is a[0..alen) then b[0..blen). Returns 0,
 * -E2BIG if the payload would exceed XENSTORE_PAYLOAD_MAX (nothing queued),
 * or -ENOMEM.
 */
int conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
	      size_t alen, const void *b, size_t blen);
/* Queues "path\0token\0" as a watch event, subject to the events quota. */
void conn_send_event(struct conn *c, const char *path, const char *token);

/* The permission subject this connection acts as. */
void conn_subject(const struct conn *c, struct perm_subject *s);

#endif
