/* What common/domctl.c shares with the rest of the hypervisor (sysctl). */
#ifndef MICA_DOMCTL_H
#define MICA_DOMCTL_H

struct domain;
struct xen_domctl_getdomaininfo;

/*
 * Fills info with d's state in Xen 4.17's getdomaininfo layout: flags
 * (dying, shutdown and its reason, paused, blocked when every online vCPU
 * is, running when one is on a CPU), pages, shared_info frame, CPU time,
 * vCPU counts, handle. A snapshot: d may change meanwhile. Any caller
 * holding a reference to d.
 */
void domain_info(struct domain *d, struct xen_domctl_getdomaininfo *info);

#endif
