"""GPU access for the sandbox, checked on a machine without a GPU.

What runs here: finding NVIDIA device nodes (in a stand-in /dev), refusing CHECKER_GPU=yes
without them, and a warm slot in GPU mode (address-space limit off, cgroup memory limit on)
grading real code. What needs a GPU machine: CUDA inside the sandbox (see the README).
"""
from __future__ import annotations

import sys
import textwrap

import pytest

from sandbox.gpu import GpuAccess, find_gpu
from courseware.loader import load_bank
from config import SettingsError

from conftest import write_content


@pytest.fixture
def fake_root(tmp_path):
    dev = tmp_path / "dev"
    (dev / "nvidia-caps").mkdir(parents=True)
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-caps/nvidia-cap1", "null"):
        (dev / name).touch()
    return tmp_path


def test_the_device_nodes_of_every_card_are_found(fake_root):
    gpu = find_gpu("auto", dev_root=str(fake_root))
    assert gpu.devices == ("/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia1",
                           "/dev/nvidiactl")
    args = gpu.bwrap_args()
    assert args[:3] == ["--dev-bind", "/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia-caps/nvidia-cap1"]
    assert "/dev/null" not in args  # only NVIDIA nodes; the sandbox's own /dev stays minimal
    assert gpu.env()["PYTORCH_NVML_BASED_CUDA_CHECK"] == "1"


def test_no_gpu_means_none_unless_one_is_required(tmp_path, fake_root):
    assert find_gpu("auto", dev_root=str(tmp_path / "empty")) is None
    assert find_gpu("no", dev_root=str(fake_root)) is None
    with pytest.raises(SettingsError, match="CHECKER_GPU=yes but this machine shows no NVIDIA GPU"):
        find_gpu("yes", dev_root=str(tmp_path / "empty"))


def test_a_control_node_without_a_card_is_not_a_gpu(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "nvidiactl").touch()
    assert find_gpu("auto", dev_root=str(tmp_path)) is None


@pytest.mark.slow
def test_a_gpu_slot_grades_and_still_holds_memory_through_its_cgroup(tmp_path, new_warm_engine):
    root = write_content(tmp_path / "content")
    yaml_file = root / "exercises" / "double" / "exercise.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("memory_mb: 1536", "memory_mb: 1024"))
    spec = load_bank(root).exercises["double"]
    engine = new_warm_engine(slots=1, gpu=GpuAccess(devices=(), driver_dirs=()))
    if not engine.protections.cgroup_memory:
        pytest.fail("this test needs cgroup v1 memory (root on a host that exposes /sys/fs/cgroup/memory)")
    assert "GPU jobs are held by the cgroup memory limit" in engine.describe()
    ok = engine.check(spec, "def double(x):\n    return x * 2\n", "submit")
    assert ok.status == "passed", ok
    # 20 GB of address space never touched, as CUDA reserves it: allowed in a GPU slot (a CPU slot's
    # RLIMIT_AS refuses it, see test_attacks), because only resident memory is limited here.
    reserve = engine.check(spec, textwrap.dedent("""\
        import torch
        def double(x):
            reserved = torch.empty(20 * 2**30, dtype=torch.uint8)
            return x * 2
        """), "submit")
    assert reserve.status == "passed", reserve
    hog = engine.check(spec, textwrap.dedent("""\
        import torch
        def double(x):
            hog = torch.ones(4 * 2**30, dtype=torch.uint8)   # touches every page: 4 GB resident
            return x * 2
        """), "submit")
    assert hog.status == "error" and "Memory limit of 1024 MB exceeded" in (hog.error_reason or ""), hog
