/*
 * ELF notes of a PV kernel image: owner "Xen" (namesz 4), in a PT_NOTE
 * segment. A loader reads them to place and start the kernel. Values seen
 * in Debian's Linux 6.1.192 are noted; descriptors are sized by descsz
 * (FEATURES is not NUL-terminated).
 */
#ifndef PV_ELFNOTE_H
#define PV_ELFNOTE_H


#define XEN_ELFNOTE_ENTRY 1               /* u64: start RIP (ignore e_entry) */
#define XEN_ELFNOTE_HYPERCALL_PAGE 2      /* u64: VA to fill; absent from 6.1.121 on */
#define XEN_ELFNOTE_VIRT_BASE 3           /* u64: VA of pseudo-physical 0 */
#define XEN_ELFNOTE_PADDR_OFFSET 4        /* u64: VA = VIRT_BASE + p_paddr - this */
#define XEN_ELFNOTE_XEN_VERSION 5         /* string; must start with "xen-3.0" */
#define XEN_ELFNOTE_GUEST_OS 6            /* string: "linux" */
#define XEN_ELFNOTE_GUEST_VERSION 7       /* string */
#define XEN_ELFNOTE_LOADER 8              /* string: "generic" */
#define XEN_ELFNOTE_PAE_MODE 9            /* string */
#define XEN_ELFNOTE_FEATURES 10           /* '|'-separated; leading '!' = required */
#define XEN_ELFNOTE_BSD_SYMTAB 11
#define XEN_ELFNOTE_HV_START_LOW 12       /* 32-bit guests only */
#define XEN_ELFNOTE_L1_MFN_VALID 13       /* 2 x u64 (mask, value) */
#define XEN_ELFNOTE_SUSPEND_CANCEL 14
#define XEN_ELFNOTE_INIT_P2M 15           /* u64: VA where the builder may map the p2m */
#define XEN_ELFNOTE_MOD_START_PFN 16      /* the initrd may be passed by pfn, unmapped */
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17 /* u32: XENFEAT_* bits; dom0 needs XENFEAT_dom0 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18       /* PVH only */

#endif
