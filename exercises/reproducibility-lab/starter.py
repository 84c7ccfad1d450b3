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
    # A first attempt: run_experiment below draws from three different generators...
    torch.manual_seed(seed)


def run_experiment(seed: int, steps: int = 24) -> list[float]:
    """A tiny training run with random data, shuffling and dropout; returns each step's loss.

    Already written for you: it is reproducible only if set_seed does its job.
    """
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
    raise NotImplementedError("return a dict with python, torch, numpy, platform and num_threads")


def write_environment_file(path) -> None:
    """Write environment_report() to ``path`` as JSON."""
    raise NotImplementedError("json.dump the report into the file")
