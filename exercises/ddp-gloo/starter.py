"""Data-parallel training with DistributedDataParallel on CPU processes (gloo backend)."""
import os
import socket
import tempfile
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

LR = 0.1


def make_model() -> nn.Module:
    """The model every rank trains (given; do not change). Same seed, so same weights everywhere."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The full training set (given; do not change): 16 samples, x (16, 4), y (16, 1)."""
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(16, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(16, 1, generator=g)
    return x, y


def find_free_port() -> int:
    """Ask the OS for a free TCP port on the loopback interface (given)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))  # port 0: the kernel picks an unused port
        return s.getsockname()[1]


def ddp_worker(rank: int, world_size: int, port: int, out_dir: str, steps: int = 3) -> None:
    """One process of the job: train ``steps`` SGD steps on this rank's shard and save the result.

    1. join the process group: backend "gloo", init_method f"tcp://127.0.0.1:{port}";
    2. wrap make_model() in DistributedDataParallel, make SGD(lr=LR) over its parameters;
    3. take this rank's shard of make_data() (disjoint, 16 // world_size samples);
    4. each step: zero_grad, F.mse_loss on the shard, backward, note the gradients, step;
    5. torch.save({"grads": {name: grad of the last step}, "params": {name: final value},
                   "losses": [loss of each step]}, f"{out_dir}/rank{rank}.pt");
    6. destroy the process group, even if something above failed.
    """
    raise NotImplementedError("join the process group, wrap the model in DDP, train on this rank's shard")


def run_ddp(world_size: int = 2, steps: int = 3) -> dict:
    """Launch ``world_size`` processes running ``ddp_worker`` and collect what each one saved.

    Returns {"grads": [dict per rank], "params": [dict per rank], "losses": [list per rank]}.
    """
    raise NotImplementedError("pick a port and a folder, start the processes, load rank{r}.pt files")
