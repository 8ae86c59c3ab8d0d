"""The QEMU harness itself: typing on the serial console (GRUB's command line
stands in for a dom0 shell until there is one)."""


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
