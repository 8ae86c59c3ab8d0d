"""The dom0 initramfs and the workout, booted natively (no Mica) under QEMU.

Our kernel (guest-linux-patches/build.py's bzImage) and Debian's stock amd64 kernel (from
stock.py, with its Xen modules in the image) boot with the initramfs from
dom0-tools/initramfs/build.py as -kernel/-initrd. With mica.test=workout-quick, /init runs the
workout, prints `mica-test: workout-quick exit N` and powers off, which ends QEMU with status
0. Without mica.test it keeps a shell with job control on the console. These show that the
image and the workout are sound before Mica runs them as dom0.
"""
import subprocess
import sys
import threading
from pathlib import Path

from systest import REPO, TestFailure

# Console lines of /init and the workout.
USERSPACE_UP = r"^mica-init: dom0 userspace up$"
WORKOUT_PASS = r"workout: PASS$"
BENCHMARKS = ("null_syscall", "fork_exit", "fork_exec", "page_fault", "mmap_munmap",
              "pipe_roundtrip")
POWER_DOWN = r"reboot: Power down"


def exit_line(name, status):
    return rf"^mica-test: {name} exit {status}$"


# A Linux boot or the workout going wrong.
LINUX_FAILURES = (r"Kernel panic", r"\bBUG:", r"\bOops\b", r"WARNING: CPU", r"Call Trace",
                  r"segfault at", r"workout: (FAIL|problem)", r"mica-init: warning",
                  r"can't access tty", r"Out of memory")
EXIT_POWEROFF = 0   # Linux powered the machine off: QEMU exits with 0
TIMEOUT = 300       # TCG; a boot and the quick workout take 10-30 s

_lock = threading.Lock()
_paths = {}


def _last_line(cmd, what):
    """Runs a build script that prints its result path last (cached per test run)."""
    with _lock:
        key = tuple(cmd)
        if key not in _paths:
            proc = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True,
                                  text=True)
            lines = proc.stdout.strip().splitlines()
            if proc.returncode or not lines:
                raise TestFailure(f"{what} failed ({' '.join(cmd)}):\n{proc.stderr[-3000:]}")
            _paths[key] = Path(lines[-1])
        return _paths[key]


def our_kernel():
    return _last_line(["guest-linux-patches/build.py"], "building our kernel") / "bzImage"


def stock_dir():
    return _last_line(["guest-linux-patches/stock.py", "dom0"], "fetching the stock kernel")


def initramfs(*args):
    return _last_line(["dom0-tools/initramfs/build.py", *args], "building the initramfs")


def boot_test(t, kernel, image, test, expect=(), smp=2, memory="512M"):
    """Boots a kernel natively with console=ttyS0 mica.test=TEST and judges the run."""
    return t.boot(f"console=ttyS0 mica.test={test}", qemu_exit=False, kernel=kernel,
                  extra=["-initrd", str(image)], smp=smp, memory=memory,
                  status=EXIT_POWEROFF, forbid=LINUX_FAILURES, timeout=TIMEOUT,
                  expect=[USERSPACE_UP, *expect, POWER_DOWN])


def workout_lines():
    return [WORKOUT_PASS, exit_line("workout-quick", 0),
            *(rf"^bench {name} \d+$" for name in BENCHMARKS)]


def test_ours(t):
    """Our kernel runs the quick workout on 2 CPUs and powers off."""
    boot_test(t, our_kernel(), initramfs(), "workout-quick", workout_lines())


def test_stock(t):
    """Debian's stock kernel runs it too; its Xen modules are in the image and refuse to
    load outside a Xen domain (so insmod reached their init), xenfs for want of privcmd."""
    modules = [rf"^mica-init: module {m} not loaded: No such device$"
               for m in ("xen-blkfront", "xen-netfront", "xen-privcmd", "xen-evtchn",
                         "xen-gntdev")]
    modules += [r"^mica-init: module xenfs not loaded: it needs xen-privcmd$",
                r"^mica-init: modules loaded: none$"]
    boot_test(t, stock_dir() / "vmlinuz", initramfs("--modules-from", str(stock_dir())),
              "workout-quick", modules + workout_lines())


def test_unknown_test(t):
    """mica.test= naming no test is reported with status 127, and the machine powers off."""
    boot_test(t, our_kernel(), initramfs(), "no-such-test",
              [r"^mica-init: no test named 'no-such-test'", exit_line("no-such-test", 127)],
              smp=1, memory="256M")


def test_shell(t):
    """Without mica.test, a login shell runs on the console with job control."""
    kernel, image = our_kernel(), initramfs()
    with t.machine(kernel=kernel, cmdline="console=ttyS0", extra=["-initrd", str(image)],
                   memory="256M") as vm:
        prompt = r"mica-dom0:/# $"
        try:
            vm.wait_for(USERSPACE_UP, timeout=TIMEOUT)
            vm.wait_for(prompt, timeout=60)
            vm.sendline("sleep 60 &")
            vm.wait_for(prompt)
            vm.sendline("jobs; tty; cat /etc/mica/role")
            vm.wait_for(r"^\[1\]\+ +Running +sleep 60")
            vm.wait_for(r"^/dev/ttyS0$")
            vm.wait_for(r"^dom0$")
            vm.wait_for(prompt)
            vm.sendline("poweroff -f")
            vm.wait_for(POWER_DOWN, timeout=60)
        except Exception as e:
            raise TestFailure(f"shell check failed: {e}; log: {vm.log_path}") from e
        status = vm.wait(30)
        if status != EXIT_POWEROFF:
            raise TestFailure(f"QEMU ended with status {status} after poweroff -f, "
                              f"expected {EXIT_POWEROFF}; log: {vm.log_path}")
    bad = [line for line in vm.lines if "can't access tty" in line or "Kernel panic" in line]
    if bad:
        raise TestFailure(f"the shell reported: {bad[0]}; log: {vm.log_path}")
