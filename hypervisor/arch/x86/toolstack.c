/* The x86 side of domctl and sysctl (asm/toolstack.h). */
#include <asm/percpu.h>
#include <asm/time.h>
#include <asm/toolstack.h>
#include <asm/x86.h>
#include <mica/lib.h>
#include <pv/hypercall_nr.h>
#include <pv/sysctl.h>

void arch_fill_hypercall_page(void *page)
{
	static const u8 stub[] = PV_HYPERCALL_STUB(0);
	static const u8 iret_stub[] = PV_HYPERCALL_IRET_STUB(PV_HC_iret);
	u8 *p = page;

	memset(p, 0xcc, PAGE_SIZE);
	for (u32 nr = 0; nr < PAGE_SIZE / PV_HYPERCALL_STUB_SIZE; nr++) {
		u8 *s = p + nr * PV_HYPERCALL_STUB_SIZE;

		if (nr == PV_HC_iret) {
			memcpy(s, iret_stub, sizeof(iret_stub));
			continue;
		}
		memcpy(s, stub, sizeof(stub));
		memcpy(s + 4, &nr, sizeof(nr)); /* the immediate of mov $nr, %eax */
	}
}

/*
 * hw_cap in Xen's featureset order: CPUID 1 EDX and ECX, 0x80000001 EDX
 * and ECX, 0xd:1 EAX, 7:0 EBX and ECX, 0x80000007 EDX.
 */
static void feature_words(u32 w[8])
{
	u32 a, b, c, d, max, xmax;

	cpuid(0, &max, &b, &c, &d);
	cpuid(0x80000000, &xmax, &b, &c, &d);
	cpuid(1, &a, &b, &w[1], &w[0]);
	if (xmax >= 0x80000001)
		cpuid(0x80000001, &a, &b, &w[3], &w[2]);
	if (max >= 0xd)
		cpuid_count(0xd, 1, &w[4], &b, &c, &d);
	if (max >= 7)
		cpuid_count(7, 0, &a, &w[5], &w[6], &d);
	if (xmax >= 0x80000007)
		cpuid(0x80000007, &a, &b, &c, &w[7]);
}

void arch_physinfo(struct xen_sysctl_physinfo *pi)
{
	/* Mica does not track SMT siblings or packages: one socket of single-thread cores. */
	pi->threads_per_core = 1;
	pi->cores_per_socket = nr_cpus_online;
	pi->cpu_khz = (u32)(tsc_hz / 1000);
	feature_words(pi->hw_cap);
}
