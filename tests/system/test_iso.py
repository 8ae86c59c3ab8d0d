"""Booting the GRUB CD image (make iso) from a CD drive, both menu entries."""
from systest import ISO, NO_DOM0, QEMU_EXIT, banner


def test_default_entry(t):
    """build/mica.iso as built: GRUB's default entry loads Mica by Multiboot2
    with the image's own command line (no qemu_exit, so stop once it is up)."""
    t.boot_cdrom(ISO, stop_on=NO_DOM0, expect=[banner("Multiboot2", "GRUB")])


def test_multiboot1_entry(t):
    """The second entry loads Mica by Multiboot1 (on an image that makes it the default)."""
    iso = t.make_iso(default=1, cmdline=QEMU_EXIT)
    t.boot_cdrom(iso, expect=[banner("Multiboot1", "GRUB"), NO_DOM0])
