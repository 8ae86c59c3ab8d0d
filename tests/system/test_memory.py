"""The firmware memory map and the memory the hypervisor reports, checked exactly
against the RAM QEMU was given."""
from systest import MEMORY, MEMORY_MAP, NO_DOM0, TestFailure, info, params

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
PAGE = 4 * KiB
READY = info(r"Mica \S+ ready: 2 CPUs, (\d+) MiB RAM, \d+ modules$")
LEGACY_HOLE = (640 * KiB, 1 * MiB)      # VGA memory and ROMs: never RAM
SIZES = {"256M": 256 * MiB, "1G": 1 * GiB, "5G": 5 * GiB}


def ram_ranges(ram):
    """Where QEMU's pc machine puts `ram` bytes: all of it below 4 GiB if it is
    under 3.5 GiB, else 3 GiB below and the rest from 4 GiB up. Below 4 GiB,
    the 640 KiB-1 MiB legacy hole is not RAM; above the low part is the PCI hole."""
    low = ram if ram < 0xE0000000 else 3 * GiB
    ranges = [(0, LEGACY_HOLE[0]), (LEGACY_HOLE[1], low)]
    if ram > low:
        ranges.append((4 * GiB, 4 * GiB + ram - low))
    return ranges


def overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


@params(*SIZES)
def test_memory_map(t, size):
    """Usable plus firmware-reserved RAM in the map adds up to exactly -m less
    the legacy hole (the PCI hole is not RAM); no usable region lies outside
    RAM; the 'memory:' line's usable total is the map's usable pages, and its parts
    (hypervisor, modules, free) add up to it; 'ready:' reports it in MiB."""
    ram = SIZES[size]
    result = t.boot(memory=size, smp=2, expect=[MEMORY_MAP, MEMORY, READY, NO_DOM0],
                    check=False)
    regions = [(int(m[1], 16), int(m[2], 16), m[3]) for m in result.find_all(MEMORY_MAP)]
    ranges = ram_ranges(ram)
    problems = list(result.problems)
    if not regions:
        raise TestFailure("no memory map", result)

    for (s1, e1, _), (s2, e2, _) in zip(regions, regions[1:]):
        if s2 < e1:
            problems.append(f"regions {s1:#x}-{e1:#x} and {s2:#x}-{e2:#x} overlap "
                            "or are out of order")
    for start, end, kind in regions:
        if end <= start:
            problems.append(f"empty or reversed region {start:#x}-{end:#x}")
        inside = sum(overlap((start, end), r) for r in ranges)
        if kind == "usable" and inside != end - start:
            problems.append(f"usable region {start:#x}-{end:#x} is partly outside RAM "
                            f"({(end - start - inside) // KiB} KiB in a hole or above RAM)")

    counted = sum(overlap((s, e), r) for s, e, _ in regions for r in ranges)
    expected = ram - (LEGACY_HOLE[1] - LEGACY_HOLE[0])
    if counted != expected:
        problems.append(f"the map covers {counted // KiB} KiB of RAM; QEMU gave "
                        f"{ram // KiB} KiB, {expected // KiB} KiB outside the legacy hole "
                        f"(difference {(expected - counted) // KiB} KiB)")

    # Usable memory is counted in whole pages: a region's partial pages are not usable.
    usable_map = sum(max(0, (e // PAGE - -(-s // PAGE)) * PAGE)
                     for s, e, kind in regions if kind == "usable")
    line = result.find(MEMORY)
    if line:
        usable, low, hypervisor, modules, free = (int(x) for x in line.groups())
        if usable * KiB != usable_map:
            problems.append(f"'memory:' says {usable} KiB usable; the map's usable regions "
                            f"hold {usable_map // KiB} KiB in whole pages")
        if low + hypervisor + modules + free != usable:
            problems.append(f"'memory:' parts do not add up: {low} below 1 MiB + "
                            f"{hypervisor} hypervisor + {modules} modules + {free} free = "
                            f"{low + hypervisor + modules + free} KiB, not {usable} KiB usable")
        summary = result.find(READY)
        if summary and int(summary[1]) != usable // 1024:
            problems.append(f"'ready:' says {summary[1]} MiB RAM; 'memory:' says {usable} KiB "
                            f"usable ({usable // 1024} MiB)")
    if problems:
        result.problems = problems
        raise TestFailure("memory checks failed", result)
