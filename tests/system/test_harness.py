"""The QEMU harness itself: typing on the serial console (GRUB's command line
stands in for a dom0 shell until there is one), and a QEMU that aborts on
its own assertion booted once more."""
import qemu
from systest import TestFailure

# Stands in for QEMU: aborts with an assertion message on the boots its
# counter file lists as aborting, else prints a line and exits 1.
FAKE_QEMU = """#!/bin/sh
n=$(($(cat "$0.count" 2>/dev/null || echo 0) + 1))
echo $n > "$0.count"
case " $ABORTS " in *" $n "*)
    echo "qemu-system-x86_64: physmem.c:1: iotlb_to_section: Assertion 'x' failed." >&2
    kill -ABRT $$;;
esac
echo "boot $n ran"
exit 1
"""


def test_serial_input(t):
    """Keys sent to the serial console reach the guest and its answer comes back."""
    iso = t.make_iso(timeout=30)
    with t.machine(cdrom=iso) as vm:
        vm.char_delay = 0.02    # GRUB polls the UART and loses bursts
        vm.wait_for(r"Mica \(Multiboot1\)", timeout=30)
        vm.send("c")
        vm.wait_for(r"grub> ", timeout=10)
        vm.sendline("set x=4; echo typed-${x}2")
        # The typed line reads "typed-${x}2"; only GRUB's answer has "typed-42".
        vm.wait_for(r"typed-42", timeout=10)


def test_qemu_abort_retried(t):
    """An abort of QEMU's own is booted once more; two in a row fail the boot."""
    fake = t.scratch() / "qemu"
    fake.write_text(FAKE_QEMU)
    fake.chmod(0o755)
    saved = qemu.QEMU
    qemu.QEMU = str(fake)
    try:
        for aborts, ok, ran in (("1", True, "boot 2 ran"), ("3 4", False, None)):
            qemu.os.environ["ABORTS"] = aborts
            log = t.next_log()
            r = qemu.run(log, expect=[r"boot \d ran"], status=1, kernel="none")
            if r.ok != ok or (ran and ran not in r.lines[0]):
                raise TestFailure(f"aborts on boots {aborts}: ok {r.ok}, expected {ok}", r)
            if not log.with_name(log.name + ".qemu-abort").exists():
                raise TestFailure(f"aborts on boots {aborts}: the first log was not kept", r)
        if "QEMU: " not in "".join(r.problems) or "killed by signal 6" not in "".join(r.problems):
            raise TestFailure("a second abort does not say why the boot failed", r)
    finally:
        qemu.QEMU = saved
        qemu.os.environ.pop("ABORTS", None)
