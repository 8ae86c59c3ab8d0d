/*
 * physdev_op (33): I/O privilege and physical interrupts. A domU uses only
 * set_iopl (its virtual IOPL decides whether kernel port I/O is emulated),
 * set_iobitmap and pirq_eoi_gmfn_v2; the rest is dom0's PCI and IRQ set-up.
 */
#ifndef PV_PHYSDEV_H
#define PV_PHYSDEV_H

#include "types.h"

/* physdev_op(cmd, arg) */
#define PHYSDEVOP_IRQ_UNMASK_NOTIFY 4
#define PHYSDEVOP_irq_status_query 5
#define PHYSDEVOP_set_iopl 6
#define PHYSDEVOP_set_iobitmap 7
#define PHYSDEVOP_apic_read 8
#define PHYSDEVOP_apic_write 9
#define PHYSDEVOP_alloc_irq_vector 10
#define PHYSDEVOP_free_irq_vector 11
#define PHYSDEVOP_eoi 12
#define PHYSDEVOP_map_pirq 13
#define PHYSDEVOP_unmap_pirq 14
#define PHYSDEVOP_manage_pci_add 15
#define PHYSDEVOP_manage_pci_remove 16
#define PHYSDEVOP_pirq_eoi_gmfn_v1 17
#define PHYSDEVOP_restore_msi 19
#define PHYSDEVOP_manage_pci_add_ext 20
#define PHYSDEVOP_setup_gsi 21
#define PHYSDEVOP_get_nr_pirqs 22
#define PHYSDEVOP_get_free_pirq 23
#define PHYSDEVOP_pci_mmcfg_reserved 24
#define PHYSDEVOP_pci_device_add 25
#define PHYSDEVOP_pci_device_remove 26
#define PHYSDEVOP_restore_msi_ext 27
#define PHYSDEVOP_pirq_eoi_gmfn_v2 28
#define PHYSDEVOP_dbgp_op 29
#define PHYSDEVOP_prepare_msix 30
#define PHYSDEVOP_release_msix 31

/* Linux asks for IOPL 1 at boot and only prints a failure. */
struct physdev_set_iopl {
	pv_u32 iopl;               /* 0-3 */
};
PV_CHECK_SIZE(struct physdev_set_iopl, 4);

struct physdev_set_iobitmap {
	pv_gva_t bitmap;           /* one bit per port, set = denied */
	pv_u32 nr_ports;
	pv_u32 _pad;
};
PV_CHECK_SIZE(struct physdev_set_iobitmap, 16);
PV_CHECK_OFFSET(struct physdev_set_iobitmap, nr_ports, 8);

/* A page whose bit n says "PIRQ n needs an EOI hypercall". Failure is tolerated. */
struct physdev_pirq_eoi_gmfn {
	pv_u64 gmfn;
};
PV_CHECK_SIZE(struct physdev_pirq_eoi_gmfn, 8);

struct physdev_eoi {
	pv_u32 irq;
};
PV_CHECK_SIZE(struct physdev_eoi, 4);

struct physdev_irq_status_query {
	pv_u32 irq;
	pv_u32 flags;              /* OUT: XENIRQSTAT_* */
};
PV_CHECK_SIZE(struct physdev_irq_status_query, 8);

#define XENIRQSTAT_needs_eoi (1 << 0)
#define XENIRQSTAT_shared (1 << 1)

struct physdev_apic {
	pv_u64 apic_physbase;
	pv_u32 reg;
	pv_u32 value;
};
PV_CHECK_SIZE(struct physdev_apic, 16);
PV_CHECK_OFFSET(struct physdev_apic, value, 12);

struct physdev_irq {
	pv_u32 irq;
	pv_u32 vector;             /* OUT for alloc */
};
PV_CHECK_SIZE(struct physdev_irq, 8);

struct physdev_map_pirq {
	domid_t domid;
	pv_u16 _pad0;
	pv_s32 type;               /* MAP_PIRQ_TYPE_* */
	pv_s32 index;              /* GSI, or MSI vector */
	pv_s32 pirq;               /* IN: wanted or -1; OUT: got */
	pv_s32 bus;
	pv_s32 devfn;
	pv_s32 entry_nr;
	pv_u32 _pad1;
	pv_u64 table_base;         /* MSI-X table */
};
PV_CHECK_SIZE(struct physdev_map_pirq, 40);
PV_CHECK_OFFSET(struct physdev_map_pirq, type, 4);
PV_CHECK_OFFSET(struct physdev_map_pirq, pirq, 12);
PV_CHECK_OFFSET(struct physdev_map_pirq, entry_nr, 24);
PV_CHECK_OFFSET(struct physdev_map_pirq, table_base, 32);

#define MAP_PIRQ_TYPE_MSI 0
#define MAP_PIRQ_TYPE_GSI 1
#define MAP_PIRQ_TYPE_UNKNOWN 2
#define MAP_PIRQ_TYPE_MSI_SEG 3
#define MAP_PIRQ_TYPE_MULTI_MSI 4

struct physdev_unmap_pirq {
	domid_t domid;
	pv_u16 _pad;
	pv_s32 pirq;
};
PV_CHECK_SIZE(struct physdev_unmap_pirq, 8);

struct physdev_setup_gsi {
	pv_s32 gsi;
	pv_u8 triggering;          /* 0 edge, 1 level */
	pv_u8 polarity;            /* 0 high, 1 low */
	pv_u8 _pad[2];
};
PV_CHECK_SIZE(struct physdev_setup_gsi, 8);

struct physdev_nr_pirqs {
	pv_u32 nr_pirqs;
};
PV_CHECK_SIZE(struct physdev_nr_pirqs, 4);

struct physdev_get_free_pirq {
	pv_s32 type;
	pv_u32 pirq;               /* OUT */
};
PV_CHECK_SIZE(struct physdev_get_free_pirq, 8);

struct physdev_manage_pci {
	pv_u8 bus;
	pv_u8 devfn;
};
PV_CHECK_SIZE(struct physdev_manage_pci, 2);

struct physdev_manage_pci_ext {
	pv_u8 bus;
	pv_u8 devfn;
	pv_u8 _pad0[2];
	pv_u32 is_extfn;
	pv_u32 is_virtfn;
	struct {
		pv_u8 bus;
		pv_u8 devfn;
	} physfn;
	pv_u8 _pad1[2];
};
PV_CHECK_SIZE(struct physdev_manage_pci_ext, 16);
PV_CHECK_OFFSET(struct physdev_manage_pci_ext, physfn, 12);

struct physdev_pci_mmcfg_reserved {
	pv_u64 address;
	pv_u16 segment;
	pv_u8 start_bus;
	pv_u8 end_bus;
	pv_u32 flags;              /* XEN_PCI_MMCFG_RESERVED */
};
PV_CHECK_SIZE(struct physdev_pci_mmcfg_reserved, 16);

#define XEN_PCI_MMCFG_RESERVED 1

struct physdev_pci_device_add {
	pv_u16 seg;
	pv_u8 bus;
	pv_u8 devfn;
	pv_u32 flags;              /* XEN_PCI_DEV_* */
	struct {
		pv_u8 bus;
		pv_u8 devfn;
	} physfn;
	pv_u8 _pad[2];
	pv_u32 optarr[];           /* the NUMA node with XEN_PCI_DEV_PXM */
};
PV_CHECK_SIZE(struct physdev_pci_device_add, 12);
PV_CHECK_OFFSET(struct physdev_pci_device_add, physfn, 8);

#define XEN_PCI_DEV_EXTFN 0x1
#define XEN_PCI_DEV_VIRTFN 0x2
#define XEN_PCI_DEV_PXM 0x4

/* pci_device_remove, restore_msi_ext, prepare_msix, release_msix */
struct physdev_pci_device {
	pv_u16 seg;
	pv_u8 bus;
	pv_u8 devfn;
};
PV_CHECK_SIZE(struct physdev_pci_device, 4);

struct physdev_dbgp_op {
	pv_u8 op;                  /* PHYSDEVOP_DBGP_RESET_* */
	pv_u8 bus;                 /* PHYSDEVOP_DBGP_BUS_* */
	struct physdev_pci_device pci;
};
PV_CHECK_SIZE(struct physdev_dbgp_op, 6);

#define PHYSDEVOP_DBGP_RESET_PREPARE 1
#define PHYSDEVOP_DBGP_RESET_DONE 2
#define PHYSDEVOP_DBGP_BUS_UNKNOWN 0
#define PHYSDEVOP_DBGP_BUS_PCI 1

#endif
