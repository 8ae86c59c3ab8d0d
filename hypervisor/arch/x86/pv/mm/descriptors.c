/*
 * The guest's descriptor tables: set_gdt (hypercall 2) and
 * update_descriptor (hypercall 10), section 2.4.3 and 2.4.9. GDT frames
 * become PGT_SEG_DESC pages, whose every descriptor passed
 * pt_check_descriptor (validate.c, section 3.1), and are mapped into the
 * first 14 pages of the GDT window of the CPU the vCPU runs on; the
 * window's last two pages are the hypervisor's (asm/desc.h).
 */
#include <asm/layout.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <pv/hypercall_handlers.h>
#include <pv/mm.h>
#include "mm_arch.h"

/*
 * Per CPU, the frame each guest page of its window maps (0: none, as at
 * boot, cpu_desc_init maps only the hypervisor's page). Only pages that
 * change are written: this runs on every vCPU switch, guests have one GDT
 * frame of the fourteen, and under QEMU's software emulation an INVLPG
 * can cost a whole TLB flush. The window's L1 exists (cpu_desc_init), so
 * mapping a page there cannot fail.
 */
static u64 window_frames[MAX_CPUS][PV_GDT_MAX_FRAMES];

void pv_load_gdt_window(const struct vcpu *v)
{
	u64 window = GDT_VIRT(this_cpu()->cpu), *now = window_frames[this_cpu()->cpu];

	for (unsigned int i = 0; i < PV_GDT_MAX_FRAMES; i++) {
		if (now[i] == v->arch.gdt_frames[i])
			continue;
		now[i] = v->arch.gdt_frames[i];
		if (now[i])
			map_pages(window + i * PAGE_SIZE, now[i] << PAGE_SHIFT, 1, PTE_NX);
		else
			unmap_pages(window + i * PAGE_SIZE, 1);
	}
}

void pv_destroy_gdt(struct vcpu *v)
{
	for (unsigned int i = 0; i < PV_GDT_MAX_FRAMES; i++) {
		if (v->arch.gdt_frames[i])
			put_page_and_type(mfn_to_frame(v->arch.gdt_frames[i]));
		v->arch.gdt_frames[i] = 0;
	}
	v->arch.gdt_ents = 0;
}

int pv_set_gdt(struct vcpu *v, const u64 *frames, unsigned int entries)
{
	unsigned int nr = DIV_ROUND_UP(entries, PV_GDT_ENTRIES_PER_FRAME), i;
	struct pt_ctx ctx;

	pt_ctx_self(&ctx, v->domain->id, false);
	for (i = 0; i < nr; i++) {
		struct frame *f = pv_ram_frame(frames[i]);

		/* A frame listed twice is fine: it holds two references. */
		if (!f || pt_get_page_and_type(f, v->domain->id, PGT_SEG_DESC, &ctx))
			goto fail;
	}
	pv_destroy_gdt(v);
	for (i = 0; i < nr; i++)
		v->arch.gdt_frames[i] = frames[i];
	v->arch.gdt_ents = entries;
	if (v == current_vcpu())
		pv_load_gdt_window(v);
	return 0;

fail:
	while (i-- > 0)
		put_page_and_type(mfn_to_frame(frames[i]));
	return -EINVAL;
}

long do_set_gdt(pv_gva_t frame_list, pv_u32 entries)
{
	u64 frames[PV_GDT_MAX_FRAMES];
	unsigned int nr = DIV_ROUND_UP(entries, PV_GDT_ENTRIES_PER_FRAME);

	if (entries > PV_GDT_MAX_ENTRIES)
		return -EINVAL;
	if (nr && copy_from_guest(frames, frame_list, nr * sizeof(u64)))
		return -EFAULT;
	return pv_set_gdt(current_vcpu(), frames, entries);
}

long do_update_descriptor(pv_u64 maddr, pv_u64 desc)
{
	struct domain *d = current_vcpu()->domain;
	struct frame *f = pv_ram_frame(maddr >> PAGE_SHIFT);
	unsigned int type;
	struct pt_ctx ctx;

	if ((maddr & 7) || !pt_check_descriptor(&desc) || !f)
		return -EINVAL;
	/* A descriptor page stays one (its new entry was checked); anything else must be writable. */
	type = pgt_type(READ_ONCE(f->type_info)) == PGT_SEG_DESC ? PGT_SEG_DESC : PGT_WRITABLE;
	pt_ctx_self(&ctx, d->id, false);
	if (pt_get_page_and_type(f, d->id, type, &ctx))
		return -EINVAL;
	WRITE_ONCE(pt_map(frame_to_mfn(f))[(maddr & (PAGE_SIZE - 1)) / 8], desc);
	put_page_and_type(f);
	return 0;
}
