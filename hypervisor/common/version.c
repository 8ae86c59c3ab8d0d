/* xen_version: what a guest learns about the hypervisor at boot. */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <mica/version.h>
#include <pv/version.h>
#include <pv/xen.h>

/* Mica implements Xen 4.17's guest interface, so that is the version guests see. */
#define XEN_ABI_VERSION ((4 << 16) | 17)

/* Submap 0 is the only one (XENFEAT_NR_SUBMAPS); the caller refuses others. */
static u32 feature_submap(const struct domain *d)
{
	/* Linux panics without the first two; 0, 2 and 3 must stay clear for PV. */
	u32 bits = 1u << XENFEAT_mmu_pt_update_preserve_ad | 1u << XENFEAT_gnttab_map_avail_bits |
		   1u << XENFEAT_highmem_assist;

	if (d->is_privileged)
		bits |= 1u << XENFEAT_dom0;
	return bits;
}

static long copy_string_out(pv_gva_t arg, const char *s, size_t field)
{
	char buf[XEN_CAPABILITIES_INFO_LEN]; /* the longest field */

	memset(buf, 0, field);
	strlcpy(buf, s, field);
	return copy_to_guest(arg, buf, field) ? -EFAULT : 0;
}

long do_xen_version(pv_s32 cmd, pv_gva_t arg)
{
	switch (cmd) {
	case XENVER_version:
		return XEN_ABI_VERSION;
	case XENVER_extraversion:
		return copy_string_out(arg, "-mica" MICA_VERSION, XEN_EXTRAVERSION_LEN);
	case XENVER_compile_info: {
		struct xen_compile_info ci = { .compiler = "clang", .compile_by = "mica",
					       .compile_domain = "mica" };

		strlcpy(ci.compile_date, MICA_BUILD_INFO, sizeof(ci.compile_date));
		return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
	}
	case XENVER_guest_handle: {
		u8 handle[16] = { 0 }; /* no toolstack-assigned UUID yet */

		return copy_to_guest(arg, handle, sizeof(handle)) ? -EFAULT : 0;
	}
	case XENVER_capabilities:
		return copy_string_out(arg, "xen-3.0-x86_64", XEN_CAPABILITIES_INFO_LEN);
	case XENVER_changeset:
		return copy_string_out(arg, MICA_BUILD_INFO, XEN_CHANGESET_INFO_LEN);
	case XENVER_platform_parameters: {
		struct xen_platform_parameters p = { .virt_start = HYPERVISOR_VIRT_START };

		return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (copy_from_guest(&fi, arg, sizeof(fi)))
			return -EFAULT;
		if (fi.submap_idx != 0)
			return -EINVAL; /* as Xen: no such submap */
		fi.submap = feature_submap(current_vcpu()->domain);
		return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
	}
	case XENVER_pagesize:
		/* Xen answers only a NULL argument; anything else is -EINVAL. */
		return arg ? -EINVAL : PAGE_SIZE;
	default:
		return -ENOSYS;
	}
}
