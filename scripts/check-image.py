#!/usr/bin/env python3
"""Checks that mica.elf can be loaded by Multiboot's address fields.

Multiboot loaders that use the header's address fields (QEMU's -kernel for
any ELF64, GRUB with the address tag) copy the file linearly from the
header's offset. That only works if every loadable segment's file offset
and physical address differ by the same amount, with the headers inside
the first 8 KiB (Multiboot1) and 32 KiB (Multiboot2).
"""
import struct
import sys


def main(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"{path}: not an ELF64 file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    deltas = set()
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            deltas.add(p_paddr - p_offset)
    if len(deltas) != 1:
        sys.exit(f"{path}: loadable segments are not one linear image "
                 f"(paddr-offset deltas {sorted(hex(d) for d in deltas)}); "
                 "check hypervisor/linker.ld")
    mb1 = data.find(struct.pack("<I", 0x1BADB002))
    mb2 = data.find(struct.pack("<I", 0xE85250D6))
    if mb1 < 0 or mb1 >= 8192 or mb1 % 4:
        sys.exit(f"{path}: Multiboot1 header missing or not in the first 8 KiB")
    if mb2 < 0 or mb2 >= 32768 or mb2 % 8:
        sys.exit(f"{path}: Multiboot2 header missing or not in the first 32 KiB")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check-image.py ELF")
    main(sys.argv[1])
