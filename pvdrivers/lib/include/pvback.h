/*
 * pvback: the library every Mica backend daemon is built on (blkback,
 * netback, ...). It does the parts that are the same for every split
 * device, so a backend only says what its device does:
 *
 *   - finding devices: it watches the store's backend/<type> directory of
 *     dom0 and each device's frontend directory, and runs the xenbus state
 *     machine of both ends (pv/io/xenbus.h, pvb_next_step below);
 *   - the shared rings: mapping the pages the frontend granted (one page,
 *     or ring-page-order and ring-ref0..N-1) through gntdev, and a ring
 *     consumer that checks the frontend's indices before trusting them;
 *   - event channels: binding the frontend's port and calling the backend
 *     when it fires;
 *   - grant copies between the guest's pages and local buffers;
 *   - teardown: everything mapped or bound through the library is released
 *     when the device disconnects, the guest dies or the daemon stops, so
 *     no grant stays mapped.
 *
 * A daemon is single-threaded: one poll() loop serves every device of
 * every guest (pvb_run). Callbacks run inside it and must not block for
 * long; a callback that has more work than it should do at once calls
 * pvb_again() and returns. Nothing here is thread-safe.
 *
 * Errors are negative errno values. Messages go to stderr, prefixed by the
 * daemon's name and the device ("mica-blkback: domain 3 vbd 51712: ...").
 */
#ifndef PVBACK_H
#define PVBACK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/io/xenbus.h>

struct mica_gntdev;
struct mica_xs;
struct pvb;                 /* a backend daemon: one device type, every guest */
struct pvb_dev;             /* one device of one guest */

/* What a backend provides; every callback except service may be NULL. */
struct pvb_ops {
	const char *type;           /* the store's device class: "vbd", "vif" */
	size_t priv_size;           /* bytes of zeroed per-device state (pvb_priv) */
	/*
	 * A device appeared in /local/domain/0/backend/<type>/<domid>/<devid>:
	 * read its parameters, open what it names, publish the features the
	 * frontend reads before connecting. 0: the device goes to InitWait.
	 * Otherwise call pvb_fail (the message is for the person who attached
	 * it) and return -errno: the device goes to Closed.
	 */
	int (*probe)(struct pvb_dev *d);
	/*
	 * The frontend is Initialised: map its rings (pvb_map_ring), bind its
	 * event channel (pvb_bind_event), publish what it reads at connect.
	 * 0: the device goes to Connected; -errno (after pvb_fail): Closing,
	 * and whatever was mapped or bound is released.
	 */
	int (*connect)(struct pvb_dev *d);
	/* port fired (a port from pvb_bind_event), or port is -1 after pvb_again. */
	void (*service)(struct pvb_dev *d, int port);
	/* Before the library releases the rings and ports: forget pointers into them. */
	void (*disconnect)(struct pvb_dev *d);
	/* The device is gone for good: undo probe. */
	void (*remove)(struct pvb_dev *d);
	/* A descriptor added with pvb_add_fd is ready (revents from poll). */
	void (*fd_ready)(struct pvb_dev *d, int fd, short revents);
};

/* ---- the daemon --------------------------------------------------------------- */

/*
 * Opens the hypervisor, the store, /dev/xen/evtchn and /dev/xen/gntdev for
 * backend ops; name is the program's name for messages. Prints what is
 * missing and returns -errno if something is.
 */
int pvb_open(struct pvb **out, const struct pvb_ops *ops, const char *name);
/*
 * Goes to the background, its messages appended to log_path. Handles are
 * reopened after the fork (they do not survive it). 0 or -errno.
 */
int pvb_daemonize(struct pvb *b, const char *log_path);
/*
 * What a backend's main does after pvb_open: with background, goes to the
 * background (pvb_daemonize) with messages appended to log, whose
 * directory is created if missing; with a pidfile (may be NULL), writes the
 * process id there once serving, and pvb_close removes it. 0, or -errno
 * after saying why on stderr.
 */
int pvb_start(struct pvb *b, bool background, const char *log, const char *pidfile);
/*
 * Serves devices until SIGTERM or SIGINT, or the store goes away (-EPIPE).
 * Devices that exist when it starts are picked up.
 */
int pvb_run(struct pvb *b);
/*
 * A backend daemon's program: pvb_main parses the options every backend
 * has (-d, --log, --pidfile, --help) and the backend's own one, then
 * prepare, pvb_open, pvb_start, started, and pvb_run until stopped.
 */
struct pvb_program {
	const char *name;           /* "mica-blkback" */
	const char *about;          /* --help's paragraph: what it serves, who starts it */
	const char *default_log;
	const char *serving;        /* "NAME: serving SERVING" once it serves */
	const struct pvb_ops *ops;
	/* The backend's own option with an argument, if extra_opt is not 0. */
	char extra_opt;
	const char *extra_long, *extra_arg, *extra_help;
	int (*extra)(const char *arg);   /* 0, or says why on stderr and returns non-zero */
	int (*prepare)(void);            /* may be NULL; 0, or says why and returns non-zero */
	void (*started)(void);           /* may be NULL; once in the background */
};
/* A backend's whole main(); returns its exit status (0, 1 could not start, 2 usage). */
int pvb_main(int argc, char **argv, const struct pvb_program *p);
/* Disconnects every device (their backend state becomes Closed) and closes everything. */
void pvb_close(struct pvb *b);
/* The program name given to pvb_open. */
const char *pvb_name(const struct pvb *b);

/* ---- a device -------------------------------------------------------------------- */

uint32_t pvb_domid(const struct pvb_dev *d);
uint32_t pvb_devid(const struct pvb_dev *d);
void *pvb_priv(struct pvb_dev *d);
const char *pvb_backend_path(const struct pvb_dev *d);   /* no trailing slash */
const char *pvb_frontend_path(const struct pvb_dev *d);
enum xenbus_state pvb_state(const struct pvb_dev *d);
struct mica_gntdev *pvb_gntdev(struct pvb_dev *d);
struct mica_xs *pvb_xs(struct pvb_dev *d);

/* "name: domain D TYPE N: message" on stderr. */
void pvb_log(const struct pvb_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Logs the message and writes it to the backend's "error" node, where the
 * toolstack and the person find it. The caller then returns an error.
 */
void pvb_fail(struct pvb_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The device broke the protocol while connected (lying ring indices, ...):
 * logged and written to "error", and the device is closed (rings released,
 * state Closing) once the current callback returns. Never fatal to the daemon.
 */
void pvb_close_device(struct pvb_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Reads key from the backend directory (frontend false) or the frontend's.
 * *value is malloc'd and NUL-terminated. -ENOENT when absent.
 */
int pvb_read(struct pvb_dev *d, bool frontend, const char *key, char **value);
/* A decimal number <= max; -ENOENT when absent, -EINVAL when it is not one. */
int pvb_read_uint(struct pvb_dev *d, bool frontend, const char *key, uint64_t max,
		  uint64_t *out);
/* Writes key in the backend directory, printf-style. */
int pvb_write(struct pvb_dev *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The next callback from the loop is service(d, -1), before it sleeps again. */
void pvb_again(struct pvb_dev *d);
/* Calls ops->fd_ready(d, fd, revents) when fd polls ready for events; removed at remove. */
int pvb_add_fd(struct pvb_dev *d, int fd, short events);
void pvb_del_fd(struct pvb_dev *d, int fd);

/* ---- rings and event channels (released by the library at disconnect) ------------ */

#define PVB_MAX_RING_ORDER 8        /* 256 pages; protocols ask for at most this */

/*
 * Maps the ring the frontend names by key, writable. With max_order > 0
 * and a frontend "ring-page-order" node, the refs are key0 .. key(2^order - 1)
 * (order must be <= max_order); otherwise the single ref is key. *ring
 * and *nr_pages describe the mapping. -EINVAL (with pvb_fail) when the
 * frontend's nodes are missing or wrong, -errno when the refs cannot be
 * mapped (not granted to dom0).
 */
int pvb_map_ring(struct pvb_dev *d, const char *key, unsigned int max_order, void **ring,
		 unsigned int *nr_pages);
/*
 * Binds the frontend's event channel named by key ("event-channel");
 * returns the local port, which service() is called with, or -errno.
 */
int pvb_bind_event(struct pvb_dev *d, const char *key);
void pvb_notify(struct pvb_dev *d, int port);

/* ---- grant copies (copy.c) ------------------------------------------------------- */

struct mica_grant_copy;

/*
 * Fills one grant-copy segment between local[0..len) and the page the
 * device's frontend granted as ref, from byte offset: to_guest copies
 * local into the guest's page, otherwise the guest's page into local.
 */
void pvb_copy_seg(const struct pvb_dev *d, struct mica_grant_copy *seg, bool to_guest,
		  uint32_t ref, uint16_t offset, void *local, uint16_t len);
/*
 * Performs nr segments. 0 if every one succeeded; -EIO if some failed
 * (each segment's status says which: a ref not granted, or granted
 * read-only for a copy into the guest); -errno if the copy could not be
 * attempted. Segments must keep offset + len within the page.
 */
int pvb_copy(struct pvb_dev *d, struct mica_grant_copy *segs, unsigned int nr);

/* ---- the xenbus state machine (pure: state.c) ------------------------------------ */

enum pvb_step {
	PVB_STAY,       /* nothing to do */
	PVB_CONNECT,    /* map the frontend's rings and go Connected */
	PVB_CLOSING,    /* release the rings, go Closing */
	PVB_CLOSED,     /* release the rings, go Closed */
	PVB_REINIT,     /* a frontend starting again: back to InitWait */
};

/*
 * What the backend does next, given its own state, the frontend's, and
 * the backend's "online" node (0 once the toolstack asked to remove the
 * device). Unknown means the frontend's state node is missing or garbage.
 */
enum pvb_step pvb_next_step(enum xenbus_state backend, enum xenbus_state frontend, bool online);
const char *pvb_state_name(enum xenbus_state s);
/* Parses a state node's value; Unknown for anything that is not 0..8. */
enum xenbus_state pvb_parse_state(const char *value);

/* ---- the ring consumer (pure: ring.c) -------------------------------------------- */

/*
 * The backend's view of a shared ring (pv/io/ring.h): the frontend
 * produces requests and the backend responses into the same slots. Every
 * index the frontend writes is read once and checked: a req_prod that
 * claims more requests than the ring can hold makes pvb_ring_waiting
 * return -EPROTO, and the backend closes the device. Requests are copied
 * out of the shared page before they are looked at, so the frontend
 * cannot change one while it is being checked.
 */
struct pvb_ring {
	volatile uint32_t *hdr;     /* req_prod, req_event, rsp_prod, rsp_event */
	unsigned char *slots;
	uint32_t size;              /* slots, a power of two */
	uint32_t slot_size;         /* bytes per slot (the request/response union) */
	uint32_t req_cons;          /* next request to take */
	uint32_t rsp_prod_pvt;      /* next response slot, not yet published */
	uint32_t rsp_published;     /* rsp_prod as we last wrote it */
};

/*
 * Attaches to a mapped ring of bytes (a multiple of the page size) with
 * slots of slot_size. Starts where the frontend's rsp_prod says; -EPROTO
 * if the frontend's indices already make no sense, -EINVAL if no slot fits.
 */
int pvb_ring_attach(struct pvb_ring *r, void *shared, size_t bytes, size_t slot_size);
/* Requests waiting (0..size), or -EPROTO if req_prod is impossible. */
int pvb_ring_waiting(struct pvb_ring *r);
/* Copies the next request (len <= slot_size bytes) into out and consumes it. */
void pvb_ring_take(struct pvb_ring *r, void *out, size_t len);
/* Writes a response (len <= slot_size) into the next response slot, not yet visible. */
void pvb_ring_put(struct pvb_ring *r, const void *rsp, size_t len);
/* Publishes the responses put so far; true if the frontend must be notified. */
bool pvb_ring_push(struct pvb_ring *r);
/*
 * Call when pvb_ring_waiting said 0: re-arms req_event so the frontend
 * notifies the next request, then looks again. true if requests arrived
 * meanwhile (go on consuming).
 */
bool pvb_ring_final_check(struct pvb_ring *r);

#endif
