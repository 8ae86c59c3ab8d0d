/*
 * The mica commands end to end against the fake hypervisor and store
 * (tests/cli/fake.c): what each prints and returns, and for create, the
 * whole domain it builds: memory, kernel bytes, start_info, page tables,
 * the pinned root, vCPU 0, grants, store entries, the introduction.
 */
/* tool-sources: dom0-tools/mica/main.c dom0-tools/mica/util.c dom0-tools/mica/config.c */
/* tool-sources: dom0-tools/mica/domcfg.c dom0-tools/mica/devspec.c dom0-tools/mica/json.c */
/* tool-sources: dom0-tools/mica/layout.c dom0-tools/mica/image.c dom0-tools/mica/build.c */
/* tool-sources: dom0-tools/mica/store.c dom0-tools/mica/monitor.c dom0-tools/mica/cmd_create.c */
/* tool-sources: dom0-tools/mica/cmd_list.c dom0-tools/mica/cmd_info.c dom0-tools/mica/cmd_life.c */
/* tool-sources: dom0-tools/mica/cmd_console.c dom0-tools/mica/cmd_block.c dom0-tools/mica/vbd.c */
/* tool-sources: dom0-tools/mica/cmd_network.c dom0-tools/mica/vif.c dom0-tools/mica/pvdev.c */
/* tool-sources: dom0-tools/mica/cmd_device.c */
/* tool-sources: tests/cli/fake.c */
/* tool-sources: hypercall/libmica/xs_msg.c */
/* hv-sources: hypervisor/arch/x86/pv/dom0_layout.c hypervisor/common/kernel_image/elf_xen.c */
/* hv-sources: hypervisor/common/kernel_image/xen_notes.c hypervisor/common/kernel_image/report.c */
/* hv-sources: hypervisor/common/kernel_image/bzimage.c dom0-tools/kernel_image/inflate.c */
/* hv-sources: dom0-tools/kernel_image/gunzip.c hypervisor/common/kernel_image/xz.c */
/* hv-sources: hypervisor/common/kernel_image/lzma2.c hypervisor/common/kernel_image/bcj_x86.c */
/* hv-sources: hypervisor/common/kernel_image/lz4.c hypervisor/common/kernel_image/crc.c */
/* hv-sources: dom0-tools/kernel_image/bzimage_gzip.c */
/* hv-sources: hypervisor/common/lib/string.c hypervisor/common/lib/vsnprintf.c */
#include "kimg_fab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <termios.h>

#include <pv/sched.h>

#include "fake.h"
#include "mica.h"
#include "monitor.h"

#define PG 4096ULL

/* The monitor is a process of its own; its decisions are tested in test_store_json. */
int monitor_start(const struct domcfg *cfg, uint32_t domid)
{
	(void)cfg;
	(void)domid;
	return 0;
}

static char out[1 << 16], err[1 << 14];
static char dir[] = "/tmp/mica-cmd-XXXXXX";

static void slurp(int fd, char *buf, size_t size)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Runs `mica ARGS...` (NULL-terminated) with stdin from input; out and err get its output. */
static int mica(const char *input, ...)
{
	char *argv[16] = { "mica" };
	int argc = 1, status, o, e, in, save[3];
	char path[300];
	va_list ap;

	va_start(ap, input);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	o = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	e = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/stdin", dir);
	in = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (input && write(in, input, strlen(input)) < 0)
		abort();
	lseek(in, 0, SEEK_SET);
	fflush(stdout);
	fflush(stderr);
	save[0] = dup(0);
	save[1] = dup(1);
	save[2] = dup(2);
	dup2(in, 0);
	dup2(o, 1);
	dup2(e, 2);
	quiet = false;
	status = mica_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save[0], 0);
	dup2(save[1], 1);
	dup2(save[2], 2);
	close(save[0]);
	close(save[1]);
	close(save[2]);
	close(in);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return status;
}

#define CHECK_HAS(buf, s) CHECK_MSG(strstr(buf, s) != NULL, "no \"%s\" in:\n%s", s, buf)

static void write_text(const char *name, const char *text)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static char cfg_path[300], kernel_path[300], ramdisk_path[300];

/* A config in dir/g.cfg: name, the fabricated kernel, then the extra lines. */
static void config(const char *name, const char *extra)
{
	char text[2000];

	snprintf(text, sizeof(text), "name = \"%s\"\nkernel = \"%s\"\n%s", name, kernel_path, extra);
	write_text("g.cfg", text);
}

static unsigned char img[FAB_MAX];

static void setup_files(void)
{
	size_t size = fab_elf(img, linux_notes, NR_LINUX_NOTES, 0);
	char ramdisk[10000];
	FILE *f;

	snprintf(cfg_path, sizeof(cfg_path), "%s/g.cfg", dir);
	snprintf(kernel_path, sizeof(kernel_path), "%s/vmlinux", dir);
	snprintf(ramdisk_path, sizeof(ramdisk_path), "%s/initrd", dir);
	f = fopen(kernel_path, "w");
	fwrite(img, 1, size, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(ramdisk); i++)
		ramdisk[i] = (char)(i * 13 + 1);
	f = fopen(ramdisk_path, "w");
	fwrite(ramdisk, 1, sizeof(ramdisk), f);
	fclose(f);
}

/* ---- reading the guest the way it will see itself ------------------------------------------ */

/* The frame mapped at va in the domain's bootstrap tables (rooted at l4), or ~0. */
static uint64_t va_to_mfn(uint64_t l4, uint64_t va)
{
	uint64_t mfn = l4;

	for (int level = 4; level >= 1; level--) {
		uint64_t e = ((uint64_t *)fake_frame(mfn))[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & 1))
			return ~0ULL;
		mfn = (e >> 12) & 0xffffffffffULL;
	}
	return mfn;
}

static unsigned char *guest_va(uint64_t l4, uint64_t va)
{
	uint64_t mfn = va_to_mfn(l4, va);

	return mfn == ~0ULL ? NULL : fake_frame(mfn) + (va & (PG - 1));
}

/* ---- the cases ------------------------------------------------------------------------------- */

static void help_and_usage(void)
{
	fake_reset(1024);
	CHECK_EQ(mica(NULL, "--help", NULL), EXIT_OK);
	CHECK_HAS(out, "usage: mica [-q] COMMAND [ARGS]");
	CHECK_HAS(out, "  vcpu-list       list the vCPUs of the domains");
	CHECK_HAS(out, "  network-attach  give a running guest a new network interface");
	CHECK_EQ(mica(NULL, "shutdown", "-h", NULL), EXIT_OK);
	CHECK_HAS(out, "usage: mica shutdown [-w] [-t SECONDS] NAME|ID");
	CHECK_HAS(out, "-t, --timeout SECS");
	CHECK_EQ(mica(NULL, "help", "list", NULL), EXIT_OK);
	CHECK_HAS(out, "State letters");
	CHECK_EQ(mica(NULL, "help", "nope", NULL), EXIT_USAGE);
	CHECK_HAS(err, "mica: no command 'nope'; 'mica --help' lists them");
	CHECK_EQ(mica(NULL, "destroy", NULL), EXIT_USAGE);
	CHECK_HAS(err, "mica destroy: name one domain (NAME or ID)");
	CHECK_HAS(err, "usage: mica destroy NAME|ID");
	CHECK_EQ(mica(NULL, "create", "-c", "-n", "x.cfg", NULL), EXIT_USAGE);
	CHECK_HAS(err, "-c and -n do not go together");
	CHECK_EQ(mica(NULL, "-x", NULL), EXIT_USAGE);
	CHECK_EQ(mica(NULL, "--version", NULL), EXIT_OK);
}

static void list_and_info(void)
{
	fake_reset(1024);
	fake_add_domain("db", 256, 2);
	CHECK_EQ(mica(NULL, "list", NULL), EXIT_OK);
	CHECK_HAS(out, "Name                                        ID     Mem VCPUs    State    Time(s)\n");
	CHECK_HAS(out, "Domain-0                                     0     512     2   r-----       12.3\n");
	CHECK_HAS(out, "db                                           1     256     2   -b----        1.5\n");
	CHECK_EQ(mica(NULL, "list", "--json", "db", NULL), EXIT_OK);
	CHECK_HAS(out, "[\n  {\n    \"id\": 1,\n    \"name\": \"db\",\n");
	CHECK_HAS(out, "\"memory_mib\": 256,");
	CHECK_HAS(out, "\"pages\": 65536,");
	CHECK_HAS(out, "\"vcpus\": 2,");
	CHECK_HAS(out, "\"state\": \"-b----\",");
	CHECK_HAS(out, "\"shutdown_reason\": null,");
	CHECK_HAS(out, "\"cpu_time_ns\": 1500000000\n  }\n]\n");
	CHECK(!strstr(out, "Domain-0"));
	CHECK_EQ(mica(NULL, "list", "nosuch", NULL), EXIT_FAIL);
	CHECK_HAS(err, "mica: there is no domain named 'nosuch'; 'mica list' shows the domains");
	CHECK_EQ(mica(NULL, "list", "9", NULL), EXIT_FAIL);
	CHECK_HAS(err, "mica: there is no domain 9; 'mica list' shows the domains");
	/* A crashed guest. */
	fake_domain(1)->flags = XEN_DOMINF_shutdown | (SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
	CHECK_EQ(mica(NULL, "list", "--json", NULL), EXIT_OK);
	CHECK_HAS(out, "\"state\": \"----c-\",");
	CHECK_HAS(out, "\"shutdown_reason\": \"crash\",");
	/* Without the store: ids and numbers, and a warning. */
	fake.no_store = true;
	CHECK_EQ(mica(NULL, "list", NULL), EXIT_OK);
	CHECK_HAS(out, "(unnamed)                                    1");
	CHECK_HAS(err, "mica: warning: the store is not reachable at /fake/xenstored/socket: names "
		       "are missing");

	CHECK_EQ(mica(NULL, "info", NULL), EXIT_OK);
	CHECK_HAS(out, "nr_cpus               : 2\n");
	CHECK_HAS(out, "cpu_mhz               : 2400.123\n");
	CHECK_HAS(out, "virt_caps             : pv gnttab-v1\n");
	CHECK_HAS(out, "free_memory           : 768\n");
	CHECK_HAS(out, "total_memory          : 1536\n");
	CHECK_HAS(out, "xen_version           : 4.17-mica\n");
	CHECK_HAS(out, "xen_scheduler         : credit\n");
	CHECK_EQ(mica(NULL, "info", "--json", NULL), EXIT_OK);
	CHECK_HAS(out, "\"free_memory_mib\": 768,");
	CHECK_HAS(out, "\"hypervisor_version\": \"4.17-mica\",");

	fake.no_privcmd = true;
	CHECK_EQ(mica(NULL, "info", NULL), EXIT_FAIL);
	CHECK_HAS(err, "mica: cannot open /dev/xen/privcmd (fake): not dom0");
}

static void dmesg_and_vcpus(void)
{
	fake_reset(1024);
	CHECK_EQ(mica(NULL, "dmesg", NULL), EXIT_OK);
	CHECK_STR(out, "(XEN) Mica starting\n(XEN) dom0: built\n");
	CHECK_EQ(mica(NULL, "dmesg", "-c", NULL), EXIT_OK);
	CHECK(fake.log_cleared);
	CHECK_EQ(mica(NULL, "dmesg", NULL), EXIT_OK);
	CHECK_STR(out, "");

	fake_add_domain("db", 64, 2);
	CHECK_EQ(mica(NULL, "vcpu-list", NULL), EXIT_OK);
	CHECK_HAS(out, "Name                                ID  VCPU   CPU  State    Time(s)\n");
	CHECK_HAS(out, "Domain-0                             0     0     0    r--        2.5\n");
	CHECK_HAS(out, "db                                   1     1     1    -b-        5.0\n");
	CHECK_EQ(mica(NULL, "vcpu-list", "--json", "db", NULL), EXIT_OK);
	CHECK_HAS(out, "\"vcpu\": 1,\n    \"online\": true,\n    \"cpu\": 1,");
	fake.vcpuinfo_enosys = true;
	CHECK_EQ(mica(NULL, "vcpu-list", "db", NULL), EXIT_OK);
	CHECK_HAS(out, "db                                   1     0     -    ---          -\n");
	CHECK_HAS(err, "does not report per-vCPU state (domctl getvcpuinfo)");
}

static void create_builds_the_whole_domain(void)
{
	uint64_t free_before, l4, si_va, p2m_va;
	struct fake_domain *d;
	struct start_info si;
	const char *perms;
	unsigned char *p;

	fake_reset(1024);
	free_before = fake.free_pages;
	config("web", "memory = 32\nvcpus = 2\nextra = \"console=hvc0\"\n");
	{
		char line[400];

		snprintf(line, sizeof(line), "ramdisk = \"%s\"\n", ramdisk_path);
		FILE *f = fopen(cfg_path, "a");

		fputs(line, f);
		fclose(f);
	}
	REQUIRE_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_OK);
	CHECK_STR(out, "Created domain 1 (web): 32 MiB, 2 vCPUs\n");
	CHECK_STR(err, "");
	d = fake_domain(1);
	REQUIRE(d);
	CHECK_EQ(d->pause_count, 0);
	CHECK_EQ(d->tot_pages, 32 * 256);
	CHECK_EQ(d->max_pages, 32 * 256 + 256);
	CHECK_EQ(fake.free_pages, free_before - 32 * 256);
	CHECK_EQ(fake.live_maps, 0);
	REQUIRE(d->pinned_l4);
	REQUIRE(d->ctx_set[0]);
	CHECK(!d->ctx_set[1]); /* the guest brings its other vCPUs up itself */
	l4 = d->pinned_l4;
	CHECK_EQ(d->ctx[0].ctrlreg[3], l4 << 12);
	CHECK_EQ(d->ctx[0].user_regs.rip, ENTRY);
	CHECK_EQ(d->ctx[0].flags, VGCF_in_kernel | VGCF_online);
	CHECK_EQ(d->hypercall_mfn, 0);

	/* start_info, found as the kernel finds it: RSI through the page tables. */
	si_va = d->ctx[0].user_regs.rsi;
	p = guest_va(l4, si_va);
	REQUIRE(p);
	memcpy(&si, p, sizeof(si));
	CHECK_STR(si.magic, "xen-3.0-x86_64");
	CHECK_EQ(si.nr_pages, 32 * 256);
	CHECK_EQ(si.shared_info, d->shared_info_mfn << 12);
	CHECK_STR(si.cmd_line, "console=hvc0");
	CHECK_EQ(si.flags, SIF_MOD_START_PFN);
	CHECK_EQ(si.mod_len, 10000);
	CHECK_EQ(si.pt_base, VIRT_BASE + ((si_va - VIRT_BASE) & ~(PG - 1)) + PG);
	CHECK_EQ(va_to_mfn(l4, si.pt_base), l4);
	CHECK_EQ(si.store_evtchn, 2);
	CHECK_EQ(si.console.domU.evtchn, 1);
	p2m_va = si.mfn_list;
	CHECK_EQ(p2m_va, 0x8000000000ULL);
	/* The p2m, through its INIT_P2M mapping, agrees with the tables for every mapped pfn. */
	for (uint64_t pfn = 0; pfn < si.nr_pages; pfn += 97) {
		uint64_t mfn = *(uint64_t *)guest_va(l4, p2m_va + pfn * 8);
		uint64_t mapped = va_to_mfn(l4, VIRT_BASE + pfn * PG);

		if (mapped != ~0ULL && !CHECK_MSG(mapped == mfn, "pfn %#llx: p2m %#llx, tables %#llx",
						  (unsigned long long)pfn, (unsigned long long)mfn,
						  (unsigned long long)mapped))
			break;
		CHECK_EQ(fake.owner[mfn], 1);
	}
	/* The kernel's bytes where its program headers put them, zero past filesz. */
	for (size_t s = 0; s < 4; s++) {
		for (uint64_t off = 0; off < fab_segs[s].memsz; off += 0x101) {
			unsigned char *b = guest_va(l4, VIRT_BASE + fab_segs[s].paddr + off);
			unsigned char want = off < fab_segs[s].filesz ? img[fab_segs[s].off + off] : 0;

			if (!CHECK_MSG(b && *b == want, "segment %zu offset %#llx", s,
				       (unsigned long long)off))
				break;
		}
	}
	/* The ramdisk at the pfn start_info names, through the p2m. */
	for (uint64_t off = 0; off < 10000; off += 37) {
		uint64_t pfn = si.mod_start + off / PG;
		uint64_t mfn = *(uint64_t *)guest_va(l4, p2m_va + pfn * 8);

		if (!CHECK_MSG(fake_frame(mfn)[off % PG] == (unsigned char)(off * 13 + 1),
			       "ramdisk byte %llu", (unsigned long long)off))
			break;
	}
	/* Rings, grants, store, introduction agree with each other. */
	CHECK(d->grants_seeded);
	CHECK_EQ(d->grant_store_mfn, si.store_mfn);
	CHECK_EQ(d->grant_console_mfn, si.console.domU.mfn);
	CHECK_EQ(fake.introduces, 1);
	CHECK_EQ(fake.introduced_dom, 1);
	CHECK_EQ(fake.introduced_mfn, si.store_mfn);
	CHECK_EQ(fake.introduced_port, si.store_evtchn);
	{
		char num[32];

		snprintf(num, sizeof(num), "%llu", (unsigned long long)si.store_mfn);
		CHECK_STR(fake_store_get("/local/domain/1/store/ring-ref", NULL), num);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)si.console.domU.mfn);
		CHECK_STR(fake_store_get("/local/domain/1/console/ring-ref", NULL), num);
	}
	CHECK_STR(fake_store_get("/local/domain/1/console/port", NULL), "1");
	CHECK_STR(fake_store_get("/local/domain/1/name", &perms), "web");
	CHECK_STR(perms, "n0,r1");
	CHECK_STR(fake_store_get("/local/domain/1/memory/target", NULL), "32768");
	CHECK_STR(fake_store_get("/local/domain/1/cpu/1/availability", NULL), "online");
	CHECK_STR(fake_store_get("/mica/domain/1/config", NULL), cfg_path);
	CHECK_EQ(fake.tx_committed, 1);
	/* The rings start empty. */
	CHECK_EQ(((uint64_t *)fake_frame(si.store_mfn))[0], 0);

	/* The same name again. */
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, ":1: name: a domain named \"web\" already exists (id 1); choose another "
		       "name, or remove it with 'mica destroy web'");
	CHECK_HAS(err, "g.cfg: no domain was created");
	CHECK(!fake_domain(2));
	CHECK_EQ(fake.destroyed, 0);

	/* --json, -q. */
	config("web2", "memory = 32\n");
	CHECK_EQ(mica(NULL, "create", "-q", "--json", cfg_path, NULL), EXIT_OK);
	CHECK_HAS(out, "\"id\": 2,\n  \"name\": \"web2\",");

	/* -p: built and registered, but left paused; -c cannot go with it. */
	config("web3", "memory = 32\n");
	CHECK_EQ(mica(NULL, "create", "-p", "-c", cfg_path, NULL), EXIT_USAGE);
	CHECK(!fake_domain(3));
	CHECK_EQ(mica(NULL, "create", "-p", cfg_path, NULL), EXIT_OK);
	CHECK_STR(out, "Created domain 3 (web3): 32 MiB, 1 vCPU, paused\n");
	d = fake_domain(3);
	REQUIRE(d);
	CHECK(d->flags & XEN_DOMINF_paused);
	CHECK_EQ(d->tot_pages, 32 * 256);
}

static void create_errors(void)
{
	uint64_t free_before;

	fake_reset(64);
	config("big", "memory = 128\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "g.cfg:3: memory: 128 MiB is more than the 64 MiB free on this host; lower "
		       "memory, or stop a guest ('mica list')");
	CHECK(!fake_domain(1));

	fake_reset(1024);
	write_text("g.cfg", "name = \"k\"\nkernel = \"/nonexistent/vmlinuz\"\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "g.cfg:2: kernel: /nonexistent/vmlinuz: No such file or directory");

	write_text("g.cfg", "name = \"k\"\nkernel = \"/etc/hostname\"\nmemory = 64\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "g.cfg:2: kernel: /etc/hostname: ");

	config("k", "memory = 16\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "g.cfg:3: memory: 16 MiB is too small for this guest: the kernel, p2m and "
		       "boot page tables need at least 21 MiB; raise memory");

	config("k", "ramdisk = \"/nonexistent/initrd\"\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "g.cfg:3: ramdisk: /nonexistent/initrd: No such file or directory");

	config("k", "memroy = 64\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "g.cfg:3: memroy: unknown setting; did you mean memory?");

	/* The hypervisor runs out of memory half way: the half-built domain goes. */
	free_before = fake.free_pages;
	fake.fail_populate_after = 3;
	config("k", "memory = 32\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "mica: the hypervisor gave the new domain only ");
	CHECK_HAS(err, "of its 32 MiB: not enough free memory ('mica info' shows it)");
	CHECK(!fake_domain(1));
	CHECK_EQ(fake.destroyed, 1);
	CHECK_EQ(fake.free_pages, free_before);
	CHECK_EQ(fake.live_maps, 0);

	fake.no_store = true;
	fake.fail_populate_after = -1;
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "mica: cannot reach the store at /fake/xenstored/socket: No such file or "
		       "directory; is mica-store running?");

	/* The dry run needs neither. */
	fake.no_privcmd = true;
	CHECK_EQ(mica(NULL, "create", "-n", cfg_path, NULL), EXIT_OK);
	CHECK_HAS(out, "is good; mica would create:");
}

/* vif lines become both store directories of each interface; detach and destroy remove them. */
static void vifs_in_the_store(void)
{
	const char *perms, *mac;

	fake_reset(1024);
	/* No pid file names a live mica-netback here: create starts this instead. */
	setenv("MICA_NETBACK", "true", 1);
	config("net", "memory = 32\nvif = [ 'mac=00:16:3E:01:02:03, bridge=br9', '' ]\n");
	REQUIRE_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_OK);
	CHECK_STR(err, "");
	CHECK_STR(fake_store_get("/local/domain/1/device/vif/0/mac", &perms), "00:16:3e:01:02:03");
	CHECK_STR(perms, "n1");
	CHECK_STR(fake_store_get("/local/domain/1/device/vif/0/backend", NULL),
		  "/local/domain/0/backend/vif/1/0");
	CHECK_STR(fake_store_get("/local/domain/1/device/vif/0/state", NULL), "1");
	CHECK_STR(fake_store_get("/local/domain/0/backend/vif/1/0/frontend", &perms),
		  "/local/domain/1/device/vif/0");
	CHECK_STR(perms, "n0,r1");
	CHECK_STR(fake_store_get("/local/domain/0/backend/vif/1/0/bridge", NULL), "br9");
	CHECK_STR(fake_store_get("/local/domain/0/backend/vif/1/0/online", NULL), "1");
	CHECK_STR(fake_store_get("/local/domain/0/backend/vif/1/1/handle", NULL), "1");
	CHECK(!fake_store_get("/local/domain/0/backend/vif/1/1/bridge", NULL));
	mac = fake_store_get("/local/domain/1/device/vif/1/mac", NULL);
	REQUIRE(mac);
	CHECK(!strncmp(mac, "00:16:3e:", 9) && strlen(mac) == 17);

	CHECK_EQ(mica(NULL, "network-list", "net", NULL), EXIT_OK);
	CHECK_HAS(out, "0    0   00:16:3e:01:02:03 initialising  initialising  vif1.0     br9");
	CHECK_EQ(mica(NULL, "network-list", "--json", "1", NULL), EXIT_OK);
	CHECK_HAS(out, "\"devid\": 1,");
	CHECK_HAS(out, "\"bridge\": null");

	/* Detach by MAC, with the backend already closed: both directories go. */
	fake_store_set("/local/domain/0/backend/vif/1/0/state", "6");
	CHECK_EQ(mica(NULL, "network-detach", "net", "00:16:3e:01:02:03", NULL), EXIT_OK);
	CHECK_HAS(out, "detached interface 0 from net (1)");
	CHECK(!fake_store_get("/local/domain/0/backend/vif/1/0/online", NULL));
	CHECK(!fake_store_get("/local/domain/1/device/vif/0/mac", NULL));
	CHECK_EQ(mica(NULL, "network-detach", "net", "7", NULL), EXIT_FAIL);
	CHECK_HAS(err, "net (1) has no interface 7; 'mica network-list net' shows them");
	CHECK_EQ(mica(NULL, "network-attach", "net", "mac=01:00:00:00:00:01", NULL), EXIT_USAGE);
	CHECK_HAS(err, "multicast");
	CHECK_EQ(mica(NULL, "network-detach", "net", NULL), EXIT_USAGE);

	/* Destroying the guest takes its backend directories too. */
	CHECK_EQ(mica(NULL, "destroy", "net", NULL), EXIT_OK);
	CHECK(!fake_store_get("/local/domain/0/backend/vif/1/1/mac", NULL));
	CHECK(!fake_store_get("/local/domain/0/backend/vif/1", NULL));

	/* A backend that cannot start: the guest is not created. */
	setenv("MICA_NETBACK", "false", 1);
	config("net", "memory = 32\nvif = [ '' ]\n");
	CHECK_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_FAIL);
	CHECK_HAS(err, "the network backend false did not start (status 1): install it in PATH "
		       "or set MICA_NETBACK");
	unsetenv("MICA_NETBACK");
}

static void lifecycle(void)
{
	uint32_t id;

	fake_reset(1024);
	config("web", "memory = 32\n");
	REQUIRE_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_OK);
	id = 1;

	CHECK_EQ(mica(NULL, "pause", "web", NULL), EXIT_OK);
	CHECK_STR(out, "paused web (1)\n");
	CHECK(fake_domain(id)->flags & XEN_DOMINF_paused);
	CHECK_EQ(mica(NULL, "unpause", "1", NULL), EXIT_OK);
	CHECK(!(fake_domain(id)->flags & XEN_DOMINF_paused));
	CHECK_EQ(mica(NULL, "unpause", "web", NULL), EXIT_FAIL);
	CHECK_HAS(err, "mica: web (1) is not paused");
	CHECK_EQ(mica(NULL, "pause", "0", NULL), EXIT_FAIL);
	CHECK_HAS(err, "dom0 cannot pause itself");

	CHECK_EQ(mica(NULL, "shutdown", "web", NULL), EXIT_OK);
	CHECK_STR(out, "asked web (1) to power off\n");
	CHECK_HAS(err, "mica: warning: web (1) has not announced that it acts on poweroff requests "
		       "(control/feature-poweroff is not set): it may still be booting, or have no "
		       "PV drivers");
	fake_store_set("/local/domain/1/control/feature-poweroff", "1");
	CHECK_EQ(mica(NULL, "shutdown", "web", NULL), EXIT_OK);
	CHECK_STR(err, "");
	CHECK_STR(fake_store_get("/local/domain/1/control/shutdown", NULL), "poweroff");
	CHECK_EQ(mica(NULL, "reboot", "web", NULL), EXIT_OK);
	CHECK_STR(fake_store_get("/local/domain/1/control/shutdown", NULL), "reboot");
	CHECK_EQ(mica(NULL, "shutdown", "Domain-0", NULL), EXIT_FAIL);
	CHECK_HAS(err, "dom0 shuts down from inside");

	/* A guest that ignores the request is destroyed at the timeout (exit status 3). */
	CHECK_EQ(mica(NULL, "shutdown", "-w", "-t", "1", "web", NULL), EXIT_FORCED);
	CHECK_HAS(err, "mica: web (1) did not shut down within 1 s: destroyed it");
	CHECK(!fake_domain(id));
	CHECK(fake_store_get("/local/domain/1", NULL) == NULL);
	CHECK(fake.releases >= 1);

	/* One that powers off, with no monitor to reap it: -w destroys it after a grace time. */
	config("web", "memory = 32\n");
	REQUIRE_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_OK);
	fake.shutdown_after_polls = 2;
	CHECK_EQ(mica(NULL, "shutdown", "-w", "web", NULL), EXIT_OK);
	CHECK_HAS(out, "web (2) has shut down");
	CHECK(!fake_domain(2));

	/* on_poweroff = preserve: -w returns once it has shut down, and leaves it. */
	config("web", "memory = 32\non_poweroff = \"preserve\"\n");
	REQUIRE_EQ(mica(NULL, "create", cfg_path, NULL), EXIT_OK);
	fake.shutdown_after_polls = 1;
	CHECK_EQ(mica(NULL, "shutdown", "-w", "3", NULL), EXIT_OK);
	CHECK_HAS(out, "web (3) has shut down and is preserved ('mica destroy' removes it)");
	CHECK(fake_domain(3));

	/* Its rings are still mapped by the store and the console daemon for a moment: a zombie
	 * that a second destroy finishes. */
	fake.zombie_destroys = 2;
	CHECK_EQ(mica(NULL, "destroy", "web", NULL), EXIT_OK);
	CHECK_STR(out, "destroyed web (3)\n");
	CHECK(!fake_domain(3));
	CHECK_EQ(fake.zombie_destroys, 0);
	CHECK_EQ(mica(NULL, "destroy", "web", NULL), EXIT_FAIL);
	CHECK_HAS(err, "there is no domain named 'web'");
	CHECK_EQ(mica(NULL, "destroy", "0", NULL), EXIT_FAIL);
	CHECK_HAS(err, "dom0 cannot be destroyed");
	CHECK_EQ(fake.free_pages, 1024 * 256);
}

static void console(void)
{
	char name[100], got[100];
	int master;
	ssize_t n;

	fake_reset(1024);
	CHECK_EQ(mica(NULL, "console", "0", NULL), EXIT_FAIL);
	CHECK_HAS(err, "dom0's console is the hypervisor's serial console");
	fake_add_domain("db", 64, 1);
	/* The daemon's terminal: a pty whose slave path is in the store. */
	master = posix_openpt(O_RDWR | O_NOCTTY);
	REQUIRE(master >= 0 && !grantpt(master) && !unlockpt(master));
	snprintf(name, sizeof(name), "%s", ptsname(master));
	{
		struct termios t;
		int s = open(name, O_RDWR | O_NOCTTY);

		tcgetattr(s, &t);
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
		close(s);
	}
	fake_store_set("/local/domain/1/console/tty", name);
	if (write(master, "login: ", 7) != 7)
		abort();
	/* Typed: "root\r", then Ctrl-] and what follows it never reaches the guest. */
	CHECK_EQ(mica("root\r\x1dnot this", "console", "db", NULL), EXIT_OK);
	CHECK_HAS(err, "Connected to the console of db (1); Ctrl-] detaches.");
	CHECK_HAS(out, "login: ");
	n = read(master, got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	CHECK_STR(got, "root\r");
	close(master);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	setup_files();
	RUN(help_and_usage);
	RUN(list_and_info);
	RUN(dmesg_and_vcpus);
	RUN(create_builds_the_whole_domain);
	RUN(create_errors);
	RUN(vifs_in_the_store);
	RUN(lifecycle);
	RUN(console);
	fake_reset(0);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			return 1;
	}
	return check_done();
}
