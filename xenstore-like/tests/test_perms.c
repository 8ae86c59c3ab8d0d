/* mica-store: permissions and ownership as Xen defines them, over the wire protocol. */
#include "harness.h"

#include "perms.h"

/* dom0 makes /local/domain/<id> owned by the domain, as a toolstack does, and introduces it. */
static struct hclient *guest(struct hclient *d0, unsigned domid)
{
	char home[32], perm[16];

	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	snprintf(perm, sizeof(perm), "n%u", domid);
	REQUIRE(h_call(d0, XS_MKDIR, 0, home, NULL) == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, home, perm, NULL) == 0);
	REQUIRE(h_introduce(d0, domid) == 0);
	return h_client(domid);
}

static void defaults_and_dom0(void)
{
	struct hclient *d0, *d1;

	h_init();
	d0 = h_client(0);
	d1 = guest(d0, 1);
	CHECK_STR(h_perms(d0, "/"), "n0");
	CHECK_EQ(h_write(d0, "/tool/secret", "s"), 0);
	CHECK_STR(h_perms(d0, "/tool/secret"), "n0"); /* inherited from / */
	CHECK_STR(h_value(d1, 0, "/tool/secret"), "<EACCES>");
	CHECK_EQ(h_write(d1, "/tool/secret", "x"), -EACCES);
	CHECK_EQ(h_write(d1, "/tool/new", "x"), -EACCES);
	CHECK_EQ(h_call(d1, XS_RM, 0, "/tool/secret", NULL), -EACCES);
	CHECK_STR(h_dir(d1, 0, "/tool"), "<EACCES>");
	CHECK_STR(h_perms(d1, "/tool"), "<EACCES>");
	/* dom0 can do anything, whatever the permissions say. */
	CHECK_EQ(h_write(d0, "/local/domain/1/x", "y"), 0);
	CHECK_STR(h_value(d0, 0, "/local/domain/1/x"), "y");
	h_fini();
}

static void enoent_does_not_leak(void)
{
	struct hclient *d0, *d1;

	h_init();
	d0 = h_client(0);
	d1 = guest(d0, 1);
	REQUIRE(h_write(d0, "/hidden/a", "1") == 0);
	/* A missing node below an unreadable one looks like an unreadable one. */
	CHECK_STR(h_value(d1, 0, "/hidden/zzz"), "<EACCES>");
	CHECK_STR(h_value(d1, 0, "/hidden/zzz/deeper"), "<EACCES>");
	/* Below a readable one, ENOENT. */
	CHECK_STR(h_value(d1, 0, "/local/domain/1/none"), "<ENOENT>");
	CHECK_STR(h_value(d0, 0, "/hidden/zzz"), "<ENOENT>");
	h_fini();
}

static void owner_and_entries(void)
{
	struct hclient *d0, *d1, *d2, *d3;

	h_init();
	d0 = h_client(0);
	d1 = guest(d0, 1);
	d2 = guest(d0, 2);
	d3 = guest(d0, 3);
	REQUIRE(h_write(d0, "/shared", "v") == 0);
	/* Owner 1, others read-only by default, 2 may write only, 3 nothing. */
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/shared", "r1", "w2", "n3", NULL), 0);
	CHECK_STR(h_perms(d0, "/shared"), "r1,w2,n3");
	CHECK_STR(h_value(d1, 0, "/shared"), "v");           /* owner */
	CHECK_EQ(h_write(d1, "/shared", "by1"), 0);
	CHECK_STR(h_value(d2, 0, "/shared"), "<EACCES>");    /* write only */
	CHECK_EQ(h_write(d2, "/shared", "by2"), 0);
	CHECK_STR(h_value(d3, 0, "/shared"), "<EACCES>");
	CHECK_EQ(h_write(d3, "/shared", "by3"), -EACCES);
	/* The first matching entry wins. */
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/shared", "n1", "b3", "n3", NULL), 0);
	CHECK_STR(h_value(d3, 0, "/shared"), "by2");
	/* Only the owner (or dom0) may change permissions. */
	CHECK_EQ(h_call(d3, XS_SET_PERMS, 0, "/shared", "b3", NULL), -EACCES);
	CHECK_EQ(h_call(d1, XS_SET_PERMS, 0, "/shared", "n1", "r2", NULL), 0);
	/* ... but an unprivileged owner cannot give the node away. */
	CHECK_EQ(h_call(d1, XS_SET_PERMS, 0, "/shared", "n2", NULL), -EACCES);
	CHECK_STR(h_perms(d1, "/shared"), "n1,r2");
	h_fini();
}

static void inheritance_and_creator_owns(void)
{
	struct hclient *d0, *d4;

	h_init();
	d0 = h_client(0);
	d4 = guest(d0, 4);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/local/domain/4", "n4", "r0", "r7", NULL) == 0);
	CHECK_EQ(h_write(d4, "data/a/b", "1"), 0);
	/* The guest's nodes take the parent's permissions, with the guest as owner. */
	CHECK_STR(h_perms(d0, "/local/domain/4/data/a/b"), "n4,r0,r7");
	/* dom0's nodes inherit the parent's owner unchanged. */
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/local/domain/4/data", "b9", NULL) == 0);
	CHECK_EQ(h_write(d0, "/local/domain/4/data/by0", "x"), 0);
	CHECK_STR(h_perms(d0, "/local/domain/4/data/by0"), "b9");
	/* Domain 4 is not the owner of data any more, but "b9" lets everybody write. */
	CHECK_EQ(h_write(d4, "data/mine", "x"), 0);
	CHECK_STR(h_perms(d0, "/local/domain/4/data/mine"), "b4");
	CHECK_EQ(h_st.special[0].nperms, 1);
	h_fini();
}

static void bad_permission_strings(void)
{
	struct xs_perm p;
	struct hclient *d0;

	h_init();
	d0 = h_client(0);
	REQUIRE(h_write(d0, "/p", "") == 0);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/p", "x1", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/p", "r", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/p", "r65536", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/p", "r-1", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/p", NULL), -EINVAL);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/none", "r0", NULL), -ENOENT);
	CHECK(perm_parse("b65535", &p));
	CHECK_EQ(p.domid, 65535);
	CHECK_EQ(p.access, PERM_BOTH);
	/* Many entries (more than fit the fixed argument split). */
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "/p", "n0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
			"r8", "r9", "w10", NULL), 0);
	CHECK_STR(h_perms(d0, "/p"), "n0,r1,r2,r3,r4,r5,r6,r7,r8,r9,w10");
	h_fini();
}

static void stale_after_release(void)
{
	struct hclient *d0, *d6, *d6b;

	h_init();
	d0 = h_client(0);
	d6 = guest(d0, 6);
	REQUIRE(h_write(d0, "/backend/vbd/6", "") == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/backend/vbd/6", "n0", "r6", NULL) == 0);
	CHECK_STR(h_value(d6, 0, "/backend/vbd/6"), "");
	CHECK_EQ(h_write(d6, "data/k", "v"), 0);
	CHECK_EQ(h_st.dom[0][6]->nodes, 3); /* home, data, data/k */
	/* The domain goes away; its domid is reused by a new domain. */
	CHECK_EQ(h_release(d0, 6), 0);
	CHECK(domain_find(&h_st, 6) == NULL);
	CHECK(d6->c->dead);
	d6b = guest(d0, 6);
	/* Rights granted to the old domain 6 are gone... */
	CHECK_STR(h_value(d6b, 0, "/backend/vbd/6"), "<EACCES>");
	CHECK_STR(h_perms(d0, "/backend/vbd/6"), "n0");
	/* ... its old nodes count as dom0's, not the new domain's ... */
	CHECK_STR(h_perms(d0, "/local/domain/6/data/k"), "n0");
	CHECK_EQ(h_st.dom[0][6]->nodes, 1); /* only the new home */
	/* ... and new grants work. */
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/backend/vbd/6", "n0", "r6", NULL) == 0);
	CHECK_STR(h_value(d6b, 0, "/backend/vbd/6"), "");
	h_fini();
}

static void stale_entries_not_inherited(void)
{
	struct hclient *d0, *d8;

	h_init();
	d0 = h_client(0);
	guest(d0, 8);
	REQUIRE(h_write(d0, "/dir", "") == 0);
	REQUIRE(h_call(d0, XS_SET_PERMS, 0, "/dir", "n0", "b8", NULL) == 0);
	REQUIRE(h_release(d0, 8) == 0);
	d8 = guest(d0, 8);
	/* A child made now must not revive the old domain 8's entry. */
	REQUIRE(h_write(d0, "/dir/child", "") == 0);
	CHECK_STR(h_perms(d0, "/dir/child"), "n0");
	CHECK_STR(h_value(d8, 0, "/dir/child"), "<EACCES>");
	h_fini();
}

static void special_paths(void)
{
	struct hclient *d0, *d2;

	h_init();
	d0 = h_client(0);
	d2 = guest(d0, 2);
	CHECK_STR(h_perms(d0, "@releaseDomain"), "n0");
	CHECK_STR(h_perms(d2, "@releaseDomain"), "<EACCES>");
	CHECK_STR(h_perms(d0, "@nosuch"), "<ENOENT>");
	CHECK_EQ(h_call(d2, XS_SET_PERMS, 0, "@releaseDomain", "r2", NULL), -EACCES);
	CHECK_EQ(h_call(d0, XS_SET_PERMS, 0, "@releaseDomain", "n0", "r2", NULL), 0);
	CHECK_STR(h_perms(d2, "@releaseDomain"), "n0,r2");
	h_fini();
}

static void target_domain(void)
{
	struct hclient *d0, *d3, *stub;

	h_init();
	d0 = h_client(0);
	d3 = guest(d0, 3);
	stub = guest(d0, 9);
	REQUIRE(h_write(d3, "data/x", "mine") == 0);
	CHECK_STR(h_value(stub, 0, "/local/domain/3/data/x"), "<EACCES>");
	/* Domain 9 (a device model) acts for domain 3. */
	CHECK_EQ(h_call(stub, XS_SET_TARGET, 0, "9", "3", NULL), -EACCES);
	CHECK_EQ(h_call(d0, XS_SET_TARGET, 0, "9", "3", NULL), 0);
	CHECK_EQ(h_call(d0, XS_SET_TARGET, 0, "44", "3", NULL), -ENOENT);
	CHECK_STR(h_value(stub, 0, "/local/domain/3/data/x"), "mine");
	CHECK_EQ(h_write(stub, "/local/domain/3/data/x", "dm"), 0);
	h_fini();
}

static void access_function(void)
{
	struct xs_perm p[3] = { { 5, PERM_READ }, { 7, PERM_NONE }, { 8, PERM_WRITE } };
	struct perm_subject s = { 7, -1, false };
	struct store *st;

	h_init();
	st = &h_st;
	REQUIRE(domain_get(st, 5) && domain_get(st, 7) && domain_get(st, 8));
	CHECK_EQ(perms_access(p, 3, st->gen, &s, domain_live, st), PERM_NONE);
	s.domid = 5;
	CHECK_EQ(perms_access(p, 3, st->gen, &s, domain_live, st),
		 PERM_READ | PERM_WRITE | PERM_OWNER);
	s.domid = 8;
	CHECK_EQ(perms_access(p, 3, st->gen, &s, domain_live, st), PERM_WRITE);
	s.domid = 99;
	CHECK_EQ(perms_access(p, 3, st->gen, &s, domain_live, st), PERM_READ);
	s.target = 8;
	CHECK_EQ(perms_access(p, 3, st->gen, &s, domain_live, st), PERM_WRITE);
	s.privileged = true;
	CHECK_EQ(perms_access(p, 3, st->gen, &s, domain_live, st),
		 PERM_READ | PERM_WRITE | PERM_OWNER);
	/* Entries set before a domain's record was made are stale. */
	s = (struct perm_subject){ 8, -1, false };
	/* The owner counts as dom0, entry 8 is ignored: the default applies. */
	CHECK_EQ(perms_access(p, 3, 0, &s, domain_live, st), PERM_READ);
	h_fini();
}

int main(void)
{
	RUN(defaults_and_dom0);
	RUN(enoent_does_not_leak);
	RUN(owner_and_entries);
	RUN(inheritance_and_creator_owns);
	RUN(bad_permission_strings);
	RUN(stale_after_release);
	RUN(stale_entries_not_inherited);
	RUN(special_paths);
	RUN(target_domain);
	RUN(access_function);
	return check_done();
}
