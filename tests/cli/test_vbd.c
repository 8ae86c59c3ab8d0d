/*
 * A guest's disks in the store (dom0-tools/mica/vbd.c): device numbers of
 * guest device names, and the entries of both ends of a disk.
 */
/* tool-sources: dom0-tools/mica/vbd.c dom0-tools/mica/store.c */
/* tool-sources: dom0-tools/mica/config.c dom0-tools/mica/domcfg.c dom0-tools/mica/devspec.c */
/* tool-sources: tests/cli/fake.c hypercall/libmica/xs_msg.c */
#include "check.h"

#include <errno.h>
#include <stdlib.h>

#include "vbd.h"

static void device_numbers(void)
{
	CHECK_EQ(vbd_devid("xvda"), 51712);
	CHECK_EQ(vbd_devid("xvdb"), 51728);
	CHECK_EQ(vbd_devid("xvda1"), 51713);
	CHECK_EQ(vbd_devid("xvdp15"), (202 << 8) | (15 << 4) | 15);
	CHECK_EQ(vbd_devid("xvdq"), (1 << 28) | (16 << 8));
	CHECK_EQ(vbd_devid("xvdaa"), (1 << 28) | (26 << 8));
	CHECK_EQ(vbd_devid("xvda16"), (1 << 28) | 16);
	CHECK_EQ(vbd_devid("sda"), 2048);
	CHECK_EQ(vbd_devid("sdb2"), 2048 + 16 + 2);
	CHECK_EQ(vbd_devid("hda"), 768);
	CHECK_EQ(vbd_devid("hdb"), 768 + 64);
	CHECK_EQ(vbd_devid("hdc"), 22 << 8);
	CHECK_EQ(vbd_devid("51712"), 51712);
	CHECK_EQ(vbd_devid("xvd"), -EINVAL);
	CHECK_EQ(vbd_devid("xvdA"), -EINVAL);
	CHECK_EQ(vbd_devid("xvda0"), -EINVAL);
	CHECK_EQ(vbd_devid("hde"), -EINVAL);
	CHECK_EQ(vbd_devid("vda"), -EINVAL);
	CHECK_EQ(vbd_devid("12x"), -EINVAL);
	CHECK_EQ(vbd_devid(""), -EINVAL);
}

static const char *value_of(const struct store_entries *e, const char *path, enum store_perm *perm)
{
	for (unsigned int i = 0; i < e->nr; i++) {
		if (!strcmp(e->v[i].path, path)) {
			if (perm)
				*perm = e->v[i].perm;
			return e->v[i].value;
		}
	}
	return NULL;
}

#define BE "/local/domain/0/backend/vbd/3/51728"
#define FE "/local/domain/3/device/vbd/51728"

static void both_ends(void)
{
	struct disk_spec d = { .target = "/srv/b.img", .format = "raw", .vdev = "xvdb",
			       .readonly = true };
	struct store_entries e;
	enum store_perm perm;
	const char *v;

	REQUIRE_EQ(vbd_entries_for(3, &d, 51728, false, &e), 0);
	v = value_of(&e, BE "/frontend", &perm);
	CHECK(v && !strcmp(v, FE));
	CHECK_EQ(perm, PERM_GUEST_RO);
	v = value_of(&e, BE "/params", NULL);
	CHECK(v && !strcmp(v, "/srv/b.img"));
	v = value_of(&e, BE "/mode", NULL);
	CHECK(v && !strcmp(v, "r"));
	v = value_of(&e, BE "/type", NULL);
	CHECK(v && !strcmp(v, "file"));
	v = value_of(&e, BE "/state", NULL);
	CHECK(v && !strcmp(v, "1"));
	v = value_of(&e, BE "/online", NULL);
	CHECK(v && !strcmp(v, "1"));
	v = value_of(&e, FE "/backend", &perm);
	CHECK(v && !strcmp(v, BE));
	CHECK_EQ(perm, PERM_GUEST_RW);
	v = value_of(&e, FE "/virtual-device", NULL);
	CHECK(v && !strcmp(v, "51728"));
	v = value_of(&e, FE "/backend-id", NULL);
	CHECK(v && !strcmp(v, "0"));
	/* Parents come before their children. */
	CHECK(!strcmp(e.v[0].path, BE));
	for (unsigned int i = 1; i < e.nr; i++)
		CHECK_MSG(strncmp(e.v[i].path, FE "/", strlen(FE) + 1) ||
			  value_of(&e, FE, NULL), "%s before its directory", e.v[i].path);
	store_entries_free(&e);
	d.readonly = false;
	REQUIRE_EQ(vbd_entries_for(3, &d, 51728, true, &e), 0);
	v = value_of(&e, BE "/mode", NULL);
	CHECK(v && !strcmp(v, "w"));
	v = value_of(&e, BE "/type", NULL);
	CHECK(v && !strcmp(v, "phy"));
	store_entries_free(&e);
}

int main(void)
{
	RUN(device_numbers);
	RUN(both_ends);
	return check_done();
}
