/*
 * libmica: dom0's library for controlling the hypervisor and talking to the
 * store. Every privileged operation of the toolstack goes through here, so
 * this header is the seam between the `mica` CLI (and the console daemon)
 * and the machine: the CLI's host tests link a fake of these functions.
 *
 * Three transports, each in its own files:
 *   - hypercalls through Linux's privcmd driver (/dev/xen/privcmd):
 *     domctl, sysctl, memory_op, mmuext_op, event_channel_op,
 *     grant_table_op, xen_version, sched_op; foreign mappings of another
 *     domain's frames (privcmd.c, domctl.c, sysctl.c, memory.c);
 *   - Linux's event-channel, grant-mapping and grant-sharing devices
 *     /dev/xen/evtchn, /dev/xen/gntdev, /dev/xen/gntalloc (devices.c);
 *   - the store (mica-store or any xenstored) over its Unix socket
 *     (xs.c, with the pure message codec in xs_msg.c).
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; the hypervisor's error numbers are Linux's on x86, so
 * strerror(-rc) names them. Nothing prints. Nothing is global: every
 * function works on the handle it is given, and handles are not shared
 * between threads, nor across fork(): a hypervisor handle's buffers are
 * not inherited, so a child process opens its own. Domain ids are
 * uint32_t here (the ABI's domid_t is 16 bits; values above
 * DOMID_FIRST_RESERVED name no domain).
 */
#ifndef LIBMICA_H
#define LIBMICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pv/domctl.h>
#include <pv/event_channel.h>
#include <pv/mm.h>
#include <pv/sysctl.h>
#include <pv/vcpu.h>
#include <pv/xen.h>

/* ---- the hypervisor: privcmd ------------------------------------------------ */

struct mica;

/*
 * Opens the privcmd device (/dev/xen/privcmd, else /proc/xen/privcmd).
 * Returns 0 with *out set, or -errno with a sentence in err[0..errsz) that
 * says what to check (not dom0, xenfs not mounted, module not loaded).
 */
int mica_open(struct mica **out, char *err, size_t errsz);
void mica_close(struct mica *m);

/*
 * Issues hypercall op with up to five arguments; pointer arguments must
 * point into memory from mica_buf_alloc. Returns the hypervisor's result
 * (negative: -errno).
 */
long mica_hypercall(struct mica *m, unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5);

/*
 * Memory the hypervisor may read and write during a hypercall: page
 * aligned, locked and already faulted in, so the hypervisor's copy never
 * meets a missing page. size is rounded up to pages. NULL on failure.
 */
void *mica_buf_alloc(size_t size);
void mica_buf_free(void *p, size_t size);

/* ---- domctl (domctl.c) ----------------------------------------------------- */

/* Sends op (interface_version is filled in) and copies the answer back into it. */
int mica_domctl(struct mica *m, struct xen_domctl *op);

/* What createdomain needs for a PV domain. */
struct mica_domain_config {
	uint32_t max_vcpus;
	uint32_t max_evtchn_port;
	int32_t max_grant_frames;       /* -1: the hypervisor's default */
	int32_t max_maptrack_frames;    /* -1: the hypervisor's default */
	uint8_t handle[16];             /* the domain's UUID */
};

/* Creates a paused PV domain; the hypervisor picks the id, returned in *domid. */
int mica_domain_create(struct mica *m, const struct mica_domain_config *cfg, uint32_t *domid);
/* Destroys a domain, repeating the domctl while the hypervisor asks to (-EAGAIN). */
int mica_domain_destroy(struct mica *m, uint32_t domid);
int mica_domain_pause(struct mica *m, uint32_t domid);
int mica_domain_unpause(struct mica *m, uint32_t domid);
int mica_domain_max_mem(struct mica *m, uint32_t domid, uint64_t max_kib);
int mica_domain_max_vcpus(struct mica *m, uint32_t domid, uint32_t max);
int mica_domain_set_address_size(struct mica *m, uint32_t domid, uint32_t bits);
/* Fills the hypercall page at machine frame mfn of the domain (kernels <= Linux 6.1.120). */
int mica_domain_hypercall_init(struct mica *m, uint32_t domid, uint64_t mfn);
/* The domain's record; -ESRCH if there is no domain with exactly this id. */
int mica_domain_info(struct mica *m, uint32_t domid, struct xen_domctl_getdomaininfo *info);
/* Asks the hypervisor to shut the domain down with reason SHUTDOWN_* (SCHEDOP_remote_shutdown). */
int mica_domain_shutdown(struct mica *m, uint32_t domid, uint32_t reason);

int mica_vcpu_set_context(struct mica *m, uint32_t domid, uint32_t vcpu,
			  const struct vcpu_guest_context *ctx);
int mica_vcpu_get_context(struct mica *m, uint32_t domid, uint32_t vcpu,
			  struct vcpu_guest_context *ctx);

/*
 * One vCPU's state: XEN_DOMCTL_getvcpuinfo (pv/domctl.h). A hypervisor
 * without it answers -ENOSYS.
 */
struct mica_vcpu_info {
	bool online, blocked, running;
	uint64_t cpu_time_ns;
	uint32_t cpu;
};
int mica_vcpu_info(struct mica *m, uint32_t domid, uint32_t vcpu, struct mica_vcpu_info *out);

/* ---- sysctl and xen_version (sysctl.c) ------------------------------------- */

int mica_sysctl(struct mica *m, struct xen_sysctl *op);
int mica_physinfo(struct mica *m, struct xen_sysctl_physinfo *out);
int mica_sched_id(struct mica *m, uint32_t *out);

/*
 * Every domain's record, in id order, into a malloc'd array (*out, *nr);
 * the caller frees *out. Returns 0 or -errno.
 */
int mica_domain_list(struct mica *m, struct xen_domctl_getdomaininfo **out, unsigned int *nr);

/*
 * Reads the hypervisor's log from *index (incremental) or from its start,
 * into buf[0..*len); *len becomes the bytes read and *index where reading
 * stopped. clear: empty the log after reading.
 */
int mica_readconsole(struct mica *m, char *buf, uint32_t *len, uint32_t *index, bool incremental,
		     bool clear);

/* What xen_version tells about the hypervisor; strings always NUL-terminated. */
struct mica_version {
	unsigned int major, minor;
	char extra[16];
	char capabilities[1024];
	char changeset[64];
	char compiler[64], compile_by[16], compile_domain[32], compile_date[32];
	char commandline[1024];
};
int mica_version(struct mica *m, struct mica_version *out);

/* ---- memory, mappings and setting up another domain (memory.c) ------------- */

/*
 * XENMEM_populate_physmap for domain domid: nr extents of 2^order pages,
 * extents[i] the first pfn of each on input and its first MFN on output.
 * Returns the number of extents populated (fewer than nr: out of memory
 * or over the domain's max_mem), or -errno.
 */
long mica_populate_physmap(struct mica *m, uint32_t domid, uint64_t nr, unsigned int order,
			   uint64_t *extents);

/*
 * Maps nr machine frames of domain domid, consecutive in dom0's address
 * space, with prot (PROT_READ | PROT_WRITE). errs (nr ints, may be NULL)
 * receives each frame's result. Returns the address, or NULL with errno
 * set (the mapping is undone then).
 */
void *mica_map_foreign(struct mica *m, uint32_t domid, int prot, const uint64_t *mfns,
		       size_t nr, int *errs);
/* Undoes a mapping of nr pages from mica_map_foreign. */
void mica_unmap(void *addr, size_t nr);

/* mmuext_op on behalf of domain domid (foreigndom); all nr ops or an error. */
int mica_mmuext(struct mica *m, uint32_t domid, const struct mmuext_op *ops, unsigned int nr);
/* Pins the L4 at machine frame mfn as domid's page-table root. */
int mica_pin_l4(struct mica *m, uint32_t domid, uint64_t mfn);

/* EVTCHNOP_alloc_unbound: a port of domain dom that domain remote may bind; *port is dom's. */
int mica_evtchn_alloc_unbound(struct mica *m, uint32_t dom, uint32_t remote, uint32_t *port);

/* GNTTABOP_setup_table for domid: the MFNs of its first nr grant-table frames. */
int mica_grant_frames(struct mica *m, uint32_t domid, unsigned int nr, uint64_t *mfns);

/*
 * Seeds a new domain's reserved grant entries as libxc does: entry 0
 * (GNTTAB_RESERVED_CONSOLE) grants console_mfn to console_be, entry 1
 * (GNTTAB_RESERVED_XENSTORE) store_mfn to store_be, both read-write, so
 * the backends can map the rings by grant. Maps the domain's first grant
 * frame with GNTTABOP_setup_table and a foreign mapping.
 */
int mica_grant_seed(struct mica *m, uint32_t domid, uint64_t console_mfn, uint32_t console_be,
		    uint64_t store_mfn, uint32_t store_be);

/* ---- Linux's event-channel and grant devices (devices.c) -------------------- */

/* /dev/xen/evtchn: ports bound here are delivered by read(). */
struct mica_evtchn;
int mica_evtchn_open(struct mica_evtchn **out);
void mica_evtchn_close(struct mica_evtchn *e);
int mica_evtchn_fd(const struct mica_evtchn *e);
/* Binds remote_port of domain dom; returns the local port or -errno. */
int mica_evtchn_bind_interdomain(struct mica_evtchn *e, uint32_t dom, uint32_t remote_port);
/* Binds a virtual IRQ (VIRQ_DOM_EXC, pv/event_channel.h); returns the local port or -errno. */
int mica_evtchn_bind_virq(struct mica_evtchn *e, uint32_t virq);
int mica_evtchn_unbind(struct mica_evtchn *e, uint32_t port);
int mica_evtchn_notify(struct mica_evtchn *e, uint32_t port);
/* The next pending port, -EAGAIN if none (the fd is non-blocking), or -errno. */
int mica_evtchn_pending(struct mica_evtchn *e);
/* Re-enables delivery of a port read from mica_evtchn_pending. */
int mica_evtchn_unmask(struct mica_evtchn *e, uint32_t port);

/* /dev/xen/gntdev: mapping pages other domains grant to dom0. */
struct mica_gntdev;
int mica_gntdev_open(struct mica_gntdev **out);
void mica_gntdev_close(struct mica_gntdev *g);
/* Maps grant ref of domain dom (one page); NULL with errno set on failure. */
void *mica_gntdev_map(struct mica_gntdev *g, uint32_t dom, uint32_t ref, bool writable);
int mica_gntdev_unmap(struct mica_gntdev *g, void *addr);
/*
 * Maps nr grant refs of domain dom, consecutive in dom0's address space
 * (a multi-page ring). NULL with errno set on failure, nothing mapped then;
 * a ref the domain did not grant fails the whole mapping.
 */
void *mica_gntdev_map_many(struct mica_gntdev *g, uint32_t dom, const uint32_t *refs,
			   unsigned int nr, bool writable);
/* Undoes a mapping of nr pages from mica_gntdev_map_many (or mica_gntdev_map, nr 1). */
int mica_gntdev_unmap_many(struct mica_gntdev *g, void *addr, unsigned int nr);

/*
 * One grant copy between a local buffer and a page another domain granted
 * (Linux's struct gntdev_grant_copy_segment). flags says which side is
 * the grant: GNTCOPY_source_gref (copy from the guest) or
 * GNTCOPY_dest_gref (copy to it); the foreign side must stay within its
 * page (offset + len <= 4096). status is GNTST_* on return.
 */
struct mica_grant_copy {
	union {
		void *virt;
		struct {
			uint32_t ref;
			uint16_t offset;
			uint16_t domid;
		} foreign;
	} source, dest;
	uint16_t len;
	uint16_t flags;
	int16_t status;
};
_Static_assert(sizeof(struct mica_grant_copy) == 24, "gntdev grant copy segment is 24 bytes");

/*
 * Performs nr copies in one call. Returns 0 when every segment has its
 * status (each may still have failed: check them), or -errno when none
 * is meaningful (-EINVAL: a foreign side crosses its page).
 */
int mica_gntdev_copy(struct mica_gntdev *g, struct mica_grant_copy *segs, unsigned int nr);

/* /dev/xen/gntalloc: sharing dom0's own pages with another domain. */
struct mica_gntalloc;
int mica_gntalloc_open(struct mica_gntalloc **out);
void mica_gntalloc_close(struct mica_gntalloc *a);
/* Shares one new zeroed page with domain dom; *ref is the grant. NULL with errno on failure. */
void *mica_gntalloc_share(struct mica_gntalloc *a, uint32_t dom, bool writable, uint32_t *ref);
int mica_gntalloc_unshare(struct mica_gntalloc *a, void *addr);

/* ---- the store (xs.c) ------------------------------------------------------ */

struct mica_xs;

/*
 * Connects to the store's Unix socket: path, else $XENSTORED_PATH, else
 * $XENSTORED_RUNDIR/socket, else /var/run/xenstored/socket (libxenstore's
 * order). Returns 0 or -errno; mica_xs_socket_path says where it looked
 * (a string that may live in static storage until the next call).
 */
int mica_xs_open(struct mica_xs **out, const char *path);
/* The same over an already connected stream socket (tests use a socketpair). */
int mica_xs_open_fd(struct mica_xs **out, int fd);
void mica_xs_close(struct mica_xs *xs);
const char *mica_xs_socket_path(const char *path);
/* The socket, for poll(): readable when a watch event may be waiting. */
int mica_xs_fd(const struct mica_xs *xs);

#define MICA_XS_NO_TX 0u

/* Reads a node: *value is malloc'd and NUL-terminated, *len (may be NULL) its length. */
int mica_xs_read(struct mica_xs *xs, uint32_t tx, const char *path, char **value, size_t *len);
int mica_xs_write(struct mica_xs *xs, uint32_t tx, const char *path, const char *value,
		  size_t len);
int mica_xs_mkdir(struct mica_xs *xs, uint32_t tx, const char *path);
int mica_xs_rm(struct mica_xs *xs, uint32_t tx, const char *path);
/* A node's children: *names is a malloc'd array of *nr malloc'd strings (mica_xs_free_list). */
int mica_xs_directory(struct mica_xs *xs, uint32_t tx, const char *path, char ***names,
		      unsigned int *nr);
void mica_xs_free_list(char **names, unsigned int nr);
/* perms: nr strings as on the wire: "n0" (owner dom0, others none), "r5" (domain 5 may read). */
int mica_xs_set_perms(struct mica_xs *xs, uint32_t tx, const char *path, const char *const *perms,
		      unsigned int nr);
int mica_xs_tx_start(struct mica_xs *xs, uint32_t *tx);
/* Ends a transaction; -EAGAIN means it conflicted and must be redone from the start. */
int mica_xs_tx_end(struct mica_xs *xs, uint32_t tx, bool commit);
int mica_xs_introduce(struct mica_xs *xs, uint32_t domid, uint64_t store_mfn, uint32_t store_port);
int mica_xs_release(struct mica_xs *xs, uint32_t domid);
/* Whether the store has domid introduced (and not released): 1, 0, or -errno. */
int mica_xs_is_introduced(struct mica_xs *xs, uint32_t domid);
int mica_xs_watch(struct mica_xs *xs, const char *path, const char *token);
int mica_xs_unwatch(struct mica_xs *xs, const char *path, const char *token);
/*
 * The next watch event (malloc'd path and token), waiting at most
 * timeout_ms (-1: forever, 0: only what has arrived). -ETIMEDOUT if none.
 */
int mica_xs_read_watch(struct mica_xs *xs, char **path, char **token, int timeout_ms);

#endif
