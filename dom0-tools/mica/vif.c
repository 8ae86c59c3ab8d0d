/* A guest's network interfaces in the store (pure; see vif.h). */
#include "vif.h"

#include <stdio.h>

int vif_entries_for(const struct vif_entry *v, struct store_entries *out)
{
	char fe[64], be[64], num[16], dom[16];
	int rc = 0;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", v->domid, v->devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/vif/%u/%u", v->domid, v->devid);
	snprintf(num, sizeof(num), "%u", v->devid);
	snprintf(dom, sizeof(dom), "%u", v->domid);
#define ADD(perm, value, ...)                                  \
	do {                                                   \
		if (!rc)                                       \
			rc = store_entry_add(out, perm, value, __VA_ARGS__); \
	} while (0)
	ADD(PERM_GUEST_RO, "", "%s", be);
	ADD(PERM_GUEST_RO, fe, "%s/frontend", be);
	ADD(PERM_GUEST_RO, dom, "%s/frontend-id", be);
	ADD(PERM_GUEST_RO, "1", "%s/online", be);
	ADD(PERM_GUEST_RO, "1", "%s/state", be);
	ADD(PERM_GUEST_RO, num, "%s/handle", be);
	ADD(PERM_GUEST_RO, v->mac, "%s/mac", be);
	if (v->bridge)
		ADD(PERM_GUEST_RO, v->bridge, "%s/bridge", be);
	ADD(PERM_GUEST_RW, "", "%s", fe);
	ADD(PERM_GUEST_RW, be, "%s/backend", fe);
	ADD(PERM_GUEST_RW, "0", "%s/backend-id", fe);
	ADD(PERM_GUEST_RW, "1", "%s/state", fe);
	ADD(PERM_GUEST_RW, num, "%s/handle", fe);
	ADD(PERM_GUEST_RW, v->mac, "%s/mac", fe);
#undef ADD
	return rc;
}
