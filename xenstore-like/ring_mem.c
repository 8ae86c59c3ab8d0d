/* mica-store: the in-memory ring backend (see ring_mem.h). */
#include "ring_mem.h"

#include <errno.h>
#include <stdlib.h>

static struct ring_mem *rm(struct ring_backend *be)
{
	return be->priv;
}

static int slot(struct ring_backend *be, unsigned domid)
{
	for (unsigned i = 0; i < rm(be)->ndom; i++)
		if (rm(be)->dom[i].domid == domid)
			return (int)i;
	return -1;
}

static int slot_of_port(struct ring_backend *be, unsigned port)
{
	for (unsigned i = 0; i < rm(be)->ndom; i++)
		if (rm(be)->dom[i].port == (int)port)
			return (int)i;
	return -1;
}

static struct xenstore_domain_interface *mem_map(struct ring_backend *be, unsigned domid,
						 uint64_t mfn, void **cookie, int *err)
{
	int i = slot(be, domid);

	(void)mfn;
	*cookie = NULL;
	if (i < 0 || rm(be)->fail_map) {
		*err = -ENOENT;
		return NULL;
	}
	return rm(be)->dom[i].page;
}

static void mem_unmap(struct ring_backend *be, struct xenstore_domain_interface *intf,
		      void *cookie)
{
	(void)be;
	(void)intf;
	(void)cookie;
}

static int mem_bind(struct ring_backend *be, unsigned domid, unsigned remote_port)
{
	int i = slot(be, domid);

	(void)remote_port;
	if (i < 0 || rm(be)->fail_bind)
		return -EINVAL;
	rm(be)->dom[i].port = (int)++rm(be)->next_port;
	return rm(be)->dom[i].port;
}

static void mem_unbind(struct ring_backend *be, unsigned port)
{
	int i = slot_of_port(be, port);

	if (i >= 0)
		rm(be)->dom[i].port = -1;
}

static void mem_notify(struct ring_backend *be, unsigned port)
{
	int i = slot_of_port(be, port);

	if (i >= 0)
		rm(be)->dom[i].notifies++;
}

static int mem_pending(struct ring_backend *be, unsigned *port)
{
	(void)be;
	(void)port;
	return 0;
}

static void mem_unmask(struct ring_backend *be, unsigned port)
{
	(void)be;
	(void)port;
}

static void mem_destroy(struct ring_backend *be)
{
	free(be->priv);
	be->priv = NULL;
}

static const struct ring_backend_ops mem_ops = {
	.name = "memory",
	.map = mem_map,
	.unmap = mem_unmap,
	.bind = mem_bind,
	.unbind = mem_unbind,
	.notify = mem_notify,
	.pending = mem_pending,
	.unmask = mem_unmask,
	.destroy = mem_destroy,
};

int ring_mem_init(struct ring_backend *be, struct store *st)
{
	int rc = ring_backend_init(be, &mem_ops, st);

	if (rc)
		return rc;
	be->priv = calloc(1, sizeof(struct ring_mem));
	if (!be->priv) {
		ring_backend_fini(be);
		return -ENOMEM;
	}
	return 0;
}

void ring_mem_set_page(struct ring_backend *be, unsigned domid,
		       struct xenstore_domain_interface *page)
{
	int i = slot(be, domid);

	if (i < 0) {
		if (rm(be)->ndom == RING_MEM_MAX)
			return;
		i = (int)rm(be)->ndom++;
		rm(be)->dom[i].domid = domid;
		rm(be)->dom[i].port = -1;
	}
	rm(be)->dom[i].page = page;
}

int ring_mem_port(struct ring_backend *be, unsigned domid)
{
	int i = slot(be, domid);

	return i < 0 ? -1 : rm(be)->dom[i].port;
}

unsigned ring_mem_notifies(struct ring_backend *be, unsigned domid)
{
	int i = slot(be, domid);

	return i < 0 ? 0 : rm(be)->dom[i].notifies;
}
