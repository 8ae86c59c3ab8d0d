/*
 * libmica: Linux's event-channel device (/dev/xen/evtchn), grant-mapping
 * device (/dev/xen/gntdev) and grant-sharing device (/dev/xen/gntalloc).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "linux_xen.h"

#define PAGE 4096UL

/* Opens path read-write, close-on-exec, with extra flags; returns the fd or -errno. */
static int open_dev(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

/* ---- /dev/xen/evtchn ------------------------------------------------------- */

struct mica_evtchn {
	int fd;
};

int mica_evtchn_open(struct mica_evtchn **out)
{
	struct mica_evtchn *e = malloc(sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->fd = open_dev("/dev/xen/evtchn", O_NONBLOCK);
	if (e->fd < 0) {
		int rc = e->fd;

		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void mica_evtchn_close(struct mica_evtchn *e)
{
	if (!e)
		return;
	close(e->fd); /* unbinds every port bound through it */
	free(e);
}

int mica_evtchn_fd(const struct mica_evtchn *e)
{
	return e->fd;
}

int mica_evtchn_bind_interdomain(struct mica_evtchn *e, uint32_t dom, uint32_t remote_port)
{
	struct lx_evtchn_bind_interdomain b = { .remote_domain = dom, .remote_port = remote_port };

	return xioctl(e->fd, LX_EVTCHN_BIND_INTERDOMAIN, &b);
}

int mica_evtchn_bind_virq(struct mica_evtchn *e, uint32_t virq)
{
	struct lx_evtchn_bind_virq b = { .virq = virq };

	return xioctl(e->fd, LX_EVTCHN_BIND_VIRQ, &b);
}

int mica_evtchn_unbind(struct mica_evtchn *e, uint32_t port)
{
	struct lx_evtchn_port p = { .port = port };
	int rc = xioctl(e->fd, LX_EVTCHN_UNBIND, &p);

	return rc < 0 ? rc : 0;
}

int mica_evtchn_notify(struct mica_evtchn *e, uint32_t port)
{
	struct lx_evtchn_port p = { .port = port };
	int rc = xioctl(e->fd, LX_EVTCHN_NOTIFY, &p);

	return rc < 0 ? rc : 0;
}

int mica_evtchn_pending(struct mica_evtchn *e)
{
	uint32_t port;
	ssize_t n;

	do {
		n = read(e->fd, &port, sizeof(port));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != sizeof(port))
		return -EIO;
	return (int)(port & 0x7fffffff);
}

int mica_evtchn_unmask(struct mica_evtchn *e, uint32_t port)
{
	ssize_t n;

	do {
		n = write(e->fd, &port, sizeof(port));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(port) ? 0 : -EIO;
}

/* ---- /dev/xen/gntdev ------------------------------------------------------- */

struct mica_gntdev {
	int fd;
};

int mica_gntdev_open(struct mica_gntdev **out)
{
	struct mica_gntdev *g = malloc(sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->fd = open_dev("/dev/xen/gntdev", 0);
	if (g->fd < 0) {
		int rc = g->fd;

		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void mica_gntdev_close(struct mica_gntdev *g)
{
	if (!g)
		return;
	close(g->fd);
	free(g);
}

void *mica_gntdev_map(struct mica_gntdev *g, uint32_t dom, uint32_t ref, bool writable)
{
	return mica_gntdev_map_many(g, dom, &ref, 1, writable);
}

int mica_gntdev_unmap(struct mica_gntdev *g, void *addr)
{
	return mica_gntdev_unmap_many(g, addr, 1);
}

/* At most this many refs per mapping: a 256-page ring is the most any protocol asks. */
#define GNTDEV_MAP_MAX 1024u

void *mica_gntdev_map_many(struct mica_gntdev *g, uint32_t dom, const uint32_t *refs,
			   unsigned int nr, bool writable)
{
	struct lx_gntdev_unmap unmap = { .count = nr };
	int prot = PROT_READ | (writable ? PROT_WRITE : 0), rc, saved;
	struct lx_gntdev_map_head *map;
	void *p;

	if (!nr || nr > GNTDEV_MAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	map = calloc(1, sizeof(*map) + nr * sizeof(map->refs[0]));
	if (!map)
		return NULL;
	map->count = nr;
	for (unsigned int i = 0; i < nr; i++)
		map->refs[i] = (struct lx_gntdev_grant_ref){ .domid = dom, .ref = refs[i] };
	rc = xioctl(g->fd, LX_GNTDEV_MAP_GRANT_REF, map);
	unmap.index = map->index;
	free(map);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	/* gntdev maps the grants here; a ref that was not granted fails the mmap. */
	p = mmap(NULL, nr * PAGE, prot, MAP_SHARED, g->fd, (off_t)unmap.index);
	if (p == MAP_FAILED) {
		saved = errno;
		xioctl(g->fd, LX_GNTDEV_UNMAP_GRANT_REF, &unmap);
		errno = saved;
		return NULL;
	}
	return p;
}

int mica_gntdev_unmap_many(struct mica_gntdev *g, void *addr, unsigned int nr)
{
	struct lx_gntdev_offset_for_vaddr q = { .vaddr = (uintptr_t)addr };
	struct lx_gntdev_unmap unmap = { .count = nr };
	int rc = xioctl(g->fd, LX_GNTDEV_GET_OFFSET_FOR_VADDR, &q);

	if (rc < 0)
		return rc;
	if (q.count != nr)
		return -EINVAL;
	if (munmap(addr, nr * PAGE))
		return -errno;
	unmap.index = q.offset;
	rc = xioctl(g->fd, LX_GNTDEV_UNMAP_GRANT_REF, &unmap);
	return rc < 0 ? rc : 0;
}

int mica_gntdev_copy(struct mica_gntdev *g, struct mica_grant_copy *segs, unsigned int nr)
{
	struct lx_gntdev_grant_copy c = { .count = nr, .segments = (uintptr_t)segs };
	int rc;

	if (!nr)
		return 0;
	rc = xioctl(g->fd, LX_GNTDEV_GRANT_COPY, &c);
	return rc < 0 ? rc : 0;
}

/* ---- /dev/xen/gntalloc ----------------------------------------------------- */

/* gntalloc has no reverse lookup from address to index, so each handle remembers its pages. */
struct share {
	void *addr;
	uint64_t index;
	struct share *next;
};

struct mica_gntalloc {
	int fd;
	struct share *shares;
};

int mica_gntalloc_open(struct mica_gntalloc **out)
{
	struct mica_gntalloc *a = malloc(sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->shares = NULL;
	a->fd = open_dev("/dev/xen/gntalloc", 0);
	if (a->fd < 0) {
		int rc = a->fd;

		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void mica_gntalloc_close(struct mica_gntalloc *a)
{
	if (!a)
		return;
	while (a->shares)
		mica_gntalloc_unshare(a, a->shares->addr);
	close(a->fd);
	free(a);
}

void *mica_gntalloc_share(struct mica_gntalloc *a, uint32_t dom, bool writable, uint32_t *ref)
{
	struct lx_gntalloc_alloc_one req = {
		.domid = (uint16_t)dom, .flags = writable ? LX_GNTALLOC_FLAG_WRITABLE : 0, .count = 1,
	};
	struct lx_gntalloc_dealloc dealloc = { .count = 1 };
	struct share *s = malloc(sizeof(*s));
	int rc, saved;
	void *p;

	if (!s)
		return NULL;
	rc = xioctl(a->fd, LX_GNTALLOC_ALLOC_GREF, &req);
	if (rc < 0) {
		free(s);
		errno = -rc;
		return NULL;
	}
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, (off_t)req.index);
	if (p == MAP_FAILED) {
		saved = errno;
		dealloc.index = req.index;
		xioctl(a->fd, LX_GNTALLOC_DEALLOC_GREF, &dealloc);
		free(s);
		errno = saved;
		return NULL;
	}
	s->addr = p;
	s->index = req.index;
	s->next = a->shares;
	a->shares = s;
	*ref = req.gref;
	return p;
}

int mica_gntalloc_unshare(struct mica_gntalloc *a, void *addr)
{
	struct lx_gntalloc_dealloc dealloc = { .count = 1 };
	struct share **pp = &a->shares, *s;
	int rc;

	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	s = *pp;
	if (!s)
		return -EINVAL;
	*pp = s->next;
	munmap(addr, PAGE);
	dealloc.index = s->index;
	free(s);
	/* The grant goes once the other side has unmapped it too. */
	rc = xioctl(a->fd, LX_GNTALLOC_DEALLOC_GREF, &dealloc);
	return rc < 0 ? rc : 0;
}
