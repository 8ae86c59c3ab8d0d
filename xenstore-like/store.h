/*
 * mica-store: the protocol core's state and its entry points.
 *
 * The core knows nothing of sockets or rings. A transport makes a struct
 * conn for each client, feeds it bytes (conn_in_want/conn_in_got), and sends
 * what the core queues (conn_out_peek/conn_out_done, prompted by the
 * conn_ops flush hook). Complete requests are handled by store_request()
 * (ops.c), which works on the tree (tree.c) through transactions (txn.c),
 * fires watches (watch.c) and keeps per-domain accounts (domain.c).
 *
 * Cost model (docs/xenstore.md has the full table): paths, nodes, watches,
 * domains and connections are found through hash tables, never by a scan,
 * so an operation costs O(length of its paths + what it returns + the
 * watches it fires), whatever the number of domains or nodes in the store.
 *
 * Single-threaded: everything here runs on the daemon's one event loop.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/io/xs_wire.h>

#include "htab.h"
#include "perms.h"

struct conn;
struct txn;
struct watch;
struct wnode;
struct node;
struct domain;

/*
 * Quotas, enforced on unprivileged domains only (dom0 and dom0's sockets
 * are exempt). A request over a quota is refused with the standard error
 * given here and the quota's name is logged.
 */
struct quota {
	unsigned nodes;       /* nodes a domain owns (ENOSPC) */
	unsigned node_size;   /* value plus child names of one node, bytes (ENOSPC) */
	unsigned perms;       /* entries in one node's permissions (ENOSPC) */
	unsigned path_len;    /* path below /local/domain/<id>/, bytes (EINVAL) */
	unsigned watches;     /* watches a domain has set (E2BIG) */
	unsigned txns;        /* transactions open at once (ENOSPC) */
	unsigned txn_nodes;   /* nodes one transaction touches (ENOSPC) */
	unsigned outstanding; /* replies queued before the store stops reading requests */
	unsigned events;      /* watch events queued; more are dropped */
};

extern const struct quota quota_defaults;

/* The quota names, as on the command line and in CONTROL quota. */
struct quota_name {
	const char *name;
	size_t offset;
	const char *what;
};
extern const struct quota_name quota_names[];
extern const unsigned quota_count;
unsigned *quota_field(struct quota *q, const char *name);

/* Permissions of a special watch path (@introduceDomain, @releaseDomain). */
enum { SPECIAL_INTRODUCE, SPECIAL_RELEASE, SPECIAL_COUNT };
struct special {
	const char *path;
	struct xs_perm *perms;
	unsigned nperms;
	uint64_t perm_gen;
};

/*
 * What the transport layer does for INTRODUCE and RELEASE: connect to a
 * domain's ring, and disconnect. introduce returns 0 or -errno; with no
 * hooks a domain is recorded as introduced without a connection.
 */
struct domain_hooks {
	int (*introduce)(void *ctx, struct domain *d);
	void (*release)(void *ctx, struct domain *d);
	void *ctx;
};

struct store_stats {
	unsigned long requests;
	unsigned long events_sent;
	unsigned long events_dropped;
	unsigned long quota_hits;
	unsigned long conflicts;
};

struct store {
	struct quota quota;
	uint64_t gen;                   /* bumped by every change; orders nodes and domains */

	struct htab nodes;              /* path -> struct node */
	struct node *root;
	unsigned long nnodes;

	struct htab wnodes;             /* (parent id, name) -> struct wnode: the watch trie */
	struct htab wkeys;              /* (conn, path, token) -> struct watch */
	struct wnode *wroot;            /* "/" */
	struct wnode *wspecial;         /* parent of "@..." watch paths */
	uint64_t next_wnode_id;
	unsigned long nwatches;

	struct domain **dom[256];       /* domid -> record, two levels */
	unsigned long ndomains;

	struct conn *conns;             /* every live connection */
	unsigned long nconns;
	uint64_t next_conn_id;
	struct conn *dead;              /* closed, freed by store_reap() */
	struct conn *flush;             /* output queued since the last store_flush() */
	unsigned long ntxns;

	struct special special[SPECIAL_COUNT];
	struct domain_hooks hooks;
	bool log_requests;              /* CONTROL log on|off */
	struct store_stats stats;
};

/* Sets up an empty store (just "/" owned by dom0, "n0") with these quotas. 0 or -ENOMEM. */
int store_init(struct store *st, const struct quota *q);
/* Closes every connection and frees everything. */
void store_fini(struct store *st);

/*
 * Handles one complete request from c. hdr->len bytes of payload follow at
 * payload, with one extra NUL after them. Replies and events are queued on
 * the connections concerned; call store_flush() to send them.
 */
void store_request(struct store *st, struct conn *c, const struct xsd_sockmsg *hdr,
		   const char *payload);

/* Asks every connection with new output to send it (conn_ops.flush). */
void store_flush(struct store *st);
/* Frees connections closed since the last call. */
void store_reap(struct store *st);

/*
 * Checks the store's invariants (tree links, counts, accounting, watch
 * trie). Returns 0, or -EIO with a description of the first problem in msg.
 * O(everything): for CONTROL check and tests.
 */
int store_check(struct store *st, char *msg, size_t size);

/* The wire name of an errno value ("ENOENT"); unknown ones become "EIO". */
const char *store_errname(int err);

/* Growable byte buffer for replies. */
struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void sb_add(struct strbuf *b, const void *p, size_t n);
void sb_addstr0(struct strbuf *b, const char *s);  /* s and its NUL */
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *b);

#endif
