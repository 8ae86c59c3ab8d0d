/* mica info (the host and the hypervisor) and mica dmesg (the hypervisor's log). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <pv/sysctl.h>

#include "json.h"
#include "libmica.h"
#include "mica.h"

/* sysctl sched_id's answer: Xen's scheduler ids (its public domctl.h), 5 to 9. */
static const char *scheduler_name(uint32_t id)
{
	static const char *const names[] = { "credit", "credit2", "arinc653", "rtds", "null" };

	return id >= 5 && id <= 9 ? names[id - 5] : "unknown";
}

struct host_info {
	struct utsname uts;
	struct xen_sysctl_physinfo pi;
	struct mica_version v;
	uint32_t sched;
	bool have_sched;
	char hw_caps[8 * 9 + 1];
	char virt_caps[64];
};

static void collect(struct mica *m, struct host_info *h, int *rc_pi, int *rc_v)
{
	size_t at = 0;

	memset(h, 0, sizeof(*h));
	uname(&h->uts);
	*rc_pi = mica_physinfo(m, &h->pi);
	*rc_v = mica_version(m, &h->v);
	h->have_sched = !mica_sched_id(m, &h->sched);
	for (int i = 0; i < 8; i++)
		at += (size_t)snprintf(h->hw_caps + at, sizeof(h->hw_caps) - at, "%s%08x",
				       i ? ":" : "", h->pi.hw_cap[i]);
	snprintf(h->virt_caps, sizeof(h->virt_caps), "%s%s%s",
		 h->pi.capabilities & XEN_SYSCTL_PHYSCAP_pv ? "pv" : "",
		 h->pi.capabilities & XEN_SYSCTL_PHYSCAP_hvm ? " hvm" : "",
		 h->pi.capabilities & XEN_SYSCTL_PHYSCAP_gnttab_v1 ? " gnttab-v1" : "");
}

static void info_text(const struct host_info *h)
{
	const struct xen_sysctl_physinfo *pi = &h->pi;

#define ROW(key, fmt, ...) printf("%-22s: " fmt "\n", key, __VA_ARGS__)
	ROW("host", "%s", h->uts.nodename);
	ROW("release", "%s", h->uts.release);
	ROW("version", "%s", h->uts.version);
	ROW("machine", "%s", h->uts.machine);
	ROW("nr_cpus", "%u", pi->nr_cpus);
	ROW("max_cpu_id", "%u", pi->max_cpu_id);
	ROW("nr_nodes", "%u", pi->nr_nodes);
	ROW("cores_per_socket", "%u", pi->cores_per_socket);
	ROW("threads_per_core", "%u", pi->threads_per_core);
	ROW("cpu_mhz", "%u.%03u", pi->cpu_khz / 1000, pi->cpu_khz % 1000);
	ROW("hw_caps", "%s", h->hw_caps);
	ROW("virt_caps", "%s", h->virt_caps);
	ROW("total_memory", "%llu", (unsigned long long)(pi->total_pages >> 8));
	ROW("free_memory", "%llu", (unsigned long long)(pi->free_pages >> 8));
	ROW("outstanding_claims", "%llu", (unsigned long long)(pi->outstanding_pages >> 8));
	ROW("xen_major", "%u", h->v.major);
	ROW("xen_minor", "%u", h->v.minor);
	ROW("xen_extra", "%s", h->v.extra);
	ROW("xen_version", "%u.%u%s", h->v.major, h->v.minor, h->v.extra);
	ROW("xen_caps", "%s", h->v.capabilities);
	ROW("xen_scheduler", "%s", h->have_sched ? scheduler_name(h->sched) : "unknown");
	ROW("xen_pagesize", "%d", 4096);
	ROW("xen_changeset", "%s", h->v.changeset);
	ROW("xen_commandline", "%s", h->v.commandline);
	ROW("cc_compiler", "%s", h->v.compiler);
	ROW("cc_compile_by", "%s", h->v.compile_by);
	ROW("cc_compile_domain", "%s", h->v.compile_domain);
	ROW("cc_compile_date", "%s", h->v.compile_date);
#undef ROW
}

static void info_json(const struct host_info *h)
{
	const struct xen_sysctl_physinfo *pi = &h->pi;
	char version[64];
	struct json j;

	snprintf(version, sizeof(version), "%u.%u%s", h->v.major, h->v.minor, h->v.extra);
	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "host", h->uts.nodename);
	json_string(&j, "release", h->uts.release);
	json_string(&j, "machine", h->uts.machine);
	json_u64(&j, "nr_cpus", pi->nr_cpus);
	json_u64(&j, "max_cpu_id", pi->max_cpu_id);
	json_u64(&j, "nr_nodes", pi->nr_nodes);
	json_u64(&j, "cores_per_socket", pi->cores_per_socket);
	json_u64(&j, "threads_per_core", pi->threads_per_core);
	json_u64(&j, "cpu_khz", pi->cpu_khz);
	json_string(&j, "hw_caps", h->hw_caps);
	json_string(&j, "virt_caps", h->virt_caps);
	json_u64(&j, "total_memory_mib", pi->total_pages >> 8);
	json_u64(&j, "free_memory_mib", pi->free_pages >> 8);
	json_u64(&j, "total_pages", pi->total_pages);
	json_u64(&j, "free_pages", pi->free_pages);
	json_string(&j, "hypervisor_version", version);
	json_string(&j, "capabilities", h->v.capabilities);
	json_string(&j, "scheduler", h->have_sched ? scheduler_name(h->sched) : NULL);
	json_string(&j, "changeset", h->v.changeset);
	json_string(&j, "commandline", h->v.commandline);
	json_string(&j, "compiler", h->v.compiler);
	json_string(&j, "compile_date", h->v.compile_date);
	json_end_object(&j);
	json_finish(&j);
}

int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, 'j' },
						  { NULL, 0, NULL, 0 } };
	struct host_info h;
	bool json = false;
	struct mica *m;
	int c, rc_pi, rc_v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'j')
			return usage_error("info", "unknown option");
		json = true;
	}
	if (optind != argc)
		return usage_error("info", "no arguments expected");
	m = open_hypervisor();
	if (!m)
		return EXIT_FAIL;
	collect(m, &h, &rc_pi, &rc_v);
	mica_close(m);
	if (rc_pi || rc_v) {
		err_msg("the hypervisor did not answer %s: %s", rc_pi ? "sysctl physinfo" : "xen_version",
			strerror(-(rc_pi ? rc_pi : rc_v)));
		return EXIT_FAIL;
	}
	if (json)
		info_json(&h);
	else
		info_text(&h);
	return EXIT_OK;
}

int cmd_dmesg(int argc, char **argv)
{
	static const struct option longopts[] = { { "clear", no_argument, NULL, 'c' },
						  { NULL, 0, NULL, 0 } };
	bool clear = false;
	uint32_t index = 0;
	struct mica *m;
	char buf[4096];
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+c", longopts, NULL)) != -1) {
		if (c != 'c')
			return usage_error("dmesg", "unknown option");
		clear = true;
	}
	if (optind != argc)
		return usage_error("dmesg", "no arguments expected");
	m = open_hypervisor();
	if (!m)
		return EXIT_FAIL;
	/* As xl dmesg: read on from where the last read stopped until nothing comes. */
	for (int first = 1;; first = 0) {
		uint32_t len = sizeof(buf);

		rc = mica_readconsole(m, buf, &len, &index, !first, false);
		if (rc) {
			err_msg("cannot read the hypervisor's log: %s", strerror(-rc));
			mica_close(m);
			return EXIT_FAIL;
		}
		if (!len)
			break;
		fwrite(buf, 1, len, stdout);
	}
	fflush(stdout);
	if (clear) {
		uint32_t len = 0;

		rc = mica_readconsole(m, buf, &len, &index, true, true);
		if (rc)
			warn_msg("the log was printed but could not be cleared: %s", strerror(-rc));
	}
	mica_close(m);
	return EXIT_OK;
}
