"""Helpers shared by the FSDP exercise's public and hidden tests: the reference training, a
launcher that turns a hang into a readable failure, and the checks of run_fsdp's result."""
import multiprocessing
import os
import signal
import sys
import tempfile

import torch
import torch._dynamo  # noqa: F401  imported lazily by torch.distributed; paid once here, not in every rank
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function, run_isolated

RUN_SIGNATURE = "run_fsdp(world_size: int = 2, steps: int = 3) -> dict"
WORKER_SIGNATURE = "fsdp_worker(rank: int, world_size: int, port: int, out_dir: str, steps: int = 3) -> None"
LR = 0.1


def make_model():
    # The same model and data as in the exercise, written out again so the tests do not trust yours.
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4))


def make_data():
    g = torch.Generator().manual_seed(4321)
    x = torch.randn(32, 8, generator=g)
    y = torch.sin(x[:, :4]) + 0.5 * x[:, 4:]
    return x, y


def reference(steps):
    """Full-batch SGD in one process: (final state dict, losses)."""
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_data()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {n: p.detach().clone() for n, p in model.named_parameters()}, losses


def launch(name, timeout_s=30, helper=False, **kwargs):
    """Call your ``name`` (or, with ``helper``, this module's ``name``) with ``kwargs`` in a
    process of its own on your code's side, and return its value.

    Your processes run inside it, so a hang becomes a readable failure after ``timeout_s``
    instead of using up the whole time limit.
    """
    out = run_isolated(name, helper=sys.modules[__name__] if helper else None, timeout_s=timeout_s, **kwargs)
    if out.get("timeout"):
        raise AssertionError(
            f"your code did not finish within {timeout_s} s. Either a rank waits in a collective the others "
            "never reach, or the FSDP model was still alive when the process group was destroyed: "
            "`del model` before dist.destroy_process_group() (see the prompt's rules).")
    if "error" in out:
        # A rank's traceback ends with the real error: show that line first, then the tail.
        text = str(out["error"])
        last = text.splitlines()[-1][:500] if text else text
        if "closed by peer" in text or "reset by peer" in text:
            last = ("one rank left (finished or crashed) while another was still waiting in a collective: "
                    "every rank must make the same collective calls in the same order. " + last)
        raise AssertionError(text[-1500:] if last == text else f"{last}\n\n{text[-1500:]}")
    if out["initialised"]:
        raise AssertionError("after run_fsdp returned, the calling process had a process group initialised: only the "
                             "worker processes should call init_process_group.")
    return out["value"]


def checked(result, world_size):
    """Fail with a readable message unless run_fsdp's result has the documented layout."""
    if not isinstance(result, dict) or not {"shards", "state_dicts", "losses"} <= set(result):
        raise AssertionError("run_fsdp must return a dict with keys 'shards', 'state_dicts' and 'losses' "
                             f"(one entry per rank), got {result!r:.200}")
    for key in ("shards", "state_dicts", "losses"):
        if len(result[key]) != world_size:
            raise AssertionError(f"result['{key}'] should hold one entry per rank ({world_size}), "
                                 f"got {len(result[key])}.")
    return result


def _is_dtensor(value):
    from torch.distributed.tensor import DTensor

    return isinstance(value, DTensor)


def describe_dtensor(value):
    return f"global shape {tuple(value.shape)}, local piece {tuple(value.to_local().shape)}"


def check_state_dicts(result, world_size, steps):
    """Every rank's gathered state dict equals full-batch training in one process."""
    expected, _ = reference(steps)
    for rank, state in enumerate(result["state_dicts"]):
        assert isinstance(state, dict) and set(state) == set(expected), (
            f"rank {rank}'s state dict has keys {sorted(state) if isinstance(state, dict) else state!r:.100}, "
            f"expected {sorted(expected)} (plain names from model.named_parameters()).")
        for name, value in expected.items():
            assert not _is_dtensor(state[name]), (
                f"rank {rank}'s state_dict['{name}'] is a DTensor (still sharded, {describe_dtensor(state[name])}): "
                "gather the full parameter with p.full_tensor() on every rank before saving it.")
            assert_tensor_close(state[name], value, atol=1e-5, rtol=1e-4,
                                name=f"world_size={world_size}, steps={steps}: rank {rank}'s gathered {name}")


def check_shards(result, world_size):
    """Each rank holds only its dim-0 slice of every initial parameter."""
    full = dict(make_model().named_parameters())
    for name, p in full.items():
        rows = p.shape[0]
        per_rank = -(-rows // world_size)  # ceil: FSDP splits dim 0 like torch.chunk
        pieces = []
        for rank in range(world_size):
            shard = result["shards"][rank].get(name)
            start, stop = min(rank * per_rank, rows), min((rank + 1) * per_rank, rows)
            assert isinstance(shard, torch.Tensor), (
                f"rank {rank} saved no local shard for {name}: save p.to_local() for every parameter "
                "right after fully_shard.")
            assert not _is_dtensor(shard), (
                f"rank {rank}'s shard of {name} is a DTensor ({describe_dtensor(shard)}): save the plain local "
                "tensor, p.to_local(), right after fully_shard.")
            assert tuple(shard.shape) == (stop - start, *p.shape[1:]), (
                f"rank {rank}'s local shard of {name} has shape {tuple(shard.shape)}, expected "
                f"{(stop - start, *p.shape[1:])}: with {world_size} ranks each holds about 1/{world_size} of "
                f"the {rows} rows. Save p.to_local() (this rank's piece), not the full parameter.")
            pieces.append(shard)
        assert_tensor_close(torch.cat(pieces), p.detach(), atol=0, rtol=0,
                            name=f"the ranks' shards of {name} put back together (initial weights)")


_RUNS = {}


def run(world_size, steps):
    """run_fsdp's result; computed once per (world_size, steps) and shared by the tests."""
    key = (world_size, steps)
    if key not in _RUNS:
        run_fsdp = get_function("run_fsdp", RUN_SIGNATURE)
        try:
            _RUNS[key] = launch("run_fsdp", world_size=world_size, steps=steps)
        except AssertionError as exc:  # remember the failure so every test reports it without relaunching
            _RUNS[key] = exc
    result = _RUNS[key]
    if isinstance(result, Exception):
        raise AssertionError(f"run_fsdp(world_size={world_size}, steps={steps}) failed: {result}")
    return checked(result, world_size)


_PROBES = {}


def _probe(worker, rank, world_size, port, out_dir, steps):
    """Runs in a forked process: your fsdp_worker, then a note on whether it cleaned up and on how
    many forward passes (autograd on) went through modules sharded by fully_shard."""
    import json

    from torch.distributed.fsdp import FSDPModule
    from torch.nn.modules import module as module_hooks

    seen = {"sharded_forwards": 0}

    def on_forward(module, args):
        if isinstance(module, FSDPModule) and torch.is_grad_enabled():
            seen["sharded_forwards"] += 1

    module_hooks.register_module_forward_pre_hook(on_forward)  # this forked process only
    status = "ok"
    try:
        worker(rank, world_size, port, out_dir, steps)
        if dist.is_initialized():
            status = "still initialised"
    except BaseException as exc:  # report, do not hang the parent
        status = f"raised {type(exc).__name__}: {exc}"[:800]
    with open(os.path.join(out_dir, f"status{rank}.json"), "w") as f:
        json.dump({"status": status, **seen}, f)
    os._exit(0)


def probe_worker(world_size=2, steps=2, timeout_s=20):
    """Run fsdp_worker directly in ``world_size`` forked processes (computed once per arguments).

    Returns one dict per rank: "status" ("ok", "still initialised", "raised ...", or "timeout"),
    "sharded_forwards" (forward calls of fully-sharded modules with autograd on) and "record"
    (the rank{r}.pt it saved, or None).
    """
    key = (world_size, steps)
    if key not in _PROBES:
        # The ranks run on your code's side (they call your fsdp_worker); what they report comes back as data.
        _PROBES[key] = launch("_probe_ranks", timeout_s=timeout_s + 15, helper=True, world_size=world_size,
                              steps=steps, timeout_s_per_rank=timeout_s)
    return _PROBES[key]


def _probe_ranks(world_size, steps, timeout_s_per_rank):
    """Runs on your code's side (see ``probe_worker``): the forked ranks and their reports."""
    timeout_s = timeout_s_per_rank
    import json
    import socket

    worker = get_function("fsdp_worker", WORKER_SIGNATURE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    ranks = []
    with tempfile.TemporaryDirectory() as out_dir:
        procs = [ctx.Process(target=_probe, args=(worker, r, world_size, port, out_dir, steps))
                 for r in range(world_size)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=timeout_s)
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
        for rank in range(world_size):
            path = os.path.join(out_dir, f"status{rank}.json")
            info = {"status": "timeout", "sharded_forwards": 0}
            if os.path.exists(path):
                with open(path) as f:
                    info = json.load(f)
            saved = os.path.join(out_dir, f"rank{rank}.pt")
            info["record"] = torch.load(saved, weights_only=False) if os.path.exists(saved) else None
            ranks.append(info)
    return ranks
