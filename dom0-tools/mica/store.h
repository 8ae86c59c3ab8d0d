/*
 * The store nodes of a domain: what `mica create` writes for a new one
 * (pure: store_entries_for, host-tested), writing them in one
 * transaction, removing them when the domain goes, and finding domains by
 * name.
 *
 * The tree follows libxl's, so Linux's drivers and Debian's tools find
 * what they expect:
 *
 *   /local/domain/N/{domid,name,vm}            read-only to the guest
 *   /local/domain/N/cpu/K/availability         "online"
 *   /local/domain/N/memory/{static-max,target} KiB
 *   /local/domain/N/control/shutdown           the guest's to clear ("poweroff", "reboot")
 *   /local/domain/N/control/feature-*, sysrq   the guest's to write
 *   /local/domain/N/{data,drivers,feature,attr,error}  the guest's
 *   /local/domain/N/store/{port,ring-ref}      the guest's store ring (MFN)
 *   /local/domain/N/console/{port,ring-ref,type,limit}  its console ring
 *   /vm/UUID/{uuid,name}
 *   /mica/domain/N/{uuid,config,on_poweroff,on_reboot,on_crash}  dom0 only
 *   /mica/name/NAME                            N: finds a domain by name (dom0 only)
 *   /local/domain/N/device/vbd/DEV and /local/domain/0/backend/vbd/N/DEV
 *                                              each disk's two ends (vbd.h)
 *   /local/domain/N/device/vif/K and /local/domain/0/backend/vif/N/K
 *                                              each network interface's (vif.h)
 *
 *   /local/domain/N/device/vif/K/{backend,backend-id,state,handle,mac}  the guest's
 *   /local/domain/0/backend/vif/N/K/{frontend,frontend-id,online,state,
 *                                    handle,mac,bridge}   read-only to the guest
 *
 * Read-only nodes are owned by dom0 with read access for the guest
 * ("n0" "rN"); the guest's own are owned by it ("nN"); mica's private
 * ones by dom0 alone ("n0").
 */
#ifndef MICA_STORE_H
#define MICA_STORE_H

#include <stdint.h>

#include "config.h"

struct mica_xs;

enum store_perm { PERM_GUEST_RO, PERM_GUEST_RW, PERM_DOM0 };

struct store_entry {
	char *path;
	char *value;
	enum store_perm perm;
};

struct store_entries {
	struct store_entry *v;
	unsigned int nr;
};

/* Everything the entries say about a new domain. */
struct store_domain {
	uint32_t domid;
	const char *name;
	const char *uuid;           /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
	uint64_t memory_kib, maxmem_kib;
	unsigned int vcpus;
	uint64_t store_mfn, console_mfn;
	uint32_t store_port, console_port;
	const char *config_path;    /* absolute, for restarts; may be NULL */
	enum dom_action on_poweroff, on_reboot, on_crash;
};

/* Appends one entry (path printf-style); 0 or -ENOMEM. */
int store_entry_add(struct store_entries *e, enum store_perm perm, const char *value,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends an entry to out unless rc already holds an error: for runs of entries. */
#define STORE_ADD(rc, out, perm, value, ...)                                   \
	do {                                                                   \
		if (!(rc))                                                     \
			(rc) = store_entry_add(out, perm, value, __VA_ARGS__); \
	} while (0)

/*
 * Appends the nodes every split device has, both ends, parents first: the
 * backend's directory /local/domain/0/backend/CLS/DOMID/DEVID (path into
 * be, 96 bytes) with frontend, frontend-id, online 1 and state 1, read-only
 * to the guest; the frontend's /local/domain/DOMID/device/CLS/DEVID (into
 * fe) with backend, backend-id 0 and state 1, the guest's. The class's own
 * nodes go after them. 0 or -ENOMEM.
 */
int store_device_entries(struct store_entries *out, const char *cls, uint32_t domid,
			 uint32_t devid, char be[96], char fe[96]);

/* The entries for d, in the order they are written (parents first). 0 or -ENOMEM. */
int store_entries_for(const struct store_domain *d, struct store_entries *out);
void store_entries_free(struct store_entries *e);

/* The permission strings of perm for domain domid, into buf; returns how many (1 or 2). */
unsigned int store_perm_strings(enum store_perm perm, uint32_t domid, char buf[2][16]);

/* Writes every entry with its permissions in one transaction, redone on conflict. */
int store_write_entries(struct mica_xs *xs, const struct store_entries *e, uint32_t domid);

/*
 * Removes a domain's nodes (/local/domain/N, /vm/UUID, /mica/domain/N and
 * its devices' /local/domain/0/backend/TYPE/N of every type); missing ones
 * are fine.
 */
int store_remove_domain(struct mica_xs *xs, uint32_t domid);

/*
 * The domain called name, through the index /mica/name/NAME that create
 * writes (one read, whatever the number of domains), checked against the
 * domain's own /local/domain/N/name. 0 and *domid, or -ENOENT. Whether
 * the domain still exists is the caller's question (getdomaininfo).
 */
int store_find_name(struct mica_xs *xs, const char *name, uint32_t *domid);

/* The name in /local/domain/N/name (malloc'd), "Domain-0" for dom0 without one, else NULL. */
char *store_domain_name(struct mica_xs *xs, uint32_t domid);

/* Reads /local/domain/N/<rel> or /mica/domain/N/<rel> (private); malloc'd or NULL. */
char *store_read_dom(struct mica_xs *xs, uint32_t domid, const char *rel);
char *store_read_private(struct mica_xs *xs, uint32_t domid, const char *rel);

#endif
