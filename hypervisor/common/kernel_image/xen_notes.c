/* Xen ELF notes: finding them in a note area and decoding them into struct xen_elf_info. */
#include <mica/errno.h>
#include <mica/lib.h>
#include <pv/version.h>

#include "internal.h"

#define NOTE_HEADER 12 /* n_namesz, n_descsz, n_type: three u32 */

#define AT(field) offsetof(struct xen_elf_info, field)

/* How each note type the ABI defines lands in struct xen_elf_info. */
enum note_kind {
	/*
	 * Recorded in info->notes only: the notes of 32-bit guests (PAE_MODE,
	 * BSD_SYMTAB, HV_START_LOW), of PVH (PHYS32_ENTRY), and L1_MFN_VALID,
	 * which no 64-bit PV builder uses.
	 */
	SEEN,
	NUM, /* a number into a u64 field (size 8) or, at most 32 bits, a u32 one (size 4) */
	STR, /* a string into a char[size] field (FEATURES is parsed on its own too) */
};

static const struct note_type {
	const char *name;
	u8 kind;
	u16 offset; /* of the field */
	u16 size;   /* of the field */
} note_types[] = {
	[XEN_ELFNOTE_ENTRY] = { "ENTRY", NUM, AT(entry), 8 },
	[XEN_ELFNOTE_HYPERCALL_PAGE] = { "HYPERCALL_PAGE", NUM, AT(hypercall_page), 8 },
	[XEN_ELFNOTE_VIRT_BASE] = { "VIRT_BASE", NUM, AT(virt_base), 8 },
	[XEN_ELFNOTE_PADDR_OFFSET] = { "PADDR_OFFSET", NUM, AT(paddr_offset), 8 },
	[XEN_ELFNOTE_XEN_VERSION] = { "XEN_VERSION", STR, AT(xen_version), XEN_ELF_STR_LEN },
	[XEN_ELFNOTE_GUEST_OS] = { "GUEST_OS", STR, AT(guest_os), XEN_ELF_STR_LEN },
	[XEN_ELFNOTE_GUEST_VERSION] = { "GUEST_VERSION", STR, AT(guest_version), XEN_ELF_STR_LEN },
	[XEN_ELFNOTE_LOADER] = { "LOADER", STR, AT(loader), XEN_ELF_STR_LEN },
	[XEN_ELFNOTE_PAE_MODE] = { "PAE_MODE", SEEN, 0, 0 },
	[XEN_ELFNOTE_FEATURES] = { "FEATURES", STR, AT(features), XEN_ELF_FEATURES_LEN },
	[XEN_ELFNOTE_BSD_SYMTAB] = { "BSD_SYMTAB", SEEN, 0, 0 },
	[XEN_ELFNOTE_HV_START_LOW] = { "HV_START_LOW", SEEN, 0, 0 },
	[XEN_ELFNOTE_L1_MFN_VALID] = { "L1_MFN_VALID", SEEN, 0, 0 },
	[XEN_ELFNOTE_SUSPEND_CANCEL] = { "SUSPEND_CANCEL", NUM, AT(suspend_cancel), 4 },
	[XEN_ELFNOTE_INIT_P2M] = { "INIT_P2M", NUM, AT(init_p2m), 8 },
	[XEN_ELFNOTE_MOD_START_PFN] = { "MOD_START_PFN", NUM, AT(mod_start_pfn), 4 },
	[XEN_ELFNOTE_SUPPORTED_FEATURES] = { "SUPPORTED_FEATURES", NUM, AT(supported_features), 4 },
	[XEN_ELFNOTE_PHYS32_ENTRY] = { "PHYS32_ENTRY", SEEN, 0, 0 },
};

/* XENFEAT_* names by bit number, as FEATURES spells them (Xen's public/features.h). */
static const char *const feature_names[] = {
	"writable_page_tables", "writable_descriptor_tables", "auto_translated_physmap",
	"supervisor_mode_kernel", "pae_pgdir_above_4gb", "mmu_pt_update_preserve_ad",
	"highmem_assist", "gnttab_map_avail_bits", "hvm_callback_vector", "hvm_safe_pvclock",
	"hvm_pirqs", "dom0", "grant_map_identity", "memory_op_vnode_supported",
	"ARM_SMCCC_supported", "linux_rsdp_unrestricted", "not_direct_mapped", "direct_mapped",
	"runstate_phys_area", "vcpu_time_phys_area", "dm_msix_all_writes",
};

static const char *note_name(unsigned int type)
{
	if (type < ARRAY_SIZE(note_types) && note_types[type].name)
		return note_types[type].name;
	return "unknown";
}

static u64 align_up(u64 v, unsigned int a)
{
	return (v + a - 1) & ~(u64)(a - 1);
}

int xen_notes_scan(struct xen_notes *n, const u8 *p, size_t len, unsigned int align,
		   struct kimg_err *err)
{
	size_t off = 0;

	/* Each record takes at least NOTE_HEADER bytes: bounded by len. */
	while (len - off >= NOTE_HEADER) {
		u32 namesz = get_le32(p + off), descsz = get_le32(p + off + 4);
		u32 type = get_le32(p + off + 8);
		u64 name_at = off + NOTE_HEADER;
		u64 desc_at = name_at + align_up(namesz, align);
		u64 next = desc_at + align_up(descsz, align);
		const u8 *name = p + name_at, *desc;

		if (desc_at > len || descsz > len - desc_at)
			return kimg_fail(err, -EINVAL,
					 "ELF note at offset %zu (namesz %u, descsz %u) crosses the end "
					 "of its %zu-byte note area", off, namesz, descsz, len);
		desc = p + desc_at;
		/* The last record's padding may be missing. */
		off = next < len ? (size_t)next : len;

		if (!((namesz == 4 && !memcmp(name, "Xen", 4)) ||
		      (namesz == 3 && !memcmp(name, "Xen", 3))))
			continue;
		n->found++;
		if (type > XEN_ELFNOTE_MAX)
			continue;
		if (!n->desc[type]) {
			n->desc[type] = desc;
			n->size[type] = descsz;
		} else if (n->size[type] != descsz || memcmp(n->desc[type], desc, descsz)) {
			return kimg_fail(err, -EINVAL, "two different Xen %s notes (type %u)",
					 note_name(type), type);
		}
	}
	return 0;
}

/* A numeric note: 1, 2, 4 or 8 bytes, little-endian. */
static int get_num(const struct xen_notes *n, unsigned int type, u64 *v, struct kimg_err *err)
{
	const u8 *d = n->desc[type];

	switch (n->size[type]) {
	case 1: *v = d[0]; return 0;
	case 2: *v = get_le16(d); return 0;
	case 4: *v = get_le32(d); return 0;
	case 8: *v = get_le64(d); return 0;
	default:
		return kimg_fail(err, -EINVAL, "Xen %s note has %u bytes, not 1, 2, 4 or 8",
				 note_name(type), n->size[type]);
	}
}

/* Copies len bytes of d (up to a NUL), truncated to fit buf, non-printables as '?'. */
static void copy_printable(char *buf, size_t size, const u8 *d, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size && d[i]; i++)
		buf[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
	buf[i] = '\0';
}

/*
 * What a 64-bit PV kernel may require (FEATURES' '!'): writable_page_tables
 * (trapped page-table writes are emulated), pae_pgdir_above_4gb, the bits
 * xen_version offers (preserve_ad, highmem_assist, map_avail_bits), dom0.
 * Xen's builder refuses a kernel requiring anything else; so does Mica's.
 */
#define FEATURES_PROVIDED                                                              \
	(1u << 0 | 1u << 4 | 1u << XENFEAT_mmu_pt_update_preserve_ad |                \
	 1u << XENFEAT_highmem_assist | 1u << XENFEAT_gnttab_map_avail_bits | 1u << XENFEAT_dom0)

/* Parses FEATURES: '|'-separated names, '!' marking required ones; no NUL needed. */
static int parse_features(const u8 *d, size_t len, struct xen_elf_info *info,
			  struct kimg_err *err)
{
	size_t i = 0;

	while (i < len && d[i]) {
		size_t start, nlen;
		bool required = false, known = false;

		if (d[i] == '|') {
			i++;
			continue;
		}
		if (d[i] == '!') {
			required = true;
			i++;
		}
		start = i;
		while (i < len && d[i] && d[i] != '|')
			i++;
		nlen = i - start;
		for (unsigned int bit = 0; bit < ARRAY_SIZE(feature_names); bit++)
			if (strlen(feature_names[bit]) == nlen &&
			    !memcmp(feature_names[bit], d + start, nlen)) {
				info->features_wanted |= 1u << bit;
				if (required && !(FEATURES_PROVIDED & 1u << bit))
					return kimg_fail(err, -EOPNOTSUPP,
							 "kernel requires the Xen feature \"%s\", which "
							 "Mica does not provide to PV guests",
							 feature_names[bit]);
				if (required)
					info->features_required |= 1u << bit;
				known = true;
				break;
			}
		if (!known && required) {
			char name[40];

			copy_printable(name, sizeof(name), d + start, nlen);
			return kimg_fail(err, -EOPNOTSUPP,
					 "kernel requires the unknown Xen feature \"%s\"", name);
		}
	}
	return 0;
}

int xen_notes_decode(const struct xen_notes *n, struct xen_elf_info *info, struct kimg_err *err)
{
	u8 *base = (u8 *)info;
	int ret;

	if (!n->found)
		return kimg_fail(err, -EOPNOTSUPP,
				 "not a Xen PV kernel: no Xen ELF notes; build it with CONFIG_XEN_PV");
	for (unsigned int t = 0; t <= XEN_ELFNOTE_MAX; t++)
		if (n->desc[t])
			info->notes |= 1ull << t;

	for (unsigned int t = 0; t < ARRAY_SIZE(note_types); t++) {
		const struct note_type *k = &note_types[t];
		u64 v;

		if (!n->desc[t] || k->kind == SEEN)
			continue;
		if (k->kind == STR) {
			copy_printable((char *)(base + k->offset), k->size, n->desc[t], n->size[t]);
			continue;
		}
		ret = get_num(n, t, &v, err);
		if (ret)
			return ret;
		if (k->size == 8)
			*(u64 *)(base + k->offset) = v;
		else if (v <= UINT32_MAX)
			*(u32 *)(base + k->offset) = (u32)v;
		else
			return kimg_fail(err, -EINVAL, "Xen %s note value %#llx is over 32 bits",
					 k->name, (unsigned long long)v);
	}
	if (n->desc[XEN_ELFNOTE_FEATURES]) {
		ret = parse_features(n->desc[XEN_ELFNOTE_FEATURES], n->size[XEN_ELFNOTE_FEATURES], info,
				     err);
		if (ret)
			return ret;
	}

	if (!n->desc[XEN_ELFNOTE_XEN_VERSION] || strncmp(info->xen_version, "xen-3.0", 7))
		return kimg_fail(err, -EOPNOTSUPP,
				 "Xen XEN_VERSION note is \"%s\", not \"xen-3.0\": not a Xen 3.0 ABI kernel",
				 info->xen_version);
	if (strcmp(info->loader, "generic") && strcmp(info->guest_os, "linux"))
		return kimg_fail(err, -EOPNOTSUPP,
				 "Xen notes name neither LOADER \"generic\" nor GUEST_OS \"linux\" "
				 "(LOADER \"%s\", GUEST_OS \"%s\")", info->loader, info->guest_os);
	if (!n->desc[XEN_ELFNOTE_ENTRY])
		return kimg_fail(err, -EINVAL, "no Xen ENTRY note: the kernel's entry point is unknown");
	return 0;
}
