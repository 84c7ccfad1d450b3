"""The "gathered" state dict is built from the parameters as they are (p.detach()) without
full_tensor(): each rank saves its sharded DTensor, not the full weights.

Caught by: test_gathered_state_dict_equals_single_process_training
"""
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
    """One rank: shard the MLP, train ``steps`` SGD steps on this rank's data, save shards and state."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                            rank=rank, world_size=world_size, timeout=timedelta(seconds=30))
    try:
        mesh = init_device_mesh("cpu", (world_size,))  # a 1-D mesh of CPU ranks
        model = make_model()
        # Each Linear becomes one FSDP unit (gathered just before its forward, freed after),
        # then the root call takes care of anything left over.
        for layer in model:
            if isinstance(layer, nn.Linear):
                fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        # Every parameter is now a DTensor sharded along dim 0; to_local() is this rank's rows.
        shards = {n: p.to_local().detach().clone() for n, p in model.named_parameters()}
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)  # made AFTER sharding: it sees the shards
        x, y = make_data()
        xb, yb = x[rank::world_size], y[rank::world_size]  # (32 / W, 8), (32 / W, 4)
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()  # gradients are reduce-scattered: each rank gets the averaged grads of its rows
            optimizer.step()  # updates only this rank's shard
            losses.append(loss.item())
        # full_tensor() all-gathers the shards: every rank calls it (it is a collective).
        state = {n: p.detach().clone() for n, p in model.named_parameters()}
        torch.save({"shards": shards, "state_dict": state, "losses": losses},
                   os.path.join(out_dir, f"rank{rank}.pt"))
        del model, optimizer  # drop everything that holds the group before destroying it
    finally:
        dist.destroy_process_group()


def run_fsdp(world_size: int = 2, steps: int = 3) -> dict:
    """Launch ``world_size`` ranks of ``fsdp_worker``; collect what each one saved."""
    port = find_free_port()
    with tempfile.TemporaryDirectory() as out_dir:
        mp.start_processes(fsdp_worker, args=(world_size, port, out_dir, steps),
                           nprocs=world_size, join=True, start_method="fork")
        records = [torch.load(os.path.join(out_dir, f"rank{r}.pt")) for r in range(world_size)]
    return {"shards": [r["shards"] for r in records], "state_dicts": [r["state_dict"] for r in records],
            "losses": [r["losses"] for r in records]}
