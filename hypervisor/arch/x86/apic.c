/* The local APIC: mode choice, per-CPU setup, EOI and inter-processor interrupts. */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/page.h>
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/lib.h>

bool apic_x2apic;
static u8 *xapic_base; /* the xAPIC register page, mapped uncached */

/* "x2apic=0" keeps the xAPIC (MMIO) mode unless the firmware already left x2APIC on. */
static bool opt_x2apic = true;
PARAM_BOOL("x2apic", opt_x2apic);

#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))
#define MSR_X2APIC_ICR X2APIC_MSR(APIC_ICR) /* one 64-bit register in x2APIC mode */
#define APIC_ISR 0x100 /* eight 32-bit words, 16 bytes apart */

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

/* An IPI that is still pending after this long is reported as stuck. */
#define ICR_TIMEOUT_US 10000

u32 apic_read(unsigned int reg)
{
	if (apic_x2apic)
		return (u32)rdmsr(X2APIC_MSR(reg));
	return *(volatile u32 *)(xapic_base + reg);
}

void apic_write(unsigned int reg, u32 v)
{
	if (apic_x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		*(volatile u32 *)(xapic_base + reg) = v;
}

u32 apic_id(void)
{
	u32 id = apic_read(APIC_ID);

	return apic_x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

u32 apic_clear_errors(void)
{
	u32 esr;

	/* A write latches the errors seen since the last one into the ESR. */
	apic_write(APIC_ESR, 0);
	esr = apic_read(APIC_ESR);
	apic_write(APIC_ESR, 0);
	return esr;
}

/* Waits for the xAPIC to accept the previous IPI (IPIs come after time_init). 0 or -ETIME. */
static int xapic_wait_icr_idle(void)
{
	u64 start = rdtsc(), limit = ns_to_tsc(ICR_TIMEOUT_US * NSEC_PER_USEC);

	while (apic_read(APIC_ICR) & APIC_ICR_BUSY) {
		if (rdtsc() - start > limit)
			return -ETIME;
		cpu_relax();
	}
	return 0;
}

int apic_send_ipi(u32 dest, u32 icr_low)
{
	u64 flags;
	int rc;

	if (apic_x2apic) {
		/* x2APIC MSR writes do not wait for earlier stores on their own. */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(MSR_X2APIC_ICR, ((u64)dest << 32) | icr_low);
		return 0;
	}
	if (dest > 0xfe)
		return -EINVAL;
	/* ICR is two registers: no interrupt handler may send in between. */
	flags = local_irq_save();
	rc = xapic_wait_icr_idle();
	if (!rc) {
		apic_write(APIC_ICR_HIGH, dest << 24);
		apic_write(APIC_ICR, icr_low);
		rc = xapic_wait_icr_idle();
	}
	local_irq_restore(flags);
	return rc;
}

/*
 * LINT0 carries the 8259's ExtINT in virtual-wire mode: masked, since the
 * PICs are unused. A LINT pin the MADT wires to NMI (by convention LINT1)
 * delivers NMIs; without an MADT, LINT1 is NMI as in the MP spec default.
 */
static void lint_init(void)
{
	u32 lvt[2] = { APIC_LVT_MASKED, APIC_LVT_MASKED };
	const struct acpi_cpu *me = acpi_find_cpu(apic_id());
	u32 uid = me ? me->acpi_uid : ACPI_UID_ALL; /* unknown: only entries for all CPUs apply */

	if (!acpi_info.have_madt)
		lvt[1] = APIC_LVT_DM_NMI;
	for (unsigned int i = 0; i < acpi_info.nr_lint_nmi; i++) {
		const struct acpi_lint_nmi *n = &acpi_info.lint_nmi[i];

		if (n->acpi_uid != ACPI_UID_ALL && n->acpi_uid != uid)
			continue;
		/* NMI delivery is edge-triggered; only the polarity matters. */
		lvt[n->lint] = APIC_LVT_DM_NMI | ((n->flags & 3) == 3 ? APIC_LVT_ACTIVE_LOW : 0);
	}
	apic_write(APIC_LVT_LINT0, lvt[0]);
	apic_write(APIC_LVT_LINT1, lvt[1]);
}

void apic_init_cpu(void)
{
	static const unsigned int optional[] = { APIC_LVT_PERF, APIC_LVT_THERMAL, APIC_LVT_CMCI };
	u64 base = rdmsr(MSR_APIC_BASE);
	unsigned int maxlvt;

	/* The APIC in the machine's mode, enabled. */
	if (!apic_x2apic && (base & APIC_BASE_X2APIC)) {
		/* x2APIC to xAPIC is only possible through the disabled state. */
		base &= ~(u64)(APIC_BASE_X2APIC | APIC_BASE_ENABLE);
		wrmsr(MSR_APIC_BASE, base);
	}
	if (!(base & APIC_BASE_ENABLE)) {
		base |= APIC_BASE_ENABLE;
		wrmsr(MSR_APIC_BASE, base);
	}
	if (apic_x2apic && !(base & APIC_BASE_X2APIC))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	maxlvt = (apic_read(APIC_VERSION) >> 16) & 0xff;
	apic_write(APIC_TPR, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | IRQ_VECTOR_TIMER);
	apic_write(APIC_TIMER_INIT, 0);
	/* The optional LVT entries 4, 5 and 6, where the APIC has them. */
	for (unsigned int i = 0; i < ARRAY_SIZE(optional) && maxlvt >= 4 + i; i++)
		apic_write(optional[i], APIC_LVT_MASKED);
	lint_init();
	apic_write(APIC_LVT_ERROR, IRQ_VECTOR_ERROR);
	apic_clear_errors();
	apic_write(APIC_SVR, APIC_SVR_ENABLE | IRQ_VECTOR_SPURIOUS);

	/* Retire anything left in service by the firmware or a previous kernel. */
	for (unsigned int i = 0; i < 256; i++) {
		bool busy = false;

		for (unsigned int w = 0; w < 8; w++)
			busy |= apic_read(APIC_ISR + w * 0x10) != 0;
		if (!busy)
			break;
		apic_eoi();
	}
	apic_clear_errors();
}

void apic_init_bsp(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	paddr_t pa = acpi_info.lapic_addr;
	const char *how;

	if (!cpu_has(1, CPUID_EDX, 9))
		panic("this CPU has no local APIC; Mica needs one");
	if (base & APIC_BASE_X2APIC) {
		apic_x2apic = true;
		how = "x2APIC mode (left on by the firmware)";
	} else if (cpu_has(1, CPUID_ECX, 21) && opt_x2apic) {
		apic_x2apic = true;
		how = "x2APIC mode";
	} else {
		if ((base & PTE_ADDR_MASK) != pa) {
			pr_warn("APIC: MADT says the LAPIC is at %#llx, the CPU says %#llx; using the CPU's",
				(unsigned long long)pa, (unsigned long long)(base & PTE_ADDR_MASK));
			pa = base & PTE_ADDR_MASK;
		}
		xapic_base = map_mmio(pa, PAGE_SIZE);
		if (!xapic_base)
			panic("APIC: cannot map the local APIC at %#llx", (unsigned long long)pa);
		how = "xAPIC mode";
	}
	/* The 8259s stay masked for good: interrupts come through the APICs. */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	apic_init_cpu();
	pr_info("APIC: %s, boot CPU APIC ID %u, version %#x", how, apic_id(),
		apic_read(APIC_VERSION) & 0xff);
}
