/* mica create: a guest from an xl-format configuration file. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "json.h"
#include "libmica.h"
#include "mica.h"
#include "monitor.h"
#include "store.h"
#include "vbd.h"
#include "vif.h"

static void print_msgs(const struct msgs *m, bool warning)
{
	for (unsigned int i = 0; i < m->nr; i++) {
		if (warning)
			warn_msg("%s", m->v[i]);
		else
			err_msg("%s", m->v[i]);
	}
}

/* Checks that need the machine: free memory and the name. */
static int preflight(struct mica *m, struct mica_xs *xs, const struct domcfg *cfg,
		     struct msgs *errors)
{
	struct xen_domctl_getdomaininfo info;
	struct xen_sysctl_physinfo pi;
	uint32_t holder;
	int rc;

	rc = mica_physinfo(m, &pi);
	if (rc) {
		msgs_add(errors, "cannot ask the hypervisor for its free memory: %s", strerror(-rc));
		return rc;
	}
	if (cfg->memory_mib * 256 > pi.free_pages) {
		if (cfg->memory_line)
			msgs_add(errors, "%s:%u: memory: %llu MiB is more than the %llu MiB free on "
					 "this host; lower memory, or stop a guest ('mica list')",
				 cfg->path, cfg->memory_line, (unsigned long long)cfg->memory_mib,
				 (unsigned long long)(pi.free_pages >> 8));
		else
			msgs_add(errors, "%s: memory: the default %llu MiB is more than the %llu MiB "
					 "free on this host; set memory lower",
				 cfg->path, (unsigned long long)cfg->memory_mib,
				 (unsigned long long)(pi.free_pages >> 8));
		return -ENOMEM;
	}
	/* By the name index: one store read, however many domains there are. */
	if (!store_find_name(xs, cfg->name, &holder) && !mica_domain_info(m, holder, &info)) {
		msgs_add(errors, "%s:%u: name: a domain named \"%s\" already exists (id %u); "
				 "choose another name, or remove it with 'mica destroy %s'",
			 cfg->path, cfg->name_line, cfg->name, holder, cfg->name);
		return -EEXIST;
	}
	return 0;
}

int create_domain(struct mica *m, struct mica_xs *xs, const struct domcfg *cfg, bool paused,
		  uint32_t *domid, struct msgs *errors)
{
	struct store_entries entries;
	struct build_plan plan;
	char abs[PATH_MAX];
	struct built b;
	int rc;

	rc = build_prepare(cfg, &plan, errors);
	if (!rc)
		rc = preflight(m, xs, cfg, errors);
	if (!rc)
		rc = build_domain(m, cfg, &plan, &b, errors);
	if (rc)
		goto out;
	{
		struct store_domain sd = {
			.domid = b.domid, .name = cfg->name, .uuid = plan.uuid,
			.memory_kib = cfg->memory_mib * 1024, .maxmem_kib = cfg->maxmem_mib * 1024,
			.vcpus = cfg->vcpus, .store_mfn = b.store_mfn, .console_mfn = b.console_mfn,
			.store_port = b.store_port, .console_port = b.console_port,
			.config_path = realpath(cfg->path, abs) ? abs : cfg->path,
			.on_poweroff = cfg->on_poweroff, .on_reboot = cfg->on_reboot,
			.on_crash = cfg->on_crash,
		};

		rc = store_entries_for(&sd, &entries);
	}
	if (!rc) {
		rc = store_write_entries(xs, &entries, b.domid);
		store_entries_free(&entries);
		if (rc)
			msgs_add(errors, "cannot write the new domain's entries to the store: %s",
				 strerror(-rc));
	}
	for (unsigned int i = 0; !rc && i < cfg->nr_vifs; i++) {
		char mac[18];

		rc = vif_add(xs, b.domid, i, &cfg->vifs[i], mac, errors);
	}
	if (!rc) {
		rc = mica_xs_introduce(xs, b.domid, b.store_mfn, b.store_port);
		if (rc)
			msgs_add(errors, "the store did not accept the new domain (introduce): %s",
				 strerror(-rc));
	}
	for (unsigned int i = 0; !rc && i < cfg->nr_disks; i++)
		rc = vbd_attach(xs, b.domid, &cfg->disks[i], errors);
	if (!rc && !paused) {
		rc = mica_domain_unpause(m, b.domid);
		if (rc)
			msgs_add(errors, "the hypervisor did not start the new domain (unpause): %s",
				 strerror(-rc));
	}
	if (rc) {
		destroy_and_forget(m, xs, b.domid);
		goto out;
	}
	*domid = b.domid;
out:
	build_plan_free(&plan);
	return rc;
}

/* ---- the dry run: the plan, without a hypervisor ----------------------------------------- */

static const char *hex(char *buf, uint64_t v)
{
	snprintf(buf, 24, "%#llx", (unsigned long long)v);
	return buf;
}

static void plan_json(const struct domcfg *cfg, const struct build_plan *p)
{
	const struct domu_layout *l = &p->layout;
	char buf[3][24];
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_string(&j, "config", cfg->path);
	json_string(&j, "name", cfg->name);
	json_string(&j, "kernel", cfg->kernel);
	json_string(&j, "kernel_format", p->kernel.format);
	json_string(&j, "ramdisk", cfg->ramdisk);
	json_string(&j, "cmdline", cfg->cmdline);
	json_u64(&j, "memory_mib", cfg->memory_mib);
	json_u64(&j, "maxmem_mib", cfg->maxmem_mib);
	json_u64(&j, "vcpus", cfg->vcpus);
	json_begin_array(&j, "disks");
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "vdev", cfg->disks[i].vdev);
		json_string(&j, "target", cfg->disks[i].target);
		json_string(&j, "format", cfg->disks[i].format);
		json_bool(&j, "readonly", cfg->disks[i].readonly);
		json_bool(&j, "cdrom", cfg->disks[i].cdrom);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_begin_array(&j, "vifs");
	for (unsigned int i = 0; i < cfg->nr_vifs; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "mac", cfg->vifs[i].mac[0] ? cfg->vifs[i].mac : NULL);
		json_string(&j, "bridge", cfg->vifs[i].bridge);
		json_string(&j, "ip", cfg->vifs[i].ip);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_string(&j, "on_poweroff", dom_action_name(cfg->on_poweroff));
	json_string(&j, "on_reboot", dom_action_name(cfg->on_reboot));
	json_string(&j, "on_crash", dom_action_name(cfg->on_crash));
	json_begin_object(&j, "layout");
	/* Addresses as hex strings: JSON readers keep integers only up to 2^53 exactly. */
	json_string(&j, "virt_base", hex(buf[0], l->k.virt_base));
	json_string(&j, "entry", hex(buf[1], l->k.entry));
	json_u64(&j, "nr_pages", l->nr_pages);
	json_u64(&j, "kernel_pfn", l->kern_pfn);
	json_u64(&j, "kernel_end_pfn", l->kern_end_pfn);
	json_u64(&j, "store_pfn", l->store_pfn);
	json_u64(&j, "console_pfn", l->console_pfn);
	json_u64(&j, "initrd_pfn", l->initrd_pfn);
	json_u64(&j, "initrd_pages", l->initrd_pages);
	json_bool(&j, "initrd_mapped", l->initrd_mapped);
	json_u64(&j, "p2m_pfn", l->p2m_pfn);
	json_u64(&j, "p2m_pages", l->p2m_pages);
	json_string(&j, "p2m_va", hex(buf[2], l->p2m_va));
	json_u64(&j, "start_info_pfn", l->start_info_pfn);
	json_u64(&j, "page_tables_pfn", l->pt_pfn);
	json_u64(&j, "page_tables", l->nr_pt);
	json_u64(&j, "stack_pfn", l->stack_pfn);
	json_u64(&j, "mapped_pages", l->mapped_pages);
	json_u64(&j, "pages_used", l->pages_used);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void plan_text(const struct domcfg *cfg, const struct build_plan *p)
{
	const struct domu_layout *l = &p->layout;

	printf("%s is good; mica would create:\n", cfg->path);
	printf("  name      %s\n", cfg->name);
	printf("  kernel    %s (%s, %s, entry %#llx)\n", cfg->kernel, p->kernel.format,
	       p->kernel.guest_os[0] ? p->kernel.guest_os : "unknown OS",
	       (unsigned long long)l->k.entry);
	if (cfg->ramdisk)
		printf("  ramdisk   %s (%zu bytes)\n", cfg->ramdisk, p->ramdisk_size);
	printf("  memory    %llu MiB (maxmem %llu MiB), %u vCPU%s\n",
	       (unsigned long long)cfg->memory_mib, (unsigned long long)cfg->maxmem_mib, cfg->vcpus,
	       cfg->vcpus == 1 ? "" : "s");
	printf("  cmdline   \"%s\"\n", cfg->cmdline);
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		printf("  disk      %s: %s (%s, %s%s)\n", cfg->disks[i].vdev,
		       cfg->disks[i].target ? cfg->disks[i].target : "(empty)", cfg->disks[i].format,
		       cfg->disks[i].readonly ? "ro" : "rw", cfg->disks[i].cdrom ? ", cdrom" : "");
	for (unsigned int i = 0; i < cfg->nr_vifs; i++)
		printf("  vif       mac %s, bridge %s\n",
		       cfg->vifs[i].mac[0] ? cfg->vifs[i].mac : "(chosen at creation)",
		       cfg->vifs[i].bridge ? cfg->vifs[i].bridge : "(default)");
	printf("  actions   poweroff: %s, reboot: %s, crash: %s\n", dom_action_name(cfg->on_poweroff),
	       dom_action_name(cfg->on_reboot), dom_action_name(cfg->on_crash));
	printf("  layout    kernel pfns [%#llx, %#llx), store %#llx, console %#llx, start_info "
	       "%#llx,\n            %llu page tables at %#llx, stack %#llx, %llu pages mapped, "
	       "%llu used\n",
	       (unsigned long long)l->kern_pfn, (unsigned long long)l->kern_end_pfn,
	       (unsigned long long)l->store_pfn, (unsigned long long)l->console_pfn,
	       (unsigned long long)l->start_info_pfn, (unsigned long long)l->nr_pt,
	       (unsigned long long)l->pt_pfn, (unsigned long long)l->stack_pfn,
	       (unsigned long long)l->mapped_pages, (unsigned long long)l->pages_used);
	if (l->initrd_pages)
		printf("            initrd %llu pages at %#llx (%s)\n",
		       (unsigned long long)l->initrd_pages, (unsigned long long)l->initrd_pfn,
		       l->initrd_mapped ? "mapped" : "by pfn, unmapped");
	printf("            p2m %llu pages at %#llx, VA %#llx\n", (unsigned long long)l->p2m_pages,
	       (unsigned long long)l->p2m_pfn, (unsigned long long)l->p2m_va);
}

static void created_json(const struct domcfg *cfg, uint32_t domid)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_object(&j, NULL);
	json_u64(&j, "id", domid);
	json_string(&j, "name", cfg->name);
	json_u64(&j, "memory_mib", cfg->memory_mib);
	json_u64(&j, "vcpus", cfg->vcpus);
	json_end_object(&j);
	json_finish(&j);
}

int cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "console", no_argument, NULL, 'c' }, { "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },    { "quiet", no_argument, NULL, 'q' },
		{ "paused", no_argument, NULL, 'p' },  { NULL, 0, NULL, 0 },
	};
	bool console = false, dry = false, json = false, paused = false;
	struct msgs errors = { 0 };
	struct mica_xs *xs = NULL;
	struct mica *m = NULL;
	struct domcfg cfg;
	uint32_t domid;
	int c, rc, status = EXIT_FAIL;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+cnpq", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': console = true; break;
		case 'n': dry = true; break;
		case 'p': paused = true; break;
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		default: return usage_error("create", "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error("create", optind >= argc ? "no configuration file" :
							      "one configuration file only");
	if (dry && console)
		return usage_error("create", "-c and -n do not go together");
	if (paused && console)
		return usage_error("create", "-c and -p do not go together: a paused guest prints "
					     "nothing; create it paused, then 'mica unpause' it");
	rc = domcfg_load(argv[optind], &cfg, &errors);
	print_msgs(&cfg.warnings, true);
	if (rc) {
		print_msgs(&errors, false);
		goto out;
	}
	if (dry) {
		struct build_plan plan;

		rc = build_prepare(&cfg, &plan, &errors);
		if (rc) {
			print_msgs(&errors, false);
		} else {
			if (json)
				plan_json(&cfg, &plan);
			else
				plan_text(&cfg, &plan);
			status = EXIT_OK;
		}
		build_plan_free(&plan);
		goto out;
	}
	m = open_hypervisor();
	xs = m ? open_store() : NULL;
	if (!xs)
		goto out;
	rc = create_domain(m, xs, &cfg, paused, &domid, &errors);
	if (rc) {
		print_msgs(&errors, false);
		err_msg("%s: no domain was created", cfg.path);
		goto out;
	}
	if (json)
		created_json(&cfg, domid);
	else
		info_msg("Created domain %u (%s): %llu MiB, %u vCPU%s%s", domid, cfg.name,
			 (unsigned long long)cfg.memory_mib, cfg.vcpus, cfg.vcpus == 1 ? "" : "s",
			 paused ? ", paused" : "");
	rc = monitor_start(&cfg, domid);
	if (rc)
		warn_msg("cannot start the monitor of %s (%s): on_poweroff, on_reboot and on_crash "
			 "will not be acted on", cfg.name, strerror(-rc));
	status = EXIT_OK;
	if (console) {
		mica_xs_close(xs);
		xs = NULL;
		status = console_attach(m, domid);
	}
out:
	msgs_free(&errors);
	domcfg_free(&cfg);
	mica_xs_close(xs);
	mica_close(m);
	return status;
}
