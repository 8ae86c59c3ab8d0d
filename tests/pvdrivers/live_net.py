#!/usr/bin/env python3
"""mica-netback on a live dom0: Mica under QEMU, our Linux as dom0 and as two domUs with
xen-netfront, dom0 on micabr0 at 10.0.0.1. tests/pvdrivers/live/test-net (run by dom0's /init,
mica.test=net) drives guests running tests/pvdrivers/live/test-netguest: ping, and TCP streams with
their MD5 compared: 100 MB dom0 to domU a, 10 MB a to dom0, 100 MB a to domU b; a NIC hot-attached
to a and detached; a libpv guest that attacks netback with malformed rings while a works; and a
clean teardown. This checks the output and ends with `N passed, N failed`.

usage: tests/pvdrivers/live_net.py [--keep] [--mb N]   (--mb: the large streams' size, default
100; the small one is a tenth). 8-15 minutes under TCG.
The serial log is build/pvdrivers/live_net.log; the build and boot helpers are
tests/cli/live.py's.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli"))
import live  # noqa: E402

LIVE = ROOT / "tests" / "pvdrivers" / "live"
OUT = ROOT / "build" / "pvdrivers"

TIMEOUT = 1800


# What the hostile libpv frontend must see (pvdrivers/frontends/netfront_test.c).
HOSTILE_ANSWERS = ["arp reply first: from dom0", "echo reply first: from dom0",
                   "bad grant ref: error", "runt frame: error",
                   "fragments larger than the packet: error", "checksum offload on ARP: error",
                   "receive into a page not granted: error",
                   "echo reply after refused frames: from dom0",
                   "data past its page: interface shut", "21 slots: interface shut",
                   "unknown extra info: interface shut",
                   "tx producer beyond the ring: interface shut",
                   "rx producer beyond the ring: interface shut", "rushed reconnects: ok",
                   "echo reply after the lies: from dom0", "done, 0 failures"]


def missing_hostile(text):
    missing = [a for a in HOSTILE_ANSWERS if "netfront-test: " + a not in text]
    for a in missing:
        print("  hostile frontend: no 'netfront-test: %s'" % a)
    return missing


def offloads_both_ways(netback):
    counts = re.findall(r"vif\d+\.0 gone \(from the guest \d+ frames: (\d+) GSO, (\d+) to checksum, "
                        r"\d+ dropped; to it \d+ frames: (\d+) GSO, (\d+) to checksum", netback)
    return any(all(int(n) > 0 for n in c) for c in counts)


def md5s(log, pattern):
    return re.findall(pattern + r" md5 ([0-9a-f]{32})", log)


def checks(log, mb=100):
    a, b = live.section(log, "a's console"), live.section(log, "b's console")
    netback = live.section(log, "netback log")
    sent_a, got_a = md5s(log, r"dom0-net: sent %d MB to a" % mb), md5s(a, r"received from dom0")
    sent_d = md5s(a, r"sent %d MB to dom0" % max(mb // 10, 1))
    got_d = md5s(log, r"dom0-net: received from a")
    sent_b, got_b = md5s(a, r"sent %d MB to b" % mb), md5s(b, r"received from a")
    free = re.findall(r"^free (before|after): (\d+)$", log, re.M)
    same = lambda x, y: len(x) == 1 and x == y
    return [
        ("dom0_ran_the_script", "mica-test: net exit 0" in log),
        ("no_hypervisor_failure", not re.search(r"PANIC|\*\*\* EXCEPTION", log)),
        ("netback_help", "usage: mica-netback" in live.section(log, "mica-netback --help")),
        ("bridge_up", "dom0-net: micabr0 up as 10.0.0.1" in log),
        ("vif_connected", re.search(r"vif\d+\.0 on bridge micabr0 \(sg 1, gso-tcpv4 1", netback)),
        ("network_list", re.search(r"^0 +0 +00:16:3e:00:00:0a +connected +connected +vif\d+\.0 ",
                                   live.section(log, "mica network-list a"), re.M)),
        ("network_list_json", '"backend_state": "connected"' in
         live.section(log, "mica network-list --json b")),
        ("guest_mac", "net: eth0 mac 00:16:3e:00:00:0a" in a),
        ("ping_dom0_to_a", re.search(r"3 packets transmitted, 3 packets received",
                                     live.section(log, "ping a"))),
        ("ping_a_to_dom0", "net: ping dom0 ok" in a),
        ("ping_a_to_b", "net: ping b ok" in a),
        ("tcp_dom0_to_a", same(sent_a, got_a)),
        ("tcp_a_to_dom0", same(sent_d, got_d)),
        ("tcp_a_to_b", same(sent_b, got_b)),
        ("hot_attach", re.search(r"attached interface 1 \(mac 00:16:3e:[0-9a-f:]+\) to a",
                                 live.section(log, "mica network-attach a bridge=micabr0"))),
        ("hot_attached_nic_works", "net: eth1 ping dom0 ok" in a),
        ("hot_detach", "detached interface 1 from a" in live.section(log, "mica network-detach a 1")
         and "net: eth1 gone" in a),
        ("list_after_detach", re.search(r'"devid": 0,(?![\s\S]*"devid": 1)',
                                        live.section(log, "mica network-list --json a"))),
        ("eth0_after_detach", "net: eth0 still works" in a),
        ("guests_gone", not re.search(r"^(a|b) ", live.sections(log, "mica list")[-1], re.M)),
        ("taps_gone", "vif" not in live.section(log, "interfaces after")),
        ("hostile_frontend", not missing_hostile(live.section(log, "hostile's console"))),
        ("hostile_not_on_hypervisor_console", not re.search(r"\(d\d+\) netfront-test:", log)),
        ("good_guest_after_hostile", re.search(r"3 packets transmitted, 3 packets received",
                                               live.section(log, "ping a after hostile"))),
        # An interface carried GSO frames and frames with a checksum left to fill, both ways.
        ("gso_and_csum_offload", offloads_both_ways(netback)),
        ("netback_removed_all", len(re.findall(r"domain \d+ vif \d+: removed", netback)) == 4),
        ("free_memory_back", len(free) == 2 and free[0][1] == free[1][1]),
    ]


def throughput(log):
    """A line per TCP stream: its size, time and rate (the test and the guest time each one with
    `date +%s` around dd | nc; whole seconds, so short streams read coarse). Printed, never
    judged: the rate depends on the host's load."""
    for who, text, said in (("dom0", log, "dom0-net: "),
                            ("a", live.section(log, "a's console"), "(?<!dom0-)net: ")):
        for mb, to, secs in re.findall(said + r"sent (\d+) MB to (\w+) md5 [0-9a-f]{32} in (\d+) s",
                                       text):
            print("throughput %s -> %s: %s MB in %s s, %.2f MB/s" %
                  (who, to, mb, secs, int(mb) / max(int(secs), 1)))


def main():
    ap = argparse.ArgumentParser(description="mica-netback on a live dom0 under QEMU.")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--mb", type=int, default=100)
    args = ap.parse_args()
    guest = LIVE / "test-netguest"
    p = subprocess.run(["make", "--no-print-directory", "-s", "frontends"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit("make frontends failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    hv, vmlinux, initramfs = live.build(
        dom0_files=[(ROOT / "build" / "tools" / "mica-netback", "/usr/sbin/mica-netback"),
                    (ROOT / "build" / "pvdrivers" / "netfront-test.elf",
                     "/boot/netfront-test.elf"),
                    (LIVE / "test-net", "/usr/libexec/mica/test-net")],
        domu_files=[(guest, "/usr/libexec/mica/test-netguest")])
    # dom0 on both CPUs: netback and the streams' programs do not queue behind each other.
    log = live.boot(hv, vmlinux, initramfs, test="net", timeout=TIMEOUT,
                    extra="MB=%d" % args.mb if args.mb != 100 else None,
                    hv_cmdline="console=com1 dom0_mem=512M dom0_vcpus=2 qemu_exit=0xf4")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "live_net.log").write_text(log)
    throughput(log)
    return live.judge("net", checks(log, args.mb), log, "build/pvdrivers/live_net.log", args.keep)


if __name__ == "__main__":
    sys.exit(main())
