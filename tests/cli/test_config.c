/*
 * The xl configuration parser (dom0-tools/mica/config.c) and its meaning
 * (domcfg.c, devspec.c): the syntax xl accepts, every error message, the
 * defaults, and the device specifications.
 */
/* tool-sources: dom0-tools/mica/config.c dom0-tools/mica/domcfg.c dom0-tools/mica/devspec.c */
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

static struct msgs errors;
static struct cfg_file file;
static struct domcfg cfg;

static void reset(void)
{
	msgs_free(&errors);
	cfg_free(&file);
	domcfg_free(&cfg);
}

/* Parses and interprets text as the file "g.cfg"; returns the first failing rc. */
static int load(const char *text)
{
	int rc;

	reset();
	rc = cfg_parse("g.cfg", text, strlen(text), &file, &errors);
	if (rc)
		return rc;
	return domcfg_from_file(&file, &cfg, &errors);
}

/* Whether some message equals want exactly. */
static bool has_msg(const struct msgs *m, const char *want)
{
	for (unsigned int i = 0; i < m->nr; i++)
		if (!strcmp(m->v[i], want))
			return true;
	return false;
}

#define CHECK_MSG_IN(m, want)                                                            \
	do {                                                                             \
		if (!has_msg(&(m), want)) {                                              \
			check_fail(__FILE__, __LINE__, "no message \"%s\"; got %u:", want,   \
				   (m).nr);                                              \
			for (unsigned int i_ = 0; i_ < (m).nr; i_++)                      \
				printf("    \"%s\"\n", (m).v[i_]);                        \
		}                                                                        \
	} while (0)

#define GOOD "name = \"web\"\nkernel = \"/boot/vmlinuz\"\n"

static void full_file(void)
{
	const char *text =
		"# A guest, as xl writes it\n"
		"name = \"web-1\"\n"
		"type = 'pv'\n"
		"kernel = \"/boot/vmlinuz\"   # trailing comment\n"
		"ramdisk = '/boot/initrd.img'\n"
		"memory = 512; maxmem = 0x400\n"
		"vcpus = \"4\"\n"
		"extra = \"console=hvc0 quiet\"\n"
		"root = \"/dev/xvda1 ro\"\n"
		"disk = [ 'format=raw, vdev=xvda, access=rw, target=/srv/web.img',\n"
		"         '/srv/data.img,raw,xvdb,ro',\n"
		"       ]\n"
		"vif = [ 'mac=00:16:3E:01:02:03,bridge=xenbr0', '' ]\n"
		"on_poweroff = \"destroy\"\n"
		"on_reboot = \"restart\"\n"
		"on_crash = \"preserve\"\n";

	REQUIRE_EQ(load(text), 0);
	CHECK_EQ(errors.nr, 0);
	CHECK_STR(cfg.name, "web-1");
	CHECK_STR(cfg.kernel, "/boot/vmlinuz");
	CHECK_STR(cfg.ramdisk, "/boot/initrd.img");
	CHECK_EQ(cfg.memory_mib, 512);
	CHECK_EQ(cfg.maxmem_mib, 1024);
	CHECK_EQ(cfg.vcpus, 4);
	CHECK_STR(cfg.cmdline, "root=/dev/xvda1 ro console=hvc0 quiet");
	REQUIRE_EQ(cfg.nr_disks, 2);
	CHECK_STR(cfg.disks[0].target, "/srv/web.img");
	CHECK_STR(cfg.disks[0].vdev, "xvda");
	CHECK(!cfg.disks[0].readonly);
	CHECK_EQ(cfg.disks[0].line, 10);
	CHECK_STR(cfg.disks[1].target, "/srv/data.img");
	CHECK_STR(cfg.disks[1].vdev, "xvdb");
	CHECK(cfg.disks[1].readonly);
	CHECK_EQ(cfg.disks[1].line, 11);
	REQUIRE_EQ(cfg.nr_vifs, 2);
	CHECK_STR(cfg.vifs[0].mac, "00:16:3e:01:02:03");
	CHECK_STR(cfg.vifs[0].bridge, "xenbr0");
	CHECK_STR(cfg.vifs[1].mac, "");
	CHECK_EQ(cfg.on_poweroff, ACTION_DESTROY);
	CHECK_EQ(cfg.on_reboot, ACTION_RESTART);
	CHECK_EQ(cfg.on_crash, ACTION_PRESERVE);
	CHECK_EQ(cfg.name_line, 2);
	CHECK_EQ(cfg.kernel_line, 4);
	CHECK_EQ(cfg.memory_line, 6);
}

static void defaults(void)
{
	REQUIRE_EQ(load(GOOD), 0);
	CHECK_EQ(cfg.memory_mib, 128);
	CHECK_EQ(cfg.maxmem_mib, 128);
	CHECK_EQ(cfg.vcpus, 1);
	CHECK(cfg.ramdisk == NULL);
	CHECK_STR(cfg.cmdline, "");
	CHECK_EQ(cfg.nr_disks, 0);
	CHECK_EQ(cfg.on_poweroff, ACTION_DESTROY);
	CHECK_EQ(cfg.on_reboot, ACTION_RESTART);
	CHECK_EQ(cfg.on_crash, ACTION_DESTROY);
	CHECK_EQ(cfg.memory_line, 0);
}

static void strings_and_escapes(void)
{
	REQUIRE_EQ(load(GOOD "cmdline = \"a\\\"b\\\\c\\td\\x41\\101\\n'\"\n"), 0);
	CHECK_STR(cfg.cmdline, "a\"b\\c\tdAA\n'");
	REQUIRE_EQ(load(GOOD "cmdline = 'single \"quoted\" \\' too'\n"), 0);
	CHECK_STR(cfg.cmdline, "single \"quoted\" ' too");
	/* No end-of-line needed at the end of the file; blank lines and ';' are fine. */
	REQUIRE_EQ(load("\n\n;name = \"x\";;\n\nkernel = \"/k\""), 0);
	CHECK_STR(cfg.kernel, "/k");
}

static void cmdline_rules(void)
{
	REQUIRE_EQ(load(GOOD "root = \"/dev/xvda1\"\n"), 0);
	CHECK_STR(cfg.cmdline, "root=/dev/xvda1");
	REQUIRE_EQ(load(GOOD "extra = \"console=hvc0\"\n"), 0);
	CHECK_STR(cfg.cmdline, "console=hvc0");
	/* cmdline wins over root and extra, as in xl, with a warning. */
	REQUIRE_EQ(load(GOOD "cmdline = \"ro quiet\"\nroot = \"/dev/x\"\nextra = \"e\"\n"), 0);
	CHECK_STR(cfg.cmdline, "ro quiet");
	CHECK_MSG_IN(cfg.warnings, "g.cfg: root and extra are ignored because cmdline is set");
}

static void append_and_override(void)
{
	REQUIRE_EQ(load(GOOD "extra = \"a\"\nextra += \" b\"\n"
			"disk = [ 'x.img,,xvda' ]\ndisk += [ 'y.img,,xvdb' ]\ndisk += 'z.img,,xvdc'\n"),
		   0);
	CHECK_STR(cfg.cmdline, "a b");
	CHECK_EQ(cfg.nr_disks, 3);
	/* The last value of a key counts, as in xl; the earlier one is named in a warning. */
	REQUIRE_EQ(load(GOOD "memory = 64\nmemory = 96\n"), 0);
	CHECK_EQ(cfg.memory_mib, 96);
	CHECK_MSG_IN(cfg.warnings, "g.cfg:4: memory: set again; the value from line 3 is ignored");
	CHECK_EQ(load(GOOD "extra = \"a\"\nextra += [ 'b' ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:4: extra: += of a list to a value that is not a list");
}

static void syntax_errors(void)
{
	CHECK_EQ(load("name \"web\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: name: expected '=' after the name, found a string");
	CHECK_EQ(load("name = \n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: name: expected a value (a \"string\", a number or a [ list ]), "
			     "found the end of the line");
	CHECK_EQ(load("name = \"web\" kernel = \"/k\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: name: expected the end of the line after the value, found a "
			     "name (one setting per line, or separate them with ';')");
	CHECK_EQ(load("name = \"web\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: a string has no closing \"");
	CHECK_EQ(load("name = \"a\\qb\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: unknown escape \\q in a string");
	CHECK_EQ(load("name = \"\\x4\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: \\x in a string needs two hex digits");
	CHECK_EQ(load("memory = 12ab\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: '12ab' is not a number (write text in quotes)");
	CHECK_EQ(load("memory = web\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: memory: expected a value (a \"string\", a number or a [ list "
			     "]), found a name");
	CHECK_EQ(load("= 5\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: expected a setting (NAME = VALUE), found '='");
	CHECK_EQ(load("disk = [ 'a' 'b' ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: disk: expected ',' or ']' in the list, found a string");
	CHECK_EQ(load("disk = [ [ 'a' ] ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: disk: a list cannot hold another list");
	CHECK_EQ(load("name = $x\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: unexpected character '$'");
	CHECK_EQ(load("name = \"a\"\x01\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: unexpected byte 0x01 (the file should be text)");
}

static void errors_are_all_reported(void)
{
	/* Each bad line is reported; recovery skips to the next statement, also out of a list. */
	CHECK_EQ(load("name = \nkernel = [ 'a',\n  oops,\n 'b' ]\nmemory = 5 6\n"), -EINVAL);
	CHECK_EQ(errors.nr, 3);
	CHECK_MSG_IN(errors, "g.cfg:3: kernel: expected a list item or ']', found a name");
	CHECK_MSG_IN(errors, "g.cfg:5: memory: expected the end of the line after the value, found a "
			     "number (one setting per line, or separate them with ';')");
}

static void value_errors(void)
{
	CHECK_EQ(load(GOOD "memroy = 64\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: memroy: unknown setting; did you mean memory?");
	CHECK_EQ(load(GOOD "builder = \"hvm\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: builder: unknown setting; mica knows name, type, kernel, "
			     "ramdisk, cmdline, extra, root, memory, maxmem, vcpus, disk, vif, "
			     "on_poweroff, on_reboot and on_crash (docs/mica-cli.md)");
	CHECK_EQ(load(GOOD "memory = \"lots\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: memory: expected a number of MiB, found \"lots\"");
	CHECK_EQ(load(GOOD "memory = 0\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: memory: 0 MiB is out of range: give the size in MiB, from 1 "
			     "to 1048576");
	CHECK_EQ(load(GOOD "memory = [ 1 ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: memory: expected a number of MiB, not a list");
	CHECK_EQ(load(GOOD "memory = 99999999999999999999999\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: memory: expected a number of MiB, found "
			     "\"99999999999999999999999\"");
	CHECK_EQ(load(GOOD "memory = 512\nmaxmem = 256\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:4: maxmem: 256 MiB is less than memory (512 MiB); maxmem must be "
			     "at least memory");
	CHECK_EQ(load(GOOD "vcpus = 65\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: vcpus: 65 vCPUs is out of range: from 1 to 64");
	CHECK_EQ(load(GOOD "vcpus = \"two\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: vcpus: expected a number of vCPUs, found \"two\"");
	CHECK_EQ(load(GOOD "type = \"hvm\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: type: \"hvm\" guests are not supported: Mica runs PV guests "
			     "only (type = \"pv\", or leave type out)");
	CHECK_EQ(load(GOOD "on_crash = \"coredump-restart\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: on_crash: \"coredump-restart\" is not supported by mica: use "
			     "destroy, restart or preserve");
	CHECK_EQ(load(GOOD "on_reboot = \"reboot\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: on_reboot: \"reboot\" is not an action: use destroy, restart "
			     "or preserve");
	CHECK_EQ(load(GOOD "ramdisk = \"\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: ramdisk: empty path");
	CHECK_EQ(load(GOOD "cmdline = \"a\\0b\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: cmdline: the string contains a NUL byte (\\0 or \\x00)");
	CHECK_EQ(load(GOOD "kernel = [ '/k' ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: kernel: expected a \"string\", not a list");
}

static void names(void)
{
	CHECK_EQ(load("kernel = \"/k\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg: name: not set; add a line like name = \"guest1\"");
	CHECK_EQ(load("name = \"web\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg: kernel: not set; add a line like kernel = \"/boot/vmlinuz\"");
	CHECK_EQ(load("name = \"12\"\nkernel = \"/k\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: name: \"12\" is not a usable domain name: use 1 to 63 letters, "
			     "digits, '_', '.' or '-', not all digits and not starting with '-'");
	CHECK_EQ(errors.nr, 1); /* not also "not set" */
	CHECK_EQ(load("name = \"Domain-0\"\nkernel = \"/k\"\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:1: name: \"Domain-0\" is dom0's name; choose another");
	CHECK(domcfg_name_ok("web.example-1_a"));
	CHECK(domcfg_name_ok("a"));
	CHECK(!domcfg_name_ok(""));
	CHECK(!domcfg_name_ok("-x"));
	CHECK(!domcfg_name_ok("a b"));
	CHECK(!domcfg_name_ok("a/b"));
	CHECK(!domcfg_name_ok("0123"));
	CHECK(domcfg_name_ok("0123a"));
	CHECK(!domcfg_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void cmdline_too_long(void)
{
	char text[2200];
	char *p = text + sprintf(text, GOOD "extra = \"");

	memset(p, 'x', 1100);
	strcpy(p + 1100, "\"\n");
	CHECK_EQ(load(text), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg: the kernel command line is 1100 bytes; a PV kernel takes at "
			     "most 1023");
}

static void disk_specs(void)
{
	struct disk_spec d;
	char why[200];

	REQUIRE_EQ(domcfg_parse_disk("phy:/dev/vg/lv,xvda,w", &d, why, sizeof(why)), 0);
	CHECK_STR(d.target, "/dev/vg/lv");
	CHECK_STR(d.vdev, "xvda");
	CHECK_STR(d.format, "raw");
	CHECK(!d.readonly);
	free(d.target); free(d.format); free(d.vdev);
	REQUIRE_EQ(domcfg_parse_disk("file:/srv/a.img,xvdb1,r", &d, why, sizeof(why)), 0);
	CHECK_STR(d.target, "/srv/a.img");
	CHECK_STR(d.vdev, "xvdb1");
	CHECK(d.readonly);
	free(d.target); free(d.format); free(d.vdev);
	REQUIRE_EQ(domcfg_parse_disk(" vdev=xvdc, target=/srv/odd,name.img", &d, why, sizeof(why)), 0);
	CHECK_STR(d.target, "/srv/odd,name.img");
	free(d.target); free(d.format); free(d.vdev);
	REQUIRE_EQ(domcfg_parse_disk(",,hdc:cdrom,r", &d, why, sizeof(why)), 0);
	CHECK(d.cdrom);
	CHECK(d.target == NULL);
	free(d.target); free(d.format); free(d.vdev);

	CHECK_EQ(domcfg_parse_disk("/a.img,qcow2,xvda", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "format qcow2 is not supported: Mica serves raw images and devices only "
		       "(convert with qemu-img convert -O raw)");
	CHECK_EQ(domcfg_parse_disk("/a.img,raw,vda", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "'vda' is not a guest device name (xvda, xvdb, ... )");
	CHECK_EQ(domcfg_parse_disk("/a.img", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "no guest device: add vdev=xvda (or the third item)");
	CHECK_EQ(domcfg_parse_disk("vdev=xvda", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "no image: add target=/path/to/image (or the first item)");
	CHECK_EQ(domcfg_parse_disk("/a,raw,xvda,rw,extra", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "too many items: a disk is target, format, vdev, access");
	CHECK_EQ(domcfg_parse_disk("/a,raw,xvda,write", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "access 'write' is not r, ro, w or rw");
	CHECK_EQ(domcfg_parse_disk("colo=1,vdev=xvda,target=/a", &d, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "unknown disk option 'colo' (mica knows target, format, vdev, access, devtype, "
		       "backend)");

	CHECK_EQ(load(GOOD "disk = [ '/a.img,,xvda', '/b.img,,xvda' ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: disk: item 2: xvda is used twice");
	CHECK_EQ(load(GOOD "disk = [ '/a.img,,xvda', 'nope' ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: disk: item 2 ('nope'): no guest device: add vdev=xvda (or the "
			     "third item)");
}

static void vif_specs(void)
{
	struct vif_spec v;
	char why[200];

	REQUIRE_EQ(domcfg_parse_vif(" mac=aa:bb:cc:dd:ee:f0 , bridge=br0, ip=10.0.0.2,type=vif",
				    &v, why, sizeof(why)), 0);
	CHECK_STR(v.mac, "aa:bb:cc:dd:ee:f0");
	CHECK_STR(v.bridge, "br0");
	CHECK_STR(v.ip, "10.0.0.2");
	free(v.bridge); free(v.ip);
	CHECK_EQ(domcfg_parse_vif("mac=01:00:00:00:00:00", &v, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "mac 01:00:00:00:00:00 is a multicast address; the first byte must be even");
	CHECK_EQ(domcfg_parse_vif("mac=00:16:3e:1:2:3", &v, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "mac '00:16:3e:1:2:3' is not six hex pairs like 00:16:3e:12:34:56");
	CHECK_EQ(domcfg_parse_vif("rate=10Mb/s", &v, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "unknown vif option 'rate' (mica knows mac, bridge, ip, vifname, script, model, "
		       "type, backend)");
	CHECK_EQ(domcfg_parse_vif("bridge", &v, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "'bridge' is not KEY=VALUE");
	CHECK_EQ(domcfg_parse_vif("type=ioemu", &v, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "type 'ioemu': PV guests have type=vif only");
	CHECK_EQ(load(GOOD "vif = [ 'mac=zz' ]\n"), -EINVAL);
	CHECK_MSG_IN(errors, "g.cfg:3: vif: item 1 ('mac=zz'): mac 'zz' is not six hex pairs like "
			     "00:16:3e:12:34:56");
}

static void load_from_disk(void)
{
	struct msgs e = { 0 };
	struct domcfg d;
	char path[] = "/tmp/mica-cfg-XXXXXX";
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	REQUIRE(write(fd, GOOD, strlen(GOOD)) == (ssize_t)strlen(GOOD));
	close(fd);
	CHECK_EQ(domcfg_load(path, &d, &e), 0);
	CHECK_STR(d.name, "web");
	CHECK_STR(d.path, path);
	domcfg_free(&d);
	unlink(path);
	CHECK_EQ(domcfg_load(path, &d, &e), -ENOENT);
	REQUIRE_EQ(e.nr, 1);
	CHECK(strstr(e.v[0], ": cannot read the configuration file: No such file or directory"));
	domcfg_free(&d);
	msgs_free(&e);
	CHECK_EQ(domcfg_load("/tmp", &d, &e), -EINVAL);
	CHECK_MSG_IN(e, "/tmp: not a configuration file (a directory)");
	domcfg_free(&d);
	msgs_free(&e);
}

/* A file of random bytes must never crash the parser or leak. */
static void random_input(void)
{
	uint64_t s = 12345;
	char text[300];

	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(s % sizeof(text));

		for (size_t i = 0; i < len; i++) {
			static const char alphabet[] = "ab=[],;'\"\\#\n +x0123456789name";

			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			text[i] = (s >> 33) % 3 ? alphabet[(s >> 40) % (sizeof(alphabet) - 1)] :
						  (char)(s >> 48);
		}
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		reset();
		if (!cfg_parse("r.cfg", text, len, &file, &errors))
			domcfg_from_file(&file, &cfg, &errors);
	}
	reset();
	CHECK(1);
}

int main(void)
{
	RUN(full_file);
	RUN(defaults);
	RUN(strings_and_escapes);
	RUN(cmdline_rules);
	RUN(append_and_override);
	RUN(syntax_errors);
	RUN(errors_are_all_reported);
	RUN(value_errors);
	RUN(names);
	RUN(cmdline_too_long);
	RUN(disk_specs);
	RUN(vif_specs);
	RUN(load_from_disk);
	RUN(random_input);
	reset();
	return check_done();
}
