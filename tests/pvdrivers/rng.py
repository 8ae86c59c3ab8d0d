#!/usr/bin/env python3
"""The driver guide's worked example, the PV entropy device, on a live dom0: Mica under
QEMU, our Linux as dom0 with mica, mica-store, mica-consoled and mica-rngback, and
tests/pvdrivers/rng/test-rng run by /init (mica.test=rng). In one boot:

  - a libpv guest (pvdrivers/rngfront/rngtest.c) is created, and its rng device attached
    with `mica device-attach`; the guest connects, checks honest requests (bytes arrive,
    only where asked, two answers differ, a batch larger than the backend's turn), bad
    ones (past the page, zero length, bad op, ungranted, out-of-table and read-only
    grants: error responses), lies about its ring index (the backend closes the device
    and says why), reconnects, is served again, and disconnects with every grant
    revoked; its PASS/FAIL lines, from its console ring (mica-consoled's log, and
    `mica console` attached from the start), are counted here;
  - refused attaches, and a device no backend serves (detach needs --force);
  - mica-rngback is still running at the end, and has forgotten both guests' devices.

Ends with `N passed, N failed`. About 2-4 minutes under TCG.

usage: tests/pvdrivers/rng.py [--keep] [--judge LOG]   (the serial log: build/pvdrivers/rng.log)
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli"))
from live import boot, build_tools, judge, last_line, section  # noqa: E402

LIVE = ROOT / "tests" / "pvdrivers" / "rng"
OUT = ROOT / "build" / "pvdrivers"
# Every check rngtest makes: a missing line fails as surely as a FAIL line.
GUEST_CHECKS = [
    "connect", "grants", "max_request_bytes", "fill_64", "fill_64_not_zero",
    "second_fill_differs", "fill_in_the_middle", "nothing_else_written", "fill_whole_page",
    "batch_of_100", "past_the_page_einval", "zero_length_einval", "last_byte_okay",
    "bad_op_einval", "ungranted_ref_egrant", "ref_past_the_table_egrant",
    "read_only_grant_egrant", "works_after_bad_requests", "read_only_page_untouched",
    "lying_req_prod_closes_device", "error_node_says_why", "ring_unmapped_after_close",
    "reconnects", "served_after_reconnect", "clean_disconnect", "data_grant_released",
]


def build():
    """Builds what the boot needs; returns (mica.elf, dom0 kernel, dom0 initramfs)."""
    store = build_tools(OUT)
    p = subprocess.run(["make", "--no-print-directory", "-s", "rngfront"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit("make rngfront failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    kernel = Path(last_line(["guest-linux-patches/build.py"]))
    tools = ROOT / "build" / "tools"
    dom0 = last_line(["dom0-tools/initramfs/build.py", "--no-workout",
                      "--add", "%s:/usr/bin/mica" % (tools / "mica"),
                      "--add", "%s:/usr/sbin/mica-consoled" % (tools / "mica-consoled"),
                      "--add", "%s:/usr/sbin/mica-store" % store,
                      "--add", "%s:/usr/sbin/mica-rngback" % (tools / "mica-rngback"),
                      "--add", "%s:/usr/libexec/mica/rngtest.elf" % (OUT / "rngtest.elf"),
                      "--add", "%s:/usr/libexec/mica/test-rng" % (LIVE / "test-rng")])
    return ROOT / "build" / "mica.elf", kernel / "vmlinux", dom0


def checks(log):
    # The guest writes to its console ring; mica-consoled's log of it is cat by the script.
    guest = section(log, "rng's console")
    attached = section(log, "mica console rng")
    rb = log.split("== rngback log", 1)[-1]
    free = re.findall(r"^free (before|after): (\d+)$", log, re.M)
    out = [("dom0_ran_the_script", "mica-test: rng exit 0" in log),
           ("no_hypervisor_failure", not re.search(r"PANIC|\*\*\* EXCEPTION", log)),
           ("guest_finished", "rngtest: done, 0 failed" in guest),
           ("mica_console_shows_the_guest", "Connected to the console of rng" in attached and
            "rngtest: done, 0 failed" in attached),
           ("not_on_hypervisor_console", not re.search(r"^\(d\d+\) .*rngtest", log, re.M))]
    for name in GUEST_CHECKS:
        out.append(("guest_" + name, re.search(r"^PASS %s$" % name, guest, re.M)))
    out += [
        ("bad_type_refused", "device type 'B@d' is not a name" in log),
        ("reserved_key_refused", "'state=4' is not KEY=VALUE" in log),
        ("attach", "attached rng device 0 to domain" in log),
        ("attach_twice_refused", "the guest already has a rng device 0" in log),
        ("backend_connected", re.search(r"domain \d+ rng 0: ring of 128 slots", rb)),
        ("backend_closed_the_liar", re.search(r"domain \d+ rng 0: the frontend's req_prod", rb)),
        ("unserved_device_warns", "no nodaemon backend has taken the device" in log),
        ("unserved_detach_refused", "has not let go of its nodaemon device 3" in log),
        ("forced_detach", "detached nodaemon device 3 from domain" in log),
        ("detach_missing_refused", "the guest has no nodaemon device 3" in log),
        ("backend_survives", "rngback alive: yes" in log),
        ("backend_forgot_the_device", re.search(r"domain \d+ rng 0: removed", rb)),
        ("free_memory_back", len(free) == 2 and free[0][1] == free[1][1]),
    ]
    return out


def main():
    ap = argparse.ArgumentParser(description="The PV entropy device on a live dom0 under QEMU.")
    ap.add_argument("--keep", action="store_true", help="do not print the log's tail on failure")
    ap.add_argument("--judge", metavar="LOG", help="check a serial log of an earlier run; no boot")
    args = ap.parse_args()
    if args.judge:
        log = Path(args.judge).read_text()
    else:
        log = boot(*build(), test="rng", timeout=900)
        (OUT / "rng.log").write_text(log)
    return judge("rng", checks(log), log, "build/pvdrivers/rng.log", args.keep)


if __name__ == "__main__":
    sys.exit(main())
