/* mica list and mica vcpu-list. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pv/sched.h>

#include "json.h"
#include "libmica.h"
#include "mica.h"
#include "store.h"

/* xl's six state letters: running, blocked, paused, shut down, crashed, dying. */
static void state_letters(uint32_t flags, char out[7])
{
	uint32_t reason = (flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
	bool shut = flags & XEN_DOMINF_shutdown;

	out[0] = flags & XEN_DOMINF_running ? 'r' : '-';
	out[1] = flags & XEN_DOMINF_blocked ? 'b' : '-';
	out[2] = flags & XEN_DOMINF_paused ? 'p' : '-';
	out[3] = shut && reason != SHUTDOWN_crash ? 's' : '-';
	out[4] = shut && reason == SHUTDOWN_crash ? 'c' : '-';
	out[5] = flags & XEN_DOMINF_dying ? 'd' : '-';
	out[6] = '\0';
}

/* The domains the arguments name (all of them without arguments), in id order. */
static int select_domains(struct mica *m, struct mica_xs *xs, int argc, char **argv,
			  struct xen_domctl_getdomaininfo **out, unsigned int *nr)
{
	struct xen_domctl_getdomaininfo *all;
	uint32_t *ids = NULL;
	unsigned int n, keep = 0;
	int rc;

	if (argc > 0) {
		ids = calloc((size_t)argc, sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		for (int a = 0; a < argc; a++) {
			rc = find_domain(m, xs, argv[a], &ids[a]);
			if (rc) {
				free(ids);
				return rc;
			}
		}
	}
	rc = mica_domain_list(m, &all, &n);
	if (rc) {
		err_msg("cannot list the domains: %s", strerror(-rc));
		free(ids);
		return rc;
	}
	for (unsigned int i = 0; i < n; i++) {
		bool wanted = argc == 0;

		for (int a = 0; a < argc && !wanted; a++)
			wanted = ids[a] == all[i].domain;
		if (wanted)
			all[keep++] = all[i];
	}
	free(ids);
	*out = all;
	*nr = keep;
	return 0;
}

static void list_json(struct mica_xs *xs, const struct xen_domctl_getdomaininfo *d, unsigned int n)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_array(&j, NULL);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t reason = (d[i].flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
		char *name = store_domain_name(xs, d[i].domain);
		char *uuid = xs ? store_read_private(xs, d[i].domain, "uuid") : NULL;
		char letters[7];

		state_letters(d[i].flags, letters);
		json_begin_object(&j, NULL);
		json_u64(&j, "id", d[i].domain);
		json_string(&j, "name", name);
		json_string(&j, "uuid", uuid);
		json_u64(&j, "memory_mib", d[i].tot_pages >> 8);
		json_u64(&j, "pages", d[i].tot_pages);
		json_u64(&j, "max_memory_mib", d[i].max_pages >> 8);
		json_u64(&j, "vcpus", d[i].max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ?
						 0 : (uint64_t)d[i].max_vcpu_id + 1);
		json_u64(&j, "online_vcpus", d[i].nr_online_vcpus);
		json_string(&j, "state", letters);
		json_bool(&j, "running", d[i].flags & XEN_DOMINF_running);
		json_bool(&j, "blocked", d[i].flags & XEN_DOMINF_blocked);
		json_bool(&j, "paused", d[i].flags & XEN_DOMINF_paused);
		json_bool(&j, "dying", d[i].flags & XEN_DOMINF_dying);
		json_string(&j, "shutdown_reason",
			    d[i].flags & XEN_DOMINF_shutdown ? shutdown_reason_name(reason) : NULL);
		json_u64(&j, "cpu_time_ns", d[i].cpu_time);
		json_end_object(&j);
		free(name);
		free(uuid);
	}
	json_end_array(&j);
	json_finish(&j);
}

static void list_text(struct mica_xs *xs, const struct xen_domctl_getdomaininfo *d, unsigned int n)
{
	printf("%-40s %5s %7s %5s %8s %10s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)");
	for (unsigned int i = 0; i < n; i++) {
		char *name = store_domain_name(xs, d[i].domain);
		char letters[7];

		state_letters(d[i].flags, letters);
		printf("%-40s %5u %7llu %5u %8s %8llu.%01llu\n", name ? name : "(unnamed)",
		       d[i].domain, (unsigned long long)(d[i].tot_pages >> 8), d[i].nr_online_vcpus,
		       letters, (unsigned long long)(d[i].cpu_time / 1000000000ULL),
		       (unsigned long long)(d[i].cpu_time / 100000000ULL % 10));
		free(name);
	}
}

static int parse_json_flag(const char *cmd, int argc, char **argv, bool *json)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
						  { NULL, 0, NULL, 0 } };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'j')
			return usage_error(cmd, "unknown option");
		*json = true;
	}
	return EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	struct xen_domctl_getdomaininfo *d = NULL;
	struct mica_xs *xs;
	struct mica *m;
	unsigned int n;
	bool json = false;
	int status = parse_json_flag("list", argc, argv, &json);

	if (status)
		return status;
	m = open_hypervisor();
	if (!m)
		return EXIT_FAIL;
	/* Without the store the ids and numbers are still worth showing. */
	if (mica_xs_open(&xs, NULL))
		xs = NULL;
	status = EXIT_FAIL;
	if (!select_domains(m, xs, argc - optind, argv + optind, &d, &n)) {
		if (json)
			list_json(xs, d, n);
		else
			list_text(xs, d, n);
		if (!xs)
			warn_msg("the store is not reachable at %s: names are missing",
				 mica_xs_socket_path(NULL));
		status = EXIT_OK;
	}
	free(d);
	mica_xs_close(xs);
	mica_close(m);
	return status;
}

/* ---- vcpu-list ----------------------------------------------------------------------------- */

struct vcpu_row {
	uint32_t domid, vcpu;
	bool known;                 /* the hypervisor answered getvcpuinfo */
	struct mica_vcpu_info vi;
	enum { VCPU_OFFLINE, VCPU_ONLINE, VCPU_UNKNOWN } state;
};

static void vcpu_rows(struct mica *m, const struct xen_domctl_getdomaininfo *d, struct vcpu_row **rows,
		      unsigned int *nr)
{
	unsigned int cap = 0;

	*rows = NULL;
	*nr = 0;
	if (d->max_vcpu_id == XEN_INVALID_MAX_VCPU_ID)
		return;
	cap = d->max_vcpu_id + 1;
	*rows = calloc(cap, sizeof(**rows));
	if (!*rows)
		return;
	for (uint32_t v = 0; v < cap; v++) {
		struct vcpu_row *r = &(*rows)[v];
		struct vcpu_guest_context ctx;
		int rc;

		r->domid = d->domain;
		r->vcpu = v;
		if (!mica_vcpu_info(m, d->domain, v, &r->vi)) {
			r->known = true;
			r->state = r->vi.online ? VCPU_ONLINE : VCPU_OFFLINE;
			continue;
		}
		/* Without getvcpuinfo: online if it has a context that says so. */
		rc = mica_vcpu_get_context(m, d->domain, v, &ctx);
		if (!rc)
			r->state = ctx.flags & VGCF_online ? VCPU_ONLINE : VCPU_OFFLINE;
		else
			r->state = rc == -ENODATA ? VCPU_OFFLINE : VCPU_UNKNOWN;
	}
	*nr = cap;
}

static const char *vcpu_state(const struct vcpu_row *r, uint32_t dom_flags, char buf[4])
{
	if (r->state == VCPU_UNKNOWN)
		return "?";
	if (r->state == VCPU_OFFLINE)
		return "-";
	buf[0] = r->known && r->vi.running ? 'r' : '-';
	buf[1] = r->known && r->vi.blocked ? 'b' : '-';
	buf[2] = dom_flags & XEN_DOMINF_paused ? 'p' : '-';
	buf[3] = '\0';
	return buf;
}

int cmd_vcpu_list(int argc, char **argv)
{
	struct xen_domctl_getdomaininfo *d = NULL;
	bool json = false, any_unknown = false;
	struct mica_xs *xs;
	struct mica *m;
	struct json j;
	unsigned int n;
	int status = parse_json_flag("vcpu-list", argc, argv, &json);

	if (status)
		return status;
	m = open_hypervisor();
	if (!m)
		return EXIT_FAIL;
	if (mica_xs_open(&xs, NULL))
		xs = NULL;
	if (select_domains(m, xs, argc - optind, argv + optind, &d, &n)) {
		mica_xs_close(xs);
		mica_close(m);
		return EXIT_FAIL;
	}
	if (json) {
		json_init(&j, stdout);
		json_begin_array(&j, NULL);
	} else {
		printf("%-32s %5s %5s %5s %6s %10s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)");
	}
	for (unsigned int i = 0; i < n; i++) {
		char *name = store_domain_name(xs, d[i].domain);
		struct vcpu_row *rows;
		unsigned int nr;

		vcpu_rows(m, &d[i], &rows, &nr);
		for (unsigned int k = 0; k < nr; k++) {
			struct vcpu_row *r = &rows[k];
			char st[4];

			any_unknown |= !r->known;
			if (json) {
				json_begin_object(&j, NULL);
				json_u64(&j, "id", r->domid);
				json_string(&j, "name", name);
				json_u64(&j, "vcpu", r->vcpu);
				if (r->state == VCPU_UNKNOWN)
					json_string(&j, "online", NULL);
				else
					json_bool(&j, "online", r->state == VCPU_ONLINE);
				if (r->known) {
					json_u64(&j, "cpu", r->vi.cpu);
					json_bool(&j, "running", r->vi.running);
					json_bool(&j, "blocked", r->vi.blocked);
					json_u64(&j, "cpu_time_ns", r->vi.cpu_time_ns);
				}
				json_end_object(&j);
			} else if (r->known && r->state == VCPU_ONLINE) {
				printf("%-32s %5u %5u %5u %6s %8llu.%01llu\n", name ? name : "(unnamed)",
				       r->domid, r->vcpu, r->vi.cpu, vcpu_state(r, d[i].flags, st),
				       (unsigned long long)(r->vi.cpu_time_ns / 1000000000ULL),
				       (unsigned long long)(r->vi.cpu_time_ns / 100000000ULL % 10));
			} else {
				printf("%-32s %5u %5u %5s %6s %10s\n", name ? name : "(unnamed)", r->domid,
				       r->vcpu, "-", vcpu_state(r, d[i].flags, st), "-");
			}
		}
		free(rows);
		free(name);
	}
	if (json) {
		json_end_array(&j);
		json_finish(&j);
	}
	if (any_unknown && !json)
		warn_msg("the hypervisor does not report per-vCPU state (domctl getvcpuinfo): CPU "
			 "and time are not shown");
	free(d);
	mica_xs_close(xs);
	mica_close(m);
	return EXIT_OK;
}
