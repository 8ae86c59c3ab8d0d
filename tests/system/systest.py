"""What system tests import: paths, Mica's console lines, and the Test context.

A test is a function `test_NAME(t, ...)` in a file tests/system/test_*.py; the
runner (tests/system/run.py) passes it a Test, which boots machines with
Mica's defaults and names their logs after the test. A test passes if it
returns, and fails by raising TestFailure (t.boot does that for a bad run)
or AssertionError. @params(a, b, ...) runs a test once per value, each
counted on its own.
"""
import os
import re
import subprocess
from pathlib import Path

import qemu
from qemu import EXIT_ERROR, EXIT_OK, DEBUG_EXIT_PORT  # noqa: F401 (re-exported)

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
ELF = BUILD / "mica.elf"
ISO = BUILD / "mica.iso"
LOG_DIR = BUILD / "test-logs"
SCRATCH = BUILD / "test-scratch"

# Seconds one boot may take. A boot to the "ready" line takes about a second
# under TCG; the margin is for a loaded machine. MICA_TEST_TIMEOUT overrides.
TIMEOUT = float(os.environ.get("MICA_TEST_TIMEOUT", "60"))

QEMU_EXIT = f"qemu_exit={DEBUG_EXIT_PORT:#x}"


# -- Mica's console lines ---------------------------------------------------

def log_line(level, text):
    """A console line `(mica) [    1.234567] L: text` (text is a regex)."""
    return rf"\(mica\) \[ *\d+\.\d{{6}}\] {level}: {text}"


def info(text):
    return log_line("I", text)


def warning(text):
    return log_line("W", text)


def banner(loader=r"Multiboot[12]", loader_name=None):
    """The first line: `Mica 0.1 (<git>, clang) starting, loaded by <loader>: <name>`."""
    name = rf": {loader_name}" if loader_name else ""
    return info(rf"Mica \d+\.\d+ \([^()]*, clang\) starting, loaded by {loader}{name}")


def smp_online(cpus):
    return info(rf"SMP: {cpus} CPUs? online$")


def ready(cpus=r"\d+", modules=r"\d+"):
    return info(rf"Mica \d+\.\d+ ready: {cpus} CPUs?, \d+ MiB RAM, {modules} modules?$")


def unknown_option(name):
    return warning(rf"command line: unknown option '{re.escape(name)}' ignored$")


TSC = info(r"TSC: \d+\.\d{3} MHz, calibrated against the PIT$")
NO_DOM0 = info(r"no dom0 kernel given: add the dom0 kernel as the first Multiboot module$")
MEMORY = info(r"memory: (\d+) KiB usable = (\d+) KiB below 1 MiB \+ (\d+) KiB hypervisor \+ "
              r"(\d+) KiB boot modules \+ (\d+) KiB free$")
MEMORY_MAP = info(r"memory map: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) "
                  r"(usable|reserved|ACPI NVS|ACPI|bad)$")

# Lines that mean a boot went wrong. Error-level lines, panics, exceptions.
FAILURE_LINES = (log_line("E", ""), r"PANIC", r"\*\*\* EXCEPTION")


# -- the test context -------------------------------------------------------

class TestFailure(Exception):
    """A failed check; `result` (a qemu.Result) adds its problems and log."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result

    def details(self):
        text = str(self)
        if self.result is not None:
            text += "\n" + self.result.report()
        return text


def params(*values):
    """Runs the decorated test once per value: test_x(t, value). A tuple value
    is passed as several arguments."""
    def mark(fn):
        fn.params = values
        return fn
    return mark


def param_name(value):
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class Test:
    """Handed to each test function: boots machines and keeps their logs."""

    def __init__(self, name):
        self.name = name
        self.boots = 0
        self.log_paths = []

    def next_log(self):
        self.boots += 1
        stem = re.sub(r"[^\w.,=-]+", "-", self.name).strip("-")
        suffix = "" if self.boots == 1 else f".{self.boots}"
        path = LOG_DIR / f"{stem}{suffix}.log"
        self.log_paths.append(path)
        return path

    def check(self, result, what="boot"):
        if not result.ok:
            raise TestFailure(f"{what} failed", result)
        return result

    def boot(self, cmdline="", *, qemu_exit=True, expect=(), forbid=FAILURE_LINES,
             status=EXIT_OK, kernel=ELF, smp=1, memory="256M", timeout=TIMEOUT,
             stop_on=None, check=True, extra=()):
        """Boots `kernel` with QEMU -kernel (Multiboot1) and the given command
        line; qemu_exit= is added unless qemu_exit=False. By default the run
        must end with exit status 1 and print no error, panic or exception.
        Returns the qemu.Result; raises TestFailure if it is not ok (unless
        check=False)."""
        if qemu_exit:
            cmdline = f"{QEMU_EXIT} {cmdline}".strip()
        result = qemu.run(self.next_log(), kernel=kernel, append=cmdline, smp=smp,
                          memory=memory, expect=expect, forbid=forbid, status=status,
                          stop_on=stop_on, timeout=timeout, extra=extra)
        return self.check(result) if check else result

    def boot_cdrom(self, iso, *, expect=(), forbid=FAILURE_LINES, status=EXIT_OK,
                   stop_on=None, smp=1, memory="256M", timeout=TIMEOUT, check=True,
                   extra=()):
        """Boots a CD image; its command line is whatever its grub.cfg says.
        Give stop_on= if that command line has no qemu_exit."""
        if stop_on:
            status = None
        result = qemu.run(self.next_log(), cdrom=iso, smp=smp, memory=memory,
                          expect=expect, forbid=forbid, status=status,
                          stop_on=stop_on, timeout=timeout, extra=extra)
        return self.check(result) if check else result

    def machine(self, *, kernel=None, cmdline="", cdrom=None, smp=1, memory="256M",
                extra=()):
        """A started qemu.Qemu to talk to (use it in a `with` block)."""
        if kernel is None and cdrom is None:
            kernel = ELF
        args = qemu.machine_args(kernel=kernel, cdrom=cdrom,
                                 append=cmdline if kernel is not None else None,
                                 smp=smp, memory=memory, extra=extra)
        return qemu.Qemu(args, self.next_log()).start()

    def scratch(self):
        """A directory of this test's own for files it makes (emptied first)."""
        stem = re.sub(r"[^\w.,=-]+", "-", self.name).strip("-")
        path = SCRATCH / stem
        subprocess.run(["rm", "-rf", str(path)], check=True)
        path.mkdir(parents=True)
        return path

    def make_iso(self, *, cmdline="", default=0, timeout=0, modules=()):
        """Builds a variant of the CD image with scripts/mkiso.sh."""
        out = self.scratch() / "mica.iso"
        cmd = [str(REPO / "scripts/mkiso.sh"), "-o", str(out), "-c", cmdline,
               "-d", str(default), "-t", str(timeout), str(ELF), *map(str, modules)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            raise TestFailure(f"scripts/mkiso.sh failed:\n{proc.stderr}")
        return out
