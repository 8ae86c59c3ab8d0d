/*
 * A fake of libmica's API (libmica.h) for the CLI's host tests: an
 * in-memory hypervisor (domains, machine frames, foreign mappings, pinning,
 * vCPU contexts, event channels, grants, the log) and an in-memory store
 * (nodes with permissions, transactions, introduce/release, watches). The
 * tests drive `mica_main` against it and then look inside.
 *
 * Foreign mappings copy the frames into a buffer and back on unmap, so a
 * test sees exactly what the builder wrote by the time it unmapped.
 */
#ifndef CLI_FAKE_H
#define CLI_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "libmica.h"

#define FAKE_MAX_DOMAINS 16
#define FAKE_MAX_MFNS (1u << 18)      /* 1 GiB of machine memory */
#define FAKE_MAX_NODES 4096

struct fake_domain {
	bool exists;
	uint32_t id;
	uint32_t flags;                 /* XEN_DOMINF_* */
	uint64_t tot_pages, max_pages;
	uint32_t max_vcpus;
	uint64_t shared_info_mfn;
	unsigned int pause_count;
	bool ctx_set[8];
	struct vcpu_guest_context ctx[8];
	uint64_t pinned_l4;             /* 0: none */
	uint32_t next_port;
	uint64_t grant_console_mfn, grant_store_mfn;
	bool grants_seeded;
	uint64_t hypercall_mfn;
	uint64_t cpu_time;
	uint8_t handle[16];
};

struct fake_node {
	char *path, *value;
	char perms[64];                 /* "n0,r3" */
};

struct fake {
	/* The hypervisor. */
	struct fake_domain dom[FAKE_MAX_DOMAINS];
	uint32_t next_domid;
	unsigned char *frame[FAKE_MAX_MFNS];  /* NULL: an all-zero frame */
	int16_t owner[FAKE_MAX_MFNS];         /* -1 free */
	uint64_t next_mfn;
	uint64_t total_pages, free_pages;
	bool no_privcmd;                      /* mica_open fails as outside dom0 */
	bool vcpuinfo_enosys;
	const char *log;                      /* the hypervisor's console ring */
	bool log_cleared;
	int fail_populate_after;              /* -1: never; else extents given before it runs dry */
	unsigned int live_maps;               /* foreign mappings not yet undone */
	unsigned int destroyed;               /* destroydomain calls that removed a domain */
	int shutdown_after_polls;             /* shutdown -w: domain 'powers off' after N infos */
	int zombie_destroys;                  /* this many destroys leave the domain dying */
	/* The store. */
	struct fake_node node[FAKE_MAX_NODES];
	unsigned int nr_nodes;
	bool no_store;                        /* mica_xs_open fails */
	int tx_conflicts;                     /* this many tx_end(commit) answer -EAGAIN */
	unsigned int tx_started, tx_committed;
	uint32_t introduced_dom, introduced_port;
	uint64_t introduced_mfn;
	unsigned int introduces, releases;
	char watches[8][64];
	unsigned int nr_watches;
};

extern struct fake fake;

/* Resets everything: dom0 exists (id 0, 512 MiB), mem_mib of machine memory is free. */
void fake_reset(uint64_t mem_mib);

/* Adds a running domain with a name in the store; returns its id. */
uint32_t fake_add_domain(const char *name, uint64_t mib, unsigned int vcpus);

struct fake_domain *fake_domain(uint32_t id);

/* A frame's bytes (allocated on first use). */
unsigned char *fake_frame(uint64_t mfn);

/* The value of a store node, or NULL; its permissions in *perms (may be NULL). */
const char *fake_store_get(const char *path, const char **perms);
void fake_store_set(const char *path, const char *value);

#endif
