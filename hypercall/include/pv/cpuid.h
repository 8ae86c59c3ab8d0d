/*
 * The hypervisor CPUID leaves. Linux scans 0x40000000-0x4000ff00 in steps
 * of 0x100 for the "XenVMMXenVMM" signature; without it it never maps
 * shared_info or sets up its clock. A PV kernel executes CPUID through
 * the forced-emulation prefix, which raises #UD for the hypervisor to
 * emulate and skip.
 */
#ifndef PV_CPUID_H
#define PV_CPUID_H

#define XEN_CPUID_FIRST_LEAF 0x40000000
#define XEN_CPUID_LEAF(n) (XEN_CPUID_FIRST_LEAF + (n))

/* Leaf 0: EAX = highest leaf (at least leaf 2), EBX ECX EDX = the signature. */
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558  /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4d  /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566e  /* "nVMM" */
/* Leaf 1: EAX = (major << 16) | minor. */
/* Leaf 2: EAX = number of hypercall pages (1), EBX = MSR base. */
#define XEN_CPUID_HYPERCALL_MSR 0x40000000
/* Leaf 5: EBX bits 7:0 = machine address width; Linux wants grant v2 above 44. */

/* ud2; .ascii "xen" -- then the CPUID (0f a2); RIP advances by all 7 bytes. */
#define XEN_EMULATE_PREFIX_BYTES 0x0f, 0x0b, 0x78, 0x65, 0x6e
#define XEN_CPUID_INSN_LEN 7

#endif
