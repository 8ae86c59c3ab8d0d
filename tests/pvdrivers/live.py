#!/usr/bin/env python3
"""PV block devices on a live dom0: Mica under QEMU, our Linux as dom0 with mica,
mica-store, mica-consoled and mica-blkback, and tests/pvdrivers/live/test-blk run by
/init (mica.test=blk). In one boot:

  - a Linux domU formats xvda (an image file in dom0) with mkfs.ext4 (e2fsprogs and
    its libraries copied from this host into the domU's initramfs), writes files,
    reads them back with checksums, trims, and checks the file system with fsck;
    its ring is 4 pages (xen_blkfront.max_ring_page_order=2) and it uses indirect
    requests;
  - it is destroyed, and a second guest on the same image finds the data intact;
  - dom0 hot-attaches xvdb to the running guest, which writes and reads a pattern,
    and a read-only xvdc, whose writes are refused; then detaches both; refused
    attaches and detaches say why;
  - dom0 block devices: loop devices (util-linux's losetup copied from this host)
    over image files, xvdd of 4096-byte sectors ('phy:/dev/loopN,xvdd,w'), which the
    guest sees with that sector size, writes, reads back and discards half of (the
    hole reaches the image file), and a read-only xvde; attaching a device already
    in use, or a read-only device read-write, is refused with the reason;
  - the libpv guest of pvdrivers/frontends: a hostile frontend (bad
    grant refs, out-of-range segments and sectors, a bad operation, lying ring
    indices) and then a good one, served by the same blkback.

This checks the output and ends with `N passed, N failed`. 4-8 minutes under TCG.

usage: tests/pvdrivers/live.py [--keep]   (the serial log is build/pvdrivers/live.log)
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli"))
from live import boot, build_tools, judge, last_line, section  # noqa: E402

LIVE = ROOT / "tests" / "pvdrivers" / "live"
OUT = ROOT / "build" / "pvdrivers"
TIMEOUT = 1500
E2FSPROGS = ["/sbin/mke2fs", "/sbin/e2fsck"]
LOSETUP = "/sbin/losetup"  # util-linux's: busybox's cannot set a sector size
# What the hostile libpv frontend must be answered (pvdrivers/frontends/blkfront_test.c).
HOSTILE_ANSWERS = ["bad grant ref: error", "segment past the page: error",
                   "segment backwards: error", "sector past the end: error",
                   "sector wrapping around: error", "bad operation: error",
                   "barrier: not supported", "too many segments: error",
                   "too many indirect segments: error", "indirect page not granted: error",
                   "read into a read-only grant: error", "a good read after them: ok"]


def host_binary_with_libs(path, dest_dir):
    """--add arguments for a dynamically linked host program and the libraries it loads."""
    adds = ["%s:%s/%s" % (Path(path).resolve(), dest_dir, Path(path).name)]
    p = subprocess.run(["ldd", path], capture_output=True, text=True)
    if p.returncode:
        sys.exit("ldd %s failed: install e2fsprogs (make setup)" % path)
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+ld-linux\S*)", line)
        if not m:
            continue
        if m.lastindex == 2:
            name, lib = m.group(1), m.group(2)
            adds.append("%s:/lib/x86_64-linux-gnu/%s" % (Path(lib).resolve(), name))
        else:
            lib = m.group(1)
            adds.append("%s:%s" % (Path(lib).resolve(), lib))
    return adds


def build():
    store = build_tools(OUT)
    kernel = Path(last_line(["guest-linux-patches/build.py"]))
    adds = []
    for prog in E2FSPROGS:
        adds += host_binary_with_libs(prog, "/sbin")
    # mkfs.ext4 is mke2fs under another name.
    adds.append("%s:/sbin/mkfs.ext4" % Path("/sbin/mke2fs").resolve())
    if Path("/etc/mke2fs.conf").is_file():
        adds.append("/etc/mke2fs.conf:/etc/mke2fs.conf")
    losetup = host_binary_with_libs(LOSETUP, "/usr/libexec/mica")
    domu_args = ["dom0-tools/initramfs/build.py", "--role", "domU", "--no-workout"]
    for name in ("test-blkfs", "test-blkcheck"):
        domu_args += ["--add", "%s:/usr/libexec/mica/%s" % (LIVE / name, name)]
    for a in sorted(set(adds)):
        domu_args += ["--add", a]
    domu = last_line(domu_args)
    tools = ROOT / "build" / "tools"
    dom0_args = ["dom0-tools/initramfs/build.py", "--no-workout",
                 "--add", "%s:/usr/bin/mica" % (tools / "mica"),
                 "--add", "%s:/usr/sbin/mica-consoled" % (tools / "mica-consoled"),
                 "--add", "%s:/usr/sbin/mica-blkback" % (tools / "mica-blkback"),
                 "--add", "%s:/usr/sbin/mica-store" % store,
                 "--add", "%s:/usr/libexec/mica/test-blk" % (LIVE / "test-blk"),
                 "--add", "%s:/boot/bzImage" % (kernel / "bzImage"),
                 "--add", "%s:/boot/domU.cpio.gz" % domu]
    for a in sorted(set(losetup)):
        dom0_args += ["--add", a]
    frontend = ROOT / "build" / "pvdrivers" / "blkfront-test.elf"
    p = subprocess.run(["make", "--no-print-directory", "-s", "frontends"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit("make frontends failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    dom0_args += ["--add", "%s:/usr/libexec/mica/blkfront-test.elf" % frontend]
    dom0 = last_line(dom0_args)
    return ROOT / "build" / "mica.elf", kernel / "vmlinux", dom0


def checks(log):
    fs, chk = section(log, "blkfs's console"), section(log, "blkcheck's console")
    bb = section(log, "blkback log")
    free = re.findall(r"^free (before|after): (\d+)$", log, re.M)
    sums = re.findall(r"blkcheck: xvdb written ([0-9a-f]{64})", log)
    img = re.findall(r"^extra.img: ([0-9a-f]{64})$", log, re.M)
    ro_img = re.findall(r"^ro.img: ([0-9a-f]{64})$", log, re.M)
    connected = set(re.findall(r"(domain \d+ vbd \d+): connected", bb))
    removed = set(re.findall(r"(domain \d+ vbd \d+): removed", bb))
    out = [
        ("dom0_ran_the_script", "mica-test: blk exit 0" in log),
        ("no_hypervisor_failure", not re.search(r"PANIC|\*\*\* EXCEPTION", log)),
        ("create_with_disk", re.search(r"Created domain \d+ \(blkfs\)", log)),
        ("blkback_started_by_create", "mica-blkback: serving block devices" in bb),
        ("multi_page_ring", re.search(r"vbd 51712: ring of 4 pages, 128 slots", bb)),
        ("indirect_segments", re.search(r"max segments (\d+)", fs) and
         int(re.search(r"max segments (\d+)", fs).group(1)) > 11),
        ("discard_offered", re.search(r"discard max [1-9]", fs)),
        ("sector_size", re.search(r"xvda is 262144 sectors of 512 bytes, ro=0", fs)),
        ("mkfs_ext4", "blkfs: mkfs done" in fs),
        ("files_read_back", "checksums OK" in fs),
        ("fsck_clean", "blkfs: fsck clean" in fs),
        ("first_guest_gone", "mica-test: blkfs exit 0" in fs),
        ("recreated_fsck_clean", "blkcheck: fsck clean" in chk),
        ("data_survives_recreate", "data verified after recreate: 11 files" in chk),
        ("attach_missing_image_refused",
         "xvdb: disk image /tmp/nonexistent.img: No such file or directory" in log),
        ("hot_attach", re.search(r"attached xvdb \(/tmp/extra.img, read-write\) to blkcheck", log)),
        ("attach_twice_refused", "the guest already has a disk xvdb" in log),
        ("block_list", re.search(r"^xvdb +51728 +connected +connected +rw +/tmp/extra.img",
                                 section(log, "mica block-list blkcheck"), re.M)),
        ("block_list_json", '"vdev": "xvdb"' in section(log, "mica block-list --json blkcheck")),
        ("hot_attached_disk_works", "xvdb pattern read back OK" in chk),
        ("read_only_disk", ro_img and ("blkcheck: xvdc read-only: 1, %s" % ro_img[0]) in chk),
        ("read_only_write_refused", "xvdc write refused" in chk and "xvdc gone" in chk),
        ("write_past_end_refused", "write past the end refused" in chk),
        ("data_in_backing_file", sums and img and sums[0] == img[0]),
        ("hot_detach", "detached xvdb from blkcheck" in log),
        ("guest_saw_detach", "blkcheck: xvdb gone" in chk),
        ("detach_twice_refused", "has no disk xvdb" in log),
        ("list_after_detach", "xvdb" not in sections_after(log, "mica block-list blkcheck", 1)),
        *loop_device_checks(log, chk),
        ("linux_requests_all_served",  # domains 1 and 2 are the Linux guests
         not re.search(r"domain [12] vbd \d+: request", bb)),
        # Removed: its backend directory is gone and blkback let go of everything (a
        # refused attach is removed too, without having connected).
        ("every_device_removed", len(connected) >= 8 and connected <= removed),
        ("all_guests_gone", not re.search(r"^(?!Name|Domain-0)\S+ +\d+ ",
                                          section_last(log, "mica list"), re.M)),
        ("free_memory_back", len(free) == 2 and free[0][1] == free[1][1]),
        ("blkback_survived", "blkback alive: yes" in log),
    ]
    # The libpv guests' console logs (their rings, served by mica-consoled).
    libpv = section(log, "hostile's console") + section(log, "good's console")
    out += [
        ("libpv_frontend_connects", "blkfront-test: connected, 8192 sectors" in libpv),
        ("hostile_answers", all("blkfront-test: %s" % a in libpv for a in HOSTILE_ANSWERS)),
        ("hostile_closed_for_lying", "lying ring index: device closed" in libpv and
         re.search(r"ring indices are impossible", bb)),
        ("hostile_all_checks", "hostile: all checks passed" in libpv),
        ("good_guest_served", "good: all checks passed" in libpv),
        ("libpv_output_not_on_hypervisor_console",
         not re.search(r"^\(d\d+\) blkfront-test:", log, re.M)),
    ]
    return out


def loop_device_checks(log, chk):
    """dom0 block devices: xvdd, a loop device of 4096-byte sectors, and xvde, a read-only one."""
    loop_written = re.findall(r"blkcheck: xvdd written ([0-9a-f]{64})", chk)
    loop_dev = re.findall(r"^loop4k device: ([0-9a-f]{64})$", log, re.M)
    loop_img = re.findall(r"^loop4k.img: ([0-9a-f]{64})$", log, re.M)
    hole = re.search(r"^loop4k.img discarded half: ([0-9a-f]{64}), zeros ([0-9a-f]{64})$", log,
                     re.M)
    allocated = re.search(r"^loop4k.img allocated: (\d+) KiB$", log, re.M)
    loopro = re.findall(r"^loopro.img: ([0-9a-f]{64})$", log, re.M)
    return [
        ("loop_devices_made", re.search(r"^loop devices: /dev/loop\d+ of 4096-byte sectors, "
                                        r"/dev/loop\d+ read-only 1$", log, re.M)),
        ("device_attach_phy_form", re.search(r"attached xvdd \(/dev/loop\d+, read-write\)", log)),
        ("device_in_use_refused", re.search(r"xvdf: the block backend refused /dev/loop\d+: "
                                            r"device /dev/loop\d+ is in use in dom0", log)),
        ("read_only_device_rw_refused", re.search(r"device /dev/loop\d+ is read-only in dom0: "
                                                  r"attach it with access=ro", log)),
        ("device_sector_size", re.search(r"xvdd is 16384 sectors of 4096 bytes, "
                                         r"discard max [1-9]", chk)),
        ("device_pattern_read_back", "xvdd pattern read back OK" in chk),
        ("device_data_on_the_device", loop_written and loop_dev and loop_written[0] == loop_dev[0]),
        ("device_data_in_its_image", loop_written and loop_img and loop_written[0] == loop_img[0]),
        ("device_discard_reached_image", "xvdd second half discarded" in chk and hole and
         hole.group(1) == hole.group(2) and allocated and int(allocated.group(1)) <= 4096 + 64),
        ("read_only_device", loopro and ("blkcheck: xvde read-only: 1, %s" % loopro[0]) in chk),
        ("read_only_device_write_refused", "xvde write refused" in chk),
        ("devices_detached", "xvdd and xvde gone" in chk and "loop devices released" in log),
    ]


def sections_after(log, title, index):
    found = re.findall(r"^== %s\n(.*?)(?=^== |\Z)" % re.escape(title), log, re.M | re.S)
    return found[index] if len(found) > index else ""


def section_last(log, title):
    found = re.findall(r"^== %s\n(.*?)(?=^== |\Z)" % re.escape(title), log, re.M | re.S)
    return found[-1] if found else ""


def main():
    ap = argparse.ArgumentParser(description="PV block devices on a live dom0 under QEMU.")
    ap.add_argument("--keep", action="store_true", help="do not print the log's tail on failure")
    args = ap.parse_args()
    hv, vmlinux, dom0 = build()
    log = boot(hv, vmlinux, dom0, test="blk", timeout=TIMEOUT)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "live.log").write_text(log)
    return judge("blk", checks(log), log, "build/pvdrivers/live.log", args.keep)

if __name__ == "__main__":
    sys.exit(main())
