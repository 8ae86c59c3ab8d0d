/* A guest's network interfaces in the store (pure; see vif.h). */
#include "vif.h"

#include <stdio.h>

int vif_entries_for(const struct vif_entry *v, struct store_entries *out)
{
	char be[96], fe[96], num[16];
	int rc = store_device_entries(out, "vif", v->domid, v->devid, be, fe);

	snprintf(num, sizeof(num), "%u", v->devid);
	STORE_ADD(rc, out, PERM_GUEST_RO, num, "%s/handle", be);
	STORE_ADD(rc, out, PERM_GUEST_RO, v->mac, "%s/mac", be);
	if (v->bridge)
		STORE_ADD(rc, out, PERM_GUEST_RO, v->bridge, "%s/bridge", be);
	STORE_ADD(rc, out, PERM_GUEST_RW, num, "%s/handle", fe);
	STORE_ADD(rc, out, PERM_GUEST_RW, v->mac, "%s/mac", fe);
	return rc;
}
