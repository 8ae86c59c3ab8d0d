/* A domain's store nodes (see store.h). */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmica.h"

int store_entry_add(struct store_entries *e, enum store_perm perm, const char *value,
		    const char *fmt, ...)
{
	struct store_entry *v = realloc(e->v, (e->nr + 1) * sizeof(*v));
	char *path, *val;
	va_list ap;
	int n;

	if (!v)
		return -ENOMEM;
	e->v = v;
	va_start(ap, fmt);
	n = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	val = strdup(value);
	if (!val) {
		free(path);
		return -ENOMEM;
	}
	e->v[e->nr++] = (struct store_entry){ .path = path, .value = val, .perm = perm };
	return 0;
}

int store_device_entries(struct store_entries *out, const char *cls, uint32_t domid,
			 uint32_t devid, char be[96], char fe[96])
{
	char dom[16];
	int rc = 0;

	snprintf(be, 96, "/local/domain/0/backend/%s/%u/%u", cls, domid, devid);
	snprintf(fe, 96, "/local/domain/%u/device/%s/%u", domid, cls, devid);
	snprintf(dom, sizeof(dom), "%u", domid);
	STORE_ADD(rc, out, PERM_GUEST_RO, "", "%s", be);
	STORE_ADD(rc, out, PERM_GUEST_RO, fe, "%s/frontend", be);
	STORE_ADD(rc, out, PERM_GUEST_RO, dom, "%s/frontend-id", be);
	STORE_ADD(rc, out, PERM_GUEST_RO, "1", "%s/online", be);
	STORE_ADD(rc, out, PERM_GUEST_RO, "1", "%s/state", be);
	STORE_ADD(rc, out, PERM_GUEST_RW, "", "%s", fe);
	STORE_ADD(rc, out, PERM_GUEST_RW, be, "%s/backend", fe);
	STORE_ADD(rc, out, PERM_GUEST_RW, "0", "%s/backend-id", fe);
	STORE_ADD(rc, out, PERM_GUEST_RW, "1", "%s/state", fe);
	return rc;
}

int store_entries_for(const struct store_domain *d, struct store_entries *out)
{
	static const char *const guest_dirs[] = { "data", "drivers", "feature", "attr", "error" };
	static const char *const control_rw[] = { "shutdown", "feature-poweroff", "feature-reboot",
						  "feature-suspend", "sysrq" };
	char dom[32], vm[64], num[32], num2[32];
	unsigned int id = d->domid;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(dom, sizeof(dom), "/local/domain/%u", id);
	snprintf(vm, sizeof(vm), "/vm/%s", d->uuid);
#define ADD(perm, value, ...) STORE_ADD(rc, out, perm, value, __VA_ARGS__)
	ADD(PERM_GUEST_RO, "", "%s", dom);
	snprintf(num, sizeof(num), "%u", id);
	ADD(PERM_GUEST_RO, num, "%s/domid", dom);
	ADD(PERM_GUEST_RO, d->name, "%s/name", dom);
	ADD(PERM_GUEST_RO, vm, "%s/vm", dom);
	ADD(PERM_GUEST_RO, "", "%s/cpu", dom);
	for (unsigned int k = 0; k < d->vcpus; k++) {
		ADD(PERM_GUEST_RO, "", "%s/cpu/%u", dom, k);
		ADD(PERM_GUEST_RO, "online", "%s/cpu/%u/availability", dom, k);
	}
	ADD(PERM_GUEST_RO, "", "%s/memory", dom);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)d->maxmem_kib);
	ADD(PERM_GUEST_RO, num, "%s/memory/static-max", dom);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)d->memory_kib);
	ADD(PERM_GUEST_RO, num, "%s/memory/target", dom);
	ADD(PERM_GUEST_RO, "", "%s/device", dom);
	ADD(PERM_GUEST_RO, "", "%s/control", dom);
	for (size_t i = 0; i < sizeof(control_rw) / sizeof(control_rw[0]); i++)
		ADD(PERM_GUEST_RW, "", "%s/control/%s", dom, control_rw[i]);
	ADD(PERM_GUEST_RO, "1", "%s/control/platform-feature-multiprocessor-suspend", dom);
	ADD(PERM_GUEST_RO, "1", "%s/control/platform-feature-xs_reset_watches", dom);
	for (size_t i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++)
		ADD(PERM_GUEST_RW, "", "%s/%s", dom, guest_dirs[i]);
	ADD(PERM_GUEST_RO, "", "%s/store", dom);
	snprintf(num, sizeof(num), "%u", d->store_port);
	snprintf(num2, sizeof(num2), "%llu", (unsigned long long)d->store_mfn);
	ADD(PERM_GUEST_RO, num, "%s/store/port", dom);
	ADD(PERM_GUEST_RO, num2, "%s/store/ring-ref", dom);
	ADD(PERM_GUEST_RO, "", "%s/console", dom);
	snprintf(num, sizeof(num), "%u", d->console_port);
	snprintf(num2, sizeof(num2), "%llu", (unsigned long long)d->console_mfn);
	ADD(PERM_GUEST_RO, num, "%s/console/port", dom);
	ADD(PERM_GUEST_RO, num2, "%s/console/ring-ref", dom);
	ADD(PERM_GUEST_RO, "xenconsoled", "%s/console/type", dom);
	ADD(PERM_GUEST_RO, "1048576", "%s/console/limit", dom);
	ADD(PERM_GUEST_RO, "", "%s", vm);
	ADD(PERM_GUEST_RO, d->uuid, "%s/uuid", vm);
	ADD(PERM_GUEST_RO, d->name, "%s/name", vm);
	ADD(PERM_DOM0, "", "/mica/domain/%u", id);
	ADD(PERM_DOM0, d->uuid, "/mica/domain/%u/uuid", id);
	ADD(PERM_DOM0, d->config_path ? d->config_path : "", "/mica/domain/%u/config", id);
	ADD(PERM_DOM0, dom_action_name(d->on_poweroff), "/mica/domain/%u/on_poweroff", id);
	ADD(PERM_DOM0, dom_action_name(d->on_reboot), "/mica/domain/%u/on_reboot", id);
	ADD(PERM_DOM0, dom_action_name(d->on_crash), "/mica/domain/%u/on_crash", id);
	snprintf(num, sizeof(num), "%u", id);
	ADD(PERM_DOM0, num, "/mica/name/%s", d->name);
#undef ADD
	if (rc)
		store_entries_free(out);
	return rc;
}

void store_entries_free(struct store_entries *e)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		free(e->v[i].path);
		free(e->v[i].value);
	}
	free(e->v);
	e->v = NULL;
	e->nr = 0;
}

unsigned int store_perm_strings(enum store_perm perm, uint32_t domid, char buf[2][16])
{
	switch (perm) {
	case PERM_GUEST_RW:
		snprintf(buf[0], 16, "n%u", domid);
		return 1;
	case PERM_GUEST_RO:
		snprintf(buf[0], 16, "n0");
		snprintf(buf[1], 16, "r%u", domid);
		return 2;
	default:
		snprintf(buf[0], 16, "n0");
		return 1;
	}
}

static int write_all(struct mica_xs *xs, uint32_t tx, const struct store_entries *e, uint32_t domid)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		const struct store_entry *s = &e->v[i];
		char perms[2][16];
		const char *p[2] = { perms[0], perms[1] };
		unsigned int n = store_perm_strings(s->perm, domid, perms);
		int rc;

		rc = mica_xs_write(xs, tx, s->path, s->value, strlen(s->value));
		if (!rc)
			rc = mica_xs_set_perms(xs, tx, s->path, p, n);
		if (rc)
			return rc;
	}
	return 0;
}

int store_write_entries(struct mica_xs *xs, const struct store_entries *e, uint32_t domid)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		uint32_t tx;
		int rc = mica_xs_tx_start(xs, &tx);

		if (rc)
			return rc;
		rc = write_all(xs, tx, e, domid);
		if (rc) {
			mica_xs_tx_end(xs, tx, false);
			return rc;
		}
		rc = mica_xs_tx_end(xs, tx, true);
		if (rc != -EAGAIN)
			return rc;
	}
	return -EAGAIN;
}

char *store_read_dom(struct mica_xs *xs, uint32_t domid, const char *rel)
{
	char path[128], *v = NULL;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
	if (mica_xs_read(xs, MICA_XS_NO_TX, path, &v, NULL))
		return NULL;
	return v;
}

char *store_read_private(struct mica_xs *xs, uint32_t domid, const char *rel)
{
	char path[128], *v = NULL;

	snprintf(path, sizeof(path), "/mica/domain/%u/%s", domid, rel);
	if (mica_xs_read(xs, MICA_XS_NO_TX, path, &v, NULL))
		return NULL;
	return v;
}

char *store_domain_name(struct mica_xs *xs, uint32_t domid)
{
	char *name = xs ? store_read_dom(xs, domid, "name") : NULL;

	if (!name && domid == 0)
		name = strdup("Domain-0");
	return name;
}

static int rm_quiet(struct mica_xs *xs, const char *path)
{
	int rc = mica_xs_rm(xs, MICA_XS_NO_TX, path);

	return rc == -ENOENT ? 0 : rc;
}

/*
 * Removes the backend directories of every device of domain domid, of
 * every type (/local/domain/0/backend/TYPE/domid): each backend daemon
 * lets go of the device when its directory goes.
 */
static int remove_backends(struct mica_xs *xs, uint32_t domid)
{
	char path[128], **types = NULL;
	unsigned int nr = 0;
	int rc, first = 0;

	rc = mica_xs_directory(xs, MICA_XS_NO_TX, "/local/domain/0/backend", &types, &nr);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	for (unsigned int i = 0; i < nr; i++) {
		if ((size_t)snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u", types[i],
				     domid) >= sizeof(path))
			continue;
		rc = rm_quiet(xs, path);
		first = first ? first : rc;
	}
	mica_xs_free_list(types, nr);
	return first;
}

/* Removes /mica/name/NAME if it still names domid (a newer domain may have the name now). */
static int remove_name(struct mica_xs *xs, uint32_t domid)
{
	char *name = store_read_dom(xs, domid, "name");
	char path[128];
	uint32_t holder;
	int rc = 0;

	if (name && (size_t)snprintf(path, sizeof(path), "/mica/name/%s", name) < sizeof(path) &&
	    !store_find_name(xs, name, &holder) && holder == domid)
		rc = rm_quiet(xs, path);
	free(name);
	return rc;
}

int store_find_name(struct mica_xs *xs, const char *name, uint32_t *domid)
{
	char path[128], *id, *end, *check;
	unsigned long v;
	bool same;

	if ((size_t)snprintf(path, sizeof(path), "/mica/name/%s", name) >= sizeof(path) ||
	    mica_xs_read(xs, MICA_XS_NO_TX, path, &id, NULL))
		return -ENOENT;
	errno = 0;
	v = strtoul(id, &end, 10);
	same = !errno && end != id && !*end && v < DOMID_FIRST_RESERVED;
	free(id);
	if (!same)
		return -ENOENT;
	/* Only an index: the domain's own name node has the last word. */
	check = store_read_dom(xs, (uint32_t)v, "name");
	same = check && !strcmp(check, name);
	free(check);
	if (!same)
		return -ENOENT;
	*domid = (uint32_t)v;
	return 0;
}

int store_remove_domain(struct mica_xs *xs, uint32_t domid)
{
	char path[128], *vm;
	int rc, first = 0;

	first = remove_name(xs, domid);
	vm = store_read_dom(xs, domid, "vm");
	if (vm && !strncmp(vm, "/vm/", 4) && strlen(vm) < 64) {
		rc = rm_quiet(xs, vm);
		first = first ? first : rc;
	}
	free(vm);
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	rc = rm_quiet(xs, path);
	first = first ? first : rc;
	rc = remove_backends(xs, domid);
	first = first ? first : rc;
	snprintf(path, sizeof(path), "/mica/domain/%u", domid);
	rc = rm_quiet(xs, path);
	return first ? first : rc;
}
