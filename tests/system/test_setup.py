"""scripts/setup.sh: deriving the bookworm-backports source from apt's configuration,
and QEMU being new enough. No QEMU boots here."""
import re
import subprocess

from systest import REPO, TestFailure

SETUP = str(REPO / "scripts/setup.sh")
DEBIAN_KEY = "/usr/share/keyrings/debian-archive-keyring.gpg"


def derive(t, files):
    """Runs setup.sh --backports-source on an apt directory made of `files`."""
    apt = t.scratch() / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (apt / name).write_text(text)
    return subprocess.run([SETUP, "--backports-source", str(apt)],
                          capture_output=True, text=True)


def expect_source(t, files, expected):
    proc = derive(t, files)
    if proc.returncode or proc.stdout != expected:
        raise TestFailure(f"setup.sh --backports-source gave (status {proc.returncode}):\n"
                          f"{proc.stdout}{proc.stderr}\nexpected:\n{expected}")


def test_backports_from_deb822(t):
    """Skips disabled, deb-src, security and third-party stanzas; keeps Signed-By."""
    expect_source(t, {"sources.list.d/debian.sources": f"""\
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://vendor.example/apt
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/vendor.gpg

Types: deb
# a comment inside the stanza
URIs: http://mirror.example/debian http://second.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: {DEBIAN_KEY}

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: {DEBIAN_KEY}
"""}, f"""\
Types: deb
URIs: http://mirror.example/debian
Suites: bookworm-backports
Components: main
Signed-By: {DEBIAN_KEY}
""")


def test_backports_from_sources_list(t):
    """Classic one-line entries, with [options] turned into fields."""
    expect_source(t, {"sources.list": f"""\
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb https://download.vendor.example/linux/debian bookworm stable
deb http://security.example/debian-security bookworm-security main
deb [ arch=amd64 signed-by={DEBIAN_KEY} ] http://mirror.example/debian/ bookworm main non-free
"""}, f"""\
Types: deb
URIs: http://mirror.example/debian/
Suites: bookworm-backports
Components: main
Architectures: amd64
Signed-By: {DEBIAN_KEY}
""")


def test_backports_without_debian_source(t):
    """No Debian bookworm source: a clear error, nothing printed."""
    proc = derive(t, {"sources.list.d/other.list": "deb http://x.example/apt stable main\n"})
    if proc.returncode == 0 or proc.stdout or "no Debian archive source" not in proc.stderr:
        raise TestFailure(f"expected an error, got status {proc.returncode}:\n"
                          f"{proc.stdout}{proc.stderr}")


def test_qemu_version(t):
    """The QEMU on PATH is 8.0 or later (QEMU issue 1382 is fixed there)."""
    out = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                         text=True).stdout
    m = re.search(r"version (\d+)\.", out)
    if not m or int(m[1]) < 8:
        raise TestFailure(f"qemu-system-x86_64 --version: {out.strip()!r}; need 8.0 or "
                          "later (run make setup)")
