/* mica: the command line of Mica's toolstack in dom0. The command table and dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mica.h"

#define MICA_VERSION "0.1"

static const struct command commands[] = {
	{ "create", cmd_create, "[-c] [-n] [-p] [--json] [-q] CONFIG",
	  "build a guest from an xl-format configuration file and start it",
	  "  -c, --console   attach to the guest's console once it runs (detach: Ctrl-])\n"
	  "  -n, --dry-run   check the file and the kernel and show the plan; create nothing\n"
	  "  -p, --paused    build it but leave it paused (start it with 'mica unpause')\n"
	  "      --json      print the result (or the plan) as JSON\n"
	  "  -q, --quiet     print nothing but errors\n"
	  "  Settings: name, kernel, ramdisk, cmdline, extra, root, memory, maxmem, vcpus,\n"
	  "  disk, vif, on_poweroff, on_reboot, on_crash (see docs/mica-cli.md).\n" },
	{ "list", cmd_list, "[--json] [NAME|ID ...]", "list the domains",
	  "      --json      one JSON array of domains\n"
	  "  Columns: name, id, memory (MiB), vCPUs, state, CPU time (s). State letters:\n"
	  "  r running, b blocked, p paused, s shut down, c crashed, d dying.\n" },
	{ "console", cmd_console, "NAME|ID", "attach to a guest's console (detach with Ctrl-])",
	  "  The console daemon (mica-consoled) must be running; it keeps every guest's\n"
	  "  output in /var/log/mica/console/NAME.log.\n" },
	{ "shutdown", cmd_shutdown, "[-w] [-t SECONDS] NAME|ID",
	  "ask a guest to power off (through the store's control/shutdown)",
	  "  -w, --wait          wait until the guest is gone; if it has not shut down\n"
	  "                      within the timeout, destroy it (exit status 3)\n"
	  "  -t, --timeout SECS  how long -w waits (default 60)\n" },
	{ "reboot", cmd_reboot, "[-w] [-t SECONDS] NAME|ID",
	  "ask a guest to reboot (through the store's control/shutdown)",
	  "  -w, --wait          wait until this instance of the guest is gone\n"
	  "  -t, --timeout SECS  how long -w waits before destroying it (default 60)\n" },
	{ "destroy", cmd_destroy, "NAME|ID", "stop a guest at once and free everything it had",
	  "" },
	{ "pause", cmd_pause, "NAME|ID", "stop running a guest's vCPUs until unpause", "" },
	{ "unpause", cmd_unpause, "NAME|ID", "run a paused guest again", "" },
	{ "block-attach", cmd_block_attach, "NAME|ID DISK",
	  "attach a disk to a running guest (DISK as in the config's disk list)",
	  "  DISK: 'format=raw, vdev=xvdb, access=rw, target=/path' or '/path,raw,xvdb,rw';\n"
	  "  /path is a raw image file or a dom0 block device ('phy:/dev/loop0,xvdb,w').\n"
	  "  mica-blkback serves it (started if it is not running); the guest sees /dev/xvdb.\n" },
	{ "block-detach", cmd_block_detach, "[-f] NAME|ID VDEV", "detach a disk from a guest",
	  "  -f, --force     remove the disk even if the guest does not release it in 10 s\n" },
	{ "block-list", cmd_block_list, "[--json] NAME|ID", "list a guest's disks",
	  "      --json      one JSON array of disks\n"
	  "  Columns: guest device, device number, backend and frontend state, mode, image.\n" },
	{ "info", cmd_info, "[--json]", "show the host and the hypervisor",
	  "      --json      one JSON object\n" },
	{ "dmesg", cmd_dmesg, "[-c]", "print the hypervisor's log",
	  "  -c, --clear     empty the log after printing it\n" },
	{ "network-attach", cmd_network_attach, "NAME|ID [mac=MAC] [bridge=BRIDGE]",
	  "give a running guest a new network interface",
	  "  The interface spec is xl's (mac, bridge, ...; see docs/mica-cli.md), as one or\n"
	  "  several KEY=VALUE arguments. mica-netback must be running in dom0; mica waits\n"
	  "  until the guest has connected the interface (at most 30 s).\n" },
	{ "network-detach", cmd_network_detach, "NAME|ID DEVID|MAC",
	  "remove a network interface from a guest",
	  "  Asks the guest and mica-netback to close it, waits (at most 30 s), and removes\n"
	  "  it from the store.\n" },
	{ "network-list", cmd_network_list, "[--json] NAME|ID", "list a guest's network interfaces",
	  "      --json      one JSON array of interfaces\n" },
	{ "vcpu-list", cmd_vcpu_list, "[--json] [NAME|ID ...]", "list the vCPUs of the domains",
	  "      --json      one JSON array of vCPUs\n" },
	{ "device-attach", cmd_device_attach, "NAME|ID TYPE [DEV] [KEY=VALUE ...]",
	  "give a guest a split device of any type (device number DEV, default 0)",
	  "  Writes the device's backend and frontend directories in the store, the\n"
	  "  KEY=VALUE items in the backend's, and waits up to 10 s for TYPE's backend\n"
	  "  daemon to take it. Example: mica device-attach web rng (mica-rngback).\n"
	  "  See docs/pv-driver-guide.md.\n" },
	{ "device-detach", cmd_device_detach, "[-f] NAME|ID TYPE [DEV]",
	  "take a split device away from a guest",
	  "  -f, --force     remove the store directories even if the guest does not\n"
	  "                  let go of the device within 10 s\n" },
};

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_usage_line(FILE *out, const struct command *c)
{
	fprintf(out, "usage: mica %s %s\n", c->name, c->args);
}

static void command_help(const struct command *c)
{
	print_usage_line(stdout, c);
	printf("%s%s.\n", c->summary[0] ? "\n" : "", c->summary);
	if (c->help[0])
		printf("\n%s", c->help);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	const struct command *c = command_find(cmd);
	va_list ap;

	fprintf(stderr, "mica %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c)
		print_usage_line(stderr, c);
	fprintf(stderr, "Try 'mica %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static void main_help(FILE *out)
{
	fprintf(out, "usage: mica [-q] COMMAND [ARGS]\n\n"
		     "Manage Mica's guest domains from dom0.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'mica COMMAND --help' describes a command; docs/mica-cli.md has the rest.\n"
		     "Exit status: 0 done, 1 failed, 2 bad command line, 3 a guest had to be "
		     "destroyed.\n");
}

/* Whether args asks for help before any "--". */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

int mica_main(int argc, char **argv)
{
	const struct command *c;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			main_help(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("mica %s\n", MICA_VERSION);
			return EXIT_OK;
		} else {
			fprintf(stderr, "mica: unknown option %s\n", argv[i]);
			main_help(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 >= argc) {
			main_help(stdout);
			return EXIT_OK;
		}
		c = command_find(argv[i + 1]);
		if (!c) {
			fprintf(stderr, "mica: no command '%s'; 'mica --help' lists them\n", argv[i + 1]);
			return EXIT_USAGE;
		}
		command_help(c);
		return EXIT_OK;
	}
	c = command_find(argv[i]);
	if (!c) {
		fprintf(stderr, "mica: no command '%s'; 'mica --help' lists them\n", argv[i]);
		return EXIT_USAGE;
	}
	if (wants_help(argc - i, argv + i)) {
		command_help(c);
		return EXIT_OK;
	}
	return c->run(argc - i, argv + i);
}
