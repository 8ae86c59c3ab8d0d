/*
 * The xenstore protocol: the message header and types, and the ring page a
 * domain shares with the store (start_info.store_mfn / store_evtchn). The
 * same messages travel over the Unix socket of dom0 tools.
 *
 * A message is a struct xsd_sockmsg followed by len payload bytes
 * (at most XENSTORE_PAYLOAD_MAX). Strings in the payload are NUL-separated.
 * A reply carries the request's type and req_id, or XS_ERROR with an
 * errno name ("ENOENT") as payload. XS_WATCH_EVENT arrives unasked with
 * "path\0token\0". Relative paths are under /local/domain/<domid>/.
 */
#ifndef PV_IO_XS_WIRE_H
#define PV_IO_XS_WIRE_H

#include <pv/types.h>

enum xsd_sockmsg_type {
	XS_CONTROL = 0,
	XS_DIRECTORY = 1,
	XS_READ = 2,
	XS_GET_PERMS = 3,
	XS_WATCH = 4,              /* "path\0token\0"; fires once at once */
	XS_UNWATCH = 5,
	XS_TRANSACTION_START = 6,  /* reply: the transaction id, as decimal text */
	XS_TRANSACTION_END = 7,    /* "T\0" commit, "F\0" abort; EAGAIN: retry */
	XS_INTRODUCE = 8,          /* "domid\0mfn\0port\0" from the toolstack */
	XS_RELEASE = 9,
	XS_GET_DOMAIN_PATH = 10,
	XS_WRITE = 11,
	XS_MKDIR = 12,
	XS_RM = 13,
	XS_SET_PERMS = 14,
	XS_WATCH_EVENT = 15,
	XS_ERROR = 16,
	XS_IS_DOMAIN_INTRODUCED = 17,
	XS_RESUME = 18,
	XS_SET_TARGET = 19,
	/* 20 is retired */
	XS_RESET_WATCHES = 21,
	XS_DIRECTORY_PART = 22,
	XS_TYPE_COUNT = 23,
	XS_INVALID = 0xffff
};
#define XS_DEBUG XS_CONTROL

struct xsd_sockmsg {
	pv_u32 type;               /* enum xsd_sockmsg_type */
	pv_u32 req_id;             /* echoed in the reply */
	pv_u32 tx_id;              /* transaction, 0 = none */
	pv_u32 len;                /* payload bytes that follow */
};
PV_CHECK_SIZE(struct xsd_sockmsg, 16);

#define XENSTORE_PAYLOAD_MAX 4096
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048

/*
 * The error names a store may send in XS_ERROR, in the order clients
 * expect to find them. Use: #define X(name) ... XS_ERROR_NAMES(X).
 */
#define XS_ERROR_NAMES(X)                                                     \
	X(EINVAL) X(EACCES) X(EEXIST) X(EISDIR) X(ENOENT) X(ENOMEM) X(ENOSPC) \
	X(EIO) X(ENOTEMPTY) X(ENOSYS) X(EROFS) X(EBUSY) X(EAGAIN) X(EISCONN)  \
	X(E2BIG)

/*
 * The ring page. Requests flow guest -> store in req, replies and watch
 * events store -> guest in rsp; indexes are free-running, masked with
 * XENSTORE_RING_SIZE - 1. Messages may wrap around the ring end.
 */
#define XENSTORE_RING_SIZE 1024
#define XENSTORE_RING_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
	char req[XENSTORE_RING_SIZE];
	char rsp[XENSTORE_RING_SIZE];
	pv_u32 req_cons, req_prod;
	pv_u32 rsp_cons, rsp_prod;
	pv_u32 server_features;    /* XENSTORE_SERVER_FEATURE_* */
	pv_u32 connection;         /* XENSTORE_CONNECTED / XENSTORE_RECONNECT */
	pv_u32 error;              /* XENSTORE_ERROR_* */
};
PV_CHECK_SIZE(struct xenstore_domain_interface, 2076);
PV_CHECK_OFFSET(struct xenstore_domain_interface, rsp, 1024);
PV_CHECK_OFFSET(struct xenstore_domain_interface, req_cons, 2048);
PV_CHECK_OFFSET(struct xenstore_domain_interface, req_prod, 2052);
PV_CHECK_OFFSET(struct xenstore_domain_interface, rsp_cons, 2056);
PV_CHECK_OFFSET(struct xenstore_domain_interface, rsp_prod, 2060);
PV_CHECK_OFFSET(struct xenstore_domain_interface, server_features, 2064);
PV_CHECK_OFFSET(struct xenstore_domain_interface, connection, 2068);
PV_CHECK_OFFSET(struct xenstore_domain_interface, error, 2072);

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1
#define XENSTORE_SERVER_FEATURE_ERROR 2
#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1
#define XENSTORE_ERROR_NONE 0
#define XENSTORE_ERROR_COMM 1
#define XENSTORE_ERROR_RINGIDX 2
#define XENSTORE_ERROR_PROTO 3

#endif
