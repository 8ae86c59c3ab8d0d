/*
 * Unit tests for the PV ABI (hypercall/include/pv): every header compiles
 * alone with the host compiler and with the hypervisor's freestanding
 * clang; the layouts match the facts of shared/reference/pv-abi-notes.md
 * (a second, independent copy of the numbers here); the hypercall table
 * holds every number the notes list, expands into a working dispatch
 * array and guest stubs, and agrees with docs/hypercalls.md.
 *
 * Run from the repository root (run.py does). `test_abi_layout --doc`
 * prints the table rows docs/hypercalls.md must contain.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#include "../../hypercall/include/pv/callback.h"
#include "../../hypercall/include/pv/console_io.h"
#include "../../hypercall/include/pv/cpuid.h"
#include "../../hypercall/include/pv/domctl.h"
#include "../../hypercall/include/pv/elfnote.h"
#include "../../hypercall/libpv/include/pv/errno.h"
#include "../../hypercall/include/pv/event_channel.h"
#include "../../hypercall/libpv/include/pv/event_channel_fifo.h"
#include "../../hypercall/include/pv/grant_table.h"
#include "../../hypercall/include/pv/hypercall_dispatch.h"
#include "../../hypercall/libpv/include/pv/hypercall_guest.h"

/*
 * The dispatch table above refers to the hypervisor's handlers for every
 * hypercall marked IMPL; this test links none of them, so each gets a
 * weak stand-in that only says which one was reached.
 */
#define PV_GPTR(type) pv_gva_t
#define PV_STAND_IN(name, ...) __attribute__((weak)) long do_##name(__VA_ARGS__) { return -1; }
#define PV_HC0(nr, name, impl, flags) PV_STAND_IN(name, void)
#define PV_HC1(nr, name, impl, flags, t1, a1) PV_STAND_IN(name, t1 a1)
#define PV_HC2(nr, name, impl, flags, t1, a1, t2, a2) PV_STAND_IN(name, t1 a1, t2 a2)
#define PV_HC3(nr, name, impl, flags, t1, a1, t2, a2, t3, a3) \
	PV_STAND_IN(name, t1 a1, t2 a2, t3 a3)
#define PV_HC4(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4) \
	PV_STAND_IN(name, t1 a1, t2 a2, t3 a3, t4 a4)
#define PV_HC5(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) \
	PV_STAND_IN(name, t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)
#define PV_HC6(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	PV_STAND_IN(name, t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6)
#include "../../hypercall/include/pv/hypercall_table.def"
#undef PV_HC0
#undef PV_HC1
#undef PV_HC2
#undef PV_HC3
#undef PV_HC4
#undef PV_HC5
#undef PV_HC6
#undef PV_STAND_IN
#undef PV_GPTR
#include "../../pvdrivers/include/pv/io/blkif.h"
#include "../../pvdrivers/include/pv/io/console.h"
#include "../../pvdrivers/include/pv/io/netif.h"
#include "../../pvdrivers/include/pv/io/ring.h"
#include "../../pvdrivers/include/pv/io/xs_wire.h"
#include "../../hypercall/include/pv/memory.h"
#include "../../hypercall/include/pv/mm.h"
#include "../../hypercall/include/pv/physdev.h"
#include "../../hypercall/include/pv/sched.h"
#include "../../hypercall/include/pv/sysctl.h"
#include "../../hypercall/include/pv/vcpu.h"
#include "../../hypercall/include/pv/version.h"
#include "../../hypercall/include/pv/xen.h"

#define PV_DIR "hypercall/include/pv"
#define PV_IO_DIR "pvdrivers/include/pv/io" /* the ring protocols */
#define DOC_PATH "docs/hypercalls.md"
#define WORK_DIR "build/unit/abi"

/* ---- layouts, checked again at run time ------------------------------- */

/* REQUIRE with a message of our own. */
#define REQUIRE_MSG(cond, ...)                                  \
	do {                                                    \
		if (!CHECK_MSG(cond, __VA_ARGS__))              \
			check_abandon();                        \
	} while (0)

#define SIZE(type, n) CHECK_EQ(sizeof(type), n)
#define OFF(type, field, n) CHECK_EQ(offsetof(type, field), n)

static void layout_start_info(void)
{
	SIZE(struct start_info, 1168); OFF(struct start_info, nr_pages, 32);
	OFF(struct start_info, shared_info, 40); OFF(struct start_info, flags, 48);
	OFF(struct start_info, store_mfn, 56); OFF(struct start_info, store_evtchn, 64);
	OFF(struct start_info, console.domU.mfn, 72);
	OFF(struct start_info, console.dom0.info_off, 72);
	OFF(struct start_info, console.dom0.info_size, 76);
	OFF(struct start_info, console.domU.evtchn, 80); OFF(struct start_info, pt_base, 88);
	OFF(struct start_info, nr_pt_frames, 96); OFF(struct start_info, mfn_list, 104);
	OFF(struct start_info, mod_start, 112); OFF(struct start_info, mod_len, 120);
	OFF(struct start_info, cmd_line, 128); OFF(struct start_info, first_p2m_pfn, 1152);
	OFF(struct start_info, nr_p2m_frames, 1160);
	CHECK_EQ(SIF_PRIVILEGED | SIF_INITDOMAIN | SIF_MOD_START_PFN, 0xb);
}

static void layout_shared_info(void)
{
	SIZE(struct vcpu_time_info, 32); OFF(struct vcpu_time_info, tsc_timestamp, 8);
	OFF(struct vcpu_time_info, system_time, 16); OFF(struct vcpu_time_info, tsc_to_system_mul, 24);
	OFF(struct vcpu_time_info, tsc_shift, 28); OFF(struct vcpu_time_info, flags, 29);
	SIZE(struct vcpu_info, 64); OFF(struct vcpu_info, evtchn_upcall_pending, 0);
	OFF(struct vcpu_info, evtchn_upcall_mask, 1); OFF(struct vcpu_info, evtchn_pending_sel, 8);
	OFF(struct vcpu_info, arch.cr2, 16); OFF(struct vcpu_info, arch._pad, 24);
	OFF(struct vcpu_info, time, 32); SIZE(struct shared_info, 3136);
	OFF(struct shared_info, vcpu_info[1], 64); OFF(struct shared_info, evtchn_pending, 2048);
	OFF(struct shared_info, evtchn_mask, 2560); OFF(struct shared_info, wc_version, 3072);
	OFF(struct shared_info, wc_sec, 3076); OFF(struct shared_info, wc_nsec, 3080);
	OFF(struct shared_info, wc_sec_hi, 3084); OFF(struct shared_info, arch, 3088);
	SIZE(struct arch_shared_info, 48); OFF(struct arch_shared_info, pfn_to_mfn_frame_list_list, 8);
	OFF(struct arch_shared_info, nmi_reason, 16); OFF(struct arch_shared_info, p2m_cr3, 24);
	OFF(struct arch_shared_info, p2m_vaddr, 32); OFF(struct arch_shared_info, p2m_generation, 40);
}

static void layout_core(void)
{
	CHECK_EQ(DOMID_SELF, 0x7ff0); CHECK_EQ(DOMID_IO, 0x7ff1); CHECK_EQ(DOMID_XEN, 0x7ff2);
	CHECK_EQ(DOMID_INVALID, 0x7ff4); CHECK_EQ(FLAT_RING3_CS32, 0xe023);
	CHECK_EQ(FLAT_RING3_CS64, 0xe033); CHECK_EQ(FLAT_RING3_SS64, 0xe02b);
	CHECK_EQ(FLAT_KERNEL_CS, 0xe033); CHECK_EQ(FLAT_KERNEL_SS, 0xe02b);
	CHECK_EQ(FLAT_KERNEL_DS, 0); CHECK_EQ(FIRST_RESERVED_GDT_ENTRY, 7168);
	CHECK_EQ(HYPERVISOR_VIRT_START, 0xffff800000000000ULL);
	CHECK_EQ(HYPERVISOR_VIRT_END, 0xffff880000000000ULL);
	CHECK_EQ(MACH2PHYS_VIRT_END, 0xffff804000000000ULL);
	CHECK_EQ(MACH2PHYS_NR_ENTRIES, 1ULL << 35); SIZE(struct multicall_entry, 64);
	OFF(struct multicall_entry, args[5], 56); SIZE(struct iret_context, 72);
	OFF(struct iret_context, r11, 8); OFF(struct iret_context, rcx, 16);
	OFF(struct iret_context, flags, 24); OFF(struct iret_context, rip, 32);
	OFF(struct iret_context, cs, 40); OFF(struct iret_context, rflags, 48);
	OFF(struct iret_context, rsp, 56); OFF(struct iret_context, ss, 64);
	CHECK_EQ(VGCF_in_syscall, 0x100); CHECK_EQ(XEN_ENOSYS, 38); CHECK_EQ(XEN_EOPNOTSUPP, 95);
	CHECK_EQ(XEN_CPUID_SIGNATURE_EBX, 0x566e6558); CHECK_EQ(XEN_ELFNOTE_SUPPORTED_FEATURES, 17);
}

static void layout_callback(void)
{
	SIZE(struct trap_info, 16); OFF(struct trap_info, vector, 0); OFF(struct trap_info, flags, 1);
	OFF(struct trap_info, cs, 2); OFF(struct trap_info, address, 8);
	SIZE(struct callback_register, 16); OFF(struct callback_register, flags, 2);
	OFF(struct callback_register, address, 8); CHECK_EQ(CALLBACKTYPE_syscall32, 7);
	CHECK_EQ(CALLBACKTYPE_sysenter, 5); CHECK_EQ(CALLBACKF_mask_events, 1);
}

static void layout_mm(void)
{
	SIZE(struct mmu_update, 16); SIZE(struct mmuext_op, 24); OFF(struct mmuext_op, arg1, 8);
	OFF(struct mmuext_op, arg2, 16); CHECK_EQ(MMU_PT_UPDATE_NO_TRANSLATE, 3);
	CHECK_EQ(MMUEXT_SET_LDT, 13); CHECK_EQ(MMUEXT_NEW_USER_BASEPTR, 15);
	CHECK_EQ(MMUEXT_UNMARK_SUPER, 20); CHECK_EQ(UVMF_INVLPG | UVMF_ALL, 6);
	CHECK_EQ(VMASST_TYPE_runstate_update_flag, 5); CHECK_EQ(VMASST_TYPE_m2p_strict, 32);
}

static void layout_memory(void)
{
	SIZE(struct xen_memory_reservation, 32); OFF(struct xen_memory_reservation, nr_extents, 8);
	OFF(struct xen_memory_reservation, extent_order, 16);
	OFF(struct xen_memory_reservation, mem_flags, 20);
	OFF(struct xen_memory_reservation, domid, 24); SIZE(struct xen_memory_map, 16);
	OFF(struct xen_memory_map, buffer, 8); SIZE(struct e820_entry, 20);
	SIZE(struct e820_entry[2], 40); SIZE(struct xen_machphys_mapping, 24);
	SIZE(struct xen_memory_exchange, 72);
	OFF(struct xen_memory_exchange, out, 32); OFF(struct xen_memory_exchange, nr_exchanged, 64);
	CHECK_EQ(XENMEM_populate_physmap, 6); CHECK_EQ(XENMEM_memory_map, 9);
	CHECK_EQ(XENMEM_machine_memory_map, 10); CHECK_EQ(XENMEM_exchange, 11);
	CHECK_EQ(XENMEM_machphys_mapping, 12); CHECK_EQ(XENMEM_acquire_resource, 28);
}

static void layout_event_channel(void)
{
	SIZE(struct evtchn_bind_interdomain, 12); OFF(struct evtchn_bind_interdomain, remote_port, 4);
	OFF(struct evtchn_bind_interdomain, local_port, 8); SIZE(struct evtchn_bind_virq, 12);
	SIZE(struct evtchn_bind_pirq, 12); SIZE(struct evtchn_status, 24);
	OFF(struct evtchn_status, port, 4); OFF(struct evtchn_status, status, 8);
	OFF(struct evtchn_status, vcpu, 12); OFF(struct evtchn_status, u, 16);
	SIZE(struct evtchn_alloc_unbound, 8); OFF(struct evtchn_alloc_unbound, remote_dom, 2);
	OFF(struct evtchn_alloc_unbound, port, 4); SIZE(struct evtchn_bind_ipi, 8);
	SIZE(struct evtchn_bind_vcpu, 8); SIZE(struct evtchn_init_control, 24);
	OFF(struct evtchn_init_control, offset, 8); OFF(struct evtchn_init_control, vcpu, 12);
	OFF(struct evtchn_init_control, link_bits, 16); CHECK_EQ(EVTCHNOP_set_priority, 13);
	CHECK_EQ(EVTCHNSTAT_ipi, 5); CHECK_EQ(VIRQ_DOM_EXC, 3); CHECK_EQ(VIRQ_XENPMU, 13);
	CHECK_EQ(NR_VIRQS, 24);
}

static void layout_grant_table(void)
{
	SIZE(struct grant_entry_v1, 8); OFF(struct grant_entry_v1, domid, 2);
	OFF(struct grant_entry_v1, frame, 4); SIZE(struct gnttab_map_grant_ref, 32);
	OFF(struct gnttab_map_grant_ref, flags, 8); OFF(struct gnttab_map_grant_ref, ref, 12);
	OFF(struct gnttab_map_grant_ref, dom, 16); OFF(struct gnttab_map_grant_ref, status, 18);
	OFF(struct gnttab_map_grant_ref, handle, 20);
	OFF(struct gnttab_map_grant_ref, dev_bus_addr, 24); SIZE(struct gnttab_unmap_grant_ref, 24);
	OFF(struct gnttab_unmap_grant_ref, dev_bus_addr, 8);
	OFF(struct gnttab_unmap_grant_ref, handle, 16); OFF(struct gnttab_unmap_grant_ref, status, 20);
	SIZE(struct gnttab_setup_table, 24); OFF(struct gnttab_setup_table, nr_frames, 4);
	OFF(struct gnttab_setup_table, status, 8); OFF(struct gnttab_setup_table, frame_list, 16);
	SIZE(struct gnttab_copy, 40); OFF(struct gnttab_copy, source.domid, 8);
	OFF(struct gnttab_copy, source.offset, 10); OFF(struct gnttab_copy, dest, 16);
	OFF(struct gnttab_copy, len, 32); OFF(struct gnttab_copy, flags, 34);
	OFF(struct gnttab_copy, status, 36); SIZE(struct gnttab_query_size, 16);
	OFF(struct gnttab_query_size, nr_frames, 4); OFF(struct gnttab_query_size, max_nr_frames, 8);
	OFF(struct gnttab_query_size, status, 12); SIZE(struct gnttab_set_version, 4);
	CHECK_EQ(GNTTABOP_get_version, 10);
	CHECK_EQ(GTF_sub_page, 0x100); CHECK_EQ(GNTMAP_contains_pte, 0x10);
	CHECK_EQ(GNTST_no_space, -13); CHECK_EQ(GNTST_bad_copy_arg, -10);
}

static void layout_vcpu(void)
{
	SIZE(struct vcpu_runstate_info, 48); OFF(struct vcpu_runstate_info, state_entry_time, 8);
	OFF(struct vcpu_runstate_info, time, 16); SIZE(struct vcpu_set_singleshot_timer, 16);
	OFF(struct vcpu_set_singleshot_timer, flags, 8); SIZE(struct vcpu_register_vcpu_info, 16);
	OFF(struct vcpu_register_vcpu_info, offset, 8); OFF(struct vcpu_register_vcpu_info, rsvd, 12);
	SIZE(struct vcpu_register_runstate_memory_area, 8); SIZE(struct cpu_user_regs, 200);
	OFF(struct cpu_user_regs, r15, 0); OFF(struct cpu_user_regs, r14, 8);
	OFF(struct cpu_user_regs, r13, 16); OFF(struct cpu_user_regs, r12, 24);
	OFF(struct cpu_user_regs, rbp, 32); OFF(struct cpu_user_regs, rbx, 40);
	OFF(struct cpu_user_regs, r11, 48); OFF(struct cpu_user_regs, r10, 56);
	OFF(struct cpu_user_regs, r9, 64); OFF(struct cpu_user_regs, r8, 72);
	OFF(struct cpu_user_regs, rax, 80); OFF(struct cpu_user_regs, rcx, 88);
	OFF(struct cpu_user_regs, rdx, 96); OFF(struct cpu_user_regs, rsi, 104);
	OFF(struct cpu_user_regs, rdi, 112); OFF(struct cpu_user_regs, error_code, 120);
	OFF(struct cpu_user_regs, entry_vector, 124); OFF(struct cpu_user_regs, rip, 128);
	OFF(struct cpu_user_regs, cs, 136); OFF(struct cpu_user_regs, saved_upcall_mask, 140);
	OFF(struct cpu_user_regs, rflags, 144); OFF(struct cpu_user_regs, rsp, 152);
	OFF(struct cpu_user_regs, ss, 160); OFF(struct cpu_user_regs, es, 168);
	OFF(struct cpu_user_regs, ds, 176); OFF(struct cpu_user_regs, fs, 184);
	OFF(struct cpu_user_regs, gs, 192); SIZE(struct vcpu_guest_context, 5168);
	OFF(struct vcpu_guest_context, flags, 512); OFF(struct vcpu_guest_context, user_regs, 520);
	OFF(struct vcpu_guest_context, trap_ctxt, 720); OFF(struct vcpu_guest_context, ldt_base, 4816);
	OFF(struct vcpu_guest_context, ldt_ents, 4824);
	OFF(struct vcpu_guest_context, gdt_frames, 4832);
	OFF(struct vcpu_guest_context, gdt_ents, 4960);
	OFF(struct vcpu_guest_context, kernel_ss, 4968);
	OFF(struct vcpu_guest_context, kernel_sp, 4976); OFF(struct vcpu_guest_context, ctrlreg, 4984);
	OFF(struct vcpu_guest_context, debugreg, 5048);
	OFF(struct vcpu_guest_context, event_callback_eip, 5112);
	OFF(struct vcpu_guest_context, failsafe_callback_eip, 5120);
	OFF(struct vcpu_guest_context, syscall_callback_eip, 5128);
	OFF(struct vcpu_guest_context, vm_assist, 5136); OFF(struct vcpu_guest_context, fs_base, 5144);
	OFF(struct vcpu_guest_context, gs_base_kernel, 5152);
	OFF(struct vcpu_guest_context, gs_base_user, 5160);
	CHECK_EQ(VGCF_in_kernel | VGCF_online, 0x24); CHECK_EQ(VCPUOP_register_vcpu_info, 10);
}

static void layout_sched_version_console(void)
{
	SIZE(struct sched_shutdown, 4); SIZE(struct sched_poll, 24);
	OFF(struct sched_poll, nr_ports, 8); OFF(struct sched_poll, timeout, 16);
	SIZE(struct sched_remote_shutdown, 8); OFF(struct sched_remote_shutdown, reason, 4);
	CHECK_EQ(SHUTDOWN_soft_reset, 5);
	SIZE(struct xen_feature_info, 8); CHECK_EQ(XENVER_get_features, 6);
	CHECK_EQ(XENFEAT_mmu_pt_update_preserve_ad, 5);
	CHECK_EQ(XENFEAT_gnttab_map_avail_bits, 7); CHECK_EQ(XENFEAT_dom0, 11);
	CHECK_EQ(CONSOLEIO_write, 0); CHECK_EQ(CONSOLEIO_read, 1);
}

static void layout_physdev(void)
{
	SIZE(struct physdev_set_iopl, 4); CHECK_EQ(PHYSDEVOP_set_iopl, 6);
}

static void layout_domctl_sysctl(void)
{
	CHECK_EQ(XEN_DOMCTL_INTERFACE_VERSION, 0x15); CHECK_EQ(XEN_SYSCTL_INTERFACE_VERSION, 0x15);
	SIZE(struct xen_domctl, 144); OFF(struct xen_domctl, interface_version, 4);
	OFF(struct xen_domctl, domain, 8); OFF(struct xen_domctl, u, 16);
	SIZE(struct xen_domctl_createdomain, 64); OFF(struct xen_domctl_createdomain, handle, 4);
	OFF(struct xen_domctl_createdomain, flags, 20);
	OFF(struct xen_domctl_createdomain, iommu_opts, 24);
	OFF(struct xen_domctl_createdomain, max_vcpus, 28);
	OFF(struct xen_domctl_createdomain, max_evtchn_port, 32);
	OFF(struct xen_domctl_createdomain, max_grant_frames, 36);
	OFF(struct xen_domctl_createdomain, max_maptrack_frames, 40);
	OFF(struct xen_domctl_createdomain, grant_opts, 44);
	OFF(struct xen_domctl_createdomain, vmtrace_size, 48);
	OFF(struct xen_domctl_createdomain, cpupool_id, 52);
	OFF(struct xen_domctl_createdomain, arch.emulation_flags, 56);
	OFF(struct xen_domctl_createdomain, arch.misc_flags, 60);
	SIZE(struct xen_domctl_getdomaininfo, 112); OFF(struct xen_domctl_getdomaininfo, flags, 4);
	OFF(struct xen_domctl_getdomaininfo, tot_pages, 8);
	OFF(struct xen_domctl_getdomaininfo, max_pages, 16);
	OFF(struct xen_domctl_getdomaininfo, outstanding_pages, 24);
	OFF(struct xen_domctl_getdomaininfo, shr_pages, 32);
	OFF(struct xen_domctl_getdomaininfo, paged_pages, 40);
	OFF(struct xen_domctl_getdomaininfo, shared_info_frame, 48);
	OFF(struct xen_domctl_getdomaininfo, cpu_time, 56);
	OFF(struct xen_domctl_getdomaininfo, nr_online_vcpus, 64);
	OFF(struct xen_domctl_getdomaininfo, max_vcpu_id, 68);
	OFF(struct xen_domctl_getdomaininfo, ssidref, 72);
	OFF(struct xen_domctl_getdomaininfo, handle, 76);
	OFF(struct xen_domctl_getdomaininfo, cpupool, 92);
	OFF(struct xen_domctl_getdomaininfo, gpaddr_bits, 96);
	OFF(struct xen_domctl_getdomaininfo, arch_config, 104);
	SIZE(struct xen_domctl_vcpucontext, 16); OFF(struct xen_domctl_vcpucontext, ctxt, 8);
	CHECK_EQ(XEN_DOMCTL_createdomain, 1); CHECK_EQ(XEN_DOMCTL_getdomaininfo, 5);
	CHECK_EQ(XEN_DOMCTL_max_mem, 11); CHECK_EQ(XEN_DOMCTL_setvcpucontext, 12);
	CHECK_EQ(XEN_DOMCTL_max_vcpus, 15); CHECK_EQ(XEN_DOMCTL_hypercall_init, 22);
	CHECK_EQ(XEN_DOMCTL_set_address_size, 35); CHECK_EQ(XEN_DOMCTL_CDF_vpmu, 0x80);
	CHECK_EQ(XEN_DOMINF_shutdown, 0x4); SIZE(struct xen_sysctl, 136); OFF(struct xen_sysctl, u, 8);
	SIZE(struct xen_sysctl_physinfo, 112); SIZE(struct xen_sysctl_readconsole, 24);
	SIZE(struct xen_sysctl_getdomaininfolist, 24);
	OFF(struct xen_sysctl_getdomaininfolist, max_domains, 4);
	OFF(struct xen_sysctl_getdomaininfolist, buffer, 8);
	OFF(struct xen_sysctl_getdomaininfolist, num_domains, 16); CHECK_EQ(XEN_SYSCTL_readconsole, 1);
	CHECK_EQ(XEN_SYSCTL_physinfo, 3); CHECK_EQ(XEN_SYSCTL_getdomaininfolist, 6);
}

static void layout_io_rings(void)
{
	SIZE(struct xencons_interface, 3088); OFF(struct xencons_interface, out, 1024);
	OFF(struct xencons_interface, in_cons, 3072); OFF(struct xencons_interface, out_prod, 3084);
	SIZE(struct xsd_sockmsg, 16); OFF(struct xenstore_domain_interface, rsp, 1024);
	OFF(struct xenstore_domain_interface, req_cons, 2048);
	OFF(struct xenstore_domain_interface, req_prod, 2052);
	OFF(struct xenstore_domain_interface, rsp_cons, 2056);
	OFF(struct xenstore_domain_interface, rsp_prod, 2060);
	OFF(struct xenstore_domain_interface, server_features, 2064);
	OFF(struct xenstore_domain_interface, connection, 2068);
	OFF(struct xenstore_domain_interface, error, 2072); CHECK_EQ(XS_DIRECTORY, 1);
	CHECK_EQ(XS_READ, 2); CHECK_EQ(XS_WATCH, 4); CHECK_EQ(XS_UNWATCH, 5);
	CHECK_EQ(XS_TRANSACTION_START, 6); CHECK_EQ(XS_TRANSACTION_END, 7); CHECK_EQ(XS_INTRODUCE, 8);
	CHECK_EQ(XS_WRITE, 11); CHECK_EQ(XS_MKDIR, 12); CHECK_EQ(XS_RM, 13);
	CHECK_EQ(XS_WATCH_EVENT, 15); CHECK_EQ(XS_ERROR, 16); CHECK_EQ(XS_RESET_WATCHES, 21);
	SIZE(struct blkif_request, 112); OFF(struct blkif_request, id, 8);
	OFF(struct blkif_request, seg, 24); SIZE(struct blkif_response, 16);
	OFF(struct blkif_request_indirect, indirect_grefs, 28); OFF(struct blkif_sring, ring, 64);
	CHECK_EQ(BLKIF_RING_SIZE_1PAGE, 32); CHECK_EQ(PV_RING_SIZE(blkif, 4 * 4096), 128);
	SIZE(struct netif_tx_request, 12); SIZE(struct netif_tx_response, 4);
	SIZE(struct netif_rx_request, 8); SIZE(struct netif_rx_response, 8);
	SIZE(struct netif_extra_info, 8); CHECK_EQ(NETIF_TX_RING_SIZE, 256);
	CHECK_EQ(NETIF_RX_RING_SIZE, 256);
}

/* The notify rule holds across the u32 wrap of the indexes. */
static void ring_notify_rule(void)
{
	CHECK(pv_ring_should_notify(0, 1, 1));
	CHECK(!pv_ring_should_notify(1, 2, 1));
	CHECK(pv_ring_should_notify(1, 5, 3));
	CHECK(!pv_ring_should_notify(1, 5, 6));
	CHECK(pv_ring_should_notify(0xfffffffe, 2, 0));
	CHECK(pv_ring_should_notify(0xfffffffe, 2, 0xffffffff));
	CHECK(!pv_ring_should_notify(0xfffffffe, 2, 3));
	CHECK_EQ(PV_POW2_FLOOR(1), 1);
	CHECK_EQ(PV_POW2_FLOOR(36), 32);
	CHECK_EQ(PV_POW2_FLOOR(504), 256);
	CHECK_EQ(PV_POW2_FLOOR(0x8000), 0x8000);
}

/* ---- the hypercall table ----------------------------------------------- */

struct hc_row {
	unsigned int nr;
	const char *name;
	const char *impl;    /* "IMPL" or "NOSYS" */
	unsigned int flags;
	unsigned int nargs;
	const char *types[6]; /* as the guest sees them */
	const char *args[6];
};

#define STR_(x) #x
#define STR(x) STR_(x)
#define PV_GPTR(type) type *
#define HC_(nr, name, impl, flags, n, ...) { nr, #name, #impl, flags, n, __VA_ARGS__ },
#define PV_HC0(nr, name, impl, flags) { nr, #name, #impl, flags, 0, { 0 }, { 0 } },
#define PV_HC1(nr, name, impl, flags, t1, a1) \
	HC_(nr, name, impl, flags, 1, { STR(t1) }, { #a1 })
#define PV_HC2(nr, name, impl, flags, t1, a1, t2, a2) \
	HC_(nr, name, impl, flags, 2, { STR(t1), STR(t2) }, { #a1, #a2 })
#define PV_HC3(nr, name, impl, flags, t1, a1, t2, a2, t3, a3) \
	HC_(nr, name, impl, flags, 3, { STR(t1), STR(t2), STR(t3) }, { #a1, #a2, #a3 })
#define PV_HC4(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4) \
	HC_(nr, name, impl, flags, 4, { STR(t1), STR(t2), STR(t3), STR(t4) }, \
	    { #a1, #a2, #a3, #a4 })
#define PV_HC5(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) \
	HC_(nr, name, impl, flags, 5, { STR(t1), STR(t2), STR(t3), STR(t4), STR(t5) }, \
	    { #a1, #a2, #a3, #a4, #a5 })
#define PV_HC6(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	HC_(nr, name, impl, flags, 6, { STR(t1), STR(t2), STR(t3), STR(t4), STR(t5), STR(t6) }, \
	    { #a1, #a2, #a3, #a4, #a5, #a6 })
static const struct hc_row hc_rows[] = {
#include "../../hypercall/include/pv/hypercall_table.def"
};
#undef PV_GPTR
#undef PV_HC0
#undef PV_HC1
#undef PV_HC2
#undef PV_HC3
#undef PV_HC4
#undef PV_HC5
#undef PV_HC6
#define NR_ROWS (sizeof(hc_rows) / sizeof(hc_rows[0]))

/* Section 2.3 of the notes: every number the ABI assigns, and its name. */
static const struct {
	unsigned int nr;
	const char *name;
} notes_numbers[] = {
	{ 0, "set_trap_table" }, { 1, "mmu_update" }, { 2, "set_gdt" },
	{ 3, "stack_switch" }, { 4, "set_callbacks" }, { 5, "fpu_taskswitch" },
	{ 6, "sched_op_compat" }, { 7, "platform_op" }, { 8, "set_debugreg" },
	{ 9, "get_debugreg" }, { 10, "update_descriptor" }, { 12, "memory_op" },
	{ 13, "multicall" }, { 14, "update_va_mapping" }, { 15, "set_timer_op" },
	{ 16, "event_channel_op_compat" }, { 17, "xen_version" }, { 18, "console_io" },
	{ 19, "physdev_op_compat" }, { 20, "grant_table_op" }, { 21, "vm_assist" },
	{ 22, "update_va_mapping_otherdomain" }, { 23, "iret" }, { 24, "vcpu_op" },
	{ 25, "set_segment_base" }, { 26, "mmuext_op" }, { 27, "xsm_op" },
	{ 28, "nmi_op" }, { 29, "sched_op" }, { 30, "callback_op" },
	{ 31, "xenoprof_op" }, { 32, "event_channel_op" }, { 33, "physdev_op" },
	{ 34, "hvm_op" }, { 35, "sysctl" }, { 36, "domctl" }, { 37, "kexec_op" },
	{ 40, "xenpmu_op" }, { 41, "dm_op" }, { 48, "mca" },
};

static const struct hc_row *row_by_nr(unsigned int nr)
{
	for (size_t i = 0; i < NR_ROWS; i++)
		if (hc_rows[i].nr == nr)
			return &hc_rows[i];
	return NULL;
}

static void table_numbers(void)
{
	for (size_t i = 0; i < NR_ROWS; i++) {
		const struct hc_row *r = &hc_rows[i];

		CHECK_MSG(r->nr < PV_NR_HYPERCALLS, "%s: number %u", r->name, r->nr);
		if (i)
			CHECK_MSG(r->nr > hc_rows[i - 1].nr, "%s: rows not in ascending order",
				  r->name);
		CHECK_MSG(!strcmp(r->impl, "IMPL") || !strcmp(r->impl, "NOSYS"),
			  "%s: impl is %s, not IMPL or NOSYS", r->name, r->impl);
		CHECK_MSG(!(r->flags & ~(PV_HCF_DOM0 | PV_HCF_CONT)), "%s: flags %#x",
			  r->name, r->flags);
	}
	for (size_t i = 0; i < sizeof(notes_numbers) / sizeof(notes_numbers[0]); i++) {
		const struct hc_row *r = row_by_nr(notes_numbers[i].nr);

		if (CHECK_MSG(r, "hypercall %u (%s) is missing from the table",
			      notes_numbers[i].nr, notes_numbers[i].name))
			CHECK_STR(r->name, notes_numbers[i].name);
	}
	CHECK_EQ(NR_ROWS, sizeof(notes_numbers) / sizeof(notes_numbers[0]));
	CHECK_EQ(PV_HC_memory_op, 12);
	CHECK_EQ(PV_HC_iret, 23);
	CHECK_EQ(PV_HC_mca, 48);
}

/* Every slot of the dispatch array answers; NOSYS rows and holes say -ENOSYS. */
static void dispatch_array(void)
{
	static const pv_u64 args[6] = { 1, 2, 3, 4, 5, 6 };

	for (unsigned int nr = 0; nr < PV_NR_HYPERCALLS; nr++) {
		const struct pv_hypercall_desc *d = pv_hypercall_lookup(nr);
		const struct hc_row *r = row_by_nr(nr);

		REQUIRE(d == &pv_hypercall_table[nr]);
		REQUIRE(d->fn != NULL);
		if (!r) {
			CHECK_MSG(d->fn == pv_hypercall_enosys && !d->flags, "unassigned %u has an entry",
				  nr);
			continue;
		}
		CHECK_EQ(d->flags, r->flags);
		CHECK_EQ(d->fn != pv_hypercall_enosys, !strcmp(r->impl, "IMPL"));
	}
	/* RAX is 64 bits: only an exact small number selects a slot. */
	CHECK(pv_hypercall_lookup(PV_NR_HYPERCALLS) == &pv_hypercall_out_of_range);
	CHECK(pv_hypercall_lookup((1ULL << 32) | PV_HC_memory_op) == &pv_hypercall_out_of_range);
	CHECK(pv_hypercall_lookup(~0ULL) == &pv_hypercall_out_of_range);
	CHECK_EQ(pv_hypercall_out_of_range.fn(args), -XEN_ENOSYS);
	CHECK_EQ(PV_HC_ENOSYS, XEN_ENOSYS);
}

/*
 * The guest stubs use the Linux x86_64 system-call registers (RAX; RDI RSI
 * RDX R10 R8 R9; RCX R11 destroyed), so on the host the kernel can stand in
 * for the hypervisor: a stub whose number is a harmless Linux system call
 * shows the arguments arrive in the right registers.
 */
static void guest_stub_convention(void)
{
	/* Linux mmap (9) takes all six registers; a wrong one gives -EINVAL. */
	long p = pv_hypercall(9, 0, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, (pv_u64)-1, 0);

	if (CHECK_MSG(p > 0, "raw six-argument call returned %ld", p)) {
		*(volatile char *)p = 1;
		munmap((void *)p, 4096);
	}
	/* Linux 20 is writev(fd, iov, iovcnt): grant_table_op's three registers. */
	int fds[2];
	char buf[8] = { 0 };
	struct iovec iov = { (void *)"ring", 4 };

	REQUIRE(pipe(fds) == 0);
	CHECK_EQ(HYPERVISOR_grant_table_op((pv_u32)fds[1], &iov, 1), 4);
	CHECK_EQ(read(fds[0], buf, sizeof(buf)), 4);
	CHECK_STR(buf, "ring");
	/* A Linux error comes back as -errno in RAX, like a hypercall's. */
	CHECK_EQ(HYPERVISOR_grant_table_op(0xffffff, &iov, 1), -9 /* EBADF */);
	close(fds[0]);
	close(fds[1]);
}

/* ---- helpers: files and compilers -------------------------------------- */

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static void mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0777);
			*p = '/';
		}
	}
	mkdir(tmp, 0777);
}

/* Runs cmd with the shell; its output goes to log. Returns the exit status. */
static int run(const char *cmd, const char *log)
{
	char full[8192];
	int st;

	snprintf(full, sizeof(full), "%s >%s 2>&1", cmd, log);
	st = system(full);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

static void print_log(const char *log)
{
	char *text = read_file(log);

	if (text) {
		printf("%.3000s", text);
		free(text);
	}
}

#define MAX_HEADERS 64
static char headers[MAX_HEADERS][600]; /* relative to the include directory */
static int nr_headers;

static void find_headers(const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[1024], sub[512];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			find_headers(path, sub);
		else if (len > 2 && !strcmp(e->d_name + len - 2, ".h") && nr_headers < MAX_HEADERS)
			snprintf(headers[nr_headers++], sizeof(headers[0]), "%s", sub);
	}
	closedir(d);
}

/*
 * Compiles `#include <pv/X.h>` alone, for each header, in one compiler
 * run (each file is its own translation unit).
 */
static void compile_each_header(const char *compiler, const char *flags, const char *tag,
				bool skip_gnu_only)
{
	char cmd[16384], log[300], dir[256];
	int n;

	snprintf(dir, sizeof(dir), WORK_DIR "/%s", tag);
	mkdirs(dir);
	n = snprintf(cmd, sizeof(cmd), "%s %s -fsyntax-only -Ihypercall/include -Ipvdrivers/include", compiler, flags);
	for (int i = 0; i < nr_headers; i++) {
		char src[1024], text[700], *p;

		/* The dispatch array uses a GNU range initializer: ring 0 only. */
		if (skip_gnu_only && strstr(headers[i], "hypercall_dispatch.h"))
			continue;
		snprintf(src, sizeof(src), "%s/%s", dir, headers[i]);
		for (p = src + strlen(dir) + 1; *p; p++)
			if (*p == '/' || *p == '.')
				*p = '_';
		strcat(src, ".c");
		/* The typedef keeps a header of only macros from being an empty unit. */
		snprintf(text, sizeof(text), "#include <%s>\ntypedef int header_check;\n",
			 headers[i]);
		REQUIRE(write_file(src, text));
		n += snprintf(cmd + n, sizeof(cmd) - n, " %s", src);
		REQUIRE(n < (int)sizeof(cmd));
	}
	snprintf(log, sizeof(log), "%s.log", dir);
	if (!CHECK_MSG(run(cmd, log) == 0, "%s: a header does not compile alone (%s)", tag, log))
		print_log(log);
}

static const char *host_cc(void)
{
	const char *cc = getenv("CC");

	return cc && *cc ? cc : "gcc";
}

#define WARN_FLAGS "-Wall -Wextra -Werror -Wmissing-prototypes -Wshadow"

static void setup_headers(void)
{
	if (!nr_headers) {
		find_headers(PV_DIR, "pv");
		find_headers(PV_IO_DIR, "pv/io");
	}
	REQUIRE(nr_headers >= 25);
}

static void headers_alone_host(void)
{
	setup_headers();
	compile_each_header(host_cc(), "-std=gnu11 " WARN_FLAGS, "host-gnu11", false);
}

static void headers_alone_host_pedantic(void)
{
	setup_headers();
	compile_each_header(host_cc(), "-std=c11 -pedantic " WARN_FLAGS, "host-c11-pedantic", true);
}

/* As the hypervisor (hypervisor/build.mk) and a freestanding guest compile them. */
static void headers_alone_freestanding(void)
{
	setup_headers();
	REQUIRE_MSG(run("clang --version", WORK_DIR "/clang-version.log") == 0,
		    "clang, the hypervisor's compiler, is missing: run make setup");
	compile_each_header("clang", "--target=x86_64-unknown-none-elf -ffreestanding "
			    "-fno-builtin -mno-red-zone -mgeneral-regs-only -std=gnu11 "
			    WARN_FLAGS, "clang-freestanding", false);
}

/* The assembler sees the numbers as .equ symbols. */
static void numbers_in_assembly(void)
{
	char cmd[512];

	mkdirs(WORK_DIR);
	REQUIRE(write_file(WORK_DIR "/nr.S", "#include <pv/hypercall_nr.h>\n"
				"\tmov $PV_HC_iret, %eax\n\tmov $PV_HC_mca, %eax\n"));
	snprintf(cmd, sizeof(cmd), "%s -D__ASSEMBLY__ -Ihypercall/include -c %s -o %s",
		 host_cc(), WORK_DIR "/nr.S", WORK_DIR "/nr.o");
	if (!CHECK_MSG(run(cmd, WORK_DIR "/nr.log") == 0, "assembly: " WORK_DIR "/nr.log"))
		print_log(WORK_DIR "/nr.log");
}

/*
 * Marks every hypercall implemented (a copy of the headers with NOSYS
 * turned into IMPL), defines each do_<name> from the prototypes, and runs
 * the result: every number must reach its own handler with its arguments
 * in order and narrowed to their types. Built with the host compiler and
 * with the hypervisor's clang.
 */
static const char all_impl_program[] =
	"#include <pv/hypercall_dispatch.h>\n"
	"static pv_u64 seen_nr = ~0ULL, seen[6];\n"
	"#define PV_GPTR(t) pv_gva_t\n"
	"#define S(i, a) seen[i] = (pv_u64)(a)\n"
	"#define PV_HC0(nr, name, impl, flags) long do_##name(void) { seen_nr = nr; return nr; }\n"
	"#define PV_HC1(nr, name, impl, flags, t1, a1) long do_##name(t1 a1) "
	"{ seen_nr = nr; S(0, a1); return nr; }\n"
	"#define PV_HC2(nr, name, impl, flags, t1, a1, t2, a2) long do_##name(t1 a1, t2 a2) "
	"{ seen_nr = nr; S(0, a1); S(1, a2); return nr; }\n"
	"#define PV_HC3(nr, name, impl, flags, t1, a1, t2, a2, t3, a3) "
	"long do_##name(t1 a1, t2 a2, t3 a3) { seen_nr = nr; S(0, a1); S(1, a2); S(2, a3); return nr; }\n"
	"#define PV_HC4(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4) "
	"long do_##name(t1 a1, t2 a2, t3 a3, t4 a4) "
	"{ seen_nr = nr; S(0, a1); S(1, a2); S(2, a3); S(3, a4); return nr; }\n"
	"#define PV_HC5(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) "
	"long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5) "
	"{ seen_nr = nr; S(0, a1); S(1, a2); S(2, a3); S(3, a4); S(4, a5); return nr; }\n"
	"#define PV_HC6(nr, name, impl, flags, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) "
	"long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6) "
	"{ seen_nr = nr; S(0, a1); S(1, a2); S(2, a3); S(3, a4); S(4, a5); S(5, a6); return nr; }\n"
	"#include <pv/hypercall_table.def>\n"
	"#ifdef HOSTED\n"
	"/* The numbers the table names, by the table itself. */\n"
	"#define PV_GPTR(t) pv_gva_t\n"
	"#define N(nr, name, ...) [nr] = #name,\n"
	"#define PV_HC0 N\n#define PV_HC1 N\n#define PV_HC2 N\n#define PV_HC3 N\n"
	"#define PV_HC4 N\n#define PV_HC5 N\n#define PV_HC6 N\n"
	"static const char *const names[PV_NR_HYPERCALLS] = {\n"
	"#include <pv/hypercall_table.def>\n"
	"};\n"
	"#include <stdio.h>\n"
	"int main(void)\n"
	"{\n"
	"\tconst pv_u64 a[6] = { 0xa1a1a1a1a1a1a1a1, 0xffffffff00000002, 0x1234567800000003,\n"
	"\t\t\t      0xb4b4b4b4b4b4b4b4, 0xc5c5c5c5c5c5c5c5, 0xd6d6d6d6d6d6d6d6 };\n"
	"\tint bad = 0;\n"
	"\tfor (pv_u64 nr = 0; nr < PV_NR_HYPERCALLS; nr++) {\n"
	"\t\tconst struct pv_hypercall_desc *d = pv_hypercall_lookup(nr);\n"
	"\t\tif (!names[nr]) { bad |= d->fn(a) != -PV_HC_ENOSYS; continue; }\n"
	"\t\tseen_nr = ~0ULL;\n"
	"\t\tif (d->fn(a) != (long)nr || seen_nr != nr) {\n"
	"\t\t\tprintf(\"%s (%llu) did not reach its handler\\n\", names[nr],\n"
	"\t\t\t       (unsigned long long)nr);\n"
	"\t\t\tbad = 1;\n"
	"\t\t}\n"
	"\t}\n"
	"\t/* vm_assist(pv_u32 cmd, pv_u32 type): the high halves are dropped. */\n"
	"\tpv_hypercall_lookup(PV_HC_vm_assist)->fn(a);\n"
	"\tbad |= seen[0] != 0xa1a1a1a1 || seen[1] != 2;\n"
	"\t/* vcpu_op(pv_s32 cmd, ...): sign-extended back from 32 bits. */\n"
	"\tpv_hypercall_lookup(PV_HC_vcpu_op)->fn(a);\n"
	"\tbad |= seen[0] != 0xffffffffa1a1a1a1 || seen[1] != 2 || seen[2] != a[2];\n"
	"\t/* update_va_mapping_otherdomain: domid_t is 16 bits. */\n"
	"\tpv_hypercall_lookup(PV_HC_update_va_mapping_otherdomain)->fn(a);\n"
	"\tbad |= seen[0] != a[0] || seen[2] != a[2] || seen[3] != 0xb4b4;\n"
	"\t/* mmu_update: guest pointers arrive whole. */\n"
	"\tpv_hypercall_lookup(PV_HC_mmu_update)->fn(a);\n"
	"\tbad |= seen[0] != a[0] || seen[1] != 2 || seen[2] != a[2] || seen[3] != 0xb4b4b4b4;\n"
	"\tif (bad)\n"
	"\t\tprintf(\"argument narrowing or routing is wrong\\n\");\n"
	"\treturn bad;\n"
	"}\n"
	"#endif\n";

static void copy_tree_all_impl(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s && cp -r %s %s/ && "
		 "sed -i 's/^\\(PV_HC[0-6]([ 0-9]*, *[a-z_0-9]*, *\\)NOSYS,/\\1IMPL, /' "
		 "%s/pv/hypercall_table.def && ! grep -q NOSYS, %s/pv/hypercall_table.def",
		 to, to, from, to, to, to);
	REQUIRE_MSG(run(cmd, WORK_DIR "/all-impl-copy.log") == 0,
		    "cannot make the all-IMPL copy of the table (" WORK_DIR "/all-impl-copy.log)");
}

static void dispatch_all_implemented(void)
{
	char cmd[1024];
	const char *inc = WORK_DIR "/all-impl/include";

	mkdirs(WORK_DIR "/all-impl");
	copy_tree_all_impl(PV_DIR, inc);
	REQUIRE(write_file(WORK_DIR "/all-impl/prog.c", all_impl_program));
	snprintf(cmd, sizeof(cmd), "%s -std=gnu11 " WARN_FLAGS " -DHOSTED -I%s %s -o %s && %s",
		 host_cc(), inc, WORK_DIR "/all-impl/prog.c", WORK_DIR "/all-impl/prog",
		 WORK_DIR "/all-impl/prog");
	if (!CHECK_MSG(run(cmd, WORK_DIR "/all-impl/host.log") == 0,
		       "every hypercall implemented: " WORK_DIR "/all-impl/host.log"))
		print_log(WORK_DIR "/all-impl/host.log");
	snprintf(cmd, sizeof(cmd), "clang --target=x86_64-unknown-none-elf -ffreestanding "
		 "-std=gnu11 -O2 " WARN_FLAGS " -I%s -c %s -o %s", inc,
		 WORK_DIR "/all-impl/prog.c", WORK_DIR "/all-impl/prog-freestanding.o");
	if (!CHECK_MSG(run(cmd, WORK_DIR "/all-impl/clang.log") == 0,
		       "every hypercall implemented, hypervisor flags: " WORK_DIR
		       "/all-impl/clang.log"))
		print_log(WORK_DIR "/all-impl/clang.log");
}

/* ---- docs/hypercalls.md ------------------------------------------------- */

/* The columns the table decides: number, name, arguments, flags, status. */
static void expected_doc_cells(const struct hc_row *r, char *args, size_t args_len,
			       const char **flags, const char **status)
{
	size_t n = 0;

	n += snprintf(args + n, args_len - n, "`(");
	if (!r->nargs)
		n += snprintf(args + n, args_len - n, "void");
	for (unsigned int i = 0; i < r->nargs && n < args_len; i++) {
		size_t tl = strlen(r->types[i]);
		const char *sep = tl && r->types[i][tl - 1] == '*' ? "" : " ";

		n += snprintf(args + n, args_len - n, "%s%s%s%s", i ? ", " : "", r->types[i], sep,
			      r->args[i]);
	}
	snprintf(args + n, n < args_len ? args_len - n : 0, ")`");
	switch (r->flags) {
	case 0:
		*flags = "-";
		break;
	case PV_HCF_DOM0:
		*flags = "dom0";
		break;
	case PV_HCF_CONT:
		*flags = "cont";
		break;
	default:
		*flags = "dom0 cont";
		break;
	}
	*status = !strcmp(r->impl, "IMPL") ? "implemented" : "not yet";
}

static void print_doc_rows(void)
{
	for (size_t i = 0; i < NR_ROWS; i++) {
		char args[512];
		const char *flags, *status;

		expected_doc_cells(&hc_rows[i], args, sizeof(args), &flags, &status);
		printf("| %u | %s | %s | %s | ... | %s |\n", hc_rows[i].nr, hc_rows[i].name, args,
		       flags, status);
	}
}

/* Splits a table line into trimmed cells; returns how many. */
static int split_cells(char *line, char *cells[], int max)
{
	int n = 0;
	char *p = strchr(line, '|');

	while (p && n < max) {
		char *start = p + 1, *end = strchr(start, '|');

		if (!end)
			break;
		*end = '\0';
		while (*start == ' ')
			start++;
		for (char *q = end - 1; q >= start && *q == ' '; q--)
			*q = '\0';
		cells[n++] = start;
		p = end;
	}
	return n;
}

static void doc_matches_table(void)
{
	char *doc = read_file(DOC_PATH), *begin, *end, *line;
	bool seen[NR_ROWS] = { false };
	int rows = 0;

	REQUIRE_MSG(doc, "cannot read " DOC_PATH);
	begin = strstr(doc, "<!-- hypercall-table:begin -->");
	end = begin ? strstr(begin, "<!-- hypercall-table:end -->") : NULL;
	if (!CHECK_MSG(begin && end, DOC_PATH " lacks the hypercall-table markers")) {
		free(doc);
		return;
	}
	*end = '\0';
	for (line = strtok(begin, "\n"); line; line = strtok(NULL, "\n")) {
		char *cells[8], *num_end;
		const struct hc_row *r;
		char args[512];
		const char *flags, *status;
		unsigned long nr;

		if (split_cells(line, cells, 8) != 6)
			continue;
		nr = strtoul(cells[0], &num_end, 10);
		if (num_end == cells[0] || *num_end)
			continue; /* the header and separator rows */
		rows++;
		r = row_by_nr(nr);
		if (!CHECK_MSG(r, DOC_PATH ": hypercall %lu (%s) is not in the table", nr, cells[1]))
			continue;
		seen[r - hc_rows] = true;
		expected_doc_cells(r, args, sizeof(args), &flags, &status);
		CHECK_MSG(!strcmp(cells[1], r->name), DOC_PATH ": %lu is %s, not %s", nr, r->name,
			  cells[1]);
		CHECK_MSG(!strcmp(cells[2], args), DOC_PATH ": %s arguments: want %s", r->name, args);
		CHECK_MSG(!strcmp(cells[3], flags), DOC_PATH ": %s flags: want %s", r->name, flags);
		CHECK_MSG(!strcmp(cells[5], status), DOC_PATH ": %s status: want \"%s\"", r->name,
			  status);
	}
	for (size_t i = 0; i < NR_ROWS; i++)
		CHECK_MSG(seen[i], DOC_PATH ": no row for %u %s", hc_rows[i].nr, hc_rows[i].name);
	CHECK_EQ(rows, NR_ROWS);
	free(doc);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--doc")) {
		print_doc_rows();
		return 0;
	}
	RUN(layout_start_info);
	RUN(layout_shared_info);
	RUN(layout_core);
	RUN(layout_callback);
	RUN(layout_mm);
	RUN(layout_memory);
	RUN(layout_event_channel);
	RUN(layout_grant_table);
	RUN(layout_vcpu);
	RUN(layout_sched_version_console);
	RUN(layout_physdev);
	RUN(layout_domctl_sysctl);
	RUN(layout_io_rings);
	RUN(ring_notify_rule);
	RUN(table_numbers);
	RUN(dispatch_array);
	RUN(guest_stub_convention);
	RUN(headers_alone_host);
	RUN(headers_alone_host_pedantic);
	RUN(headers_alone_freestanding);
	RUN(numbers_in_assembly);
	RUN(dispatch_all_implemented);
	RUN(doc_matches_table);
	return check_done();
}
