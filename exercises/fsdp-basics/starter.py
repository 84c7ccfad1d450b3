"""Fully sharded data parallel (FSDP2, ``fully_shard``) on CPU processes with the gloo backend."""
import os
import socket
import tempfile
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard

LR = 0.1


def make_model() -> nn.Module:
    """The MLP every rank starts from (given; do not change)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4))


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The full training set (given; do not change): x (32, 8), y (32, 4)."""
    g = torch.Generator().manual_seed(4321)
    x = torch.randn(32, 8, generator=g)
    y = torch.sin(x[:, :4]) + 0.5 * x[:, 4:]
    return x, y


def find_free_port() -> int:
    """Ask the OS for a free TCP port on the loopback interface (given)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fsdp_worker(rank: int, world_size: int, port: int, out_dir: str, steps: int = 3) -> None:
    """One rank: shard the MLP, train ``steps`` SGD steps on this rank's data, save shards and state.

    1. join the group: backend "gloo", init_method f"tcp://127.0.0.1:{port}";
    2. mesh = init_device_mesh("cpu", (world_size,)); fully_shard every nn.Linear, then the model;
    3. shards = {name: p.to_local() copy} right after sharding (this rank's rows);
    4. SGD(lr=LR) created after sharding; train on x[rank::world_size], y[rank::world_size];
    5. state = {name: p.full_tensor() copy} after training (all ranks: it is a collective);
    6. torch.save({"shards": shards, "state_dict": state, "losses": [loss per step]},
                  f"{out_dir}/rank{rank}.pt");
    7. del the model and optimizer, then destroy the process group (in a finally: block).
    """
    raise NotImplementedError("join the group, fully_shard the model, train on this rank's data, save")


def run_fsdp(world_size: int = 2, steps: int = 3) -> dict:
    """Launch ``world_size`` ranks of ``fsdp_worker`` and collect what each one saved.

    Returns {"shards": [dict per rank], "state_dicts": [dict per rank], "losses": [list per rank]}.
    """
    raise NotImplementedError("pick a port and a folder, start the processes, load the rank{r}.pt files")
