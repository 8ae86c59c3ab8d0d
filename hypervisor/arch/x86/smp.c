/* Bring-up of the secondary CPUs (INIT-SIPI-SIPI) and the per-CPU records. */
#include <asm/acpi.h>
#include <asm/arch.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/irq.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/smp.h>
#include <mica/sched.h>
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/bootinfo.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/frame.h>
#include <mica/lib.h>

/*
 * Theory of operation. The boot CPU starts the others one at a time. For
 * each, it allocates a stack block and fills in the cpu_info at its top,
 * leaves the block's stack top and its own control registers in the
 * ap_boot_* variables below (read by trampoline.S), and sends INIT, then
 * two STARTUP IPIs pointing at the trampoline page. The new CPU reaches
 * ap_start() on its own stack, loads its descriptor tables and checks in
 * through ap_callin; from then on it no longer touches the trampoline or
 * ap_boot_*, so the next CPU may be started. The two then compare TSCs
 * (the boot CPU brackets each of the new CPU's readings between two of
 * its own), and the new CPU sets up its APIC and timer, prints its line,
 * marks itself online and checks in again with AP_ONLINE set. A CPU that misses a deadline is sent INIT
 * again, which parks it for good, and is left out; its logical index goes
 * to the next CPU, but its stack is never freed.
 */

unsigned int nr_cpus_online;
struct cpu_info *cpu_infos[MAX_CPUS];

/* Read by trampoline.S; written by the boot CPU before each start. */
u64 ap_boot_stack, ap_boot_cr0, ap_boot_cr4, ap_boot_efer, ap_boot_pat;

extern const char trampoline_start[], trampoline_end[];

static u32 ap_callin;       /* logical index of the CPU that reached ap_start, | AP_ONLINE */
static bool smp_ready;      /* cpu_infos[0] set up: this_cpu() is meaningful */

static bool opt_nosmp;
static u32 opt_maxcpus = MAX_CPUS;
PARAM_BOOL("nosmp", opt_nosmp);
PARAM_UINT("maxcpus", opt_maxcpus);

#define MSR_PAT 0x277
#define AP_ONLINE 0x80000000u

/* Deadlines, generous for emulators that run many CPUs on few host threads. */
#define CALLIN_TIMEOUT_MS 2000
#define ONLINE_TIMEOUT_MS 2000
#define TSC_SYNC_TIMEOUT_MS 500
#define TIMER_CHECK_MS 1000
#define TSC_SYNC_ROUNDS 8
#define TSC_SKEW_WARN_NS 1000

int arch_cpu_id(void)
{
	return READ_ONCE(smp_ready) ? (int)this_cpu()->cpu : 0;
}

/* Spins until *flag == want or ms milliseconds pass; returns whether it matched. */
static bool wait_u32(const u32 *flag, u32 want, u64 ms)
{
	u64 start = rdtsc(), limit = ns_to_tsc(ms * NSEC_PER_MSEC);

	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != want) {
		if (rdtsc() - start > limit)
			return false;
		cpu_relax();
	}
	return true;
}

static inline u64 rdtsc_ordered(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return rdtsc();
}

/* The TSC handshake: round r starts when the boot CPU sets sync_go = r. */
static u32 sync_go, sync_done;
static u64 sync_ap_tsc;

/*
 * Boot CPU side. Takes the round with the shortest round trip and warns
 * if the new CPU's reading fell outside it by more than TSC_SKEW_WARN_NS.
 */
static void tsc_sync_bsp(unsigned int cpu)
{
	u64 best_rtt = ~0ULL, best_before = 0, best_after = 0;

	for (u32 r = 1; r <= TSC_SYNC_ROUNDS; r++) {
		u64 t0 = rdtsc_ordered(), t1, ap;

		__atomic_store_n(&sync_go, r, __ATOMIC_RELEASE);
		if (!wait_u32(&sync_done, r, TSC_SYNC_TIMEOUT_MS)) {
			pr_warn("SMP: CPU%u did not answer the TSC check", cpu);
			return;
		}
		t1 = rdtsc_ordered();
		ap = __atomic_load_n(&sync_ap_tsc, __ATOMIC_RELAXED);
		if (t1 - t0 < best_rtt) {
			best_rtt = t1 - t0;
			best_before = ap < t0 ? t0 - ap : 0;
			best_after = ap > t1 ? ap - t1 : 0;
		}
	}
	if (tsc_to_ns(best_before) > TSC_SKEW_WARN_NS || tsc_to_ns(best_after) > TSC_SKEW_WARN_NS)
		pr_warn("SMP: CPU%u's TSC is %s CPU0's by at least %llu ns: clocks will disagree between CPUs",
			cpu, best_before ? "behind" : "ahead of",
			(unsigned long long)tsc_to_ns(best_before + best_after));
}

static void tsc_sync_ap(void)
{
	for (u32 r = 1; r <= TSC_SYNC_ROUNDS; r++) {
		if (!wait_u32(&sync_go, r, TSC_SYNC_TIMEOUT_MS))
			return;
		__atomic_store_n(&sync_ap_tsc, rdtsc_ordered(), __ATOMIC_RELAXED);
		__atomic_store_n(&sync_done, r, __ATOMIC_RELEASE);
	}
}

void ap_start(void)
{
	struct cpu_info *ci = this_cpu();
	void *stack_base = (void *)ALIGN_DOWN((uintptr_t)ci, STACK_SIZE);

	cpu_desc_init(ci, stack_base);
	__atomic_store_n(&ap_callin, ci->cpu, __ATOMIC_RELEASE);
	tsc_sync_ap();
	apic_init_cpu();
	timer_init_cpu();
	/* A timer shortly ahead, which smp_init() checks every CPU has taken. */
	timer_set_oneshot(arch_boot_ns() + NSEC_PER_MSEC);
	if (apic_id() != ci->apic_id)
		pr_warn("CPU%u: APIC ID %u, but %u was started", ci->cpu, apic_id(), ci->apic_id);
	pr_info("CPU%u: APIC ID %u online", ci->cpu, ci->apic_id);
	__atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ci->online, true, __ATOMIC_RELEASE);
	__atomic_store_n(&ap_callin, ci->cpu | AP_ONLINE, __ATOMIC_RELEASE);
	cpu_idle_loop();
}

/* Starts one CPU. Returns 0 once it is online, or a negative errno. */
static int boot_cpu(unsigned int cpu, u32 apic, paddr_t tramp)
{
	u32 sipi = APIC_ICR_DM_STARTUP | (u32)(tramp >> PAGE_SHIFT);
	struct frame *f = alloc_frames(STACK_ORDER, FRAME_OWNER_HV);
	struct cpu_info *ci;
	int rc;

	if (!f) {
		pr_err("SMP: no memory for CPU%u's stack", cpu);
		return -ENOMEM;
	}
	/* The cpu_info sits at the top of the new stack block, the stack right below it. */
	ci = stack_top(__va(frame_to_mfn(f) << PAGE_SHIFT));
	memset(ci, 0, sizeof(*ci));
	ci->cpu = cpu;
	ci->apic_id = apic;
	ap_boot_stack = (u64)(uintptr_t)ci;
	__atomic_store_n(&ap_callin, ~0u, __ATOMIC_RELAXED);
	__atomic_store_n(&sync_go, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sync_done, 0, __ATOMIC_RELAXED);
	apic_clear_errors();

	/* INIT, 10 ms, STARTUP, 200 us, STARTUP (ignored if the first one took). */
	rc = apic_send_ipi(apic, APIC_ICR_DM_INIT | APIC_ICR_ASSERT);
	udelay(10000);
	if (!rc)
		rc = apic_send_ipi(apic, sipi | APIC_ICR_ASSERT);
	udelay(200);
	if (!rc && READ_ONCE(ap_callin) != cpu)
		rc = apic_send_ipi(apic, sipi | APIC_ICR_ASSERT);
	if (rc) {
		pr_err("SMP: cannot send the start IPIs to APIC ID %u (error %d, ESR %#x)", apic, rc,
		       apic_clear_errors());
		return rc;
	}

	if (!wait_u32(&ap_callin, cpu, CALLIN_TIMEOUT_MS)) {
		pr_err("SMP: CPU%u (APIC ID %u) did not start; continuing without it", cpu, apic);
		goto park;
	}
	tsc_sync_bsp(cpu);
	if (!wait_u32(&ap_callin, cpu | AP_ONLINE, ONLINE_TIMEOUT_MS)) {
		pr_err("SMP: CPU%u (APIC ID %u) started but did not come online; continuing without it",
		       cpu, apic);
		goto park;
	}
	WRITE_ONCE(cpu_infos[cpu], ci);
	return 0;
park:
	apic_send_ipi(apic, APIC_ICR_DM_INIT | APIC_ICR_ASSERT);
	return -ETIME;
}

static void boot_secondaries(void)
{
	unsigned int limit = opt_nosmp ? 1 : MIN(MAX(opt_maxcpus, 1u), (unsigned int)MAX_CPUS);
	u32 self = cpu_infos[0]->apic_id;
	unsigned int next = 1, skipped = 0;
	size_t size = (size_t)(trampoline_end - trampoline_start);

	if (limit == 1 || acpi_info.nr_cpus <= 1)
		return;
	if (!trampoline_pa) {
		pr_err("SMP: no free page below 640 KiB for the start code; running on one CPU");
		return;
	}
	BUG_ON(size > PAGE_SIZE - 256);
	memcpy(__va(trampoline_pa), trampoline_start, size);
	ap_boot_cr0 = read_cr0();
	ap_boot_cr4 = read_cr4();
	ap_boot_efer = rdmsr(MSR_EFER);
	ap_boot_pat = rdmsr(MSR_PAT);

	for (unsigned int i = 0; i < acpi_info.nr_cpus; i++) {
		const struct acpi_cpu *c = &acpi_info.cpus[i];

		if (!c->enabled || c->apic_id == self)
			continue;
		if (next == limit) {
			skipped++;
			continue;
		}
		if (!apic_x2apic && c->apic_id > 0xfe) {
			pr_warn("SMP: APIC ID %u needs x2APIC mode; CPU left out", c->apic_id);
			continue;
		}
		if (!boot_cpu(next, c->apic_id, trampoline_pa))
			next++;
	}
	if (skipped)
		pr_info("SMP: %u more CPU%s left off by maxcpus=/nosmp", skipped,
			skipped == 1 ? "" : "s");
}

/* Online CPUs whose timer has not fired yet; report names each of them. */
static unsigned int timers_missing(bool report)
{
	unsigned int missing = 0;

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct cpu_info *ci = READ_ONCE(cpu_infos[cpu]);

		if (ci && READ_ONCE(ci->online) && !READ_ONCE(ci->ticks)) {
			missing++;
			if (report)
				pr_err("SMP: CPU%u's timer interrupt never came", cpu);
		}
	}
	return missing;
}

/* Every online CPU armed a timer during its start: check that each fired. */
static void timer_check(void)
{
	u64 start = arch_boot_ns(), flags = local_save_flags();

	local_irq_enable();
	while (timers_missing(false) && arch_boot_ns() - start < TIMER_CHECK_MS * NSEC_PER_MSEC)
		cpu_relax();
	if (!(flags & X86_RFLAGS_IF))
		local_irq_disable();
	timers_missing(true);
}

void smp_init(const struct boot_info *bi)
{
	struct cpu_info *bsp = this_cpu();

	acpi_init(bi);
	bsp->cpu = 0;
	cpu_infos[0] = bsp;
	WRITE_ONCE(smp_ready, true);
	apic_init_bsp();
	bsp->apic_id = apic_id();
	bsp->online = true;
	nr_cpus_online = 1;
	timer_init_cpu();
	timer_set_oneshot(arch_boot_ns() + NSEC_PER_MSEC); /* checked by timer_check() */
	if (acpi_info.have_madt && !acpi_find_cpu(bsp->apic_id))
		pr_warn("SMP: the boot CPU (APIC ID %u) is missing from the MADT", bsp->apic_id);
	boot_secondaries();
	timer_check();
	pr_info("SMP: %u CPU%s online", READ_ONCE(nr_cpus_online),
		READ_ONCE(nr_cpus_online) == 1 ? "" : "s");
}
