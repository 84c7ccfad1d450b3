"""Seeds everything but never turns on torch.use_deterministic_algorithms(True).

Caught by: test_set_seed_turns_on_deterministic_mode
"""
import json
import os
import platform
import random

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def set_seed(seed: int) -> None:
    """Make everything random in this process start from ``seed``, and make torch deterministic."""
    random.seed(seed)                  # Python's generator: random.shuffle, random.random, ...
    np.random.seed(seed)               # NumPy's global generator: np.random.randn, ...
    torch.manual_seed(seed)            # torch's CPU generator (and every CUDA device's)
    # cuBLAS needs a fixed workspace to be deterministic on CUDA; harmless on CPU. It must be
    # set before the first cuBLAS call, which is why it lives here and not in a GPU-only branch.
    os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    torch.backends.cudnn.benchmark = False     # no timing-based choice of convolution algorithms


def run_experiment(seed: int, steps: int = 24) -> list[float]:
    """A tiny training run with random data, shuffling and dropout; returns each step's loss."""
    set_seed(seed)
    x = np.random.randn(64, 5).astype(np.float32)            # data from NumPy's generator
    y = (x[:, 0] - x[:, 1] + 0.3 * np.random.randn(64) > 0).astype(np.int64)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))  # torch's generator
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    order = list(range(64))
    losses = []
    while len(losses) < steps:
        random.shuffle(order)                                  # batch order from Python's generator
        for start in range(0, 64, 16):
            idx = order[start:start + 16]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])      # dropout masks from torch's generator
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses[:steps]


def environment_report() -> dict:
    """What a reader needs to rerun this: python, torch, numpy, platform, num_threads."""
    return {
        "python": platform.python_version(),        # e.g. "3.11.7"
        "torch": str(torch.__version__),            # e.g. "2.13.0+cpu"
        "numpy": np.__version__,
        "platform": platform.platform(),            # OS, kernel and architecture
        "num_threads": torch.get_num_threads(),     # results of float sums can depend on it
        "cuda": torch.version.cuda,                 # None on a CPU-only build
        "deterministic": torch.are_deterministic_algorithms_enabled(),
    }


def write_environment_file(path) -> None:
    """Write environment_report() to ``path`` as JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(environment_report(), f, indent=2, sort_keys=True)
        f.write("\n")
