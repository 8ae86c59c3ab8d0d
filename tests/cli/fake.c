/* The in-memory fake of libmica (see fake.h). */
#include "fake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/sched.h>

#define PG 4096

struct fake fake;

/* ---- the hypervisor's memory ------------------------------------------------------------ */

unsigned char *fake_frame(uint64_t mfn)
{
	if (mfn >= FAKE_MAX_MFNS)
		return NULL;
	if (!fake.frame[mfn])
		fake.frame[mfn] = calloc(1, PG);
	return fake.frame[mfn];
}

/* Allocates n contiguous frames to domain d; returns the first MFN or ~0. */
static uint64_t alloc_frames(struct fake_domain *d, uint64_t n)
{
	uint64_t first = fake.next_mfn;

	if (fake.free_pages < n || first + n > FAKE_MAX_MFNS)
		return ~0ULL;
	for (uint64_t i = 0; i < n; i++)
		fake.owner[first + i] = (int16_t)d->id;
	fake.next_mfn += n;
	fake.free_pages -= n;
	d->tot_pages += n;
	return first;
}

void fake_reset(uint64_t mem_mib)
{
	for (uint64_t i = 0; i < FAKE_MAX_MFNS; i++)
		free(fake.frame[i]);
	for (unsigned int i = 0; i < fake.nr_nodes; i++) {
		free(fake.node[i].path);
		free(fake.node[i].value);
	}
	memset(&fake, 0, sizeof(fake));
	memset(fake.owner, 0xff, sizeof(fake.owner));
	fake.next_mfn = 0x1000;
	fake.total_pages = fake.free_pages = mem_mib * 256;
	fake.fail_populate_after = -1;
	fake.shutdown_after_polls = -1;
	fake.next_domid = 1;
	fake.log = "(XEN) Mica starting\n(XEN) dom0: built\n";
	fake.dom[0] = (struct fake_domain){ .exists = true, .id = 0, .flags = XEN_DOMINF_running,
					    .tot_pages = 512 * 256, .max_pages = 512 * 256,
					    .max_vcpus = 2, .cpu_time = 12300000000ULL };
	fake.total_pages += 512 * 256;
}

struct fake_domain *fake_domain(uint32_t id)
{
	for (int i = 0; i < FAKE_MAX_DOMAINS; i++)
		if (fake.dom[i].exists && fake.dom[i].id == id)
			return &fake.dom[i];
	return NULL;
}

static struct fake_domain *new_domain(void)
{
	for (int i = 1; i < FAKE_MAX_DOMAINS; i++) {
		if (!fake.dom[i].exists) {
			memset(&fake.dom[i], 0, sizeof(fake.dom[i]));
			fake.dom[i].exists = true;
			fake.dom[i].id = fake.next_domid++;
			fake.dom[i].next_port = 1;
			return &fake.dom[i];
		}
	}
	return NULL;
}

uint32_t fake_add_domain(const char *name, uint64_t mib, unsigned int vcpus)
{
	struct fake_domain *d = new_domain();
	char path[64];

	d->max_vcpus = vcpus;
	d->max_pages = mib * 256;
	alloc_frames(d, mib * 256);
	d->flags = XEN_DOMINF_blocked;
	d->cpu_time = 1500000000ULL;
	for (unsigned int v = 0; v < vcpus; v++) {
		d->ctx_set[v] = true;
		d->ctx[v].flags = VGCF_online;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/name", d->id);
	fake_store_set(path, name);
	return d->id;
}

/* ---- privcmd ------------------------------------------------------------------------------ */

struct mica {
	int unused;
};

static struct mica the_handle;

int mica_open(struct mica **out, char *err, size_t errsz)
{
	if (fake.no_privcmd) {
		snprintf(err, errsz, "cannot open /dev/xen/privcmd (fake): not dom0");
		return -ENOENT;
	}
	*out = &the_handle;
	return 0;
}

void mica_close(struct mica *m)
{
	(void)m;
}

long mica_hypercall(struct mica *m, unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5)
{
	(void)m; (void)op; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
	return -ENOSYS;
}

void *mica_buf_alloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void mica_buf_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

int mica_domctl(struct mica *m, struct xen_domctl *op)
{
	(void)m; (void)op;
	return -ENOSYS;
}

int mica_sysctl(struct mica *m, struct xen_sysctl *op)
{
	(void)m; (void)op;
	return -ENOSYS;
}

int mica_domain_create(struct mica *m, const struct mica_domain_config *cfg, uint32_t *domid)
{
	struct fake_domain *d = new_domain();

	(void)m;
	if (!d)
		return -ENOMEM;
	d->max_vcpus = cfg->max_vcpus;
	d->pause_count = 1;
	d->flags = XEN_DOMINF_paused;
	memcpy(d->handle, cfg->handle, 16);
	/* The shared_info frame belongs to the domain but is no RAM of it. */
	d->shared_info_mfn = fake.next_mfn++;
	*domid = d->id;
	return 0;
}

int mica_domain_destroy(struct mica *m, uint32_t domid)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	if (fake.live_maps)
		return -EBUSY; /* the toolstack itself still maps a frame: a bug in the builder */
	if (fake.zombie_destroys > 0) {
		/* As when a dom0 daemon still maps its ring: dying, listed, until destroyed again. */
		fake.zombie_destroys--;
		d->flags = XEN_DOMINF_dying;
		return 0;
	}
	for (uint64_t i = 0; i < FAKE_MAX_MFNS; i++) {
		if (fake.owner[i] == (int16_t)domid) {
			fake.owner[i] = -1;
			fake.free_pages++;
		}
	}
	d->exists = false;
	fake.destroyed++;
	return 0;
}

int mica_domain_pause(struct mica *m, uint32_t domid)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	d->pause_count++;
	d->flags |= XEN_DOMINF_paused;
	d->flags &= ~XEN_DOMINF_running;
	return 0;
}

int mica_domain_unpause(struct mica *m, uint32_t domid)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	if (!d->pause_count)
		return -EINVAL;
	if (!--d->pause_count)
		d->flags &= ~XEN_DOMINF_paused;
	return 0;
}

int mica_domain_max_mem(struct mica *m, uint32_t domid, uint64_t max_kib)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	d->max_pages = max_kib / 4;
	return 0;
}

int mica_domain_max_vcpus(struct mica *m, uint32_t domid, uint32_t max)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	return max == d->max_vcpus ? 0 : -EINVAL;
}

int mica_domain_set_address_size(struct mica *m, uint32_t domid, uint32_t bits)
{
	(void)m;
	(void)domid;
	return bits == 64 ? 0 : -EINVAL;
}

int mica_domain_hypercall_init(struct mica *m, uint32_t domid, uint64_t mfn)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d || fake.owner[mfn] != (int16_t)domid)
		return -EINVAL;
	d->hypercall_mfn = mfn;
	return 0;
}

static void fill_info(const struct fake_domain *d, struct xen_domctl_getdomaininfo *info)
{
	memset(info, 0, sizeof(*info));
	info->domain = (domid_t)d->id;
	info->flags = d->flags;
	info->tot_pages = d->tot_pages;
	info->max_pages = d->max_pages;
	info->shared_info_frame = d->shared_info_mfn;
	info->cpu_time = d->cpu_time;
	info->max_vcpu_id = d->max_vcpus ? d->max_vcpus - 1 : XEN_INVALID_MAX_VCPU_ID;
	for (unsigned int v = 0; v < d->max_vcpus && v < 8; v++)
		info->nr_online_vcpus += d->ctx_set[v] && (d->ctx[v].flags & VGCF_online);
	if (d->id == 0)
		info->nr_online_vcpus = d->max_vcpus;
	memcpy(info->handle, d->handle, 16);
}

int mica_domain_info(struct mica *m, uint32_t domid, struct xen_domctl_getdomaininfo *info)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	if (fake.shutdown_after_polls > 0 && --fake.shutdown_after_polls == 0) {
		d->flags |= XEN_DOMINF_shutdown | (SHUTDOWN_poweroff << XEN_DOMINF_shutdownshift);
	}
	fill_info(d, info);
	return 0;
}

int mica_domain_shutdown(struct mica *m, uint32_t domid, uint32_t reason)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	d->flags |= XEN_DOMINF_shutdown | (reason << XEN_DOMINF_shutdownshift);
	return 0;
}

int mica_vcpu_set_context(struct mica *m, uint32_t domid, uint32_t vcpu,
			  const struct vcpu_guest_context *ctx)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d || vcpu >= d->max_vcpus || vcpu >= 8)
		return -EINVAL;
	if ((ctx->ctrlreg[3] >> 12) != d->pinned_l4)
		return -EINVAL; /* the root must be a pinned L4 of the domain */
	d->ctx[vcpu] = *ctx;
	d->ctx_set[vcpu] = true;
	return 0;
}

int mica_vcpu_get_context(struct mica *m, uint32_t domid, uint32_t vcpu,
			  struct vcpu_guest_context *ctx)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d || vcpu >= d->max_vcpus || vcpu >= 8)
		return -EINVAL;
	if (!d->ctx_set[vcpu])
		return -ENODATA;
	*ctx = d->ctx[vcpu];
	return 0;
}

int mica_vcpu_info(struct mica *m, uint32_t domid, uint32_t vcpu, struct mica_vcpu_info *out)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (fake.vcpuinfo_enosys)
		return -ENOSYS;
	if (!d || vcpu >= d->max_vcpus)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->online = d->id == 0 || (vcpu < 8 && d->ctx_set[vcpu]);
	out->running = d->id == 0 && vcpu == 0;
	out->blocked = !out->running;
	out->cpu = vcpu;
	out->cpu_time_ns = 2500000000ULL * (vcpu + 1);
	return 0;
}

int mica_physinfo(struct mica *m, struct xen_sysctl_physinfo *out)
{
	(void)m;
	memset(out, 0, sizeof(*out));
	out->threads_per_core = 1;
	out->cores_per_socket = 2;
	out->nr_cpus = 2;
	out->max_cpu_id = 1;
	out->nr_nodes = 1;
	out->cpu_khz = 2400123;
	out->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_gnttab_v1;
	out->total_pages = fake.total_pages;
	out->free_pages = fake.free_pages;
	out->max_mfn = FAKE_MAX_MFNS - 1;
	return 0;
}

int mica_sched_id(struct mica *m, uint32_t *out)
{
	(void)m;
	*out = 5; /* credit */
	return 0;
}

int mica_domain_list(struct mica *m, struct xen_domctl_getdomaininfo **out, unsigned int *nr)
{
	struct xen_domctl_getdomaininfo *v = calloc(FAKE_MAX_DOMAINS, sizeof(*v));
	unsigned int n = 0;

	(void)m;
	if (!v)
		return -ENOMEM;
	/* In id order. */
	for (uint32_t id = 0; id < fake.next_domid; id++) {
		struct fake_domain *d = fake_domain(id);

		if (d)
			fill_info(d, &v[n++]);
	}
	*out = v;
	*nr = n;
	return 0;
}

int mica_readconsole(struct mica *m, char *buf, uint32_t *len, uint32_t *index, bool incremental,
		     bool clear)
{
	const char *log = fake.log_cleared ? "" : fake.log;
	uint32_t size = (uint32_t)strlen(log), start = incremental ? *index : 0, n;

	(void)m;
	if (start > size)
		start = size;
	n = size - start < *len ? size - start : *len;
	memcpy(buf, log + start, n);
	*len = n;
	*index = start + n;
	if (clear)
		fake.log_cleared = true;
	return 0;
}

int mica_version(struct mica *m, struct mica_version *out)
{
	(void)m;
	memset(out, 0, sizeof(*out));
	out->major = 4;
	out->minor = 17;
	snprintf(out->extra, sizeof(out->extra), "-mica");
	snprintf(out->capabilities, sizeof(out->capabilities), "xen-3.0-x86_64");
	snprintf(out->commandline, sizeof(out->commandline), "console=com1");
	snprintf(out->compiler, sizeof(out->compiler), "clang");
	return 0;
}

long mica_populate_physmap(struct mica *m, uint32_t domid, uint64_t nr, unsigned int order,
			   uint64_t *extents)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d)
		return -ESRCH;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t first;

		if (fake.fail_populate_after == 0)
			return (long)i;
		if (fake.fail_populate_after > 0)
			fake.fail_populate_after--;
		if (d->tot_pages + (1ULL << order) > d->max_pages)
			return (long)i;
		first = alloc_frames(d, 1ULL << order);
		if (first == ~0ULL)
			return (long)i;
		extents[i] = first;
	}
	return (long)nr;
}

/* A live foreign mapping: the buffer the caller sees and where its pages come from. */
struct map {
	unsigned char *buf;
	uint64_t *mfns;
	size_t nr;
	struct map *next;
};

static struct map *maps;

void *mica_map_foreign(struct mica *m, uint32_t domid, int prot, const uint64_t *mfns, size_t nr,
		       int *errs)
{
	struct map *mp;

	(void)m;
	(void)prot;
	for (size_t i = 0; i < nr; i++) {
		if (mfns[i] >= FAKE_MAX_MFNS || fake.owner[mfns[i]] != (int16_t)domid) {
			if (errs)
				errs[i] = -EINVAL;
			errno = EINVAL;
			return NULL;
		}
	}
	mp = calloc(1, sizeof(*mp));
	mp->buf = aligned_alloc(PG, nr * PG);
	mp->mfns = malloc(nr * sizeof(*mp->mfns));
	mp->nr = nr;
	memcpy(mp->mfns, mfns, nr * sizeof(*mp->mfns));
	for (size_t i = 0; i < nr; i++)
		memcpy(mp->buf + i * PG, fake_frame(mfns[i]), PG);
	mp->next = maps;
	maps = mp;
	fake.live_maps++;
	return mp->buf;
}

void mica_unmap(void *addr, size_t nr)
{
	struct map **pp = &maps, *mp;

	while (*pp && (*pp)->buf != addr)
		pp = &(*pp)->next;
	mp = *pp;
	if (!mp || mp->nr != nr)
		abort(); /* the caller unmapped something it never mapped */
	for (size_t i = 0; i < nr; i++)
		memcpy(fake_frame(mp->mfns[i]), mp->buf + i * PG, PG);
	*pp = mp->next;
	free(mp->buf);
	free(mp->mfns);
	free(mp);
	fake.live_maps--;
}

int mica_mmuext(struct mica *m, uint32_t domid, const struct mmuext_op *ops, unsigned int nr)
{
	(void)m; (void)domid; (void)ops; (void)nr;
	return -ENOSYS;
}

int mica_pin_l4(struct mica *m, uint32_t domid, uint64_t mfn)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d || fake.owner[mfn] != (int16_t)domid)
		return -EINVAL;
	if (fake.live_maps)
		return -EBUSY; /* dom0 still maps frames writable: they cannot become tables */
	d->pinned_l4 = mfn;
	return 0;
}

int mica_evtchn_alloc_unbound(struct mica *m, uint32_t dom, uint32_t remote, uint32_t *port)
{
	struct fake_domain *d = fake_domain(dom);

	(void)m;
	if (!d || remote != 0)
		return -EINVAL;
	*port = d->next_port++;
	return 0;
}

int mica_grant_frames(struct mica *m, uint32_t domid, unsigned int nr, uint64_t *mfns)
{
	(void)m; (void)domid; (void)nr; (void)mfns;
	return -ENOSYS;
}

int mica_grant_seed(struct mica *m, uint32_t domid, uint64_t console_mfn, uint32_t console_be,
		    uint64_t store_mfn, uint32_t store_be)
{
	struct fake_domain *d = fake_domain(domid);

	(void)m;
	if (!d || console_be || store_be)
		return -EINVAL;
	d->grant_console_mfn = console_mfn;
	d->grant_store_mfn = store_mfn;
	d->grants_seeded = true;
	return 0;
}

/* ---- the store ------------------------------------------------------------------------------ */

struct mica_xs {
	int unused;
};

static struct mica_xs the_store;

static struct fake_node *find_node(const char *path)
{
	for (unsigned int i = 0; i < fake.nr_nodes; i++)
		if (!strcmp(fake.node[i].path, path))
			return &fake.node[i];
	return NULL;
}

static struct fake_node *make_node(const char *path)
{
	struct fake_node *n = find_node(path);
	char parent[256], *slash;

	if (n)
		return n;
	/* Parents exist implicitly, as in xenstored. */
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		make_node(parent);
	}
	if (fake.nr_nodes >= FAKE_MAX_NODES)
		abort();
	n = &fake.node[fake.nr_nodes++];
	n->path = strdup(path);
	n->value = strdup("");
	snprintf(n->perms, sizeof(n->perms), "n0");
	return n;
}

void fake_store_set(const char *path, const char *value)
{
	struct fake_node *n = make_node(path);

	free(n->value);
	n->value = strdup(value);
}

const char *fake_store_get(const char *path, const char **perms)
{
	struct fake_node *n = find_node(path);

	if (perms)
		*perms = n ? n->perms : NULL;
	return n ? n->value : NULL;
}

const char *mica_xs_socket_path(const char *path)
{
	return path ? path : "/fake/xenstored/socket";
}

int mica_xs_open(struct mica_xs **out, const char *path)
{
	(void)path;
	if (fake.no_store)
		return -ENOENT;
	*out = &the_store;
	return 0;
}

int mica_xs_open_fd(struct mica_xs **out, int fd)
{
	(void)fd;
	*out = &the_store;
	return 0;
}

void mica_xs_close(struct mica_xs *xs)
{
	(void)xs;
}

int mica_xs_fd(const struct mica_xs *xs)
{
	(void)xs;
	return -1;
}

int mica_xs_read(struct mica_xs *xs, uint32_t tx, const char *path, char **value, size_t *len)
{
	struct fake_node *n = find_node(path);

	(void)xs;
	(void)tx;
	if (!n)
		return -ENOENT;
	*value = strdup(n->value);
	if (len)
		*len = strlen(n->value);
	return 0;
}

int mica_xs_write(struct mica_xs *xs, uint32_t tx, const char *path, const char *value,
		  size_t len)
{
	char *v = strndup(value, len);

	(void)xs;
	(void)tx;
	fake_store_set(path, v);
	free(v);
	return 0;
}

int mica_xs_mkdir(struct mica_xs *xs, uint32_t tx, const char *path)
{
	(void)xs;
	(void)tx;
	make_node(path);
	return 0;
}

int mica_xs_rm(struct mica_xs *xs, uint32_t tx, const char *path)
{
	size_t len = strlen(path);
	bool any = false;

	(void)xs;
	(void)tx;
	for (unsigned int i = 0; i < fake.nr_nodes;) {
		const char *p = fake.node[i].path;

		if (!strncmp(p, path, len) && (p[len] == '\0' || p[len] == '/')) {
			free(fake.node[i].path);
			free(fake.node[i].value);
			fake.node[i] = fake.node[--fake.nr_nodes];
			any = true;
		} else {
			i++;
		}
	}
	return any ? 0 : -ENOENT;
}

int mica_xs_directory(struct mica_xs *xs, uint32_t tx, const char *path, char ***names,
		      unsigned int *nr)
{
	size_t len = strlen(path);
	char **v = calloc(FAKE_MAX_NODES, sizeof(*v));
	unsigned int n = 0;

	(void)xs;
	(void)tx;
	if (!find_node(path)) {
		free(v);
		return -ENOENT;
	}
	for (unsigned int i = 0; i < fake.nr_nodes; i++) {
		const char *p = fake.node[i].path;

		if (!strncmp(p, path, len) && p[len] == '/' && !strchr(p + len + 1, '/'))
			v[n++] = strdup(p + len + 1);
	}
	*names = v;
	*nr = n;
	return 0;
}

int mica_xs_set_perms(struct mica_xs *xs, uint32_t tx, const char *path, const char *const *perms,
		      unsigned int nr)
{
	struct fake_node *n = find_node(path);
	size_t at = 0;

	(void)xs;
	(void)tx;
	if (!n)
		return -ENOENT;
	n->perms[0] = '\0';
	for (unsigned int i = 0; i < nr; i++)
		at += (size_t)snprintf(n->perms + at, sizeof(n->perms) - at, "%s%s", i ? "," : "",
				       perms[i]);
	return 0;
}

int mica_xs_tx_start(struct mica_xs *xs, uint32_t *tx)
{
	(void)xs;
	*tx = ++fake.tx_started;
	return 0;
}

int mica_xs_tx_end(struct mica_xs *xs, uint32_t tx, bool commit)
{
	(void)xs;
	(void)tx;
	if (commit && fake.tx_conflicts > 0) {
		fake.tx_conflicts--;
		return -EAGAIN;
	}
	if (commit)
		fake.tx_committed++;
	return 0;
}

int mica_xs_introduce(struct mica_xs *xs, uint32_t domid, uint64_t store_mfn, uint32_t store_port)
{
	(void)xs;
	fake.introduced_dom = domid;
	fake.introduced_mfn = store_mfn;
	fake.introduced_port = store_port;
	fake.introduces++;
	return 0;
}

int mica_xs_release(struct mica_xs *xs, uint32_t domid)
{
	(void)xs;
	(void)domid;
	fake.releases++;
	return 0;
}

int mica_xs_watch(struct mica_xs *xs, const char *path, const char *token)
{
	(void)xs;
	(void)token;
	if (fake.nr_watches < 8)
		snprintf(fake.watches[fake.nr_watches++], sizeof(fake.watches[0]), "%s", path);
	return 0;
}

int mica_xs_unwatch(struct mica_xs *xs, const char *path, const char *token)
{
	(void)xs;
	(void)path;
	(void)token;
	return 0;
}

int mica_xs_read_watch(struct mica_xs *xs, char **path, char **token, int timeout_ms)
{
	(void)xs;
	(void)path;
	(void)token;
	(void)timeout_ms;
	return -ETIMEDOUT; /* the tests' guests change only when a test says so */
}
