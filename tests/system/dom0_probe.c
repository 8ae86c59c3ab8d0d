/*
 * A tiny 64-bit PV kernel for tests/system/test_dom0_build.py: Mica boots
 * it as dom0, and it checks from the inside what the dom0 builder promised
 * (pv-abi-notes section 1): start_info, registers, the p2m, every entry of
 * the bootstrap page tables, the initrd, the hypercall page; then
 * memory_op. It prints "probe: ..." lines through console_io, ending with
 * "probe: all checks passed" or "probe: N checks failed", and powers off.
 *
 * Built by the test with clang for x86_64-unknown-none-elf; -D options
 * pick its Xen notes: HCALL_PAGE, INIT_P2M, MOD_START_PFN, NOT_DOM0
 * (SUPPORTED_FEATURES without XENFEAT_dom0), NO_XEN_NOTES.
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define VB 0xffffffff80000000UL
#define PG 4096UL
#define SIF_MOD_START_PFN 8

struct start_info {
	char magic[32];
	u64 nr_pages, shared_info;
	u32 flags, pad0;
	u64 store_mfn;
	u32 store_evtchn, pad1;
	u64 console_mfn;
	u32 console_evtchn, pad2;
	u64 pt_base, nr_pt_frames, mfn_list, mod_start, mod_len;
	char cmd_line[1024];
	u64 first_p2m_pfn, nr_p2m_frames;
};
_Static_assert(sizeof(struct start_info) == 1168, "start_info");
_Static_assert(__builtin_offsetof(struct start_info, cmd_line) == 128, "cmd_line");

#define NOTE(type, desc)                                                   \
	".balign 4\n .long 4, 2f - 1f, " #type "\n .asciz \"Xen\"\n .balign 4\n" \
	"1: " desc "\n2:\n"

__asm__(".section .note.Xen, \"a\", @note\n"
#ifndef NO_XEN_NOTES
	NOTE(5, ".asciz \"xen-3.0\"")
	NOTE(6, ".asciz \"mica-probe\"")
	NOTE(8, ".asciz \"generic\"")
	NOTE(3, ".quad 0xffffffff80000000")
	NOTE(4, ".quad 0")
	NOTE(1, ".quad _start")
	NOTE(10, ".ascii \"!writable_page_tables|pae_pgdir_above_4gb\"")
#ifdef HCALL_PAGE
	NOTE(2, ".quad hypercall_page")
#endif
#ifdef INIT_P2M
	NOTE(15, ".quad 0x8000000000")
#endif
#ifdef MOD_START_PFN
	NOTE(16, ".long 1")
#endif
#ifdef NOT_DOM0
	NOTE(17, ".long 0x1")
#else
	NOTE(17, ".long 0x801")
#endif
#endif
	".previous\n");

u64 entry_rsp, entry_rsi, entry_rflags, entry_cs, entry_ss;
static u8 stack[16384] __attribute__((aligned(16)));
u8 *stack_top = stack + sizeof(stack);

__asm__(".section .text.entry, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	" mov %rsp, entry_rsp(%rip)\n"
	" mov %rsi, entry_rsi(%rip)\n"
	" pushfq\n pop entry_rflags(%rip)\n"
	" mov %cs, entry_cs(%rip)\n"
	" mov %ss, entry_ss(%rip)\n"
	" mov stack_top(%rip), %rsp\n"
	" mov %rsi, %rdi\n"
	" call probe_main\n"
	" ud2\n"
	".previous\n");

#ifdef HCALL_PAGE
__asm__(".section .text.hcpage, \"ax\"\n .balign 4096\n .globl hypercall_page\n"
	"hypercall_page:\n .fill 4096, 1, 0\n .previous\n");
extern u8 hypercall_page[];

static long hcall3(long nr, long a, long b, long c)
{
	register long rdi __asm__("rdi") = a, rsi __asm__("rsi") = b, rdx __asm__("rdx") = c;
	long rax;

	__asm__ volatile("call *%[fn]"
			 : "=a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx)
			 : [fn] "r"(hypercall_page + nr * 32)
			 : "rcx", "r8", "r9", "r10", "r11", "memory");
	return rax;
}
#else
static long hcall3(long nr, long a, long b, long c)
{
	register long rdi __asm__("rdi") = a, rsi __asm__("rsi") = b, rdx __asm__("rdx") = c;
	long rax = nr;

	__asm__ volatile("syscall"
			 : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx)
			 :
			 : "rcx", "r8", "r9", "r10", "r11", "memory");
	return rax;
}
#endif

/* ---- output ---- */

static char line[512];
static u64 pos;
static int fails;

static void put(const char *s)
{
	while (*s && pos < sizeof(line) - 2)
		line[pos++] = *s++;
}

static void hex(u64 v)
{
	char d[17];
	int n = 0;

	put("0x");
	do {
		d[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		line[pos < sizeof(line) - 2 ? pos++ : pos] = d[--n];
}

static void end(void)
{
	line[pos++] = '\n';
	hcall3(18, 0, (long)pos, (long)line);
	pos = 0;
}

static void fail(const char *what, u64 got, u64 want)
{
	put("probe: FAIL ");
	put(what);
	put(": got ");
	hex(got);
	put(", expected ");
	hex(want);
	end();
	fails++;
}

#define EXPECT_EQ(what, got, want)                            \
	do {                                                  \
		u64 g_ = (got), w_ = (want);                  \
		if (g_ != w_)                                 \
			fail(what, g_, w_);                   \
	} while (0)

/* ---- memory ---- */

static struct start_info *si;
static u64 *p2m, nr_pages, window_pages, pt_pfn, nr_pt;

/* The VA of the window page holding machine frame mfn (a page table), or 0. */
static u64 *table_va(u64 entry, const char *what)
{
	u64 mfn = (entry >> 12) & 0xffffffffffUL;

	if ((entry & 0xfff) != 0x67)
		fail(what, entry & 0xfff, 0x67);
	for (u64 pfn = 0; pfn < window_pages; pfn++)
		if (p2m[pfn] == mfn)
			return (u64 *)(VB + pfn * PG);
	fail(what, mfn, 0);
	return 0;
}

static void check_tables(u64 v_end)
{
	u64 *l4 = (u64 *)si->pt_base, *l3, *l2 = 0, *l1 = 0, mapped = 0, bad = 0;
	int init_p2m = si->mfn_list < VB;

	for (int i = 0; i < 512; i++) {
		int expect = i == 511 || (i >= 256 && i <= 271) || (init_p2m && i == 1);

		if (!expect && l4[i])
			fail("L4 entry outside slots 1, 256-271 and 511", i, 0);
	}
	l3 = table_va(l4[511], "L4[511] flags or frame");
	if (!l3)
		return;
	for (int i = 0; i < 512; i++)
		if (i != 510 && l3[i])
			fail("L3 entry other than 510", i, 0);
	l2 = table_va(l3[510], "L3[510] flags or frame");
	if (!l2)
		return;
	for (u64 va = VB; va < v_end; va += PG) {
		u64 pfn = (va - VB) / PG, e, want;

		if (va % (2UL << 20) == 0) {
			l1 = table_va(l2[(va >> 21) & 511], "L2 entry flags or frame");
			if (!l1)
				return;
		}
		e = l1[(va >> 12) & 511];
		want = pfn >= pt_pfn && pfn < pt_pfn + nr_pt ? 0x25 : 0x27;
		/* The CPU sets D in entries of pages written since. */
		if (((e >> 12) & 0xffffffffffUL) != p2m[pfn] || ((e & 0xfff) & ~0x40UL) != want) {
			if (bad++ < 5) {
				fail("L1 entry for pfn", pfn, p2m[pfn] << 12 | want);
				fail("  ... which is", e, 0);
			}
		}
		mapped++;
	}
	if (l2[(v_end >> 21) & 511])
		fail("L2 entry past v_end", v_end, 0);
	put("probe: bootstrap tables map ");
	hex(mapped);
	put(" pages linearly, page tables read-only");
	end();
}

static int same(const char *a, const char *b, u64 n)
{
	for (u64 i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}


/* ---- memory_op ---- */

struct reservation {
	u64 extent_start, nr_extents;
	u32 extent_order, mem_flags;
	u16 domid, pad[3];
};

struct memory_map {
	u32 nr_entries, pad;
	u64 buffer;
};

struct e820 {
	u64 addr, size;
	u32 type;
} __attribute__((packed));

#define DOMID_SELF 0x7ff0

static long memop(long cmd, void *arg)
{
	return hcall3(12, cmd, (long)arg, 0);
}

static long reserve(long cmd, u64 *list, u64 n, u32 order, u16 domid)
{
	struct reservation r = { (u64)list, n, order, 0, domid, { 0, 0, 0 } };

	return memop(cmd, &r);
}

static u64 extents[64];
static struct e820 map[130];

static void check_memory_op(void)
{
	u64 mm[3] = { 0, 0, 0 }, last = nr_pages - 1;
	u16 self = DOMID_SELF, other = 5;
	struct memory_map m = { 130, 0, (u64)map };
	long rc;

	EXPECT_EQ("machphys_mapping", memop(12, mm), 0);
	EXPECT_EQ("machphys_mapping v_start", mm[0], 0xffff800000000000UL);
	EXPECT_EQ("machphys_mapping v_end", mm[1], 0xffff804000000000UL);
	put("probe: memop machphys_mapping max_mfn ");
	hex(mm[2]);
	put(" maximum_ram_page ");
	hex((u64)memop(2, 0));
	end();
	EXPECT_EQ("current_reservation", memop(3, &self), nr_pages);
	EXPECT_EQ("maximum_reservation", memop(4, &self), nr_pages);
	EXPECT_EQ("current_reservation of domain 5", memop(3, &other), -3);
	EXPECT_EQ("unknown sub-op", memop(31, 0), -38);

	rc = memop(10, &m);
	EXPECT_EQ("machine_memory_map", rc, 0);
	for (u32 i = 0; !rc && i < m.nr_entries; i++) {
		put("probe: e820 ");
		hex(map[i].addr);
		put(" ");
		hex(map[i].size);
		put(" ");
		hex(map[i].type);
		end();
	}
	m.nr_entries = 8;
	EXPECT_EQ("memory_map", memop(9, &m), 0);
	EXPECT_EQ("memory_map entries", m.nr_entries, 1);
	EXPECT_EQ("memory_map RAM end", map[0].addr + map[0].size, nr_pages * PG);
	EXPECT_EQ("memory_map RAM type", map[0].type, 1);

	/* Give back the last 64 pfns' frames, take as many again, then one too many. */
	for (u64 i = 0; i < 64; i++)
		extents[i] = p2m[last - i];
	EXPECT_EQ("decrease_reservation of 64 frames", reserve(1, extents, 64, 0, DOMID_SELF), 64);
	EXPECT_EQ("current_reservation after decrease", memop(3, &self), nr_pages - 64);
	EXPECT_EQ("decrease_reservation of a freed frame", reserve(1, extents, 1, 0, DOMID_SELF), 0);
	for (u64 i = 0; i < 64; i++)
		extents[i] = last - i;
	EXPECT_EQ("populate_physmap of 64 pfns", reserve(6, extents, 64, 0, DOMID_SELF), 64);
	for (u64 i = 0; i < 64; i++) {
		if (extents[i] == last - i || extents[i] == 0)
			fail("populate_physmap wrote back no MFN", i, extents[i]);
		p2m[last - i] = extents[i];
	}
	EXPECT_EQ("current_reservation after populate", memop(3, &self), nr_pages);
	extents[0] = nr_pages;
	EXPECT_EQ("populate_physmap past max_pages", reserve(6, extents, 1, 0, DOMID_SELF), 0);
	extents[0] = p2m[last];
	EXPECT_EQ("decrease_reservation of order 13", reserve(1, extents, 1, 13, DOMID_SELF), 0);
	EXPECT_EQ("decrease_reservation for domain 5", reserve(1, extents, 1, 0, 5), -3);
	extents[0] = si->shared_info >> 12;
	EXPECT_EQ("decrease_reservation of shared_info", reserve(1, extents, 1, 0, DOMID_SELF), 0);
	extents[0] = 0;
	EXPECT_EQ("decrease_reservation of mfn 0", reserve(1, extents, 1, 0, DOMID_SELF), 0);
	EXPECT_EQ("reservation at a bad address", memop(1, (void *)0x1000), 0);

	/* XENMEM_exchange: 8 frames for one machine-contiguous extent below 4 GiB. */
	{
		struct reservation ex[2];
		u64 nr_done, in_mfns[8], out_pfn = last - 107;

		for (u64 i = 0; i < 8; i++)
			in_mfns[i] = p2m[last - 107 + i];
		ex[0] = (struct reservation){ (u64)in_mfns, 8, 0, 0, DOMID_SELF, { 0, 0, 0 } };
		ex[1] = (struct reservation){ (u64)&out_pfn, 1, 3, 32, DOMID_SELF, { 0, 0, 0 } };
		nr_done = 0;
		{
			struct { struct reservation in, out; u64 nr_exchanged; } x = { ex[0], ex[1], 0 };

			EXPECT_EQ("exchange 8 frames for an order-3 extent", memop(11, &x), 0);
			EXPECT_EQ("exchange nr_exchanged", x.nr_exchanged, 8);
			nr_done = x.nr_exchanged;
		}
		if (nr_done == 8) {
			EXPECT_EQ("exchanged extent aligned", out_pfn % 8, 0);
			if (out_pfn >= (1UL << 20))
				fail("exchanged extent above 4 GiB", out_pfn, 1UL << 20);
			for (u64 i = 0; i < 8; i++)
				p2m[last - 107 + i] = out_pfn + i;
		}
		EXPECT_EQ("current_reservation after exchange", memop(3, &self), nr_pages);
		/* One bad input frame (mfn 0): nothing happens at all. */
		for (u64 i = 0; i < 8; i++)
			in_mfns[i] = p2m[last - 107 + i];
		in_mfns[7] = 0;
		out_pfn = last - 107;
		{
			struct { struct reservation in, out; u64 nr_exchanged; } x = { ex[0], ex[1], 0 };

			EXPECT_EQ("exchange with a frame not ours", memop(11, &x), -22);
			EXPECT_EQ("failed exchange nr_exchanged", x.nr_exchanged, 0);
		}
		EXPECT_EQ("current_reservation after a failed exchange", memop(3, &self), nr_pages);
		EXPECT_EQ("frames of a failed exchange are still ours",
			  reserve(1, in_mfns, 1, 0, DOMID_SELF), 1);
		extents[0] = last - 107;
		EXPECT_EQ("and can be populated again", reserve(6, extents, 1, 0, DOMID_SELF), 1);
		p2m[last - 107] = extents[0];
		{
			struct { struct reservation in, out; u64 nr_exchanged; } x = { ex[0], ex[1], 0 };

			x.out.nr_extents = 2;
			EXPECT_EQ("exchange of mismatched sizes", memop(11, &x), -22);
		}
	}
	EXPECT_EQ("current_reservation at the end", memop(3, &self), nr_pages);
	put("probe: memory_op checks done");
	end();
}

void probe_main(struct start_info *s);
void probe_main(struct start_info *s)
{
	u64 si_pfn, v_end, end_off, identity = 0;
	int init_p2m;

	si = s;
	put("probe: started, start_info ");
	hex((u64)si);
	put(" rsp ");
	hex(entry_rsp);
	put(" rflags ");
	hex(entry_rflags);
	put(" cs ");
	hex(entry_cs);
	put(" ss ");
	hex(entry_ss);
	end();
	if (!same(si->magic, "xen-3.0-x86_64", 15))
		fail("start_info magic", (u64)si->magic[0], 'x');
	EXPECT_EQ("cs", entry_cs, 0xe033);
	EXPECT_EQ("ss", entry_ss, 0xe02b);
	EXPECT_EQ("rflags.IF", entry_rflags & 0x200, 0x200);
	EXPECT_EQ("SIF_PRIVILEGED|SIF_INITDOMAIN", si->flags & 3, 3);
	EXPECT_EQ("store_mfn", si->store_mfn, 0);
	EXPECT_EQ("store_evtchn", si->store_evtchn, 0);

	nr_pages = si->nr_pages;
	p2m = (u64 *)si->mfn_list;
	si_pfn = ((u64)si - VB) / PG;
	pt_pfn = (si->pt_base - VB) / PG;
	nr_pt = si->nr_pt_frames;
	EXPECT_EQ("page tables right after start_info", pt_pfn, si_pfn + 1);
	EXPECT_EQ("RSP at the top of the page after the tables", entry_rsp,
		  VB + (pt_pfn + nr_pt + 1) * PG);
	end_off = entry_rsp - VB;
	v_end = (end_off + (4UL << 20) - 1) & ~((4UL << 20) - 1);
	if (v_end - end_off < (512UL << 10))
		v_end += 4UL << 20;
	window_pages = v_end / PG;
	v_end += VB;
	EXPECT_EQ("nr_pt_frames for the window", nr_pt, 3 + (window_pages + 511) / 512);

	put("probe: nr_pages ");
	hex(nr_pages);
	put(" flags ");
	hex(si->flags);
	put(" shared_info ");
	hex(si->shared_info);
	put(" pt_base ");
	hex(si->pt_base);
	put(" nr_pt_frames ");
	hex(nr_pt);
	put(" mfn_list ");
	hex(si->mfn_list);
	put(" v_end ");
	hex(v_end);
	end();
	put("probe: mod_start ");
	hex(si->mod_start);
	put(" mod_len ");
	hex(si->mod_len);
	put(" first_p2m_pfn ");
	hex(si->first_p2m_pfn);
	put(" nr_p2m_frames ");
	hex(si->nr_p2m_frames);
	end();
	put("probe: cmdline '");
	put(si->cmd_line);
	put("'");
	end();
	EXPECT_EQ("shared_info page aligned", si->shared_info & 0xfff, 0);

	/* The p2m: whole, every frame once (spot check: no identity), ~0 to the page's end. */
	for (u64 pfn = 0; pfn < nr_pages; pfn++) {
		if (p2m[pfn] == pfn)
			identity++;
		if (p2m[pfn] == ~0UL)
			fail("p2m entry missing", pfn, 0);
	}
	for (u64 pfn = nr_pages; pfn % 512; pfn++)
		EXPECT_EQ("p2m padding", p2m[pfn], ~0UL);
	init_p2m = si->mfn_list < VB;
	if (init_p2m) {
		u64 p2m_pages = (nr_pages * 8 + PG - 1) / PG;

		EXPECT_EQ("INIT_P2M address", si->mfn_list, 0x8000000000UL);
		/* Tables for a p2m at a 512 GiB boundary: L1s, L2s and one L3. */
		EXPECT_EQ("nr_p2m_frames", si->nr_p2m_frames,
			  p2m_pages + (p2m_pages + 511) / 512 + (p2m_pages + 262143) / 262144 + 1);
		if (si->first_p2m_pfn < window_pages)
			fail("p2m inside the window", si->first_p2m_pfn, window_pages);
		EXPECT_EQ("p2m frames in the p2m", p2m[si->first_p2m_pfn] != 0, 1);
	} else {
		EXPECT_EQ("first_p2m_pfn", si->first_p2m_pfn, 0);
		if (si->mfn_list + nr_pages * 8 > (u64)si)
			fail("p2m ends after start_info", si->mfn_list, (u64)si);
	}
	check_tables(v_end);

	if (si->mod_start) {
		if (si->flags & SIF_MOD_START_PFN) {
			if (si->mod_start < window_pages)
				fail("initrd pfn inside the window", si->mod_start, window_pages);
			put("probe: initrd at pfn ");
			hex(si->mod_start);
			put(", unmapped");
			end();
		} else {
			const char *p = (const char *)si->mod_start;

			if (si->mod_start < VB || si->mod_start + si->mod_len > (u64)si)
				fail("initrd VA", si->mod_start, 0);
			else if (!same(p, "MICA-PROBE-INITRD", 17))
				fail("initrd contents", (u8)p[0], 'M');
			else
				put("probe: initrd mapped, contents ok"), end();
		}
	}
#ifdef HCALL_PAGE
	{
		static const u8 want18[] = { 0x51, 0x41, 0x53, 0xb8, 18, 0, 0, 0, 0x0f, 0x05,
					     0x41, 0x5b, 0x59, 0xc3, 0xcc };
		static const u8 want23[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05,
					     0xcc };

		if (!same((const char *)hypercall_page + 18 * 32, (const char *)want18, 15) ||
		    !same((const char *)hypercall_page + 23 * 32, (const char *)want23, 12))
			fail("hypercall page stubs", hypercall_page[18 * 32], 0x51);
		else
			put("probe: hypercall page filled"), end();
	}
#endif
	check_memory_op();
	put("probe: p2m has ");
	hex(nr_pages);
	put(" entries, ");
	hex(identity);
	put(" of them pfn == mfn");
	end();
	if (fails) {
		put("probe: ");
		hex(fails);
		put(" checks failed");
	} else {
		put("probe: all checks passed");
	}
	end();
	{
		u32 reason = 0; /* SHUTDOWN_poweroff */

		hcall3(29, 2, (long)&reason, 0);
	}
	for (;;)
		;
}
