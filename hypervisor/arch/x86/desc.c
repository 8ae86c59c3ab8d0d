/* The IDT (shared by all CPUs) and each CPU's GDT window and TSS. */
#include <asm/desc.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/regs.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/frame.h>
#include <mica/lib.h>

struct gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __packed;

_Static_assert(sizeof(struct gate) == 16, "IDT gate layout");

static struct gate idt[256] __aligned(4096);

/* The boot CPU's hypervisor GDT page; others allocate theirs. */
static u8 bsp_gdt_page[PAGE_SIZE] __aligned(PAGE_SIZE);

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */

/* Which IST stack (1-based TSS slot) a vector runs on; 0 = current stack. */
static const u8 vector_ist[256] = {
	[8] = 1,  /* #DF: the stack may be what broke */
	[2] = 2,  /* NMI: may arrive anywhere */
	[18] = 3, /* #MC */
};

void traps_init(void)
{
	for (unsigned int v = 0; v < 256; v++) {
		u64 addr = (u64)(uintptr_t)(exception_stubs + v * STUB_SIZE);

		idt[v] = (struct gate){
			.offset_lo = (u16)addr,
			.selector = HV_CS,
			.ist = vector_ist[v],
			.type_attr = GATE_INTERRUPT,
			.offset_mid = (u16)(addr >> 16),
			.offset_hi = (u32)(addr >> 32),
		};
	}
}

static u64 seg_desc(u32 flags_access)
{
	/* Flat segment: base 0, limit 0xfffff pages; flags_access = bits 40-55. */
	return 0xffffUL | (0xfUL << 48) | ((u64)flags_access << 40);
}

static void set_system_desc(u64 *gdt, unsigned int sel, u64 base, u32 limit, u8 type)
{
	u64 *d = &gdt[(sel - FIRST_RESERVED_GDT_BYTE) / 8];

	d[0] = (limit & 0xffffUL) | ((base & 0xffffffUL) << 16) | ((u64)type << 40) |
	       (1UL << 47) | (((u64)limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	d[1] = base >> 32;
}

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

void cpu_desc_init(struct cpu_info *info, void *stack_base)
{
	u8 *page = bsp_gdt_page;
	u64 *gdt;
	struct tss *tss;
	struct desc_ptr gdtr, idtr;
	u64 window = GDT_VIRT(info->cpu);

	if (info->cpu != 0) {
		struct frame *f = alloc_frames(0, FRAME_OWNER_HV);

		if (!f)
			panic("out of memory for CPU%u's GDT", info->cpu);
		page = __va(frame_to_mfn(f) << PAGE_SHIFT);
	}
	memset(page, 0, PAGE_SIZE);
	gdt = (u64 *)page;
	tss = (struct tss *)(page + 2048);

	gdt[(HV_CS - FIRST_RESERVED_GDT_BYTE) / 8] = seg_desc(0xa09a);
	gdt[(HV_DS - FIRST_RESERVED_GDT_BYTE) / 8] = seg_desc(0xc092);
	gdt[(FLAT_RING3_CS32 - 3 - FIRST_RESERVED_GDT_BYTE) / 8] = seg_desc(0xc0fa);
	gdt[(FLAT_RING3_DS - 3 - FIRST_RESERVED_GDT_BYTE) / 8] = seg_desc(0xc0f2);
	gdt[(FLAT_RING3_CS64 - 3 - FIRST_RESERVED_GDT_BYTE) / 8] = seg_desc(0xa0fa);

	tss->rsp[0] = (u64)(uintptr_t)stack_top(stack_base);
	tss->ist[0] = (u64)(uintptr_t)stack_base + IST_DF_TOP;
	tss->ist[1] = (u64)(uintptr_t)stack_base + IST_NMI_TOP;
	tss->ist[2] = (u64)(uintptr_t)stack_base + IST_MC_TOP;
	tss->iomap_base = sizeof(*tss); /* no I/O bitmap: ring 3 port access traps */
	set_system_desc(gdt, TSS_SEL, (u64)(uintptr_t)tss, sizeof(*tss) - 1, 0x9);

	if (map_pages(window + FIRST_RESERVED_GDT_BYTE, __pa(page), 1, PTE_W | PTE_NX))
		panic("cannot map CPU%u's GDT", info->cpu);
	info->gdt = (u64 *)(uintptr_t)window;
	info->tss = tss;

	gdtr = (struct desc_ptr){ GDT_LIMIT, window };
	idtr = (struct desc_ptr){ sizeof(idt) - 1, (u64)(uintptr_t)idt };
	__asm__ volatile("lgdt %0\n\t"
			 "lidt %1\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %3, %%eax\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "ltr %w4"
			 :
			 : "m"(gdtr), "m"(idtr), "i"(HV_CS), "i"(HV_DS), "r"(TSS_SEL)
			 : "rax", "memory");
	pv_cpu_init(info);
}
