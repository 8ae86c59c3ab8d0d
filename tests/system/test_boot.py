"""Booting the hypervisor with QEMU -kernel: CPUs, timer, command line."""
from systest import NO_DOM0, TSC, banner, params, ready, smp_online, unknown_option


@params(1, 2, 4)
def test_smp(t, cpus):
    """Every CPU QEMU gives comes online; the TSC is calibrated; clean exit."""
    t.boot(smp=cpus, expect=[banner("Multiboot1", "qemu"), TSC, smp_online(cpus),
                             ready(cpus, modules=0), NO_DOM0])


def test_unknown_option(t):
    """An unknown option is named in a warning and the boot goes on."""
    t.boot("foo bogus_opt=1 loglvl=2",
           expect=[unknown_option("foo"), unknown_option("bogus_opt"), NO_DOM0])
