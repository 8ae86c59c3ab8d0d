/*
 * vm_assist (21): the types a 64-bit PV guest may switch on and off
 * ({0-5, 32}, as Xen accepts them), and everything else.
 */
#include "check.h"

int main(void)
{
	static const unsigned int valid[] = { 0, 1, 2, 3, 4, 5, 32 };
	static const unsigned int invalid[] = { 6, 7, 31, 33, 63, 64, 65, 0x80000000u, 0xffffffffu };

	check_guest(GUEST_NAME);
	for (unsigned int i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		check_eq(name_of("vm_assist.enable[%u]", valid[i]), 0,
			 HYPERVISOR_vm_assist(VMASST_CMD_enable, valid[i]));
		check_eq(name_of("vm_assist.enable_again[%u]", valid[i]), 0,
			 HYPERVISOR_vm_assist(VMASST_CMD_enable, valid[i]));
		check_eq(name_of("vm_assist.disable[%u]", valid[i]), 0,
			 HYPERVISOR_vm_assist(VMASST_CMD_disable, valid[i]));
	}
	/* The type is checked before the command. */
	for (unsigned int i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		check_eq(name_of("vm_assist.enable_invalid_type[%#x]", invalid[i]), -XEN_EINVAL,
			 HYPERVISOR_vm_assist(VMASST_CMD_enable, invalid[i]));
		check_eq(name_of("vm_assist.bad_cmd_invalid_type[%#x]", invalid[i]), -XEN_EINVAL,
			 HYPERVISOR_vm_assist(7, invalid[i]));
	}
	check_eq("vm_assist.bad_cmd2", -XEN_ENOSYS, HYPERVISOR_vm_assist(2, 0));
	check_eq("vm_assist.bad_cmd_huge", -XEN_ENOSYS, HYPERVISOR_vm_assist(0xffffffffu, 5));

	/* What Linux does at boot: 0, 2, 3, then 5. */
	check_eq("vm_assist.linux_4gb_segments", 0, HYPERVISOR_vm_assist(VMASST_CMD_enable, 0));
	check_eq("vm_assist.linux_writable_pagetables", 0, HYPERVISOR_vm_assist(VMASST_CMD_enable, 2));
	check_eq("vm_assist.linux_pae_extended_cr3", 0, HYPERVISOR_vm_assist(VMASST_CMD_enable, 3));
	check_eq("vm_assist.linux_runstate_update_flag", 0,
		 HYPERVISOR_vm_assist(VMASST_CMD_enable, 5));
	return check_done();
}
