/*
 * xen_version (17): the version number, the feature bits a PV kernel
 * depends on, the strings, and bad arguments. Expected values are Xen's
 * (xen/common/kernel.c) where Mica claims Xen 4.17's interface.
 */
#include <string.h>

#include <mica/version.h>
#include <pv/version.h>

#include "check.h"

static void features(void)
{
	struct xen_feature_info fi = { .submap_idx = 0, .submap = 0xdeadbeef };
	long rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);

	check_eq("version.get_features.rc", 0, rc);
	/* Linux panics unless 5 and 7 are set; 0, 2 and 3 describe other guest types. */
	check_bits("version.get_features.bit5_preserve_ad", 1u << 5, 1u << 5, fi.submap);
	check_bits("version.get_features.bit7_map_avail_bits", 1u << 7, 1u << 7, fi.submap);
	check_bits("version.get_features.bit0_writable_page_tables_clear", 1u << 0, 0, fi.submap);
	check_bits("version.get_features.bit2_auto_translated_clear", 1u << 2, 0, fi.submap);
	check_bits("version.get_features.bit3_supervisor_mode_kernel_clear", 1u << 3, 0,
		   fi.submap);
	/* This guest is the hardware domain. */
	check_bits("version.get_features.bit11_dom0", 1u << 11, 1u << 11, fi.submap);
	check_eq("version.get_features.submap_idx_kept", 0, fi.submap_idx);

	/* Only submap 0 exists: Xen answers -EINVAL for the others. */
	fi = (struct xen_feature_info){ .submap_idx = 1, .submap = 0x5a5a5a5a };
	check_eq("version.get_features.submap1_einval", -XEN_EINVAL,
		 HYPERVISOR_xen_version(XENVER_get_features, &fi));
	fi = (struct xen_feature_info){ .submap_idx = 0xffffffff };
	check_eq("version.get_features.submap_huge_einval", -XEN_EINVAL,
		 HYPERVISOR_xen_version(XENVER_get_features, &fi));

	check_eq("version.get_features.null_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features, (void *)ADDR_NULL));
	check_eq("version.get_features.unmapped_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features, (void *)ADDR_UNMAPPED_LOW));
	check_eq("version.get_features.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features, (void *)ADDR_HYPERVISOR));
	check_eq("version.get_features.hypervisor_end_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features, (void *)ADDR_HYPERVISOR_END));
	check_eq("version.get_features.noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features, (void *)ADDR_NONCANONICAL));
	/* Straddling the end of the lower half: 4 bytes canonical, 4 not. */
	check_eq("version.get_features.straddle_noncanonical_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_get_features,
					(void *)(ADDR_NONCANONICAL_LOW - 4)));
}

static void strings(void)
{
	char buf[XEN_CAPABILITIES_INFO_LEN];
	long rc;

	/* extraversion: char[16], NUL-padded. */
	memset(buf, 'x', sizeof(buf));
	rc = HYPERVISOR_xen_version(XENVER_extraversion, buf);
	check_eq("version.extraversion.rc", 0, rc);
	check_str("version.extraversion", "-mica" MICA_VERSION, buf);
	check_eq("version.extraversion.writes_16_bytes_only", 'x', buf[XEN_EXTRAVERSION_LEN]);
	check_eq("version.extraversion.null_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_extraversion, NULL));
	check_eq("version.extraversion.hypervisor_addr_efault", -XEN_EFAULT,
		 HYPERVISOR_xen_version(XENVER_extraversion, (void *)ADDR_HYPERVISOR));

	/* capabilities: a 64-bit PV guest's ABI first; never a 32-bit one (refused). */
	memset(buf, 'x', sizeof(buf));
	rc = HYPERVISOR_xen_version(XENVER_capabilities, buf);
	check_eq("version.capabilities.rc", 0, rc);
	buf[sizeof(buf) - 1] = '\0';
	check_eq("version.capabilities.starts_xen-3.0-x86_64", 0,
		 strncmp(buf, "xen-3.0-x86_64", 14) || (buf[14] != ' ' && buf[14] != '\0'));
	check_eq("version.capabilities.no_x86_32p", 0, strstr(buf, "x86_32p") != NULL);

	memset(buf, 'x', 64);
	check_eq("version.changeset.rc", 0, HYPERVISOR_xen_version(XENVER_changeset, buf));
	check_eq("version.changeset.terminated", 1, memchr(buf, '\0', 64) != NULL);

	struct xen_compile_info ci;
	memset(&ci, 'x', sizeof(ci));
	check_eq("version.compile_info.rc", 0, HYPERVISOR_xen_version(XENVER_compile_info, &ci));
	check_eq("version.compile_info.compiler_terminated", 1,
		 memchr(ci.compiler, '\0', sizeof(ci.compiler)) != NULL);

	struct xen_platform_parameters pp = { 0 };
	check_eq("version.platform_parameters.rc", 0,
		 HYPERVISOR_xen_version(XENVER_platform_parameters, &pp));
	check_hex("version.platform_parameters.virt_start", HYPERVISOR_VIRT_START, pp.virt_start);

	uint8_t handle[16];
	memset(handle, 0xff, sizeof(handle));
	check_eq("version.guest_handle.rc", 0, HYPERVISOR_xen_version(XENVER_guest_handle, handle));
}

int main(void)
{
	check_guest(GUEST_NAME);

	/* version: (major << 16) | minor, with any argument (it is ignored). */
	check_hex("version.version", 0x40011, HYPERVISOR_xen_version(XENVER_version, NULL));
	check_hex("version.version.arg_ignored", 0x40011,
		  HYPERVISOR_xen_version(XENVER_version, (void *)ADDR_NONCANONICAL));
	/* The upper half of RDI is not part of the int cmd. */
	check_hex("version.version.cmd_upper_bits_ignored", 0x40011,
		  pv_hypercall(PV_HC_xen_version, 0xffffffff00000000UL | XENVER_version, 0, 0, 0,
			       0, 0));

	features();
	strings();

	/* pagesize: 4096 with a NULL argument; Xen refuses any other with -EINVAL. */
	check_eq("version.pagesize", 4096, HYPERVISOR_xen_version(XENVER_pagesize, NULL));
	check_eq("version.pagesize.nonnull_einval", -XEN_EINVAL,
		 HYPERVISOR_xen_version(XENVER_pagesize, (void *)ADDR_UNMAPPED_LOW));

	/* Commands past the last (build_id, 10) do not exist. */
	check_eq("version.cmd11_enosys", -XEN_ENOSYS, HYPERVISOR_xen_version(11, NULL));
	check_eq("version.cmd_negative_enosys", -XEN_ENOSYS, HYPERVISOR_xen_version(-1, NULL));
	check_eq("version.cmd_huge_enosys", -XEN_ENOSYS, HYPERVISOR_xen_version(0x7fffffff, NULL));

	/* CPUID leaf 0x40000001 reports the same version (cpuid.c checks it too). */
	return check_done();
}
