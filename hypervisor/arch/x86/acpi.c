/* ACPI table discovery: RSDP, XSDT/RSDT, and the MADT's CPUs and local APIC. */
#include <asm/acpi.h>
#include <asm/page.h>
#include <asm/x86.h>
#include <mica/bootinfo.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/lib.h>

struct acpi_info acpi_info;

/* Sanity bound on any table's length: larger is taken as corruption. */
#define ACPI_TABLE_MAX MiB(1)

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

struct rsdp {
	char sig[8];       /* "RSD PTR " */
	u8 checksum;       /* over the first 20 bytes */
	char oem_id[6];
	u8 revision;       /* 0 for ACPI 1.0, 2 for 2.0 and later */
	u32 rsdt_addr;
	u32 length;        /* revision >= 2 only */
	u64 xsdt_addr;
	u8 ext_checksum;   /* over length bytes */
	u8 reserved[3];
} __packed;

struct sdt_header {
	char sig[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

_Static_assert(sizeof(struct rsdp) == RSDP_V2_LEN, "RSDP layout");
_Static_assert(sizeof(struct sdt_header) == 36, "SDT header layout");

enum madt_type {
	MADT_LAPIC = 0,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_OVERRIDE = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 10,
};

#define MADT_CPU_ENABLED (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)

/* The root table: the XSDT's 64-bit or the RSDT's 32-bit entry array. */
static const struct sdt_header *root;
static unsigned int root_entry_size;

static u8 checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum = (u8)(sum + *b++);
	return sum;
}

static const struct rsdp *rsdp_check(paddr_t pa)
{
	const struct rsdp *r = __va(pa);

	if (memcmp(r->sig, "RSD PTR ", 8) || checksum(r, RSDP_V1_LEN))
		return NULL;
	if (r->revision >= 2 &&
	    (r->length < RSDP_V2_LEN || r->length > PAGE_SIZE || checksum(r, r->length)))
		return NULL;
	return r;
}

/* The RSDP sits on a 16-byte boundary inside [start, end). */
static paddr_t rsdp_scan(paddr_t start, paddr_t end)
{
	for (paddr_t pa = ALIGN_UP(start, 16); pa + RSDP_V2_LEN <= end; pa += 16)
		if (rsdp_check(pa))
			return pa;
	return 0;
}

static paddr_t rsdp_find(const struct boot_info *bi)
{
	paddr_t ebda, pa;

	if (bi->rsdp && rsdp_check(bi->rsdp))
		return bi->rsdp;
	if (bi->rsdp)
		pr_warn("ACPI: the loader's RSDP copy at %#lx is invalid; scanning the BIOS area",
			bi->rsdp);
	/* The BIOS data area holds the EBDA's segment at 0x40e. */
	ebda = (paddr_t)*(const u16 *)__va(0x40e) << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000) {
		pa = rsdp_scan(ebda, ebda + KiB(1));
		if (pa)
			return pa;
	}
	return rsdp_scan(0xe0000, 0x100000);
}

/* Returns the table at pa if its header, length and checksum are sound. */
static const struct sdt_header *table_check(paddr_t pa)
{
	const struct sdt_header *t;

	if (!pa)
		return NULL;
	t = __va(pa);
	if (t->length < sizeof(*t) || t->length > ACPI_TABLE_MAX) {
		pr_warn("ACPI: table at %#lx has implausible length %u; ignored", pa, t->length);
		return NULL;
	}
	if (checksum(t, t->length)) {
		pr_warn("ACPI: %.4s at %#lx fails its checksum; ignored", t->sig, pa);
		return NULL;
	}
	return t;
}

/* Reads a little-endian field of width bytes at offset off (tables need not align them). */
static u64 field(const u8 *e, unsigned int off, unsigned int width)
{
	u64 v = 0;

	memcpy(&v, e + off, width);
	return v;
}

/* The first sound table with the 4-character signature sig, or NULL. */
static const struct sdt_header *find_table(const char *sig)
{
	unsigned int n = (root->length - (u32)sizeof(*root)) / root_entry_size;

	for (unsigned int i = 0; i < n; i++) {
		/* XSDT entries start at offset 36, so they are not 8-byte aligned. */
		paddr_t pa = field((const u8 *)(root + 1), i * root_entry_size, root_entry_size);
		const struct sdt_header *t;

		if (!pa || memcmp(((const struct sdt_header *)__va(pa))->sig, sig, 4))
			continue;
		t = table_check(pa);
		if (t)
			return t;
	}
	return NULL;
}

static bool root_init(paddr_t rsdp_pa)
{
	const struct rsdp *r = __va(rsdp_pa);
	const struct sdt_header *t = NULL;

	if (r->revision >= 2 && r->xsdt_addr) {
		t = table_check(r->xsdt_addr);
		if (t && !memcmp(t->sig, "XSDT", 4)) {
			root_entry_size = 8;
		} else {
			pr_warn("ACPI: XSDT at %#lx unusable; trying the RSDT", r->xsdt_addr);
			t = NULL;
		}
	}
	if (!t) {
		t = table_check(r->rsdt_addr);
		if (!t || memcmp(t->sig, "RSDT", 4))
			return false;
		root_entry_size = 4;
	}
	root = t;
	pr_info("ACPI: RSDP at %#lx (revision %u, %.6s), %.4s at %#lx", rsdp_pa, r->revision,
		r->oem_id, t->sig, __pa(t));
	return true;
}

const struct acpi_cpu *acpi_find_cpu(u32 apic_id)
{
	for (unsigned int i = 0; i < acpi_info.nr_cpus; i++)
		if (acpi_info.cpus[i].apic_id == apic_id)
			return &acpi_info.cpus[i];
	return NULL;
}

static void add_cpu(u32 apic_id, u32 uid, u32 flags)
{
	struct acpi_info *ai = &acpi_info;

	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)))
		return;
	/* Some firmware lists a CPU both as a LAPIC and as an x2APIC. */
	if (acpi_find_cpu(apic_id))
		return;
	if (ai->nr_cpus == MAX_CPUS) {
		ai->nr_cpus_dropped++;
		return;
	}
	ai->cpus[ai->nr_cpus++] = (struct acpi_cpu){
		.apic_id = apic_id,
		.acpi_uid = uid,
		.enabled = flags & MADT_CPU_ENABLED,
	};
}

static void add_lint_nmi(u32 uid, u8 lint, u16 flags)
{
	struct acpi_info *ai = &acpi_info;

	if (lint > 1 || ai->nr_lint_nmi == ACPI_MAX_LINT_NMI)
		return;
	ai->lint_nmi[ai->nr_lint_nmi++] = (struct acpi_lint_nmi){
		.acpi_uid = uid, .lint = lint, .flags = flags };
}

static void madt_entry(const u8 *e)
{
	u8 type = e[0], len = e[1];

	switch (type) {
	case MADT_LAPIC:
		/* uid u8 @2, apic_id u8 @3, flags u32 @4; ID 0xff is not a CPU. */
		if (len >= 8 && e[3] != 0xff)
			add_cpu(e[3], e[2], (u32)field(e, 4, 4));
		break;
	case MADT_X2APIC:
		/* reserved u16 @2, x2apic_id u32 @4, flags u32 @8, uid u32 @12 */
		if (len >= 16)
			add_cpu((u32)field(e, 4, 4), (u32)field(e, 12, 4), (u32)field(e, 8, 4));
		break;
	case MADT_LAPIC_NMI:
		/* uid u8 @2 (0xff: all), flags u16 @3, lint u8 @5 */
		if (len >= 6)
			add_lint_nmi(e[2] == 0xff ? ACPI_UID_ALL : e[2], e[5], (u16)field(e, 3, 2));
		break;
	case MADT_X2APIC_NMI:
		/* flags u16 @2, uid u32 @4 (~0: all), lint u8 @8 */
		if (len >= 12)
			add_lint_nmi((u32)field(e, 4, 4), e[8], (u16)field(e, 2, 2));
		break;
	case MADT_LAPIC_OVERRIDE:
		/* reserved u16 @2, 64-bit address @4 */
		if (len >= 12)
			acpi_info.lapic_addr = field(e, 4, 8);
		break;
	default:
		break;
	}
}

static bool madt_parse(void)
{
	const struct sdt_header *madt = find_table("APIC");
	const u8 *p, *end;

	if (!madt || madt->length < sizeof(*madt) + 8)
		return false;
	p = (const u8 *)(madt + 1);
	end = (const u8 *)madt + madt->length;
	acpi_info.lapic_addr = (u32)field(p, 0, 4); /* then the 8259 flags, unused */
	for (p += 8; p + 2 <= end; p += p[1]) {
		if (p[1] < 2 || p + p[1] > end) {
			pr_warn("ACPI: MADT entry at offset %zu is malformed; ignoring the rest",
				(size_t)(p - (const u8 *)madt));
			break;
		}
		madt_entry(p);
	}
	return true;
}

int acpi_init(const struct boot_info *bi)
{
	struct acpi_info *ai = &acpi_info;
	paddr_t rsdp = rsdp_find(bi);
	unsigned int enabled = 0;

	if (!rsdp)
		pr_warn("ACPI: no RSDP found");
	else if (!root_init(rsdp))
		pr_warn("ACPI: neither XSDT nor RSDT is usable");
	if (!root || !madt_parse() || !ai->nr_cpus) {
		pr_warn("ACPI: no usable MADT: running on the boot CPU alone");
		memset(ai, 0, sizeof(*ai));
		ai->lapic_addr = rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK;
		return -ENODEV;
	}
	ai->have_madt = true;
	for (unsigned int i = 0; i < ai->nr_cpus; i++)
		enabled += ai->cpus[i].enabled;
	pr_info("ACPI: MADT: %u CPUs enabled, %u hot-pluggable, LAPIC at %#lx", enabled,
		ai->nr_cpus - enabled, ai->lapic_addr);
	if (ai->nr_cpus_dropped)
		pr_warn("ACPI: %u more CPUs listed than MAX_CPUS (%u) allows; ignored",
			ai->nr_cpus_dropped, MAX_CPUS);
	return 0;
}
