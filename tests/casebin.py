"""Runs one host-built test binary and judges it, for every C test runner.

A test binary prints one line per case, `PASS name` or `FAIL name: why`, and
exits 0 only if every case passed. run_case_binary() turns that into
(passed, failed, lines), adding a FAIL line of its own when the binary timed
out, crashed (the tail of stderr is kept: sanitizer reports), exited 0
despite failed cases, or ran no case at all, so none of those can pass.
"""
import subprocess


def run_case_binary(name, argv, timeout, env=None, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           env=env, cwd=cwd)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err, rc = "", None
    lines = out.splitlines()
    passed = sum(1 for l in lines if l.startswith("PASS "))
    failed = sum(1 for l in lines if l.startswith("FAIL "))
    if rc is None:
        lines.append("FAIL %s: timed out after %d s" % (name, timeout))
        failed += 1
    elif rc != 0 and (failed == 0 or err.strip()):
        lines += ["  " + l for l in err.splitlines()[-40:]]
        lines.append("FAIL %s: exited with status %d (crash or sanitizer report above)"
                     % (name, rc))
        failed += 1
    elif rc == 0 and failed:
        lines.append("FAIL %s: cases failed but the exit status was 0" % name)
        failed += 1
    elif passed + failed == 0:
        lines.append("FAIL %s: ran no test cases" % name)
        failed += 1
    return passed, failed, lines
