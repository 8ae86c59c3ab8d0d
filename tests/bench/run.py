#!/usr/bin/env python3
"""Mica's benchmarks: each workload on native Linux, on Xen 4.17 and on Mica, in one QEMU.

usage: tests/bench/run.py [--quick] [--runs N] [--systems A,B] [--check] ...

Runs are alternated: run 1 boots every system once in order (native, xen, mica), then
run 2, and so on; every boot runs all the workloads (tests/bench/workloads.py) and powers
off. The table gives each metric's median with its min–max over the runs, and the ratios
Mica/native and Mica/Xen. A cell a system cannot fill says why: "failed (x)", "not yet
(x)" or "n/a (x)", with the reason under the table. Results go to
build/bench/results.json (results-quick.json in quick mode) and results.md, logs of every
boot to build/bench/logs/. See docs/benchmarks.md.

--check (the bench suite of tests/run.py) ends with `N passed, N failed`: one check per
row, that every system's cell is there, as a number or a reason. Results are not judged.
"""
import argparse
import datetime
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent / "system"))  # qemu.py, the QEMU harness
import measure  # noqa: E402
import report  # noqa: E402
import systems  # noqa: E402
import workloads  # noqa: E402

REPO = systems.REPO
OUT = REPO / "build" / "bench"
BOOT_TIMEOUT = 240
# The lines that say which hypervisor and kernel a boot ran, kept in results.json.
VERSION_LINE = re.compile(r"Mica \d+\.\d+ \(.*\) starting|\(XEN\) Xen version|"
                          r"Linux version \S+")


def say(msg):
    print(msg, flush=True)


def machine():
    """What this ran on, for the results."""
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        qemu_version = subprocess.run([systems.qemu.QEMU, "--version"], capture_output=True,
                                      text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        qemu_version = "unknown (%s not runnable)" % systems.qemu.QEMU
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu": cpu, "host_kernel": platform.release(),
            "qemu": qemu_version, "accel": "tcg", "git": git or "?",
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def parse_list(text, known, what):
    names = [n for n in text.split(",") if n]
    bad = [n for n in names if n not in known]
    if bad:
        raise SystemExit("run.py: unknown %s %s (known: %s)" % (what, ", ".join(bad),
                                                                ", ".join(known)))
    return names


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="1 run, short workloads: only shows that everything runs")
    ap.add_argument("--runs", type=int, help="boots per system (default 5; 1 with --quick)")
    others = [s for s in systems.SYSTEMS if s not in systems.DEFAULT]
    ap.add_argument("--systems", default=",".join(systems.DEFAULT),
                    help="comma-separated, in boot order (default %s; also: %s)"
                    % (",".join(systems.DEFAULT), ", ".join(others)))
    ap.add_argument("--workloads", help="comma-separated subset of: %s"
                    % ", ".join(w.name for w in workloads.WORKLOADS))
    ap.add_argument("--retry", action="store_true",
                    help="boot a system again in later runs even after it failed to reach "
                         "/init (by default its later runs are skipped with that reason)")
    ap.add_argument("--json", type=Path, help="results file (default build/bench/results.json, "
                                              "results-quick.json with --quick)")
    ap.add_argument("--check", action="store_true",
                    help="end with `N passed, N failed`: every row has every system's cell")
    ap.add_argument("--list", action="store_true", help="list systems and metrics, then exit")
    args = ap.parse_args()
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be at least 1")
    return args


def list_all():
    for s in systems.SYSTEMS.values():
        say("system %-13s %s%s" % (s.name, s.what,
                                   "" if s.name in systems.DEFAULT else " (not default)"))
    for w, m in workloads.metrics():
        say("metric %-18s [%s] %s: %s" % (m.name, w.name, m.unit, m.what))


def main():
    args = parse_args()
    if args.list:
        list_all()
        return 0
    runs = args.runs or (1 if args.quick else 5)
    names = parse_list(args.systems, systems.SYSTEMS, "system")
    chosen = workloads.WORKLOADS
    if args.workloads:
        wanted = parse_list(args.workloads, [w.name for w in chosen], "workload")
        chosen = [w for w in chosen if w.name in wanted]
    json_path = args.json or OUT / ("results-quick.json" if args.quick else "results.json")
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    say("bench: %d run(s) of %s; workloads %s%s" % (runs, ", ".join(names),
                                                   ", ".join(w.name for w in chosen),
                                                   " (quick)" if args.quick else ""))
    load = os.getloadavg()[0]
    if load > 0.5 and not args.quick:
        say("bench: warning: the host is busy (load average %.1f): QEMU's emulation shares "
            "its %d CPUs, so the numbers will be noisy; each boot reports how busy" %
            (load, os.cpu_count()))

    bench = Bench(names, chosen, args.quick, args.retry, logs)
    bench.prepare()
    for run in range(1, runs + 1):
        for name in names:
            bench.boot(run, runs, name)

    results = bench.results(runs, time.monotonic() - started)
    report.write_json(json_path, results)
    md = json_path.with_suffix(".md")
    md.write_text("%s\n\n%s" % (describe(results), report.markdown_table(results)))
    say("")
    say(describe(results))
    say("")
    say(report.text_table(results))
    say("")
    say("bench: results in %s and %s, logs in %s (%.0f s)"
        % (rel(json_path), rel(md), rel(logs), time.monotonic() - started))
    if args.check:
        return check(results, bench.metrics, names)
    return 0


class Bench:
    """The cells of a benchmark run as they fill: values and errors per (metric, system)."""

    def __init__(self, names, chosen, quick, retry, logs):
        self.names = names
        self.workloads = chosen
        self.metrics = [(w, m) for w in chosen for m in w.metrics]
        self.quick = quick
        self.retry = retry
        self.logs = logs
        self.inputs = systems.Inputs(chosen, quick)
        self.prepared = {}  # system -> (argv, exit status) or the Failure every cell gets
        self.setup = {}     # system -> what results.json says about its preparation
        self.values, self.errors, self.absent = {}, {}, {}
        self.boots = []
        self.versions = {}  # system -> what its first boot said it runs
        for name in names:
            platform = systems.SYSTEMS[name].platform
            for w, m in self.metrics:
                why = workloads.absent_for(w, m, platform)
                if why:
                    self.absent[(m.name, name)] = why

    def measured(self, name):
        """The metrics `name` can fill."""
        return [(w, m) for w, m in self.metrics if (m.name, name) not in self.absent]

    def prepare(self):
        for name in self.names:
            t0 = time.monotonic()
            try:
                argv, status = systems.SYSTEMS[name].prepare(self.inputs)
                self.prepared[name] = argv, status
                self.setup[name] = {"qemu": shlex.join(map(str, argv)), "exit_status": status}
                say("bench: %s ready (%.0f s): %s" % (name, time.monotonic() - t0,
                                                     self.setup[name]["qemu"]))
            except systems.Unavailable as e:
                self.prepared[name] = measure.Failure("cannot be prepared: %s" % e)
                self.setup[name] = {"error": str(e)}
                say("bench: %s cannot be prepared: %s" % (name, e))

    def results(self, runs, seconds):
        """Everything results.json holds."""
        ratio_pairs = [(a, b) for a, b in systems.RATIOS if a in self.names and b in self.names]
        loads = [b["other_load"] for b in self.boots if b["other_load"] is not None]
        return {
            "command": shlex.join(["tests/bench/run.py", *sys.argv[1:]]),
            "quick": self.quick, "runs": runs, "seconds": round(seconds),
            "machine": machine(),
            "qemu_machine": {"smp": systems.SMP, "memory": systems.MEMORY,
                             "guest_memory": systems.GUEST_MEM},
            "systems": {n: dict(what=systems.SYSTEMS[n].what,
                                platform=systems.SYSTEMS[n].platform,
                                kernel=systems.SYSTEMS[n].kernel,
                                versions=self.versions.get(n, []), **self.setup[n])
                        for n in self.names},
            "host_other_load": report.stats(loads),
            "ratio_names": ["%s/%s" % p for p in ratio_pairs],
            "rows": report.build_rows(self.metrics, self.names, self.absent, self.values,
                                      self.errors, ratio_pairs),
            "boots": self.boots,
        }

    def fail(self, name, metric, failure):
        self.errors.setdefault((metric.name, name), []).append(str(failure))

    def boot(self, run, runs, name):
        """Boots system `name` once and files every metric it gave, or why not."""
        head = "bench: run %d/%d %-10s" % (run, runs, name)
        got = self.prepared[name]
        if isinstance(got, measure.Failure):
            for _, m in self.measured(name):
                self.fail(name, m, got)
            say("%s %s" % (head, measure.clip(str(got))))
            return
        argv, status = got
        log = self.logs / ("run%d-%s.log" % (run, name))
        t0 = time.monotonic()
        boot = measure.boot(argv, log, self.workloads, self.quick, BOOT_TIMEOUT)
        got = {m.name: measure.read_metric(boot, w, m) for w, m in self.measured(name)}
        clock = clock_check(got)
        failed = []
        for w, m in self.measured(name):
            v = got[m.name]
            if clock and m.guest_clock and not isinstance(v, measure.Failure):
                v = measure.Failure("%s (log: %s)" % (clock, rel(log)))
            if isinstance(v, measure.Failure):
                self.fail(name, m, v)
                failed.append((m.name, v))
            else:
                self.values.setdefault((m.name, name), []).append(v)
        if name not in self.versions:
            self.versions[name] = [measure.clip(x.strip(), 200) for x in boot.lines
                                   if VERSION_LINE.search(x)]
        load = None if boot.other_load is None else round(boot.other_load, 2)
        self.boots.append({"run": run, "system": name, "log": rel(log),
                           "seconds": round(time.monotonic() - t0, 1), "ended": boot.ended,
                           "status": boot.status, "expected_status": status,
                           "other_load": load})
        if boot.init is None and not self.retry:
            self.prepared[name] = measure.Failure(
                "skipped after run %d did not reach /init: %s" % (run, boot.why_ended()))
        total = len(self.measured(name))
        say("%s %3.0f s, %d of %d metrics, host busy elsewhere: %s CPUs%s"
            % (head, time.monotonic() - t0, total - len(failed), total,
               "?" if load is None else load,
               "" if not failed else "; %s: %s" % (failed[0][0], measure.clip(str(failed[0][1])))))


def clock_check(got):
    """None if the guest's clock agreed with the host's in a boot (or it could not be
    checked), else the reason its guest-timed values are not to be trusted."""
    guest, host = (got.get(n) for n in workloads.CLOCK_CHECK)
    if not isinstance(guest, float) or not isinstance(host, float) or host <= 0:
        return None
    guest /= 1e9
    if abs(guest - host) <= max(workloads.CLOCK_TOLERANCE * host, workloads.CLOCK_SLACK):
        return None
    return ("the guest's clock was wrong in this boot: it timed the CPU loop at %.2f s, the "
            "host at %.2f s (%.2fx); its guest-timed values are left out" %
            (guest, host, guest / host))


def rel(path):
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def describe(results):
    m = results["machine"]
    q = results["qemu_machine"]
    load = results["host_other_load"]
    busy = ("; other work on the host during the boots: median %.2f, max %.2f CPUs"
            % (load["median"], load["max"]) if load else "")
    return ("%s; %d run(s)%s; QEMU -accel tcg -cpu max -smp %d -m %s (Linux gets %s); host: "
            "%d CPUs (%s), Linux %s; %s; tree %s; %s%s"
            % (results["command"], results["runs"], " (quick)" if results["quick"] else "",
               q["smp"], q["memory"], q["guest_memory"], m["cpus"], m["cpu"], m["host_kernel"],
               m["qemu"], m["git"], m["date"], busy))


def check(results, metric_list, names):
    """One check per row: every system's cell has a number, a failure reason or an n/a."""
    passed = failed = 0
    rows = {r["name"]: r for r in results["rows"]}
    for _, m in metric_list:
        row = rows.get(m.name)
        missing = [s for s in names
                   if row is None or not (row["cells"][s]["stats"] or row["cells"][s]["errors"]
                                          or row["cells"][s]["absent"])]
        if missing:
            failed += 1
            say("FAIL %s: no cell for %s" % (m.name, ", ".join(missing)))
        else:
            passed += 1
            say("ok   %s" % m.name)
    say("bench: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("run.py: interrupted", file=sys.stderr)
        sys.exit(130)
