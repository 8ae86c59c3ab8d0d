/*
 * mica-store: the domain requests (INTRODUCE, RELEASE, RESUME, SET_TARGET,
 * GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED) and CONTROL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "ops.h"
#include "path.h"
#include "util.h"
#include "watch.h"

int op_introduce(struct conn *c, const struct xsd_sockmsg *h, const struct args *a)
{
	struct store *st = c->st;
	unsigned long long mfn, port;
	struct domain *d;
	unsigned domid;
	int rc;

	if (!c->privileged)
		return -EACCES;
	if (a->n < 3 || !ops_domid(a->v[0], &domid) || !parse_uint(a->v[1], ~0ULL, &mfn) ||
	    !parse_uint(a->v[2], 0xffffffffULL, &port))
		return -EINVAL;
	if (domid == 0 || domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	d = domain_get(st, domid);
	if (!d)
		return -ENOMEM;
	if (d->introduced) {
		if (d->mfn != mfn || d->port != port)
			return -EEXIST;
		ops_reply_ok(c, h); /* the same introduction again: nothing to do */
		return 0;
	}
	d->mfn = mfn;
	d->port = (unsigned)port;
	if (st->hooks.introduce) {
		rc = st->hooks.introduce(st->hooks.ctx, d);
		if (rc) {
			log_error("domain %u: introduction failed: cannot connect to its ring "
				  "(frame %#llx, event channel %llu): %s", domid, mfn, port,
				  strerror(-rc));
			return rc;
		}
	}
	d->introduced = true;
	log_info("domain %u introduced (store ring frame %#llx, event channel %llu%s)", domid,
		 mfn, port, d->conn ? "" : "; no ring transport, so no connection");
	watch_fire_special(st, SPECIAL_INTRODUCE);
	ops_reply_ok(c, h);
	return 0;
}

int op_release(struct conn *c, const struct xsd_sockmsg *h, const struct args *a)
{
	struct store *st = c->st;
	struct domain *d;
	unsigned domid;

	if (!c->privileged)
		return -EACCES;
	if (a->n < 1 || !ops_domid(a->v[0], &domid) || domid == 0)
		return -EINVAL;
	d = domain_find(st, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	while (d->conns)
		conn_close(d->conns);
	if (st->hooks.release)
		st->hooks.release(st->hooks.ctx, d);
	log_info("domain %u released", domid);
	watch_fire_special(st, SPECIAL_RELEASE);
	/* Permissions naming this domid are stale from now on (perms.h). */
	domain_forget(st, d);
	ops_reply_ok(c, h);
	return 0;
}

int op_resume(struct conn *c, const struct xsd_sockmsg *h, const struct args *a)
{
	struct domain *d;
	unsigned domid;

	if (!c->privileged)
		return -EACCES;
	if (a->n < 1 || !ops_domid(a->v[0], &domid))
		return -EINVAL;
	d = domain_find(c->st, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	ops_reply_ok(c, h);
	return 0;
}

int op_set_target(struct conn *c, const struct xsd_sockmsg *h, const struct args *a)
{
	struct domain *d;
	unsigned domid, target;

	if (!c->privileged)
		return -EACCES;
	if (a->n < 2 || !ops_domid(a->v[0], &domid) || !ops_domid(a->v[1], &target))
		return -EINVAL;
	d = domain_find(c->st, domid);
	if (!d || !d->introduced)
		return -ENOENT;
	d->target = (int)target;
	ops_reply_ok(c, h);
	return 0;
}

int op_get_domain_path(struct conn *c, const struct xsd_sockmsg *h, const struct args *a)
{
	char home[32];
	unsigned domid;

	if (a->n < 1 || !ops_domid(a->v[0], &domid))
		return -EINVAL;
	path_home(domid, home, sizeof(home));
	ops_reply_str(c, h, home);
	return 0;
}

int op_is_introduced(struct conn *c, const struct xsd_sockmsg *h, const struct args *a)
{
	struct domain *d;
	unsigned domid;

	if (a->n < 1 || !ops_domid(a->v[0], &domid))
		return -EINVAL;
	d = domain_find(c->st, domid);
	ops_reply_str(c, h, domid == 0 || (d && d->introduced) ? "T" : "F");
	return 0;
}

/* ---- CONTROL ---- */

static int ctl_help(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		    struct strbuf *out);
static int ctl_check(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		     struct strbuf *out)
{
	char msg[256];
	int rc = store_check(c->st, msg, sizeof(msg));

	(void)h;
	(void)a;
	if (rc)
		sb_printf(out, "FAILED: %s", msg);
	else
		sb_printf(out, "OK");
	return 0;
}

static int ctl_log(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		   struct strbuf *out)
{
	(void)h;
	if (a->n < 2) {
		sb_printf(out, "request logging is %s", c->st->log_requests ? "on" : "off");
		return 0;
	}
	if (!strcmp(a->v[1], "on"))
		c->st->log_requests = true;
	else if (!strcmp(a->v[1], "off"))
		c->st->log_requests = false;
	else
		return -EINVAL;
	sb_printf(out, "OK");
	return 0;
}

static int ctl_logfile(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		       struct strbuf *out)
{
	int rc;

	(void)h;
	if (a->n < 2 || !a->len[1])
		return -EINVAL;
	rc = log_open(a->v[1], false);
	if (rc) {
		log_warn("%s: CONTROL logfile %s: %s", c->name, a->v[1], strerror(-rc));
		return rc;
	}
	sb_printf(out, "OK");
	return 0;
}

static int ctl_quota(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		     struct strbuf *out)
{
	struct store *st = c->st;
	struct domain *d;
	unsigned domid;

	(void)h;
	if (a->n < 2) {
		for (unsigned i = 0; i < quota_count; i++)
			sb_printf(out, "%-18s %8u  %s\n", quota_names[i].name,
				  *(unsigned *)((char *)&st->quota + quota_names[i].offset),
				  quota_names[i].what);
		return 0;
	}
	if (!ops_domid(a->v[1], &domid))
		return -EINVAL;
	d = domain_find(st, domid);
	if (!d)
		return -ENOENT;
	sb_printf(out, "domain %u%s\n", domid, domid ? "" : " (privileged: no quotas apply)");
	sb_printf(out, "nodes %u/%u\n", d->nodes, st->quota.nodes);
	sb_printf(out, "watches %u/%u\n", d->watches, st->quota.watches);
	sb_printf(out, "transactions %u/%u\n", d->txns, st->quota.txns);
	if (d->conn)
		sb_printf(out, "outstanding %u/%u\nevents %u/%u\n", d->conn->out_replies,
			  st->quota.outstanding, d->conn->out_events, st->quota.events);
	return 0;
}

static int ctl_quota_set(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
			 struct strbuf *out)
{
	unsigned long long v;
	unsigned *field;

	(void)h;
	if (a->n < 3 || !parse_uint(a->v[2], 0x7fffffff, &v))
		return -EINVAL;
	field = quota_field(&c->st->quota, a->v[1]);
	if (!field)
		return -EINVAL;
	*field = (unsigned)v;
	log_info("%s: quota '%s' set to %llu", c->name, a->v[1], v);
	sb_printf(out, "OK");
	return 0;
}

static int ctl_stats(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		     struct strbuf *out)
{
	struct store *st = c->st;

	(void)h;
	(void)a;
	sb_printf(out, "nodes %lu\nwatches %lu\ndomains %lu\nconnections %lu\n"
		  "transactions %lu\nrequests %lu\nevents-sent %lu\nevents-dropped %lu\n"
		  "quota-refusals %lu\nconflicts %lu\n",
		  st->nnodes, st->nwatches, st->ndomains, st->nconns, st->ntxns,
		  st->stats.requests, st->stats.events_sent, st->stats.events_dropped,
		  st->stats.quota_hits, st->stats.conflicts);
	return 0;
}

static int ctl_print(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		     struct strbuf *out)
{
	(void)h;
	if (a->n < 2)
		return -EINVAL;
	log_info("%s: %s", c->name, a->v[1]);
	sb_printf(out, "OK");
	return 0;
}

static const struct {
	const char *name;
	const char *args;
	int (*fn)(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		  struct strbuf *out);
	const char *what;
} controls[] = {
	{ "check", "", ctl_check, "check the store's internal consistency" },
	{ "help", "", ctl_help, "list the commands" },
	{ "log", "[on|off]", ctl_log, "log every request (at info level), or stop" },
	{ "logfile", "FILE", ctl_logfile, "log to FILE from now on" },
	{ "print", "TEXT", ctl_print, "write TEXT to the log" },
	{ "quota", "[DOMID]", ctl_quota, "the quotas, or one domain's use of them" },
	{ "quota-set", "NAME VALUE", ctl_quota_set, "change a quota for every domain" },
	{ "stats", "", ctl_stats, "counts of nodes, watches, domains, requests, events" },
};

static int ctl_help(struct conn *c, const struct xsd_sockmsg *h, const struct args *a,
		    struct strbuf *out)
{
	(void)c;
	(void)h;
	(void)a;
	for (unsigned i = 0; i < ARRAY_SIZE(controls); i++)
		sb_printf(out, "%-9s %-11s %s\n", controls[i].name, controls[i].args,
			  controls[i].what);
	return 0;
}

int op_control(struct conn *c, const struct xsd_sockmsg *h, const char *payload)
{
	struct strbuf out = { 0 };
	struct args a;
	int rc = -EINVAL;

	if (!c->privileged)
		return -EACCES;
	ops_split(payload, h->len, &a);
	if (a.n < 1)
		return -EINVAL;
	for (unsigned i = 0; i < ARRAY_SIZE(controls); i++) {
		if (strcmp(a.v[0], controls[i].name))
			continue;
		rc = controls[i].fn(c, h, &a, &out);
		break;
	}
	if (!rc && out.oom)
		rc = -ENOMEM;
	if (!rc) {
		/* Long answers are cut at the payload limit. */
		if (out.len >= XENSTORE_PAYLOAD_MAX)
			out.len = XENSTORE_PAYLOAD_MAX - 1;
		sb_add(&out, "", 1);
		if (out.oom)
			rc = -ENOMEM;
		else
			ops_reply(c, h, out.p, out.len);
	}
	sb_free(&out);
	return rc;
}
