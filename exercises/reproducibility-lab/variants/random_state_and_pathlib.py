"""Unusual but correct: NumPy's global generator reseeded through set_state of a fresh RandomState, torch through
torch.random.manual_seed, the environment variable set with os.environ.update, and the file written with pathlib."""
import json
import os
import platform
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def set_seed(seed: int) -> None:
    os.environ.update(CUBLAS_WORKSPACE_CONFIG=":16:8")
    torch.use_deterministic_algorithms(mode=True)
    random.seed(seed)
    np.random.set_state(np.random.RandomState(seed).get_state())
    torch.random.manual_seed(seed)


def run_experiment(seed: int, steps: int = 24) -> list[float]:
    set_seed(seed)
    x = np.random.randn(64, 5).astype(np.float32)
    y = (x[:, 0] - x[:, 1] + 0.3 * np.random.randn(64) > 0).astype(np.int64)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    order = list(range(64))
    losses = []
    while len(losses) < steps:
        random.shuffle(order)
        for start in range(0, 64, 16):
            idx = order[start:start + 16]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses[:steps]


def environment_report() -> dict:
    report = dict(platform=platform.platform(), numpy=str(np.__version__))
    report.update(python=".".join(platform.python_version_tuple()), torch=torch.__version__.__str__(),
                  num_threads=int(torch.get_num_threads()))
    return report


def write_environment_file(path) -> None:
    Path(path).write_text(json.dumps(environment_report()), encoding="utf-8")
