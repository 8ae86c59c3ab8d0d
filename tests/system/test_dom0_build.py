"""Building dom0 from the first Multiboot module.

A probe kernel (tests/system/dom0_probe.c, built here with clang) checks from
the inside what the builder promised: start_info, registers, the p2m, every
bootstrap page-table entry, the initrd, the hypercall page, and memory_op.
Linux kernels (ours, as vmlinux and bzImage, and Debian's stock vmlinuz) are
checked against the builder's summary, computed here a second time from the
image's own ELF headers and notes. Bad modules must be refused with a message
that says what to do.
"""
import gzip
import lzma
import re
import struct
import subprocess
import sys
import threading
from pathlib import Path

import systest
from systest import (EXIT_ERROR, EXIT_OK, FAILURE_LINES, REPO, SCRATCH, TestFailure, info,
                     log_line, params, warning)

VIRT_BASE = 0xFFFFFFFF80000000
PAGE = 4096
MiB = 1 << 20


def dom0(text):
    return info("dom0: " + text)


def refused(text):
    return log_line("E", "dom0 kernel refused: " + text)


STARTING = dom0(r"built in \d+ ms; starting vCPU 0 at 0x[0-9a-f]+$")
NOT_STARTED = log_line("E", "dom0 not started: correct what the message above names")
PROBE_OK = r"^probe: all checks passed"
PROBE_FAILS = (r"^probe: FAIL", r"checks failed")
# A guest crashing is the guest's business; the hypervisor's own failures are not.
HV_FAILURES = (log_line("E", r"(?!d0 )(?!dom0 stopped)"), r"PANIC", r"\*\*\* EXCEPTION")


# -- the probe kernel -------------------------------------------------------

PROBE_SRC = REPO / "tests" / "system" / "dom0_probe.c"
PROBE_LD = """\
ENTRY(_start)
PHDRS { text PT_LOAD; data PT_LOAD; note PT_NOTE; }
SECTIONS {
	. = 0xffffffff80200000;
	.text : AT(ADDR(.text) - 0xffffffff80000000) { *(.text.entry) *(.text.hcpage) *(.text*) } :text
	.rodata : AT(ADDR(.rodata) - 0xffffffff80000000) { *(.rodata*) } :text
	.note.Xen : AT(ADDR(.note.Xen) - 0xffffffff80000000) { *(.note.Xen) } :text :note
	. = ALIGN(4096);
	.data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data*) } :data
	.bss : AT(ADDR(.bss) - 0xffffffff80000000) { *(.bss*) *(COMMON) } :data
	/DISCARD/ : { *(.comment) *(.eh_frame*) *(.note.GNU-stack) }
}
"""
PROBE_CFLAGS = ["--target=x86_64-unknown-none-elf", "-std=gnu11", "-O2", "-ffreestanding",
                "-fno-builtin", "-fno-pic", "-fno-pie", "-fno-stack-protector", "-mcmodel=kernel",
                "-mno-red-zone", "-mgeneral-regs-only", "-nostdlib", "-static", "-fuse-ld=lld",
                "-Wl,--build-id=none", "-Wall", "-Wextra", "-Werror"]

_build_lock = threading.Lock()
_built = {}


def probe(*options):
    """The probe kernel built with -D for each option (once per run)."""
    key = "-".join(sorted(options)).lower() or "plain"
    with _build_lock:
        if key not in _built:
            out = SCRATCH / "dom0-probe" / key
            out.mkdir(parents=True, exist_ok=True)
            (out / "probe.ld").write_text(PROBE_LD)
            cmd = ["clang", *PROBE_CFLAGS, *(f"-D{o}" for o in options),
                   f"-Wl,-T,{out / 'probe.ld'}", "-o", str(out / "probe.elf"), str(PROBE_SRC)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                raise TestFailure(f"building the probe kernel failed:\n{' '.join(cmd)}\n"
                                  f"{proc.stderr}")
            _built[key] = out / "probe.elf"
        return _built[key]


def make_initrd(t, size=10000):
    path = t.scratch() / "initrd.bin"
    body = b"MICA-PROBE-INITRD" + bytes((i * 7) & 0xFF for i in range(size - 17))
    path.write_bytes(body)
    return path


def boot_dom0(t, kernel, args="", initrd=None, hv="", **kw):
    """Boots Mica with `kernel` (its command line `args`, after the path word
    QEMU puts first) and optionally an initrd as Multiboot modules."""
    mods = [f"{kernel} {args}".strip()] + ([str(initrd)] if initrd else [])
    extra = ["-initrd", ",".join(m.replace(",", ",,") for m in mods)]
    return t.boot(hv, extra=extra + list(kw.pop("extra", ())), **kw)


def probe_values(result):
    """The probe's "name 0xvalue" pairs from its lines, as a dict of ints."""
    values = {}
    for line in result.lines:
        if line.startswith("probe: "):
            for name, value in re.findall(r"(\w+) (0x[0-9a-f]+)", line):
                values.setdefault(name, int(value, 16))
    return values


# -- the probe's checks -----------------------------------------------------

@params("plain", "notes")
def test_probe(t, variant):
    """The probe finds the layout of pv-abi-notes 1.3 and the state of 1.4-1.6:
    'plain' has no optional notes (p2m and initrd inside the mapping, hypercalls
    by syscall); 'notes' has HYPERCALL_PAGE, INIT_P2M and MOD_START_PFN."""
    notes = variant == "notes"
    kernel = probe(*(["HCALL_PAGE", "INIT_P2M", "MOD_START_PFN"] if notes else []))
    initrd = make_initrd(t)
    expect = [
        info(r"dom0 kernel: \d+ KiB module '\S+probe.elf probe arg=1' with an initrd"),
        dom0(r"kernel: \d+ KiB ELF vmlinux \(mica-probe, xen-3.0\)$"),
        dom0(r"memory: \d+ MiB \(\d+ pages\) in \d+ blocks; the hypervisor keeps \d+ MiB; 1 vCPU$"),
        dom0(r"layout: kernel 0xffffffff80200000-0xffffffff802[0-9a-f]{5}, start_info "),
        dom0(r'command line "probe arg=1"$'), STARTING, PROBE_OK,
        r"^probe: bootstrap tables map 0x400 pages linearly, page tables read-only$",
        r"^probe: cmdline 'probe arg=1'$", r"^probe: memory_op checks done$",
        r"^probe: p2m has 0x[0-9a-f]+ entries, 0x0 of them pfn == mfn$",
    ]
    if notes:
        expect += [dom0(r"entry 0xffffffff80200000, VIRT_BASE 0xffffffff80000000, hypercall "
                        r"page at 0xffffffff802[0-9a-f]{2}000$"),
                   dom0(r"layout: p2m at 0x8000000000 \(INIT_P2M\), pfn 0x[0-9a-f]+, \d+ frames "
                        r"and 3 page tables$"),
                   dom0(r"layout: initrd of 9 KiB at pfn 0x[0-9a-f]+ \(unmapped, MOD_START_PFN\)$"),
                   r"^probe: hypercall page filled$", r"^probe: initrd at pfn 0x[0-9a-f]+, unmapped$"]
    else:
        expect += [dom0(r"entry 0xffffffff80200000, VIRT_BASE 0xffffffff80000000, hypercalls by "
                        r"syscall \(no hypercall page\)$"),
                   dom0(r"layout: p2m at 0xffffffff802[0-9a-f]{5} \(in the mapping\)"),
                   dom0(r"layout: initrd of 9 KiB at 0xffffffff802[0-9a-f]{5} \(in the mapping\)$"),
                   r"^probe: initrd mapped, contents ok$"]
    result = boot_dom0(t, kernel, "probe arg=1", initrd=initrd, expect=expect,
                       forbid=FAILURE_LINES + PROBE_FAILS, status=EXIT_OK)
    v = probe_values(result)
    flags = 0xB if notes else 0x3
    if v.get("flags") != flags or v.get("mod_len") != initrd.stat().st_size:
        raise TestFailure(f"start_info flags {v.get('flags'):#x} (want {flags:#x}), mod_len "
                          f"{v.get('mod_len')} (want {initrd.stat().st_size})", result)
    pages = int(result.find(dom0(r"memory: \d+ MiB \((\d+) pages\)"))[1])
    if v.get("nr_pages") != pages:
        raise TestFailure(f"start_info.nr_pages {v.get('nr_pages')} != {pages}", result)


@params(0, 1)
def test_probe_from_grub(t, entry):
    """From the CD image, GRUB loads the probe as a Multiboot2 (entry 0) or
    Multiboot1 (entry 1) module: GRUB 2 passes no path word, and the module
    string reaches dom0 as it is (empty)."""
    iso = t.make_iso(cmdline=systest.QEMU_EXIT, default=entry, modules=[probe()])
    t.boot_cdrom(iso, timeout=120, status=EXIT_OK,
                 expect=[systest.banner(f"Multiboot{2 - entry}", r"GRUB 2\S*"),
                         dom0(r'command line ""$'), r"^probe: cmdline ''$", PROBE_OK],
                 forbid=FAILURE_LINES + PROBE_FAILS)


def test_probe_machine_memory_map(t):
    """XENMEM_machine_memory_map gives dom0 the loader's map, entry for entry
    as Mica printed it (sorted, holes left out)."""
    result = boot_dom0(t, probe(), memory="512M", expect=[PROBE_OK],
                       forbid=FAILURE_LINES + PROBE_FAILS)
    types = {"usable": 1, "reserved": 2, "ACPI": 3, "ACPI NVS": 4, "bad": 5}
    mica = [(int(m[1], 16), int(m[2], 16) - int(m[1], 16), types[m[3]])
            for m in result.find_all(info(r"memory map: 0x([0-9a-f]+)-0x([0-9a-f]+) (.+)$"))]
    probe_map = [(int(m[1], 16), int(m[2], 16), int(m[3], 16))
                 for m in result.find_all(r"^probe: e820 (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+)$")]
    if not mica or sorted(mica) != probe_map:
        raise TestFailure(f"machine memory map {probe_map} differs from Mica's {sorted(mica)}",
                          result)


@params(1, 2)
def test_dom0_mem_and_vcpus(t, cpus):
    """dom0_mem= sets dom0's size exactly; dom0_vcpus= its vCPUs."""
    boot_dom0(t, probe("INIT_P2M"), hv=f"dom0_mem=64M dom0_vcpus={cpus}", smp=2,
              expect=[dom0(rf"memory: 64 MiB \(16384 pages\) in \d+ blocks; the hypervisor keeps "
                           rf"\d+ MiB; {cpus} vCPUs?$"),
                      r"^probe: nr_pages 0x4000 ", PROBE_OK],
              forbid=FAILURE_LINES + PROBE_FAILS)


def test_large_dom0(t):
    """A multi-GiB dom0 (above the 4 GiB hole, a p2m needing several L1s) is
    built from large blocks and passes the probe's checks."""
    boot_dom0(t, probe("INIT_P2M"), memory="6G", timeout=120,
              expect=[dom0(r"memory: 5\d{3} MiB \(\d+ pages\) in \d\d? blocks"),
                      dom0(r"layout: p2m at 0x8000000000 \(INIT_P2M\), pfn 0x400, \d+ frames and 8 "
                           r"page tables$"), PROBE_OK],
              forbid=FAILURE_LINES + PROBE_FAILS)


def test_limits_are_capped(t):
    """More vCPUs than CPUs, or more memory than there is, is cut with a warning."""
    boot_dom0(t, probe(), hv="dom0_mem=8G dom0_vcpus=9", smp=2,
              expect=[warning(r"dom0_vcpus=9 is more than the 2 CPUs online: dom0 gets 2$"),
                      warning(r"dom0_mem=8192 MiB is more than the \d+ MiB free: dom0 gets \d+ MiB$"),
                      dom0(r"memory: .* 2 vCPUs$"), PROBE_OK],
              forbid=FAILURE_LINES + PROBE_FAILS)


def test_dom0_mem_too_small(t):
    """A dom0_mem too small for the layout is refused, saying how much is needed."""
    boot_dom0(t, probe(), hv="dom0_mem=2M", status=EXIT_ERROR, forbid=(),
              expect=[log_line("E", r"dom0 cannot be laid out: dom0 needs at least \d+ MiB for "
                                    r"its kernel, initrd, p2m and boot page tables, but has 2 MiB: "
                                    r"raise dom0_mem$"), NOT_STARTED])


# -- modules that are not a dom0 kernel -------------------------------------

def elf32(path):
    """A minimal i386 ELF executable with one PT_LOAD."""
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x100000, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, 0x1000, 0x100000, 0x100000, 16, 16, 5, 0x1000)
    path.write_bytes(header + phdr + bytes(0x1000 - 84) + b"\x90" * 16)
    return path


def bad_module(t, kind):
    d = t.scratch()
    if kind == "text":
        path = d / "notes.txt"
        path.write_text("this is a text file, not a kernel\n" * 20)
        return path
    if kind == "elf32":
        return elf32(d / "kernel32.elf")
    if kind == "no_notes":
        return probe("NO_XEN_NOTES")
    if kind == "not_dom0":
        return probe("NOT_DOM0")
    data = bytearray((linux_kernel() / "bzImage").read_bytes())
    off, length = payload_place(data)
    if kind == "bad_bzimage":
        # Our kernel's payload is an LZ4 legacy frame, which has no checksum: damage the first
        # block's length (after the 4-byte magic) so that the block runs past the payload.
        assert data[off:off + 4] == LZ4_LEGACY_MAGIC, "our bzImage is lz4 (mica.config)"
        struct.pack_into("<I", data, off + 4, 0x7FFFFFF0)
        path = d / "bzImage.damaged"
    elif kind == "gzip_bzimage":
        # The same setup header around a gzip payload, which only the mica CLI decodes.
        payload = gzip.compress(b"not a kernel" * 100, mtime=0)
        struct.pack_into("<I", data, 0x24C, len(payload))
        data[off:] = payload
        path = d / "bzImage.gzip"
    else:
        raise ValueError(kind)
    path.write_bytes(bytes(data))
    return path


BAD_MODULES = {
    "text": r"the first Multiboot module is neither an ELF vmlinux nor a bzImage \(it starts "
            r"74 68 69 73\); give a 64-bit Linux kernel built with CONFIG_XEN_PV$",
    "elf32": r"32-bit guest kernels are not supported; use a 64-bit kernel$",
    "no_notes": r"not a Xen PV kernel: no Xen ELF notes; build it with CONFIG_XEN_PV$",
    "not_dom0": r"its SUPPORTED_FEATURES note lacks XENFEAT_dom0, so it cannot run as dom0; "
                r"build it with CONFIG_XEN_PV_DOM0$",
    "gzip_bzimage": r"bzImage compressed with gzip; the hypervisor decodes xz and lz4 \(as "
                    r"Debian's kernels use\): give an xz or lz4 bzImage, or the ELF vmlinux$",
    "bad_bzimage": None,
}


@params(*BAD_MODULES)
def test_bad_module(t, kind):
    """A module that cannot be dom0 stops the boot with one clear error."""
    if kind == "bad_bzimage":
        error = log_line("E", r"dom0 kernel: decompressing its lz4 payload failed: .+; the "
                              r"bzImage is damaged$")
    else:
        error = refused(BAD_MODULES[kind])
    boot_dom0(t, bad_module(t, kind), memory="512M", status=EXIT_ERROR, forbid=(STARTING,),
              expect=[error, NOT_STARTED])


# -- Linux ------------------------------------------------------------------

_kernel_lock = threading.Lock()
_kernels = {}


def _cache_dir(script, *args):
    """Runs a guest-linux-patches script that prints its cache directory last."""
    with _kernel_lock:
        key = (script,) + args
        if key not in _kernels:
            proc = subprocess.run([sys.executable, str(REPO / "guest-linux-patches" / script),
                                   *args], capture_output=True, text=True)
            lines = proc.stdout.strip().splitlines()
            if proc.returncode or not lines:
                raise TestFailure(f"guest-linux-patches/{script} {' '.join(args)} failed:\n"
                                  f"{proc.stderr[-2000:]}")
            _kernels[key] = Path(lines[-1])
        return _kernels[key]


def linux_kernel():
    """Our kernel's cache directory (vmlinux, bzImage), built if needed."""
    return _cache_dir("build.py")


def debian_kernel():
    return _cache_dir("stock.py", "dom0")


LZ4_LEGACY_MAGIC = b"\x02\x21\x4c\x18"


def setup_bytes(data):
    """Bytes before a bzImage's protected-mode code: the setup sectors and the boot sector."""
    return ((data[0x1F1] or 4) + 1) * 512


def payload_place(data):
    """(offset, length) of a bzImage's compressed payload (boot protocol 2.08+)."""
    off, length = struct.unpack_from("<II", data, 0x248)
    return setup_bytes(data) + off, length


def elf_of(path):
    """The ELF vmlinux inside a vmlinux or bzImage file, and the compressor's name. The build
    appends the decompressed size to every payload but gzip's, so the xz and lz4 decoders get
    the payload without its last four bytes."""
    data = path.read_bytes()
    if data[:4] == b"\x7fELF":
        return data, None
    off, length = payload_place(data)
    payload = data[off:off + length]
    if payload[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload[:-4]), "xz"
    if payload[:4] == LZ4_LEGACY_MAGIC:
        proc = subprocess.run(["lz4", "-dc"], input=payload[:-4], capture_output=True)
        if proc.returncode:
            raise TestFailure(f"{path}: lz4 -dc failed: {proc.stderr.decode()[-500:]}")
        return proc.stdout, "lz4"
    raise TestFailure(f"{path}: unknown bzImage payload {payload[:4].hex()}")


def xen_facts(elf):
    """(kernel pseudo-physical start, end, Xen notes {type: bytes}) of an ELF64 vmlinux."""
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    loads, notes = [], {}
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz = struct.unpack_from(
            "<IIQQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and p_memsz:
            loads.append((p_paddr, p_paddr + p_memsz))
        if p_type == 4:
            pos = p_offset
            while pos + 12 <= p_offset + p_filesz:
                namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
                name = elf[pos + 12:pos + 12 + namesz]
                desc_at = pos + 12 + (namesz + 3) // 4 * 4
                if name == b"Xen\x00":
                    notes[ntype] = elf[desc_at:desc_at + descsz]
                pos = desc_at + (descsz + 3) // 4 * 4
    return min(s for s, _ in loads), max(e for _, e in loads), notes


def expected_layout(start, end, notes):
    """The summary's layout line, from pv-abi-notes 1.3 (a second implementation)."""
    vb = struct.unpack("<Q", notes[3])[0]
    kern_end_pfn = -(-end // PAGE)
    assert 15 in notes, "a Linux kernel with INIT_P2M: the p2m is outside the window"
    start_info = kern_end_pfn
    nr_pt = 1
    while True:
        stack_end = (start_info + 1 + nr_pt + 1) * PAGE
        v_end = -(-stack_end // (4 * MiB)) * 4 * MiB
        if v_end - stack_end < 512 * 1024:
            v_end += 4 * MiB
        need = 3 + -(-v_end // (2 * MiB))
        if need <= nr_pt:
            break
        nr_pt = need
    pt = start_info + 1
    return (rf"layout: kernel {vb + start // PAGE * PAGE:#x}-{vb + kern_end_pfn * PAGE:#x}, "
            rf"start_info {vb + start_info * PAGE:#x}, page tables {vb + pt * PAGE:#x} "
            rf"\({nr_pt} frames\), stack {vb + (pt + nr_pt) * PAGE:#x}, mapped to {vb + v_end:#x}$")


LINUX = {"vmlinux": "512M", "bzImage": "512M", "debian": "768M"}


@params(*LINUX)
def test_linux(t, image):
    """Linux images load: ours as vmlinux (with an initrd) and as an lz4 bzImage,
    Debian's stock vmlinuz (xz). The summary names the image, the ENTRY note, and
    the layout computed independently here from the image's headers. What Linux
    does after its first instruction is not checked here."""
    if image == "debian":
        path = debian_kernel() / "vmlinuz"
    else:
        path = linux_kernel() / image
    elf, comp = elf_of(path)
    start, end, notes = xen_facts(elf)
    entry = struct.unpack("<Q", notes[1])[0]
    kib = len(elf) // 1024
    source = rf"from a {comp} bzImage of \d+ KiB " if comp else ""
    initrd = make_initrd(t, 300 * 1024) if image == "vmlinux" else None
    expect = [
        dom0(rf"kernel: {kib} KiB ELF vmlinux {source}\(linux 2.6, xen-3.0\)$"),
        dom0(rf"entry {entry:#x}, VIRT_BASE 0xffffffff80000000, hypercalls by syscall "
             rf"\(no hypercall page\)$"),
        dom0(expected_layout(start, end, notes)),
        dom0(r"layout: p2m at 0x8000000000 \(INIT_P2M\), pfn 0x[0-9a-f]+, \d+ frames and 3 "
             r"page tables$"),
        dom0(r"layout: initrd of 300 KiB at pfn 0x[0-9a-f]+ \(unmapped, MOD_START_PFN\)$"
             if initrd else r"layout: no initrd$"),
        dom0(r'command line "console=hvc0 earlyprintk=xen"$'),
        STARTING,
    ]
    boot_dom0(t, path, "console=hvc0 earlyprintk=xen", initrd=initrd, memory=LINUX[image],
              expect=expect, forbid=HV_FAILURES, stop_on=STARTING, timeout=240)
