#!/usr/bin/env python3
"""Writes seed inputs for the kernel-image fuzz targets into DIR/<target>/.

usage: tests/fuzz/make_seeds.py DIR

Seeds are small valid inputs the fuzzers mutate from: Xen PV ELF images
laid out like Linux's (four PT_LOADs, one with p_vaddr 0, the notes of
section 1.1 of the PV ABI notes), gzip, raw DEFLATE, .xz (CRC32/no check,
x86 BCJ), raw LZMA2, LZ4 legacy frames (if the lz4 tool exists), and
bzImages wrapping the ELF seeds. Each fuzz target's input format (mode
and output-size prefix bytes) is described in its source.
"""
import gzip
import lzma
import os
import shutil
import struct
import subprocess
import sys
import zlib

VIRT_BASE = 0xFFFFFFFF80000000


def note(owner, ntype, desc):
    name = owner.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def xen_notes(entry, hypercall_page=None):
    q = lambda v: struct.pack("<Q", v)
    l = lambda v: struct.pack("<I", v)
    notes = [
        note("GNU", 3, b"\x11" * 20),
        note("Xen", 6, b"linux\0"), note("Xen", 7, b"2.6\0"), note("Xen", 5, b"xen-3.0\0"),
        note("Xen", 3, q(VIRT_BASE)), note("Xen", 15, q(0x8000000000)), note("Xen", 1, q(entry)),
        note("Xen", 10, b"!writable_page_tables|pae_pgdir_above_4gb"),
        note("Xen", 17, l(0x8801)), note("Xen", 9, b"yes\0"), note("Xen", 13, q(1) + q(1)),
        note("Xen", 14, l(1)), note("Xen", 16, l(1)), note("Xen", 12, q(0xFFFF800000000000)),
        note("Xen", 4, q(0)), note("Xen", 8, b"generic\0"), note("Xen", 18, q(0x1000850)),
    ]
    if hypercall_page is not None:
        notes.append(note("Xen", 2, q(hypercall_page)))
    return b"".join(notes)


def elf(hypercall=False, sections=False):
    """A small ELF64 x86-64 PV kernel image (about 6 KiB)."""
    segs = [  # offset, vaddr, paddr, filesz, memsz, flags
        (0x400, VIRT_BASE + 0x1000000, 0x1000000, 0x800, 0x1000, 5),
        (0xC00, VIRT_BASE + 0x1200000, 0x1200000, 0x200, 0x200, 6),
        (0xE00, 0, 0x1201000, 0x100, 0x100, 6),
        (0xF00, VIRT_BASE + 0x1202000, 0x1202000, 0x400, 0x3000, 7),
    ]
    entry = VIRT_BASE + 0x1202040
    notes = xen_notes(entry, VIRT_BASE + 0x1000000 if hypercall else None)
    notes_off = 0x1300
    size = notes_off + len(notes)
    phnum = len(segs) + (0 if sections else 1)
    shoff = (size + 7) & ~7 if sections else 0
    img = bytearray(shoff + 128 if sections else size)
    for i in range(0x400, 0x1300):
        img[i] = (i * 7) & 0xFF
    img[0:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHIQQQIHHHHHH", img, 16, 2, 62, 1, 0x1000000, 64, shoff, 0, 64, 56, phnum,
                     64 if sections else 0, 2 if sections else 0, 0)
    for i, (off, va, pa, fsz, msz, fl) in enumerate(segs):
        struct.pack_into("<IIQQQQQQ", img, 64 + 56 * i, 1, fl, off, va, pa, fsz, msz, 0x1000)
    img[notes_off:notes_off + len(notes)] = notes
    if sections:
        struct.pack_into("<IIQQQQIIQQ", img, shoff + 64, 0, 7, 0, 0, notes_off, len(notes),
                         0, 0, 4, 0)
    else:
        struct.pack_into("<IIQQQQQQ", img, 64 + 56 * len(segs), 4, 4, notes_off, 0, 0,
                         len(notes), len(notes), 4)
    return bytes(img)


def bzimage(payload, setup_sects=5):
    start = (setup_sects + 1) * 512
    hdr = bytearray(start)
    hdr[0x1F1] = setup_sects
    struct.pack_into("<H", hdr, 0x1FE, 0xAA55)
    hdr[0x202:0x206] = b"HdrS"
    struct.pack_into("<HII", hdr, 0x206, 0x020F, 0, 0)
    struct.pack_into("<II", hdr, 0x248, 0, len(payload))
    return bytes(hdr) + payload


def size_prefix(n):
    units = min((n + 15) // 16, 0xFFFF)
    return struct.pack("<H", units)


def lz4_legacy(data):
    if not shutil.which("lz4"):
        return None
    p = subprocess.run(["lz4", "-l", "-c", "-9"], input=data, capture_output=True)
    return p.stdout if p.returncode == 0 else None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    for t in ("elf_xen", "gunzip", "xz", "lz4", "bzimage"):
        os.makedirs(os.path.join(root, t), exist_ok=True)

    def put(target, name, data):
        with open(os.path.join(root, target, name), "wb") as f:
            f.write(data)

    elves = {"linux": elf(), "hypercall": elf(hypercall=True), "sections": elf(sections=True)}
    for name, e in elves.items():
        put("elf_xen", name, e)

    texts = {
        "elf": elves["linux"],
        "text": b"".join(b"mica hypervisor page table %d\n" % i for i in range(300)),
        "bin": bytes((i * i + i // 7) & 0xFF for i in range(3000)),
        "tiny": b"a",
    }
    for name, data in texts.items():
        out = size_prefix(len(data))
        put("gunzip", "gz-" + name, b"\0" + out + gzip.compress(data, mtime=0))
        put("gunzip", "gz1-" + name, b"\0" + out + gzip.compress(data, compresslevel=1, mtime=0))
        raw = zlib.compressobj(9, zlib.DEFLATED, -15)
        put("gunzip", "raw-" + name, b"\1" + out + raw.compress(data) + raw.flush())
        fixed = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_FIXED)
        put("gunzip", "fixed-" + name, b"\1" + out + fixed.compress(data) + fixed.flush())

        x86 = [{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "preset": 6}]
        put("xz", "xz32-" + name, b"\0" + out +
            lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, filters=x86))
        put("xz", "xznone-" + name, b"\0" + out +
            lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE))
        for lc, lp, pb in ((3, 0, 2), (0, 2, 0), (1, 3, 4)):
            raw = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[
                {"id": lzma.FILTER_LZMA2, "preset": 6, "lc": lc, "lp": lp, "pb": pb}])
            mode = 1 | (8 << 2)
            put("xz", "lzma2-%d%d%d-%s" % (lc, lp, pb, name), bytes([mode]) + out + raw)
            put("xz", "lzma2bcj-%d%d%d-%s" % (lc, lp, pb, name), bytes([mode | 2]) + out + raw)
        put("xz", "bcj-" + name, b"\2" + out + data[:4000])

        lz = lz4_legacy(data)
        if lz:
            put("lz4", "lz4-" + name, out + lz)

    for name, e in elves.items():
        size = struct.pack("<I", len(e))
        put("bzimage", "gzip-" + name, bzimage(gzip.compress(e, mtime=0)))
        xz = lzma.compress(e, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                           filters=[{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2}])
        put("bzimage", "xz-" + name, bzimage(xz + size))
        lz = lz4_legacy(e)
        if lz:
            put("bzimage", "lz4-" + name, bzimage(lz + size))


if __name__ == "__main__":
    main()
