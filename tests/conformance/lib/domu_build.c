/* Building a PV domU from dom0, as a toolstack does: see domu_build.h. */
#include <stdio.h>
#include <string.h>

#include <pv/domctl.h>
#include <pv/memory.h>

#include "domu_build.h"

#define PAGE 4096UL
#define VIRT_BASE LIBPV_VIRT_BASE
#define PTE_P 0x1UL
#define PTE_RW 0x2UL
#define PTE_A 0x20UL
#define PTE_D 0x40UL
#define PTE_NX (1UL << 63)
#define PT_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D)

__asm__(".pushsection .text\n"
	".globl domu_spin\n"
	"domu_spin:\n"
	"1:	lock incq (%rdi)\n"
	"	pause\n"
	"	jmp 1b\n"
	".popsection\n");

/* ---- the foreign window ---- */

uint8_t foreign_window[4096] __attribute__((aligned(4096)));
static uint64_t window_l1e;        /* machine address of its L1 entry */
static uint64_t window_mapped;     /* MFN it maps now, 0 = our own frame */

/* The VA of one of our bootstrap page-table frames, or NULL. */
static const uint64_t *table_va(uint64_t mfn)
{
	for (uint64_t i = 0; i < pv_start_info->nr_pt_frames; i++) {
		const void *va = (const void *)(uintptr_t)(pv_start_info->pt_base + i * PAGE);

		if (pv_virt_to_mfn(va) == mfn)
			return va;
	}
	return NULL;
}

/* Machine address of the L1 entry mapping va in our bootstrap tables (0: none). */
static uint64_t l1e_of(uint64_t va)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)pv_start_info->pt_base;

	for (int level = 4; level > 1; level--) {
		uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P) || !(t = table_va((e >> 12) & 0xffffffffffUL)))
			return 0;
	}
	return (pv_virt_to_mfn(t) << 12) | (((va >> 12) & 511) * 8);
}

bool foreign_init(void)
{
	window_l1e = l1e_of(PV_GVA(foreign_window));
	return window_l1e != 0;
}

long foreign_map(domid_t dom, uint64_t mfn)
{
	struct mmu_update u = { .ptr = window_l1e | MMU_NORMAL_PT_UPDATE,
				.val = (mfn << 12) | PT_FLAGS | PTE_NX };
	struct mmuext_op flush = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1 = PV_GVA(foreign_window) };
	long rc;

	if (window_mapped == mfn)
		return 0;
	rc = HYPERVISOR_mmu_update(&u, 1, NULL, dom);
	if (!rc)
		window_mapped = mfn;
	HYPERVISOR_mmuext_op(&flush, 1, NULL, DOMID_SELF);
	return rc;
}

void foreign_unmap(void)
{
	if (!window_mapped)
		return;
	pv_map_mfn(foreign_window, pv_virt_to_mfn(foreign_window), PT_FLAGS | PTE_NX);
	window_mapped = 0;
}

/* ---- the image ---- */

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1

static const struct elf64_ehdr *image;
static uint64_t image_len;

static const struct elf64_phdr *segment(unsigned int i)
{
	return (const void *)((const uint8_t *)image + image->phoff + i * sizeof(struct elf64_phdr));
}

bool domu_image(const void *elf, uint64_t len)
{
	const struct elf64_ehdr *e = elf;

	if (len < sizeof(*e) || memcmp(e->ident, "\177ELF\2\1", 6) ||
	    e->phentsize != sizeof(struct elf64_phdr) ||
	    e->phoff + e->phnum * sizeof(struct elf64_phdr) > len)
		return false;
	image = e;
	image_len = len;
	for (unsigned int i = 0; i < e->phnum; i++) {
		const struct elf64_phdr *ph = segment(i);

		if (ph->type == PT_LOAD && (ph->offset + ph->filesz > len || ph->filesz > ph->memsz ||
					    ph->paddr + ph->memsz > DOMU_PAGES * PAGE)) {
			image = NULL;
			return false;
		}
	}
	return true;
}

/* ---- the layout and the build ---- */

bool domu_plan(struct domu *b)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < image->phnum; i++)
		if (segment(i)->type == PT_LOAD && segment(i)->paddr + segment(i)->memsz > end)
			end = segment(i)->paddr + segment(i)->memsz;
	b->entry = image->entry;
	b->nr_l1 = (DOMU_PAGES + 511) / 512;
	b->si_pfn = (end + PAGE - 1) / PAGE;
	b->p2m_pfn = b->si_pfn + 1;
	b->l4_pfn = b->p2m_pfn + (DOMU_PAGES * 8 + PAGE - 1) / PAGE;
	b->l3_pfn = b->l4_pfn + 1;
	b->l2_pfn = b->l3_pfn + 1;
	b->l1_pfn = b->l2_pfn + 1;
	b->spare_pfn = b->l1_pfn + b->nr_l1;
	b->stack_pfn = b->spare_pfn + DOMU_SPARE_PAGES;
	b->console_pfn = b->stack_pfn + DOMU_MAX_VCPUS;
	b->end_pfn = b->console_pfn + 1;
	return b->end_pfn <= DOMU_PAGES;
}

static bool is_page_table(const struct domu *b, uint64_t pfn)
{
	return pfn >= b->l4_pfn && pfn < b->l1_pfn + b->nr_l1;
}

/* Writes len bytes at pseudo-physical paddr of the domU, page by page through the window. */
static long write_domu(struct domu *b, uint64_t paddr, const void *src, uint64_t len)
{
	const uint8_t *s = src;

	while (len) {
		uint64_t off = paddr % PAGE, n = PAGE - off < len ? PAGE - off : len;
		long rc = foreign_map(b->id, b->mfn[paddr / PAGE]);

		if (rc)
			return rc;
		memcpy(foreign_window + off, s, n);
		paddr += n;
		len -= n;
		s += n;
	}
	return 0;
}

static long write_u64(struct domu *b, uint64_t pfn, unsigned int idx, uint64_t val)
{
	return write_domu(b, pfn * PAGE + idx * 8, &val, 8);
}

long domu_populate(struct domu *b, uint64_t n)
{
	struct xen_memory_reservation r = { .extent_start = PV_GVA(b->mfn), .nr_extents = n,
					    .domid = b->id };

	for (uint64_t pfn = 0; pfn < n; pfn++)
		b->mfn[pfn] = pfn;
	return HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
}

long domu_load(struct domu *b, const char *cmdline)
{
	static struct start_info si;
	long rc = 0;

	/* Only the file's bytes: populate_physmap gave zeroed frames, which covers .bss. */
	for (unsigned int i = 0; !rc && i < image->phnum; i++)
		if (segment(i)->type == PT_LOAD)
			rc = write_domu(b, segment(i)->paddr,
					(const uint8_t *)image + segment(i)->offset,
					segment(i)->filesz);
	if (!rc)
		rc = write_domu(b, b->p2m_pfn * PAGE, b->mfn, DOMU_PAGES * 8);

	memset(&si, 0, sizeof(si));
	memcpy(si.magic, "xen-3.0-x86_64", 15);
	si.nr_pages = DOMU_PAGES;
	si.shared_info = b->shared_info_mfn << 12;
	si.console.domU.mfn = b->mfn[b->console_pfn];
	si.console.domU.evtchn = b->console_port;
	si.pt_base = VIRT_BASE + b->l4_pfn * PAGE;
	si.nr_pt_frames = 3 + b->nr_l1;
	si.mfn_list = VIRT_BASE + b->p2m_pfn * PAGE;
	snprintf(si.cmd_line, sizeof(si.cmd_line), "%s", cmdline);
	if (!rc)
		rc = write_domu(b, b->si_pfn * PAGE, &si, sizeof(si));

	/* VIRT_BASE is L4 slot 511, L3 slot 510, L2 slots from 0. */
	if (!rc)
		rc = write_u64(b, b->l4_pfn, 511, (b->mfn[b->l3_pfn] << 12) | PT_FLAGS);
	if (!rc)
		rc = write_u64(b, b->l3_pfn, 510, (b->mfn[b->l2_pfn] << 12) | PT_FLAGS);
	for (unsigned int i = 0; !rc && i < b->nr_l1; i++)
		rc = write_u64(b, b->l2_pfn, i, (b->mfn[b->l1_pfn + i] << 12) | PT_FLAGS);
	for (uint64_t pfn = 0; !rc && pfn < DOMU_PAGES; pfn++) {
		/* Page tables are mapped, but read-only. */
		uint64_t pte = (b->mfn[pfn] << 12) | PTE_P | PTE_A |
			       (is_page_table(b, pfn) ? 0 : PTE_RW | PTE_D);

		rc = write_u64(b, b->l1_pfn + pfn / 512, pfn % 512, pte);
	}
	/* No mapping of ours may be left on a frame that is about to become a page table. */
	foreign_unmap();
	return rc;
}

long domu_pin_l4(struct domu *b, domid_t foreigndom)
{
	struct mmuext_op op = { .cmd = MMUEXT_PIN_L4_TABLE, .arg1 = b->mfn[b->l4_pfn] };

	return HYPERVISOR_mmuext_op(&op, 1, NULL, foreigndom);
}

long domu_set_context(struct domu *b, unsigned int vcpu, struct vcpu_guest_context *c)
{
	struct xen_domctl op = { .cmd = XEN_DOMCTL_setvcpucontext,
				 .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
				 .domain = b->id };
	uint64_t stack_top = VIRT_BASE + (b->stack_pfn + vcpu + 1) * PAGE;

	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel | VGCF_online;
	c->user_regs.rip = vcpu ? (uint64_t)(uintptr_t)domu_spin : b->entry;
	c->user_regs.rsp = stack_top;
	c->user_regs.rsi = VIRT_BASE + b->si_pfn * PAGE;
	c->user_regs.rdi = VIRT_BASE + b->spare_pfn * PAGE + 64 * vcpu;
	c->user_regs.rflags = 0x200;
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = stack_top;
	c->ctrlreg[3] = b->mfn[b->l4_pfn] << 12;
	c->debugreg[6] = 0xffff0ff0;
	c->debugreg[7] = 0x400;
	op.u.vcpucontext.vcpu = vcpu;
	op.u.vcpucontext.ctxt = PV_GVA(c);
	return HYPERVISOR_domctl(&op);
}

long domu_seed_grants(struct domu *b)
{
	struct gnttab_setup_table st = { .dom = b->id, .nr_frames = 1,
					 .frame_list = PV_GVA(&b->grant_frame) };
	struct grant_entry_v1 console = { .flags = GTF_permit_access, .domid = 0,
					  .frame = (uint32_t)b->mfn[b->console_pfn] };
	long rc;

	b->grant_frame = 0;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc || st.status)
		return rc ? rc : st.status;
	rc = foreign_map(b->id, b->grant_frame);
	if (!rc)
		memcpy(foreign_window + GNTTAB_RESERVED_CONSOLE * sizeof(console), &console,
		       sizeof(console));
	foreign_unmap();
	return rc;
}

void domu_read(struct domu *b, uint64_t pfn, void *dst, size_t len)
{
	memset(dst, 0, len);
	if (foreign_map(b->id, b->mfn[pfn]) == 0)
		memcpy(dst, foreign_window, len);
	foreign_unmap();
}
