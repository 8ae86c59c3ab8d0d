/*
 * start_hypervisor: the boot sequence, from the first C instruction on the
 * boot CPU to building dom0 and entering the scheduler.
 */
#include <asm/arch.h>
#include <asm/dom0_build.h>
#include <asm/layout.h>
#include <asm/percpu.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <asm/uart.h>
#include <asm/x86.h>
#include <mica/bootinfo.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/frame.h>
#include <mica/sched.h>
#include <mica/lib.h>
#include <mica/vcpu_time.h>
#include <mica/version.h>

static struct boot_info boot_info;

static char opt_console[16] = "com1";
static u32 opt_loglvl = LOG_INFO;
PARAM_STRING("console", opt_console);
PARAM_UINT("loglvl", opt_loglvl);

/* dom0's memory (0: all the hypervisor does not need) and vCPU count. */
static u64 opt_dom0_mem;
static u32 opt_dom0_vcpus = 1;
PARAM_SIZE("dom0_mem", opt_dom0_mem);
PARAM_UINT("dom0_vcpus", opt_dom0_vcpus);

extern const struct param __params_start[], __params_end[];

/* Before the direct map exists, the boot tables identity-map the low 4 GiB. */
static const void *early_phys_read(paddr_t pa, size_t len)
{
	if (pa + len < pa || pa + len > GiB(4))
		return NULL;
	return (const void *)(uintptr_t)pa;
}

static void cmdline_warn(const char *msg)
{
	pr_warn("command line: %s", msg);
}

static void console_setup(void)
{
	if (!strcmp(opt_console, "com1"))
		uart_init(COM1_PORT, 115200);
	else if (!strcmp(opt_console, "com2"))
		uart_init(COM2_PORT, 115200);
	else if (!strcmp(opt_console, "none"))
		uart_disable();
	else
		pr_warn("command line: console '%s' unknown (use com1, com2 or none); keeping com1",
			opt_console);
}

void start_hypervisor(u32 magic, u32 info)
{
	size_t nr_params = (size_t)(__params_end - __params_start);
	const char *options;
	int rc;

	uart_init(COM1_PORT, 115200);
	rc = multiboot_parse(magic, info, early_phys_read, &boot_info);
	if (rc)
		panic("not started by a Multiboot loader (magic %#x); boot Mica with GRUB or QEMU -kernel",
		      magic);
	options = cmdline_skip_image_name(boot_info.cmdline, __params_start, nr_params);
	cmdline_parse(options, __params_start, nr_params, cmdline_warn);
	console_loglevel = opt_loglvl > LOG_DEBUG ? LOG_DEBUG : (int)opt_loglvl;
	console_setup();

	pr_info("Mica %s (%s) starting, loaded by %s%s%s", MICA_VERSION, MICA_BUILD_INFO,
		boot_info.loader, boot_info.loader_name[0] ? ": " : "", boot_info.loader_name);
	pr_info("command line: %s", options);

	time_init();
	vcpu_time_boot_init();
	memory_init(&boot_info);
	sched_init();
	smp_init(&boot_info);
	uart_input_start();
	trigger_test_fault();

	pr_info("Mica %s ready: %u CPU%s, %lu MiB RAM, %u module%s", MICA_VERSION, nr_cpus_online,
		nr_cpus_online == 1 ? "" : "s", usable_ram_bytes >> 20, boot_info.nr_mods,
		boot_info.nr_mods == 1 ? "" : "s");
	if (boot_info.mods_dropped)
		pr_warn("%u boot modules beyond the first %u were ignored", boot_info.mods_dropped,
			BOOT_MAX_MODULES);
	if (!boot_info.nr_mods) {
		pr_info("no dom0 kernel given: add the dom0 kernel as the first Multiboot module");
		arch_qemu_exit(0);
	} else {
		const struct boot_module *k = &boot_info.mods[0];

		pr_info("dom0 kernel: %lu KiB module '%s'%s; dom0_mem=%lu MiB, dom0_vcpus=%u",
			(k->end - k->start) >> 10, k->cmdline,
			boot_info.nr_mods > 1 ? " with an initrd" : "", opt_dom0_mem >> 20,
			opt_dom0_vcpus);
		if (dom0_construct(&boot_info, opt_dom0_mem, opt_dom0_vcpus)) {
			pr_err("dom0 not started: correct what the message above names and boot again");
			arch_halt_all();
		}
	}
	cpu_idle_loop();
}
