/*
 * Setting and reading a whole PV vCPU state (struct vcpu_guest_context):
 * VCPUOP_initialise for secondary vCPUs, and the toolstack's set/get
 * vCPU context. Everything from the guest is checked first, then applied.
 */
#include <asm/desc.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <asm/x86.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/lib.h>
#include <pv/vcpu.h>
#include <pv/xen.h>

/* Null, or RPL 3 forced: guests run in ring 3 whatever they ask. */
static u16 guest_selector(u16 sel)
{
	return sel ? sel | 3 : 0;
}

int pv_vcpu_initialise(struct vcpu *v, const struct vcpu_guest_context *c)
{
	const struct cpu_user_regs *r = &c->user_regs;
	struct pv_vcpu *a = &v->arch;
	bool in_kernel = (c->flags & VGCF_in_kernel) != 0;
	u64 kernel_root = c->ctrlreg[3] >> PAGE_SHIFT;
	u64 user_root = c->ctrlreg[1] >> PAGE_SHIFT;
	int rc;

	/* Validate. */
	if (!canonical(r->rip) || !canonical(r->rsp) || !canonical(c->kernel_sp) ||
	    !canonical(c->event_callback_eip) || !canonical(c->failsafe_callback_eip) ||
	    !canonical(c->syscall_callback_eip) || !canonical(c->fs_base) ||
	    !canonical(c->gs_base_kernel) || !canonical(c->gs_base_user))
		return -EINVAL;
	for (unsigned int i = 0; i < 256; i++)
		if (c->trap_ctxt[i].address && !canonical(c->trap_ctxt[i].address))
			return -EINVAL;
	if (c->gdt_ents > PV_GDT_MAX_FRAMES * 512 || c->ldt_ents)
		return -EINVAL;
	if (!kernel_root || (!in_kernel && !user_root))
		return -EINVAL;

	/* Commit the page-table roots first: they are the part that can fail. */
	rc = pv_set_root(v, kernel_root, false);
	if (rc)
		return rc;
	rc = pv_set_root(v, user_root, true);
	if (rc)
		return rc;
	rc = pv_set_gdt(v, c->gdt_frames, (unsigned int)c->gdt_ents);
	if (rc)
		return rc;

	memset(&a->regs, 0, sizeof(a->regs));
	a->regs.r15 = r->r15; a->regs.r14 = r->r14; a->regs.r13 = r->r13;
	a->regs.r12 = r->r12; a->regs.rbp = r->rbp; a->regs.rbx = r->rbx;
	a->regs.r11 = r->r11; a->regs.r10 = r->r10; a->regs.r9 = r->r9;
	a->regs.r8 = r->r8; a->regs.rax = r->rax; a->regs.rcx = r->rcx;
	a->regs.rdx = r->rdx; a->regs.rsi = r->rsi; a->regs.rdi = r->rdi;
	a->regs.rip = r->rip;
	a->regs.cs = r->cs ? (u16)(r->cs | 3) : FLAT_RING3_CS64;
	a->regs.ss = r->ss ? (u16)(r->ss | 3) : FLAT_RING3_DS;
	a->regs.rsp = r->rsp;
	/* Real IF always on, real IOPL 0; the guest's IOPL becomes the virtual one. */
	a->regs.rflags = (r->rflags & ~(3UL << 12)) | (1UL << 9) | 2;
	a->iopl = (u8)((r->rflags >> 12) & 3);
	a->ds = guest_selector(r->ds);
	a->es = guest_selector(r->es);
	a->fs = guest_selector(r->fs);
	a->gs = guest_selector(r->gs);

	for (unsigned int i = 0; i < 256; i++)
		a->traps[i] = pv_trap_of(&c->trap_ctxt[i]);
	a->event_cb = (struct pv_callback){ c->event_callback_eip, true };
	a->failsafe_cb = (struct pv_callback){ c->failsafe_callback_eip,
					       (c->flags & VGCF_failsafe_disables_events) != 0 };
	a->syscall_cb = (struct pv_callback){ c->syscall_callback_eip,
					      (c->flags & VGCF_syscall_disables_events) != 0 };
	a->kernel_ss = c->kernel_ss | 3;
	a->kernel_sp = c->kernel_sp;
	a->fs_base = c->fs_base;
	a->gs_base_kernel = c->gs_base_kernel;
	a->gs_base_user = c->gs_base_user;
	memcpy(a->debugreg, c->debugreg, sizeof(a->debugreg));
	/* Without a valid image, the first switch to v gives it the state after FNINIT. */
	a->fpu_initialised = (c->flags & VGCF_i387_valid) != 0;
	if (a->fpu_initialised) {
		memset(a->fpu, 0, sizeof(a->fpu));
		memcpy(a->fpu, c->fpu_ctxt, sizeof(c->fpu_ctxt));
		/* An FXSAVE image: x87 and SSE state valid, nothing beyond. */
		if (xstate_host_mask)
			*(u64 *)&a->fpu[512] = XSTATE_X87 | XSTATE_SSE;
		a->xcr0 = xstate_host_mask & (XSTATE_X87 | XSTATE_SSE);
	}
	a->kernel_mode = in_kernel;
	if (v->id == 0)
		v->domain->vm_assist = c->vm_assist;
	return 0;
}

void pv_vcpu_get_context(const struct vcpu *v, struct vcpu_guest_context *c)
{
	const struct pv_vcpu *a = &v->arch;
	struct cpu_user_regs *r = &c->user_regs;

	memset(c, 0, sizeof(*c));
	memcpy(c->fpu_ctxt, a->fpu, sizeof(c->fpu_ctxt));
	c->flags = VGCF_i387_valid | (a->kernel_mode ? VGCF_in_kernel : 0) |
		   ((v->pause_flags & VPF_DOWN) ? 0 : VGCF_online);
	r->r15 = a->regs.r15; r->r14 = a->regs.r14; r->r13 = a->regs.r13;
	r->r12 = a->regs.r12; r->rbp = a->regs.rbp; r->rbx = a->regs.rbx;
	r->r11 = a->regs.r11; r->r10 = a->regs.r10; r->r9 = a->regs.r9;
	r->r8 = a->regs.r8; r->rax = a->regs.rax; r->rcx = a->regs.rcx;
	r->rdx = a->regs.rdx; r->rsi = a->regs.rsi; r->rdi = a->regs.rdi;
	r->rip = a->regs.rip;
	r->cs = (u16)a->regs.cs;
	r->rflags = (a->regs.rflags & ~(3UL << 12)) | ((u64)a->iopl << 12);
	r->rsp = a->regs.rsp;
	r->ss = (u16)a->regs.ss;
	r->ds = a->ds;
	r->es = a->es;
	r->fs = a->fs;
	r->gs = a->gs;
	for (unsigned int i = 0; i < 256; i++) {
		c->trap_ctxt[i].vector = (u8)i;
		c->trap_ctxt[i].flags = a->traps[i].dpl | (a->traps[i].mask_events ? 4 : 0);
		c->trap_ctxt[i].cs = FLAT_RING3_CS64;
		c->trap_ctxt[i].address = a->traps[i].address;
	}
	memcpy(c->gdt_frames, a->gdt_frames, sizeof(a->gdt_frames));
	c->gdt_ents = a->gdt_ents;
	c->kernel_ss = a->kernel_ss;
	c->kernel_sp = a->kernel_sp;
	c->ctrlreg[3] = a->kernel_root << PAGE_SHIFT;
	c->ctrlreg[1] = a->user_root << PAGE_SHIFT;
	memcpy(c->debugreg, a->debugreg, sizeof(a->debugreg));
	c->event_callback_eip = a->event_cb.address;
	c->failsafe_callback_eip = a->failsafe_cb.address;
	c->syscall_callback_eip = a->syscall_cb.address;
	c->vm_assist = v->domain->vm_assist;
	c->fs_base = a->fs_base;
	c->gs_base_kernel = a->gs_base_kernel;
	c->gs_base_user = a->gs_base_user;
}
