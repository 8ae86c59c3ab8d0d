/*
 * pvback: one device's helpers: the store nodes of both ends, the rings
 * and event channels the library maps and binds for the backend (and
 * releases at disconnect), messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

uint32_t pvb_domid(const struct pvb_dev *d) { return d->domid; }
uint32_t pvb_devid(const struct pvb_dev *d) { return d->devid; }
void *pvb_priv(struct pvb_dev *d) { return d->priv; }
const char *pvb_backend_path(const struct pvb_dev *d) { return d->be; }
const char *pvb_frontend_path(const struct pvb_dev *d) { return d->fe; }
enum xenbus_state pvb_state(const struct pvb_dev *d) { return d->state; }
struct mica_gntdev *pvb_gntdev(struct pvb_dev *d) { return d->b->gnt; }
struct mica_xs *pvb_xs(struct pvb_dev *d) { return d->b->xs; }

static void vlog(const struct pvb_dev *d, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: domain %u %s %u: ", d->b->name, d->domid, d->b->ops->type, d->devid);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pvb_log(const struct pvb_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(d, fmt, ap);
	va_end(ap);
}

static void vfail(struct pvb_dev *d, const char *fmt, va_list ap)
{
	char msg[512], path[128];
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(msg, sizeof(msg), fmt, copy);
	va_end(copy);
	vlog(d, fmt, ap);
	snprintf(path, sizeof(path), "%s/error", d->be);
	mica_xs_write(d->b->xs, MICA_XS_NO_TX, path, msg, strlen(msg));
}

void pvb_fail(struct pvb_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(d, fmt, ap);
	va_end(ap);
}

void pvb_close_device(struct pvb_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(d, fmt, ap);
	va_end(ap);
	d->closing = true;
}

int pvb_read(struct pvb_dev *d, bool frontend, const char *key, char **value)
{
	char path[256];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", frontend ? d->fe : d->be, key) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return mica_xs_read(d->b->xs, MICA_XS_NO_TX, path, value, NULL);
}

int pvb_read_uint(struct pvb_dev *d, bool frontend, const char *key, uint64_t max,
		  uint64_t *out)
{
	char *v, *end;
	int rc = pvb_read(d, frontend, key, &v);

	if (rc)
		return rc;
	errno = 0;
	*out = strtoull(v, &end, 10);
	rc = (!*v || *end || errno || *out > max || v[0] == '-') ? -EINVAL : 0;
	free(v);
	return rc;
}

int pvb_write(struct pvb_dev *d, const char *key, const char *fmt, ...)
{
	char path[256], value[256];
	va_list ap;
	int n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->be, key) >= sizeof(path))
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value))
		return -EINVAL;
	return mica_xs_write(d->b->xs, MICA_XS_NO_TX, path, value, (size_t)n);
}

void pvb_again(struct pvb_dev *d)
{
	d->again = true;
}

int pvb_add_fd(struct pvb_dev *d, int fd, short events)
{
	for (unsigned int i = 0; i < PVB_MAX_FDS; i++) {
		if (d->fds[i].fd < 0) {
			d->fds[i] = (struct pvb_fd){ .fd = fd, .events = events };
			return 0;
		}
	}
	return -ENOSPC;
}

void pvb_del_fd(struct pvb_dev *d, int fd)
{
	for (unsigned int i = 0; i < PVB_MAX_FDS; i++)
		if (d->fds[i].fd == fd)
			d->fds[i].fd = -1;
}

/* Reads the frontend's grant refs for key into refs; returns how many, or -errno after pvb_fail. */
static int read_refs(struct pvb_dev *d, const char *key, unsigned int max_order, uint32_t *refs)
{
	uint64_t order = 0, ref;
	char name[96];
	unsigned int n;
	int rc;

	if (max_order) {
		rc = pvb_read_uint(d, true, "ring-page-order", ~0ull, &order);
		if (rc == -ENOENT) {
			order = 0;
			max_order = 0; /* a single-page ring: the ref is named key */
		} else if (rc || order > max_order) {
			pvb_fail(d, "frontend ring-page-order is not a number up to %u", max_order);
			return -EINVAL;
		}
	}
	n = 1u << order;
	for (unsigned int i = 0; i < n; i++) {
		if (max_order)
			snprintf(name, sizeof(name), "%s%u", key, i);
		else
			snprintf(name, sizeof(name), "%s", key);
		rc = pvb_read_uint(d, true, name, UINT32_MAX, &ref);
		if (rc) {
			pvb_fail(d, "frontend %s is %s", name, rc == -ENOENT ? "missing" :
				 "not a grant reference");
			return -EINVAL;
		}
		refs[i] = (uint32_t)ref;
	}
	return (int)n;
}

int pvb_map_ring(struct pvb_dev *d, const char *key, unsigned int max_order, void **ring,
		 unsigned int *nr_pages)
{
	uint32_t refs[1u << PVB_MAX_RING_ORDER];
	struct pvb_map *slot = NULL;
	int n;
	void *p;

	if (max_order > PVB_MAX_RING_ORDER)
		max_order = PVB_MAX_RING_ORDER;
	for (unsigned int i = 0; i < PVB_MAX_MAPS && !slot; i++)
		if (!d->maps[i].addr)
			slot = &d->maps[i];
	if (!slot)
		return -ENOSPC;
	n = read_refs(d, key, max_order, refs);
	if (n < 0)
		return n;
	p = mica_gntdev_map_many(d->b->gnt, d->domid, refs, (unsigned int)n, true);
	if (!p) {
		int rc = -errno;

		pvb_fail(d, "cannot map the frontend's %s (%d page%s): %s; were they granted "
			 "to dom0?", key, n, n == 1 ? "" : "s", strerror(errno));
		return rc;
	}
	slot->addr = p;
	slot->pages = (unsigned int)n;
	*ring = p;
	*nr_pages = (unsigned int)n;
	return 0;
}

int pvb_bind_event(struct pvb_dev *d, const char *key)
{
	int *slot = NULL, rc;
	uint64_t port;

	for (unsigned int i = 0; i < PVB_MAX_PORTS && !slot; i++)
		if (d->ports[i] < 0)
			slot = &d->ports[i];
	if (!slot)
		return -ENOSPC;
	rc = pvb_read_uint(d, true, key, UINT32_MAX, &port);
	if (rc) {
		pvb_fail(d, "frontend %s is %s", key, rc == -ENOENT ? "missing" :
			 "not an event channel number");
		return -EINVAL;
	}
	rc = mica_evtchn_bind_interdomain(d->b->ev, d->domid, (uint32_t)port);
	if (rc < 0) {
		pvb_fail(d, "cannot bind the frontend's event channel %u: %s", (unsigned int)port,
			 strerror(-rc));
		return rc;
	}
	*slot = rc;
	return rc;
}

void pvb_notify(struct pvb_dev *d, int port)
{
	if (port >= 0)
		mica_evtchn_notify(d->b->ev, (uint32_t)port);
}

void pvb_release(struct pvb_dev *d)
{
	for (unsigned int i = 0; i < PVB_MAX_PORTS; i++) {
		if (d->ports[i] >= 0)
			mica_evtchn_unbind(d->b->ev, (uint32_t)d->ports[i]);
		d->ports[i] = -1;
	}
	for (unsigned int i = 0; i < PVB_MAX_MAPS; i++) {
		if (d->maps[i].addr) {
			int rc = mica_gntdev_unmap_many(d->b->gnt, d->maps[i].addr, d->maps[i].pages);

			if (rc)
				pvb_log(d, "unmapping a ring of %u pages: %s", d->maps[i].pages,
					strerror(-rc));
		}
		d->maps[i].addr = NULL;
	}
	d->again = false;
}
