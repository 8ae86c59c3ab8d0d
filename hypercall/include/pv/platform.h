/*
 * platform_op (7): dom0's window on the machine (time, firmware tables,
 * physical CPUs, power management). One structure: a command, an
 * interface version the hypervisor checks, and a 128-byte payload.
 */
#ifndef PV_PLATFORM_H
#define PV_PLATFORM_H

#include "types.h"

#define XENPF_INTERFACE_VERSION 0x03000001

/* The commands dom0 Linux 6.1 issues; all failures are tolerated. */
#define XENPF_settime32 17           /* fallback when settime64 is -ENOSYS */
#define XENPF_efi_runtime_call 49
#define XENPF_firmware_info 50
#define XENPF_enter_acpi_sleep 51
#define XENPF_set_processor_pminfo 54  /* Linux probes it (XEN_PM_PDC) at boot */
#define XENPF_get_cpuinfo 55
#define XENPF_core_parking 60
#define XENPF_settime64 62
#define XENPF_get_symbol 63
#define XENPF_get_dom0_console 64    /* payload: struct dom0_vga_console_info */

struct xenpf_settime32 {
	pv_u32 secs;
	pv_u32 nsecs;
	pv_u64 system_time;        /* the system time the wall time belongs to */
};
PV_CHECK_SIZE(struct xenpf_settime32, 16);

struct xenpf_settime64 {
	pv_u64 secs;
	pv_u32 nsecs;
	pv_u32 mbz;
	pv_u64 system_time;
};
PV_CHECK_SIZE(struct xenpf_settime64, 24);
PV_CHECK_OFFSET(struct xenpf_settime64, system_time, 16);

#define XEN_FW_DISK_INFO 1
#define XEN_FW_DISK_MBR_SIGNATURE 2
#define XEN_FW_VBEDDC_INFO 3
#define XEN_FW_EFI_INFO 4
#define XEN_FW_KBD_SHIFT_FLAGS 5

/* One record of the boot firmware's tables, selected by type and index. */
struct xenpf_firmware_info {
	pv_u32 type;               /* XEN_FW_* */
	pv_u32 index;
	union {
		struct {
			pv_u8 device;      /* BIOS drive number, 0x80 and up */
			pv_u8 version;
			pv_u16 interface_support;
			pv_u16 legacy_max_cylinder;
			pv_u8 legacy_max_head;
			pv_u8 legacy_sectors_per_track;
			pv_gva_t edd_params;  /* OUT buffer; its first u16 is its size */
		} disk_info;
		struct {
			pv_u8 device;
			pv_u8 _pad[3];
			pv_u32 mbr_signature;
		} disk_mbr_signature;
		struct {
			pv_u8 capabilities;
			pv_u8 edid_transfer_time;
			pv_u8 _pad[6];
			pv_gva_t edid;     /* 128 bytes */
		} vbeddc_info;
		pv_u8 kbd_shift_flags;
		pv_u8 _raw[32];        /* the EFI variants, not described here */
	} u;
};
PV_CHECK_SIZE(struct xenpf_firmware_info, 40);
PV_CHECK_OFFSET(struct xenpf_firmware_info, u, 8);
PV_CHECK_OFFSET(struct xenpf_firmware_info, u.disk_info.edd_params, 16);
PV_CHECK_OFFSET(struct xenpf_firmware_info, u.disk_mbr_signature.mbr_signature, 12);
PV_CHECK_OFFSET(struct xenpf_firmware_info, u.vbeddc_info.edid, 16);

struct xenpf_enter_acpi_sleep {
	pv_u16 val_a;              /* PM1a control value */
	pv_u16 val_b;              /* PM1b control value */
	pv_u32 sleep_state;        /* S state */
	pv_u32 flags;              /* XENPF_ACPI_SLEEP_EXTENDED */
};
PV_CHECK_SIZE(struct xenpf_enter_acpi_sleep, 12);

#define XENPF_ACPI_SLEEP_EXTENDED 1

/*
 * set_processor_pminfo: only the XEN_PM_PDC form is described; the C/P/T
 * state forms use larger payloads inside the same 128 bytes.
 */
struct xenpf_set_processor_pminfo {
	pv_u32 id;                 /* ACPI processor id */
	pv_u32 type;               /* XEN_PM_* */
	pv_gva_t pdc;              /* XEN_PM_PDC: u32 _PDC buffer, updated in place */
};
PV_CHECK_OFFSET(struct xenpf_set_processor_pminfo, pdc, 8);

#define XEN_PM_CX 0
#define XEN_PM_PX 1
#define XEN_PM_TX 2
#define XEN_PM_PDC 3

struct xenpf_pcpuinfo {
	pv_u32 xen_cpuid;          /* IN */
	pv_u32 max_present;        /* OUT: highest present CPU id */
	pv_u32 flags;              /* OUT: XEN_PCPU_FLAGS_* */
	pv_u32 apic_id;
	pv_u32 acpi_id;
};
PV_CHECK_SIZE(struct xenpf_pcpuinfo, 20);

#define XEN_PCPU_FLAGS_ONLINE 1
#define XEN_PCPU_FLAGS_INVALID 2

struct xenpf_core_parking {
	pv_u32 type;               /* XEN_CORE_PARKING_* */
	pv_u32 idle_nums;
};
PV_CHECK_SIZE(struct xenpf_core_parking, 8);

#define XEN_CORE_PARKING_SET 1
#define XEN_CORE_PARKING_GET 2

/* One symbol of the hypervisor, for /proc/xen/xensyms. */
struct xenpf_symdata {
	pv_u32 namelen;            /* IN: buffer size; OUT: name length */
	pv_u32 symnum;             /* IN: which; OUT: the next one */
	pv_gva_t name;
	pv_u64 address;
	char type;
	pv_u8 _pad[7];
};
PV_CHECK_SIZE(struct xenpf_symdata, 32);
PV_CHECK_OFFSET(struct xenpf_symdata, address, 16);
PV_CHECK_OFFSET(struct xenpf_symdata, type, 24);

struct xen_platform_op {
	pv_u32 cmd;                /* XENPF_* */
	pv_u32 interface_version;  /* XENPF_INTERFACE_VERSION */
	union {
		struct xenpf_settime32 settime32;
		struct xenpf_settime64 settime64;
		struct xenpf_firmware_info firmware_info;
		struct xenpf_enter_acpi_sleep enter_acpi_sleep;
		struct xenpf_set_processor_pminfo set_pminfo;
		struct xenpf_pcpuinfo pcpu_info;
		struct xenpf_core_parking core_parking;
		struct xenpf_symdata symdata;
		pv_u8 pad[128];
	} u;
};
PV_CHECK_SIZE(struct xen_platform_op, 136);
PV_CHECK_OFFSET(struct xen_platform_op, u, 8);

#endif
