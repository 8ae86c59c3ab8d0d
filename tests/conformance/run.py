#!/usr/bin/env python3
"""Runs the conformance suite: each libpv guest of build/conformance/ boots as dom0 under Mica.

usage: tests/conformance/run.py [-k TEXT]... [-j JOBS] [--cpus N,...] [-l]
  -k TEXT    run only runs whose name contains TEXT (several -k: any of them)
  -j JOBS    boot this many machines at once (default: $MICA_TEST_JOBS, or the
             number of host CPUs)
  --cpus N,M the QEMU CPU counts every single-vCPU run is booted with (default 1,4)
  -l         list the runs and exit

Every guest with one vCPU, and every crash scenario, boots once per CPU count of
--cpus: as `<name>` on 1 CPU and `<name>@<N>cpus` on N. Guests that bring up more
vCPUs boot in the configurations of VCPU_RUNS instead.

A guest prints one line per check, `PASS name` or `FAIL name: expected X got Y` (SKIP lines
name checks whose hypercall is not implemented yet and are not counted), then
`END guest: N checks`, and powers the domain off, which ends QEMU with exit status 1.
For every run this runner adds one check of its own, `<run>.run`: the guest ran to its END
line with every check line present, QEMU exited as expected, and the hypervisor printed no
panic or exception report. Runs in CRASH_RUNS end the domain on purpose (crash scenarios,
shutdown codes); their `.run` check is the expected exit status and console lines instead.
Before booting, each image's Xen ELF notes are checked (`notes.<guest>`).

Ends with `N passed, N failed`; exits non-zero on any failure. Build first:
make all conformance-guests (make conformance does both and runs this).
"""
import argparse
import concurrent.futures
import os
import re
import struct
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "system"))

import qemu  # noqa: E402
from systest import ELF, QEMU_EXIT, TIMEOUT, log_line  # noqa: E402

GUEST_SRC = REPO / "tests" / "conformance" / "guests"
GUEST_BUILD = REPO / "build" / "conformance"
LOG_DIR = REPO / "build" / "test-logs" / "conformance"

HYPERVISOR_FAILURE = (r"PANIC", r"\*\*\* EXCEPTION")
ERROR_LINE = log_line("E", "")
DOM0_CRASH = r"dom0 stopped \(crash\)"
DOMAIN_CRASHED = log_line("E", r"d0 v0 crashed: ")

# Runs that end the domain on purpose: name -> (guest, dom0 command line, expected exit
# status(es), console lines that must appear). Their hypervisor error lines are expected.
CRASH_RUNS = {
    "crash.exit_nonzero": ("crash", "scenario=exit3", {qemu.EXIT_ERROR},
                           [r"^libpv: crash: exit status 3$", DOM0_CRASH]),
    "crash.shutdown_crash": ("crash", "scenario=shutdown_crash", {qemu.EXIT_ERROR},
                             [DOM0_CRASH]),
    "crash.shutdown_watchdog": ("crash", "scenario=shutdown_watchdog", {qemu.EXIT_ERROR},
                                [r"dom0 stopped \(watchdog\)"]),
    # dom0 asking for a reboot resets the machine; -no-reboot turns that into exit 0.
    "crash.shutdown_reboot": ("crash", "scenario=shutdown_reboot", {0},
                              [r"dom0 asked for a reboot"]),
    "crash.libpv_unhandled_ud2": ("crash", "scenario=ud2", {qemu.EXIT_ERROR},
                                  [r"^libpv: unexpected trap: vector 6 \(#UD invalid opcode\) "
                                   r"error 0 at RIP 0xffffffff80[0-9a-f]{6}$", DOM0_CRASH]),
    "crash.libpv_unhandled_pf": ("crash", "scenario=pf", {qemu.EXIT_ERROR},
                                 [r"^libpv: unexpected trap: vector 14 \(#PF page fault\) "
                                  r"error 0x2 at RIP 0x", r"^libpv:   CR2 0x100000000$",
                                  DOM0_CRASH]),
    # No handler for a fault: the hypervisor crashes the domain itself.
    "crash.no_trap_table": ("crash", "scenario=no_trap_table", {qemu.EXIT_ERROR},
                            [r"^PASS crash\.no_trap_table\.cleared$", DOMAIN_CRASHED, DOM0_CRASH]),
    # A fault with a kernel stack the hypervisor cannot write a frame on.
    "crash.unmapped_stack": ("crash", "scenario=unmapped_stack", {qemu.EXIT_ERROR},
                             [DOMAIN_CRASHED, DOM0_CRASH]),
    "crash.hypervisor_stack": ("crash", "scenario=hypervisor_stack", {qemu.EXIT_ERROR},
                               [DOMAIN_CRASHED, DOM0_CRASH]),
    # iret to user mode (CS RPL 3) with no user page table: the domain is crashed.
    "crash.iret_to_user_without_user_root": ("crash", "scenario=iret_user", {qemu.EXIT_ERROR},
                                             [DOMAIN_CRASHED, DOM0_CRASH]),
    # iret with RSP pointing at nothing: the frame cannot be read.
    "crash.iret_unmapped_frame": ("crash", "scenario=iret_unmapped_frame", {qemu.EXIT_ERROR},
                                  [DOMAIN_CRASHED, DOM0_CRASH]),
    # Hostile addresses the hypervisor must refuse or survive (never a hypervisor fault):
    # a non-canonical handler (refused: the guest checks -EINVAL and powers off) and a
    # non-canonical iret target (the domain dies, the hypervisor does not).
    "crash.noncanonical_handler": ("crash", "scenario=noncanonical_handler",
                                   {qemu.EXIT_OK, qemu.EXIT_ERROR}, []),
    "crash.iret_noncanonical_rip": ("crash", "scenario=iret_noncanonical", {qemu.EXIT_ERROR},
                                    [DOM0_CRASH]),
    # Selectors IRETQ refuses on the way back to the guest: the fault is the guest's,
    # so its domain is crashed and the hypervisor carries on.
    "crash.iret_bad_cs": ("crash", "scenario=iret_bad_cs", {qemu.EXIT_ERROR},
                          [r"d0 v0 crashed: return to the guest refused .*CS 0x1003",
                           DOM0_CRASH]),
    "crash.iret_bad_ss": ("crash", "scenario=iret_bad_ss", {qemu.EXIT_ERROR},
                          [r"d0 v0 crashed: return to the guest refused .*SS 0xe00b",
                           DOM0_CRASH]),
    # The last vCPU taking itself down powers the domain off (as on Xen), never returning.
    "vcpu_down_last": ("vcpu_down_last", "", {qemu.EXIT_OK},
                       [r"^PASS vcpu_down_last\.is_up$", r"dom0 powered off"]),
}

# Lines a guest's hypercalls print, checked by the runner (the guest cannot see the console).
GUEST_EXPECT = {
    "console": [r"^console-io marker: written by console_io$", r"^printf: ok\.$"],
    "multicall": [r"^multicall marker: written from inside a multicall$"],
    # The domU that the domctl guest builds prints through console_io, prefixed with its id.
    "domctl": [r"^\(d1\) domU 1: hello from a domain dom0 built$"],
}

# Guests that boot differently: dom0's command line, CPUs, and more boot modules (images
# of build/conformance/, after the guest's own). domctl builds domUs from its second module.
GUEST_BOOT = {
    "domctl": {"cmdline": "cpus=2", "smp": 2, "modules": ["domctl"]},
}

# Guests that bring up vCPUs of their own, booted once per configuration instead of once per
# --cpus: run name -> (guest, QEMU CPUs, dom0 vCPUs). The hypervisor gets dom0_vcpus=N and
# the guest "vcpus=N" on its command line. Mica gives dom0 at most one vCPU per CPU, so a
# guest's vCPUs never share a CPU with each other here.
VCPU_RUNS = {
    "smp_events.2vcpus": ("smp_events", 2, 2),
    "smp_events.4vcpus": ("smp_events", 4, 4),
    "smp_bringup": ("smp_bringup", 2, 2),
    "fpu_switch.2vcpus": ("fpu_switch", 2, 2),
    "fpu_switch.4vcpus": ("fpu_switch", 4, 4),
    "evtchn_bind_vcpu": ("evtchn_bind_vcpu", 2, 2),
    "timer_smp.4vcpus": ("timer_smp", 4, 4),
    "smp_tlb.2vcpus": ("smp_tlb", 2, 2),
    "smp_tlb.4vcpus": ("smp_tlb", 4, 4),
    "gnt_destroy_race.2vcpus": ("gnt_destroy_race", 2, 2),
    "gnt_destroy_race.4vcpus": ("gnt_destroy_race", 4, 4),
}

CHECK_LINE = re.compile(r"^(PASS|FAIL|SKIP) (\S+?)(?:: (.*))?$")
END_LINE = re.compile(r"^END (\S+): (\d+) checks$")

print_lock = threading.Lock()


# -- the image's Xen notes, before any boot -----------------------------------------------

VIRT_BASE = 0xffffffff80000000
PT_LOAD, PT_NOTE = 1, 4


def xen_notes(path):
    """Returns (notes {type: desc bytes}, load segments [(vaddr, paddr, memsz)], entry, problems)."""
    data = path.read_bytes()
    problems = []
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}, [], 0, ["not a little-endian ELF64 file"]
    (e_type, e_machine, _, e_entry, e_phoff, _, _, _, e_phentsize,
     e_phnum) = struct.unpack_from("<HHIQQQIHHH", data, 16)
    if e_type != 2 or e_machine != 62:
        problems.append(f"e_type {e_type} e_machine {e_machine}: not an x86-64 executable")
    notes, loads = {}, []
    for i in range(e_phnum):
        p_type, _, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_paddr, p_memsz))
        if p_type != PT_NOTE:
            continue
        off, end = p_offset, p_offset + p_filesz
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            name = data[off + 12:off + 12 + namesz]
            desc_off = off + 12 + (namesz + 3) // 4 * 4
            if name.rstrip(b"\0") == b"Xen":
                if ntype in notes:
                    problems.append(f"Xen note {ntype} appears twice")
                notes[ntype] = data[desc_off:desc_off + descsz]
            off = desc_off + (descsz + 3) // 4 * 4
    return notes, loads, e_entry, problems


def check_notes(path):
    """Problems with a libpv image's Xen notes and layout (an empty list if none)."""
    notes, loads, _, problems = xen_notes(path)

    def u(n):
        d = notes.get(n, b"")
        return int.from_bytes(d, "little") if len(d) in (1, 2, 4, 8) else None

    def s(n):
        return notes.get(n, b"").split(b"\0")[0].decode("ascii", "replace")

    want = {1: "ENTRY", 3: "VIRT_BASE", 4: "PADDR_OFFSET", 5: "XEN_VERSION", 6: "GUEST_OS",
            8: "LOADER", 10: "FEATURES", 17: "SUPPORTED_FEATURES"}
    for n, name in want.items():
        if n not in notes:
            problems.append(f"no {name} note (type {n})")
    if 2 in notes:
        problems.append("a HYPERCALL_PAGE note: libpv makes hypercalls with syscall")
    if u(3) != VIRT_BASE:
        problems.append(f"VIRT_BASE is {u(3)!r}, not {VIRT_BASE:#x}")
    if u(4) != 0:
        problems.append(f"PADDR_OFFSET is {u(4)!r}, not 0")
    if s(5) != "xen-3.0":
        problems.append(f"XEN_VERSION is {s(5)!r}, not 'xen-3.0'")
    if s(8) != "generic":
        problems.append(f"LOADER is {s(8)!r}, not 'generic'")
    if "!" in s(10):
        problems.append(f"FEATURES {s(10)!r} requires something")
    if u(17) is None or not u(17) & (1 << 11):
        problems.append(f"SUPPORTED_FEATURES {u(17)!r} lacks the dom0 bit (11)")
    if not loads:
        problems.append("no PT_LOAD segment")
    for vaddr, paddr, memsz in loads:
        if vaddr != VIRT_BASE + paddr:
            problems.append(f"segment at {vaddr:#x} has p_paddr {paddr:#x}, not vaddr - VIRT_BASE")
    entry = u(1)
    if entry is not None and not any(v <= entry < v + m for v, _, m in loads):
        problems.append(f"ENTRY {entry:#x} is in no loaded segment")
    return problems


# -- runs ----------------------------------------------------------------------------------

class Run:
    def __init__(self, name, guest, cmdline="", status=(qemu.EXIT_OK,), expect=(), crash=False,
                 smp=1, modules=(), hv=""):
        self.name = name
        self.guest = guest
        self.cmdline = cmdline
        self.hv = hv            # more hypervisor command line
        self.status = set(status)
        self.expect = list(expect)
        self.crash = crash
        self.smp = smp
        self.modules = list(modules)


def run_name(name, cpus):
    return name if cpus == 1 else f"{name}@{cpus}cpus"


def all_runs(cpu_counts=(1,)):
    runs = []
    guests = sorted(p.stem for p in GUEST_SRC.glob("*.c"))
    vcpu_guests = {guest for guest, _, _ in VCPU_RUNS.values()}
    crash_guests = {guest for guest, _, _, _ in CRASH_RUNS.values()}
    for guest in guests:
        if guest in crash_guests or guest in vcpu_guests:
            continue
        boot_opts = GUEST_BOOT.get(guest, {})
        expect = GUEST_EXPECT.get(guest, ())
        if "smp" in boot_opts:
            # Its own CPU count: booted once, as GUEST_BOOT says.
            runs.append(Run(guest, guest, expect=expect, **boot_opts))
            continue
        for cpus in cpu_counts:
            runs.append(Run(run_name(guest, cpus), guest, expect=expect, smp=cpus, **boot_opts))
    for name, (guest, cpus, vcpus) in VCPU_RUNS.items():
        runs.append(Run(name, guest, f"vcpus={vcpus}", expect=GUEST_EXPECT.get(guest, ()),
                        smp=cpus, hv=f"dom0_vcpus={vcpus}"))
    for cpus in cpu_counts:
        for name, (guest, cmdline, status, expect) in CRASH_RUNS.items():
            runs.append(Run(run_name(name, cpus), guest, cmdline, status, expect, crash=True,
                            smp=cpus))
    return guests, runs


def judge(run, result):
    """Returns (check lines to print, passed, failed, skipped) for one boot."""
    out, passed, failed, skipped = [], 0, 0, 0
    lines = [ln.strip() for ln in result.lines]
    seen, end = 0, None
    for ln in lines:
        m = CHECK_LINE.match(ln)
        if m:
            seen += 1
            kind = m.group(1)
            out.append(ln)
            if kind == "PASS":
                passed += 1
            elif kind == "FAIL":
                failed += 1
            else:
                skipped += 1
            continue
        m = END_LINE.match(ln)
        if m:
            end = int(m.group(2))

    problems = []
    if result.timed_out:
        problems.append(f"no result within the timeout")
    elif result.status not in run.status:
        problems.append(f"{qemu.describe_status(result.status)}; expected "
                        + " or ".join(qemu.describe_status(s) for s in sorted(run.status)))
    for pattern in HYPERVISOR_FAILURE:
        hit = next((ln for ln in lines if re.search(pattern, ln)), None)
        if hit:
            problems.append(f"hypervisor failure line: {hit}")
    if not run.crash:
        if end is None:
            problems.append(f"the guest stopped after {seen} check lines, before its END line")
        elif end != seen:
            problems.append(f"END says {end} checks but {seen} check lines arrived")
        hit = next((ln for ln in lines if re.search(ERROR_LINE, ln)), None)
        if hit:
            problems.append(f"error line: {hit}")
    for pattern in run.expect:
        if not any(re.search(pattern, ln) for ln in lines):
            problems.append(f"missing line /{pattern}/")
    problems += [m for m in result.problems if m.startswith("QEMU:")]

    if problems:
        failed += 1
        out.append(f"FAIL {run.name}.run: " + "; ".join(problems))
        shown = [ln for ln in lines if ln][-12:]
        out += [f"  | {ln}" for ln in shown]
        out.append(f"  log: {result.log_path}")
    else:
        passed += 1
        out.append(f"PASS {run.name}.run")
    return out, passed, failed, skipped


def boot(run):
    image = GUEST_BUILD / f"{run.guest}.elf"
    modules = [f"{image} {run.cmdline}".strip()]
    modules += [str(GUEST_BUILD / f"{m}.elf") for m in run.modules]
    log = LOG_DIR / f"{run.name}.log"
    return qemu.run(log, kernel=ELF, append=f"{QEMU_EXIT} {run.hv}".strip(), smp=run.smp,
                    memory="256M",
                    extra=["-initrd", ",".join(modules)], status=None, timeout=TIMEOUT)


def main():
    ap = argparse.ArgumentParser(description="Mica conformance suite")
    ap.add_argument("-k", action="append", default=[], metavar="TEXT")
    ap.add_argument("-j", type=int,
                    default=int(os.environ.get("MICA_TEST_JOBS", os.cpu_count() or 1)))
    ap.add_argument("--cpus", default="1,4", metavar="N,...")
    ap.add_argument("-l", action="store_true")
    opts = ap.parse_args()

    guests, runs = all_runs(tuple(int(n) for n in opts.cpus.split(",")))
    runs = [r for r in runs if not opts.k or any(k in r.name for k in opts.k)]
    if opts.l:
        for r in runs:
            print(r.name)
        return 0

    passed = failed = skipped = 0
    needed = sorted(set(guests) | {r.guest for r in runs})
    missing = [g for g in needed if not (GUEST_BUILD / f"{g}.elf").is_file()]
    if not ELF.is_file() or missing:
        what = ", ".join([str(ELF)] * (not ELF.is_file()) +
                         [f"build/conformance/{g}.elf" for g in missing])
        print(f"FAIL conformance.build: not built: {what} (run make all conformance-guests)")
        print("0 passed, 1 failed")
        return 1

    for guest in guests:
        if opts.k and not any(r.guest == guest for r in runs):
            continue
        problems = check_notes(GUEST_BUILD / f"{guest}.elf")
        if problems:
            failed += 1
            print(f"FAIL notes.{guest}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"PASS notes.{guest}")

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.j)) as pool:
        futures = {pool.submit(boot, r): r for r in runs}
        order = concurrent.futures.as_completed(futures) if opts.j > 1 else futures
        for future in order:
            run = futures[future]
            out, p, f, s = judge(run, future.result())
            with print_lock:
                how = " ".join(w for w in (run.hv, run.cmdline) if w)
                print(f"== {run.name}" + (f" ({how})" if how else ""))
                print("\n".join(out), flush=True)
            passed += p
            failed += f
            skipped += s
    if skipped:
        print(f"conformance: {skipped} checks skipped (see the SKIP lines for what they lack)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
