"""What a sandbox needs to reach this machine's NVIDIA GPU, if it has one.

A GPU job sees only the NVIDIA device nodes (``/dev/nvidia0``…, ``nvidiactl``, ``nvidia-uvm``)
and the folders holding the driver's user-space library (``libcuda.so``); the CUDA runtime
itself comes with torch's wheels inside the checker's interpreter, already mounted.

    gpu = find_gpu("auto")        # None on a machine without a GPU or with CHECKER_GPU=no
    gpu.bwrap_args()              # --dev-bind /dev/nvidia0 /dev/nvidia0 ... --ro-bind <driver dir> ...
"""
from __future__ import annotations

import glob
import os
import subprocess
from dataclasses import dataclass

from config import SettingsError

DEVICE_PATTERNS = ("/dev/nvidiactl", "/dev/nvidia[0-9]*", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                   "/dev/nvidia-caps/*")
# Where container runtimes and distributions put the driver library, beyond the /usr already mounted.
DRIVER_DIR_CANDIDATES = ("/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib64/nvidia")


@dataclass(frozen=True)
class GpuAccess:
    """Device nodes and library folders a GPU job must see."""

    devices: tuple[str, ...]
    driver_dirs: tuple[str, ...]

    def bwrap_args(self) -> list[str]:
        """bubblewrap arguments exposing exactly these devices and folders (read-only folders)."""
        args: list[str] = []
        for device in self.devices:
            args += ["--dev-bind", device, device]
        if os.path.isdir("/proc/driver/nvidia"):
            # The driver's version and capabilities files; CUDA's init reads them.
            args += ["--ro-bind", "/proc/driver/nvidia", "/proc/driver/nvidia"]
        for folder in self.driver_dirs:
            args += ["--ro-bind", folder, folder]
        return args

    def env(self) -> dict[str, str]:
        """Environment for the zygote: probe CUDA through NVML so the zygote never creates a
        CUDA context (a context does not survive ``fork``; each job creates its own)."""
        return {"PYTORCH_NVML_BASED_CUDA_CHECK": "1", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}


def _driver_dirs() -> tuple[str, ...]:
    found = {d for d in DRIVER_DIR_CANDIDATES if os.path.isdir(d)}
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():
        if "libcuda.so" in line and "=>" in line:
            found.add(os.path.dirname(os.path.realpath(line.split("=>", 1)[1].strip())))
    # /usr is mounted whole already; only folders outside it need their own mount.
    return tuple(sorted(d for d in found if not d.startswith("/usr/") or d.startswith("/usr/local/")))


def find_gpu(setting: str, dev_root: str = "") -> GpuAccess | None:
    """The GPU access this machine offers under CHECKER_GPU=``setting`` (auto, yes, no).

    ``yes`` raises SettingsError when no GPU is found, so a GPU worker never silently
    grades on its CPU. ``dev_root`` is for tests (a folder standing in for ``/``).
    """
    if setting == "no":
        return None
    devices = tuple(sorted(p[len(dev_root):] for pattern in DEVICE_PATTERNS for p in glob.glob(dev_root + pattern)))
    has_card = any(os.path.basename(d)[len("nvidia"):].isdigit() for d in devices)
    if not (has_card and "/dev/nvidiactl" in devices):
        if setting == "yes":
            raise SettingsError("CHECKER_GPU=yes but this machine shows no NVIDIA GPU (/dev/nvidia0 and "
                                "/dev/nvidiactl missing): install the driver, or set CHECKER_GPU=auto")
        return None
    return GpuAccess(devices, _driver_dirs() if not dev_root else ())
