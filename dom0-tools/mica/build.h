/*
 * The PV domain builder in dom0: from a configuration to a paused domain
 * whose vCPU 0 is ready to enter the kernel (pv-abi-notes 4.5, the
 * sequence libxc follows). Store entries, the introduction to the store
 * and the unpause are the caller's (cmd_create.c).
 *
 * build_prepare does everything that needs no hypervisor: read and check
 * the kernel and ramdisk, lay the domain out. build_domain then makes the
 * domain; if any step fails it destroys what it made, so a failed build
 * leaves nothing behind.
 */
#ifndef MICA_BUILD_H
#define MICA_BUILD_H

#include <stdint.h>

#include "config.h"
#include "image.h"
#include "layout.h"

struct mica;

struct build_plan {
	struct kernel_image kernel;
	unsigned char *ramdisk;     /* NULL: none */
	size_t ramdisk_size;
	uint64_t nr_pages;          /* memory, in pages */
	uint64_t max_kib;           /* max_mem for the hypervisor */
	struct domu_layout layout;
	uint8_t handle[16];         /* the domain's UUID */
	char uuid[37];
};

/* Extra KiB of max_mem over maxmem, as libxl adds (LIBXL_MAXMEM_CONSTANT). */
#define BUILD_MAXMEM_SLACK_KIB 1024

/*
 * Reads the kernel and ramdisk of cfg and lays the domain out. Problems go
 * to errors as "FILE:LINE: KEY: ..." (a kernel file that is missing or not
 * a PV kernel, memory too small for it). Returns 0 or -errno; the plan is
 * freed by build_plan_free either way.
 */
int build_prepare(const struct domcfg *cfg, struct build_plan *p, struct msgs *errors);
void build_plan_free(struct build_plan *p);

/* What build_domain made. */
struct built {
	uint32_t domid;
	uint64_t shared_info_mfn;
	uint64_t store_mfn, console_mfn;
	uint32_t store_port, console_port;  /* the guest's ports, unbound, for dom0 */
	uint64_t l4_mfn;
};

/*
 * Creates the domain of cfg from plan p and leaves it paused, ready to
 * run. Returns 0, or -errno with the problem in errors (the half-made
 * domain is destroyed).
 */
int build_domain(struct mica *m, const struct domcfg *cfg, const struct build_plan *p,
		 struct built *out, struct msgs *errors);

#endif
