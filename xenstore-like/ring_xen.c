/*
 * mica-store: the ring backend on dom0's Linux devices.
 *
 *  - event channels: /dev/xen/evtchn (bind_interdomain, notify, unbind;
 *    read() gives pending ports, write() unmasks them);
 *  - a domU's ring page: grant reference 1 (GNTTAB_RESERVED_XENSTORE, which
 *    the toolstack seeds) mapped through /dev/xen/gntdev, or, failing that,
 *    the frame from INTRODUCE mapped through /dev/xen/privcmd (MMAPBATCH_V2);
 *  - dom0's own ring: /proc/xen/xsd_kva (mmap) and /proc/xen/xsd_port.
 *
 * Not exercised by the host tests: it needs dom0 running on Mica (or Xen).
 */
#include "ring_xen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/evtchn.h>
#include <xen/gntdev.h>

#include "log.h"

#define PAGE_SIZE 4096
#define GNTTAB_RESERVED_XENSTORE 1

/*
 * Linux's privcmd MMAPBATCH_V2 argument (include/uapi/xen/privcmd.h, whose
 * header needs kernel-internal ones, so the layout is restated here).
 */
struct privcmd_batch {
	unsigned int num;
	uint16_t dom;
	uint64_t addr;
	const uint64_t *arr;
	int *err;
};
#define IOCTL_PRIVCMD_BATCH _IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_batch))

struct xen_be {
	int evtchn, gntdev, privcmd;    /* -1 when not open */
	void *local_page;               /* dom0's ring from xsd_kva */
};

/* How a page was mapped, to undo it. */
struct xen_map {
	bool grant;
	uint64_t index;                 /* gntdev offset */
};

static struct xen_be *xb(struct ring_backend *be)
{
	return be->priv;
}

static struct xenstore_domain_interface *map_grant(struct xen_be *x, unsigned domid,
						   struct xen_map *m)
{
	struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
	struct ioctl_gntdev_unmap_grant_ref unmap;
	void *p;

	if (x->gntdev < 0) {
		errno = ENODEV;
		return NULL;
	}
	map.refs[0].domid = domid;
	map.refs[0].ref = GNTTAB_RESERVED_XENSTORE;
	if (ioctl(x->gntdev, IOCTL_GNTDEV_MAP_GRANT_REF, &map))
		return NULL;
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, x->gntdev,
		 (off_t)map.index);
	if (p == MAP_FAILED) {
		unmap.index = map.index;
		unmap.count = 1;
		unmap.pad = 0;
		ioctl(x->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap);
		return NULL;
	}
	m->grant = true;
	m->index = map.index;
	return p;
}

static struct xenstore_domain_interface *map_foreign(struct xen_be *x, unsigned domid,
						     uint64_t mfn)
{
	struct privcmd_batch b;
	int err = 0;
	void *p;

	if (x->privcmd < 0)
		return NULL;
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, x->privcmd, 0);
	if (p == MAP_FAILED)
		return NULL;
	b.num = 1;
	b.dom = (uint16_t)domid;
	b.addr = (uint64_t)(uintptr_t)p;
	b.arr = &mfn;
	b.err = &err;
	if (ioctl(x->privcmd, IOCTL_PRIVCMD_BATCH, &b) || err) {
		munmap(p, PAGE_SIZE);
		return NULL;
	}
	return p;
}

static struct xenstore_domain_interface *xen_map(struct ring_backend *be, unsigned domid,
						 uint64_t mfn, void **cookie, int *err)
{
	struct xen_map *m = calloc(1, sizeof(*m));
	struct xenstore_domain_interface *p;

	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	p = map_grant(xb(be), domid, m);
	if (p) {
		log_info("domain %u: store ring mapped through grant reference %d", domid,
			 GNTTAB_RESERVED_XENSTORE);
	} else {
		log_warn("domain %u: cannot map grant reference %d of its store ring (%s); "
			 "mapping frame %#llx instead", domid, GNTTAB_RESERVED_XENSTORE,
			 strerror(errno), (unsigned long long)mfn);
		p = map_foreign(xb(be), domid, mfn);
	}
	if (!p) {
		int e = errno ? errno : EINVAL;

		*err = -e;
		log_error("domain %u: cannot map its store ring: grant %d through "
			  "/dev/xen/gntdev and frame %#llx through /dev/xen/privcmd both "
			  "failed (%s)", domid, GNTTAB_RESERVED_XENSTORE,
			  (unsigned long long)mfn, strerror(e));
		free(m);
		return NULL;
	}
	*cookie = m;
	return p;
}

static void xen_unmap(struct ring_backend *be, struct xenstore_domain_interface *intf,
		      void *cookie)
{
	struct xen_map *m = cookie;

	munmap(intf, PAGE_SIZE);
	if (m && m->grant) {
		struct ioctl_gntdev_unmap_grant_ref unmap = { .index = m->index, .count = 1 };

		ioctl(xb(be)->gntdev, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap);
	}
	free(m);
}

static int xen_bind(struct ring_backend *be, unsigned domid, unsigned remote_port)
{
	struct ioctl_evtchn_bind_interdomain bind = { domid, remote_port };
	int port = ioctl(xb(be)->evtchn, IOCTL_EVTCHN_BIND_INTERDOMAIN, &bind);

	if (port < 0) {
		int e = errno;

		log_error("domain %u: cannot bind its store event channel %u: %s", domid,
			  remote_port, strerror(e));
		return -e;
	}
	return port;
}

static void xen_unbind(struct ring_backend *be, unsigned port)
{
	struct ioctl_evtchn_unbind unbind = { port };

	ioctl(xb(be)->evtchn, IOCTL_EVTCHN_UNBIND, &unbind);
}

static void xen_notify(struct ring_backend *be, unsigned port)
{
	struct ioctl_evtchn_notify n = { port };

	ioctl(xb(be)->evtchn, IOCTL_EVTCHN_NOTIFY, &n);
}

static int xen_pending(struct ring_backend *be, unsigned *port)
{
	uint32_t p;
	ssize_t n = read(xb(be)->evtchn, &p, sizeof(p));

	if (n == (ssize_t)sizeof(p)) {
		*port = p;
		return 1;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

static void xen_unmask(struct ring_backend *be, unsigned port)
{
	uint32_t p = port;

	if (write(xb(be)->evtchn, &p, sizeof(p)) != (ssize_t)sizeof(p))
		log_warn("cannot unmask event channel %u: %s", port, strerror(errno));
}

static void xen_destroy(struct ring_backend *be)
{
	struct xen_be *x = xb(be);

	if (!x)
		return;
	if (x->local_page)
		munmap(x->local_page, PAGE_SIZE);
	if (x->evtchn >= 0)
		close(x->evtchn);
	if (x->gntdev >= 0)
		close(x->gntdev);
	if (x->privcmd >= 0)
		close(x->privcmd);
	free(x);
	be->priv = NULL;
}

static const struct ring_backend_ops xen_ops = {
	.name = "xen",
	.map = xen_map,
	.unmap = xen_unmap,
	.bind = xen_bind,
	.unbind = xen_unbind,
	.notify = xen_notify,
	.pending = xen_pending,
	.unmask = xen_unmask,
	.destroy = xen_destroy,
};

bool ring_xen_available(void)
{
	return access(RING_XEN_EVTCHN, R_OK | W_OK) == 0;
}

int ring_xen_init(struct ring_backend *be, struct store *st, char *err, size_t errsz)
{
	struct xen_be *x;
	int rc = ring_backend_init(be, &xen_ops, st);

	if (rc) {
		snprintf(err, errsz, "out of memory");
		return rc;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		ring_backend_fini(be);
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	be->priv = x;
	x->gntdev = open(RING_XEN_GNTDEV, O_RDWR | O_CLOEXEC);
	x->privcmd = open(RING_XEN_PRIVCMD, O_RDWR | O_CLOEXEC);
	x->evtchn = open(RING_XEN_EVTCHN, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (x->evtchn < 0) {
		rc = -errno;
		snprintf(err, errsz, "cannot open %s: %s (is this dom0, with the xen_evtchn "
			 "module loaded?)", RING_XEN_EVTCHN, strerror(errno));
		ring_backend_fini(be);
		return rc;
	}
	if (x->gntdev < 0 && x->privcmd < 0)
		log_warn("neither %s nor %s opens: guests' rings cannot be mapped",
			 RING_XEN_GNTDEV, RING_XEN_PRIVCMD);
	be->pi.fd = x->evtchn;
	return 0;
}

int ring_xen_connect_local(struct ring_backend *be, char *err, size_t errsz)
{
	struct xen_be *x = xb(be);
	char buf[32] = "";
	unsigned long port;
	void *page;
	ssize_t n;
	int fd, local;

	fd = open(RING_XEN_XSD_PORT, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "cannot open %s: %s (mount xenfs on /proc/xen)",
			 RING_XEN_XSD_PORT, strerror(errno));
		return -ENOENT;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || sscanf(buf, "%lu", &port) != 1) {
		snprintf(err, errsz, "%s does not hold a port number", RING_XEN_XSD_PORT);
		return -EINVAL;
	}
	fd = open(RING_XEN_XSD_KVA, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "cannot open %s: %s", RING_XEN_XSD_KVA, strerror(errno));
		return -ENOENT;
	}
	page = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (page == MAP_FAILED) {
		snprintf(err, errsz, "cannot map %s: %s", RING_XEN_XSD_KVA, strerror(errno));
		return -EIO;
	}
	local = xen_bind(be, 0, (unsigned)port);
	if (local < 0) {
		munmap(page, PAGE_SIZE);
		snprintf(err, errsz, "cannot bind dom0's store event channel %lu", port);
		return local;
	}
	x->local_page = page;
	return ring_connect_local(be, page, NULL, (unsigned)local);
}
