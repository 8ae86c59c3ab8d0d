/*
 * The little of ACPI the hypervisor reads itself: the RSDP, the root table
 * (XSDT or RSDT) and the MADT, for the list of CPUs, the local APIC
 * address and its NMI pins. Everything else (IO APICs included) is left
 * to dom0.
 */
#ifndef ASM_ACPI_H
#define ASM_ACPI_H

#include <asm/layout.h>
#include <mica/types.h>

#define ACPI_MAX_LINT_NMI 16
#define ACPI_UID_ALL 0xffffffffu /* a LINT NMI entry that applies to every CPU */

/* One processor the MADT lists as enabled (or as able to come online later). */
struct acpi_cpu {
	u32 apic_id;   /* xAPIC or x2APIC ID */
	u32 acpi_uid;  /* processor UID, which the NMI entries refer to */
	bool enabled;  /* false: only online-capable (hot-add), not started */
};

/* A local APIC pin (LINT0/LINT1) wired to NMI, from MADT types 4 and 10. */
struct acpi_lint_nmi {
	u32 acpi_uid;  /* ACPI_UID_ALL for every processor */
	u8 lint;       /* 0 or 1 */
	u16 flags;     /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
};

struct acpi_info {
	bool have_madt;            /* false: no usable MADT, one CPU assumed */
	paddr_t lapic_addr;        /* physical base of the xAPIC registers */
	struct acpi_cpu cpus[MAX_CPUS];
	unsigned int nr_cpus;      /* entries in cpus[] */
	unsigned int nr_cpus_dropped; /* listed beyond MAX_CPUS */
	struct acpi_lint_nmi lint_nmi[ACPI_MAX_LINT_NMI];
	unsigned int nr_lint_nmi;
};

/* Filled by acpi_init(); read-only afterwards. */
extern struct acpi_info acpi_info;

/* The CPU the MADT lists with APIC ID apic_id, or NULL. */
const struct acpi_cpu *acpi_find_cpu(u32 apic_id);

struct boot_info;

/*
 * Finds the RSDP (the loader's copy in bi->rsdp if any, else by scanning
 * the EBDA and the BIOS area 0xE0000-0xFFFFF), walks the XSDT (revision 2
 * and later) or RSDT, verifying every checksum, and records the MADT's
 * contents in acpi_info. Tables are read through __va(), so the direct map
 * must cover them (RAM, ACPI and the BIOS area below 1 MiB).
 * Returns 0, or -ENODEV if no usable MADT was found: acpi_info then
 * describes just the running CPU, with the architectural LAPIC base from
 * IA32_APIC_BASE, and a warning has been printed.
 * Boot CPU only, once, before apic_init_bsp().
 */
int acpi_init(const struct boot_info *bi);

#endif
