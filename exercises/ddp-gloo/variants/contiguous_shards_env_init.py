"""Contiguous shards (x[r*n:(r+1)*n]) instead of a strided sampler, env:// rendezvous, and
parameter names returned with DDP's "module." prefix."""
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
    """Ask the OS for a free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))  # port 0: the kernel picks an unused port
        return s.getsockname()[1]


def ddp_worker(rank: int, world_size: int, port: int, out_dir: str, steps: int = 3) -> None:
    """One process of the job: train ``steps`` SGD steps on this rank's shard, save what happened."""
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", init_method="env://", rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=30))
    try:
        model = DDP(make_model())  # DDP broadcasts rank 0's weights and all-reduces gradients
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
        x, y = make_data()
        # Each rank sees a disjoint, equal-sized part of the data: rank, rank + W, rank + 2W, ...
        n = len(x) // world_size  # contiguous blocks: rank r gets samples r*n .. (r+1)*n - 1
        xb, yb = x[rank * n:(rank + 1) * n], y[rank * n:(rank + 1) * n]
        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), yb)  # mean over this rank's samples
            loss.backward()  # DDP: after this, every .grad holds the average over all ranks
            grads = {n: p.grad.detach().clone() for n, p in model.module.named_parameters()}
            optimizer.step()
            losses.append(loss.item())
        params = {n: p.detach().clone() for n, p in model.module.named_parameters()}
        torch.save({"grads": grads, "params": params, "losses": losses}, os.path.join(out_dir, f"rank{rank}.pt"))
        # Drop DDP before the group: if the DDP wrapper were the group's last owner, destroying it
        # would join gloo's threads while holding the GIL, which can deadlock (pytorch/pytorch#56297).
        del model, optimizer
    finally:
        dist.destroy_process_group()


def run_ddp(world_size: int = 2, steps: int = 3) -> dict:
    """Launch ``world_size`` processes running ``ddp_worker``; collect what each one saved."""
    port = find_free_port()
    with tempfile.TemporaryDirectory() as out_dir:
        # fork: the children start from this process, torch already imported (fast on CPU).
        mp.start_processes(ddp_worker, args=(world_size, port, out_dir, steps),
                           nprocs=world_size, join=True, start_method="fork")
        records = [torch.load(os.path.join(out_dir, f"rank{r}.pt")) for r in range(world_size)]
    out = {"grads": [], "params": [], "losses": []}
    for rec in records:
        out["grads"].append({"module." + k: v for k, v in rec["grads"].items()})  # DDP-style names
        out["params"].append({"module." + k: v for k, v in rec["params"].items()})
        out["losses"].append(rec["losses"])
    return out
