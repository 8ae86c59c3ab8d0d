/*
 * An iret inside a multicall, and a multicall inside a multicall. As on
 * Xen (common/multicall.c, arch/x86/pv/hypercall.c: mc_exit): the iret
 * entry takes effect with its frame at the guest RSP the multicall was
 * issued with, and ends the multicall. Execution resumes at the frame's
 * RIP with RAX = the frame's RAX (the iret's result, which is also
 * written to its entry), RCX and R11 from the frame, the event mask from
 * the frame's RFLAGS.IF; entries before it ran, entries after it never
 * run. A multicall entry inside a multicall is refused (-EINVAL) and the
 * batch goes on.
 */
#include "check.h"

#define MARK 0x5a5a5a5a
#define FRAME_RAX 0x1badcafeUL

/*
 * long mc_iret(list, nr, landed, rflags): issues the multicall with an
 * iret frame at RSP, {RAX FRAME_RAX, R11 0x4444.., RCX 0x3333.., flags 0,
 * RIP the landing below, CS kernel, RFLAGS rflags, RSP as at entry, SS}.
 * Returns RAX; *landed is 1 if execution went on at the frame's RIP, 0 if
 * the multicall returned as a normal hypercall.
 */
uint64_t mc_iret(struct multicall_entry *list, uint64_t nr, uint64_t *landed, uint64_t rflags);
uint64_t landed_rcx, landed_r11;
__asm__(
	"	.text\n"
	"	.globl mc_iret\n"
	"mc_iret:\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	mov %rdx, %rbx\n"
	"	mov %rsp, %r12\n"
	"	pushq $0xe02b\n"                 /* SS */
	"	push %r12\n"                     /* RSP */
	"	push %rcx\n"                     /* RFLAGS */
	"	pushq $0xe030\n"                 /* CS: kernel */
	"	lea 1f(%rip), %rax\n"
	"	push %rax\n"                     /* RIP */
	"	pushq $0\n"                      /* flags */
	"	movabs $0x3333333333333333, %rax\n"
	"	push %rax\n"                     /* RCX */
	"	movabs $0x4444444444444444, %rax\n"
	"	push %rax\n"                     /* R11 */
	"	mov $0x1badcafe, %eax\n"
	"	push %rax\n"                     /* RAX */
	"	mov $13, %eax\n"                 /* multicall(list, nr) */
	"	syscall\n"
	"	mov %r12, %rsp\n"
	"	movq $0, (%rbx)\n"
	"	jmp 2f\n"
	"1:	movq $1, (%rbx)\n"
	"	mov %rcx, landed_rcx(%rip)\n"
	"	mov %r11, landed_r11(%rip)\n"
	"2:	pop %r12\n"
	"	pop %rbx\n"
	"	ret\n");

static struct multicall_entry mc[4];

static void entry(unsigned int i, uint64_t op, uint64_t a0, uint64_t a1)
{
	mc[i] = (struct multicall_entry){ .op = op, .result = MARK, .args = { a0, a1 } };
}

int main(void)
{
	uint64_t landed = 7, rax;
	struct multicall_entry inner = { .op = PV_HC_xen_version, .result = MARK };

	check_guest(GUEST_NAME);

	/* [version, iret, version]: the iret ends it. Events stay masked (IF clear). */
	entry(0, PV_HC_xen_version, XENVER_version, 0);
	entry(1, PV_HC_iret, 0, 0);
	entry(2, PV_HC_xen_version, XENVER_version, 0);
	rax = mc_iret(mc, 3, &landed, 0x2);
	check_eq("multicall_iret.landed_at_frame_rip", 1, landed);
	check_hex("multicall_iret.rax_from_frame", FRAME_RAX, rax);
	check_hex("multicall_iret.rcx_from_frame", 0x3333333333333333UL, landed_rcx);
	check_hex("multicall_iret.r11_from_frame", 0x4444444444444444UL, landed_r11);
	check_hex("multicall_iret.entry0_ran", 0x40011, mc[0].result);
	check_hex("multicall_iret.entry1_result_is_iret_rax", FRAME_RAX, mc[1].result);
	check_hex("multicall_iret.entry2_never_ran", MARK, mc[2].result);
	if (pv_shared_info)
		check_eq("multicall_iret.mask_from_if_clear", 1, pv_vcpu_info()->evtchn_upcall_mask);

	/* The iret alone, with IF set: events come back unmasked. */
	entry(0, PV_HC_iret, 0, 0);
	landed = 7;
	rax = mc_iret(mc, 1, &landed, 0x202);
	check_eq("multicall_iret.alone.landed", 1, landed);
	check_hex("multicall_iret.alone.rax", FRAME_RAX, rax);
	if (pv_shared_info)
		check_eq("multicall_iret.alone.mask_from_if_set", 0, pv_vcpu_info()->evtchn_upcall_mask);
	pv_irq_disable();

	/* A multicall inside a multicall: that entry alone is refused. */
	entry(0, PV_HC_xen_version, XENVER_version, 0);
	entry(1, PV_HC_multicall, (uint64_t)(uintptr_t)&inner, 1);
	entry(2, PV_HC_xen_version, XENVER_version, 0);
	check_eq("multicall_iret.nested.rc", 0, HYPERVISOR_multicall(mc, 3));
	check_hex("multicall_iret.nested.entry0", 0x40011, mc[0].result);
	check_eq("multicall_iret.nested.inner_refused_einval", -XEN_EINVAL, (long)mc[1].result);
	check_hex("multicall_iret.nested.inner_list_untouched", MARK, inner.result);
	check_hex("multicall_iret.nested.entry2_ran", 0x40011, mc[2].result);

	/* No iret in the list: the multicall returns normally, RAX 0. */
	entry(0, PV_HC_xen_version, XENVER_version, 0);
	landed = 7;
	rax = mc_iret(mc, 1, &landed, 0x2);
	check_eq("multicall_iret.without_iret.returned_normally", 0, landed);
	check_eq("multicall_iret.without_iret.rax", 0, rax);
	return check_done();
}
