#!/usr/bin/env python3
"""Writes the hypervisor's symbol table (for backtraces) as assembly.

Usage: gen-symtab.py ELF OUT.S   (ELF may be absent: writes an empty table)

Reads function symbols with `nm`, sorted by address, and emits entries of
{u64 addr; u32 name offset; u32 size} into .symtab.mica plus the names in
symtab_names. Text does not move between the two link passes because the
table sits in .rodata, after .text.
"""
import subprocess
import sys


def functions(elf):
    out = subprocess.run(["nm", "-S", "--defined-only", elf], check=True,
                         capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            addr, size, name = int(parts[0], 16), int(parts[1], 16), parts[3]
        elif len(parts) == 3 and parts[1] in "tT":
            addr, size, name = int(parts[0], 16), 0, parts[2]
        else:
            continue
        if addr < 0xffff800000000000:
            continue
        syms.setdefault(addr, (name, size))
    return sorted((a, n, s) for a, (n, s) in syms.items())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    elf, out = sys.argv[1], sys.argv[2]
    syms = functions(elf) if elf != "-" else []
    lines = ['\t.section .symtab.mica, "a"', "\t.balign 8"]
    names = []
    offset = 0
    for addr, name, size in syms:
        lines.append(f"\t.quad {addr:#x}\n\t.long {offset}, {size}")
        names.append(name)
        offset += len(name) + 1
    lines += ['\t.section .rodata.symtab_names, "a"', "\t.globl symtab_names",
              "symtab_names:"]
    lines += [f'\t.asciz "{n}"' for n in names]
    if not names:
        lines.append("\t.byte 0")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
