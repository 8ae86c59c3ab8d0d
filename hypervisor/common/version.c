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
	u32 bits = 0;

	/* Linux panics without these two; 0, 2 and 3 must stay clear for PV. */
	bits |= 1u << XENFEAT_mmu_pt_update_preserve_ad;
	bits |= 1u << XENFEAT_gnttab_map_avail_bits;
	bits |= 1u << XENFEAT_highmem_assist;
	if (d->is_privileged)
		bits |= 1u << XENFEAT_dom0;
	return bits;
}

static long copy_string_out(pv_gva_t arg, const char *s, size_t field)
{
	char buf[1024];

	memset(buf, 0, field);
	strlcpy(buf, s, field);
	return copy_to_guest(arg, buf, field) ? -EFAULT : 0;
}

long do_xen_version(pv_s32 cmd, pv_gva_t arg)
{
	struct domain *d = current_vcpu()->domain;

	switch (cmd) {
	case XENVER_version:
		return XEN_ABI_VERSION;
	case XENVER_extraversion:
		return copy_string_out(arg, "-mica" MICA_VERSION, 16);
	case XENVER_compile_info: {
		struct xen_compile_info ci;

		memset(&ci, 0, sizeof(ci));
		strlcpy(ci.compiler, "clang", sizeof(ci.compiler));
		strlcpy(ci.compile_by, "mica", sizeof(ci.compile_by));
		strlcpy(ci.compile_domain, "mica", sizeof(ci.compile_domain));
		strlcpy(ci.compile_date, MICA_BUILD_INFO, sizeof(ci.compile_date));
		return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
	}
	case XENVER_guest_handle: {
		u8 handle[16] = { 0 }; /* no toolstack-assigned UUID yet */

		return copy_to_guest(arg, handle, sizeof(handle)) ? -EFAULT : 0;
	}
	case XENVER_capabilities:
		return copy_string_out(arg, "xen-3.0-x86_64", 1024);
	case XENVER_changeset:
		return copy_string_out(arg, MICA_BUILD_INFO, 64);
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
		fi.submap = feature_submap(d);
		return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
	}
	case XENVER_pagesize:
		/* Xen answers only a NULL argument; anything else is -EINVAL. */
		return arg ? -EINVAL : PAGE_SIZE;
	default:
		return -ENOSYS;
	}
}
