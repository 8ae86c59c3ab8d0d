"""The systems the benchmarks compare: a platform (native, xen, mica) and a dom0 kernel.

Every system boots in the same QEMU machine (qemu.machine_args: -accel tcg -cpu max
-nographic -no-reboot, the isa-debug-exit device) with SMP vCPUs and MEMORY of RAM, and
gives Linux GUEST_MEM of it with SMP vCPUs:

    native      -kernel bzImage, console=ttyS0 mem=512M
    xen         -kernel xen.elf (Debian's xen-4.17-amd64.gz, decompressed) with
                dom0_mem=512M,max:512M; the kernel and the image as Multiboot modules
    mica        -kernel build/mica.elf with dom0_mem=512M dom0_vcpus=2 qemu_exit=0xf4;
                the kernel (ELF vmlinux when it is ours) and the image as modules

Kernels: "ours" is guest-linux-patches/build.py's (bzImage natively, vmlinux as dom0),
"stock" Debian's linux-image amd64 vmlinuz from stock.py, whose Xen drivers are modules
in the image. Each system's prepare() builds or fetches what it needs and raises
Unavailable with a reason when it cannot; then only that system's cells fail.

To add a system, add a System to SYSTEMS: a name, a platform, a kernel, a description.
"""
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.append(str(REPO / "tests" / "system"))
import qemu  # noqa: E402  (tests/system/qemu.py, the QEMU harness)
import image  # noqa: E402
import xenref  # noqa: E402

SMP = 2
# 3 GiB: dom0 and the measured Linux get 512 MiB each, and the 50 guests of create-many
# 40 MiB each (our kernel alone ends at 33 MiB of its physical layout).
MEMORY = "3G"
GUEST_MEM = "512M"
MICA_ELF = REPO / "build" / "mica.elf"
# How each platform's QEMU ends after /init powers the machine off.
EXIT_STATUS = {"native": 0, "xen": 0, "mica": qemu.EXIT_OK}


class Unavailable(Exception):
    """The system cannot be prepared; the message says why and what to do."""


def _last_line(cmd, what):
    """Runs one of the project's build scripts, which print their result path last."""
    proc = subprocess.run([sys.executable, *map(str, cmd)], cwd=REPO, capture_output=True,
                          text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        raise Unavailable("%s failed: %s" % (what, proc.stderr.strip()[-800:]))
    return Path(lines[-1])


class Inputs:
    """Kernels, images and the Xen reference, each made once per benchmark run."""

    def __init__(self, workloads, quick):
        self.workloads = workloads
        self.quick = quick
        self._made = {}

    def _once(self, key, make):
        if key not in self._made:
            try:
                self._made[key] = make()
            except (Unavailable, image.ImageError, xenref.XenRefError) as e:
                self._made[key] = Unavailable(str(e))
        if isinstance(self._made[key], Exception):
            raise self._made[key]
        return self._made[key]

    def our_kernel(self):
        return self._once("ours", lambda: _last_line(["guest-linux-patches/build.py"],
                                                     "building our kernel (build.py)"))

    def stock_kernel(self):
        return self._once("stock", lambda: _last_line(["guest-linux-patches/stock.py", "dom0"],
                                                      "fetching Debian's stock kernel"))

    def xen(self):
        return self._once("xen", lambda: xenref.prepare())

    def image(self, kernel):
        """The image for every system booting `kernel`; with Xen's toolstack if it could
        be assembled (if not, the Xen systems fail on their own and the rest go on)."""
        def make():
            try:
                xen = self.xen()
            except Unavailable:
                xen = None
            modules = str(self.stock_kernel()) if kernel == "stock" else None
            try:
                domu = self.our_kernel() / "bzImage"
            except Unavailable:
                domu = None  # the domU workload then says its kernel is missing
            return image.build(self.workloads, ["native", "xen", "mica"], self.quick,
                               xenref=xen, modules_from=modules, domu_kernel=domu)
        return self._once("image-" + kernel, make)


@dataclass
class System:
    name: str
    platform: str   # native | xen | mica
    kernel: str     # ours | stock
    what: str

    def prepare(self, inputs):
        """Builds or fetches everything; returns (QEMU argv, expected exit status)."""
        if self.kernel == "ours":
            kdir = inputs.our_kernel()
            bzimage, elf = kdir / "bzImage", kdir / "vmlinux"
        else:
            kdir = inputs.stock_kernel()
            bzimage = elf = kdir / "vmlinuz"
        initrd = inputs.image(self.kernel)
        linux = "rdinit=%s mica.test=bench-%s" % (image.BENCH_INIT, self.platform)
        if self.platform == "native":
            kernel, append = bzimage, "console=ttyS0 mem=%s %s" % (GUEST_MEM, linux)
            modules = str(initrd)
        elif self.platform == "xen":
            kernel = inputs.xen() / "xen.elf"
            append = "console=com1 com1=115200 dom0_mem=%s,max:%s" % (GUEST_MEM, GUEST_MEM)
            modules = "%s console=hvc0 %s,%s" % (elf, linux, initrd)
        elif self.platform == "mica":
            if not MICA_ELF.is_file():
                raise Unavailable("%s is missing: run make" % MICA_ELF.relative_to(REPO))
            kernel = MICA_ELF
            append = "qemu_exit=0x%x dom0_mem=%s dom0_vcpus=%d" % (qemu.DEBUG_EXIT_PORT,
                                                                   GUEST_MEM, SMP)
            modules = "%s console=hvc0 %s,%s" % (elf, linux, initrd)
        else:
            raise Unavailable("unknown platform %s" % self.platform)
        if "," in modules.replace(",%s" % initrd, ""):
            raise Unavailable("a path has a comma, which QEMU's -initrd cannot take: %s"
                              % modules)
        argv = qemu.machine_args(kernel=kernel, append=append, smp=SMP, memory=MEMORY,
                                 extra=["-initrd", modules])
        return argv, EXIT_STATUS[self.platform]


SYSTEMS = {s.name: s for s in [
    System("native", "native", "ours", "our kernel booted directly by QEMU"),
    System("xen", "xen", "stock", "Xen 4.17 (Debian) with Debian's stock amd64 kernel as "
           "dom0; the domUs run our kernel"),
    System("mica", "mica", "stock", "Mica (build/mica.elf) with Debian's stock amd64 kernel "
           "as dom0; the domUs run our kernel"),
    System("xen-ours", "xen", "ours", "Xen 4.17 (Debian) with our kernel as dom0"),
    System("mica-ours", "mica", "ours", "Mica with our kernel as dom0"),
    System("native-stock", "native", "stock", "Debian's stock amd64 kernel booted by QEMU"),
]}
# Issue 7's three systems: the measured Linux is our kernel on all three (natively, and
# as a domU of Xen and Mica), dom0 is Debian's stock kernel on both hypervisors.
DEFAULT = ["native", "xen", "mica"]
# The ratio columns: Mica over each reference.
RATIOS = [("mica", "native"), ("mica", "xen")]
