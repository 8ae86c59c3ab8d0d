"""Deliberate CPU exceptions in the hypervisor (test_fault=): the report and exit status."""
import re

from systest import EXIT_ERROR, TestFailure, params

# test_fault value: (mnemonic, vector, description or None for any)
FAULTS = {
    "pf": ("PF", 14, "page fault"),
    "ud": ("UD", 6, None),
    "gp": ("GP", 13, None),
    "de": ("DE", 0, None),
}
REGISTERS = ("RAX RBX RCX RDX RSI RDI RBP RSP R8 R9 R10 R11 R12 R13 R14 R15 "
             "RIP RFLAGS CS SS CR0 CR3 CR4").split()
FRAME = r"^\s*\[<0xffff[0-9a-f]{12}>\] [A-Za-z_][\w.]*\+0x[0-9a-f]+"


@params(*FAULTS)
def test_exception_report(t, kind):
    """The report names the vector and has the error code, CR2, every register
    and a backtrace; then the hypervisor halts with exit status 3."""
    mnemonic, vector, description = FAULTS[kind]
    header = (rf"\*\*\* EXCEPTION #{mnemonic} \({description or '[^(),]+'}, "
              rf"vector {vector}\) on CPU0")
    result = t.boot(f"test_fault={kind}", status=EXIT_ERROR, forbid=(),
                    expect=[header, r"error code: 0x[0-9a-f]+", r"CR2: 0x[0-9a-f]+",
                            r"backtrace:"])
    start = result.index(header)
    report = "\n".join(result.lines[start:])
    missing = [r for r in REGISTERS
               if not re.search(rf"(?<![\w]){r}=(0x)?[0-9a-fA-F]+\b", report)]
    if missing:
        raise TestFailure(f"registers missing from the report: {' '.join(missing)}", result)
    bt = result.index(r"backtrace:", start)
    frames = [line for line in result.lines[bt + 1:] if re.search(FRAME, strip_prefix(line))]
    if not frames:
        raise TestFailure("no backtrace frame lines '  [<0xffff...>] name+0xoff' "
                          "after 'backtrace:'", result)


def strip_prefix(line):
    """A console line without its '(mica) [time] L: ' prefix, if it has one."""
    return re.sub(r"^.*?\(mica\) \[ *\d+\.\d+\] [A-Z]: ", "", line)
