"""Helpers shared by the DDP exercise's public and hidden tests: the reference training, a
launcher that turns a hang into a readable failure, and run_ddp's checked result."""
import multiprocessing
import os
import signal
import sys
import tempfile

import torch
import torch._dynamo  # noqa: F401  DDP imports this lazily (seconds); paid once here, not in every rank
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from course_harness import get_function, run_isolated

RUN_SIGNATURE = "run_ddp(world_size: int = 2, steps: int = 3) -> dict"
WORKER_SIGNATURE = "ddp_worker(rank: int, world_size: int, port: int, out_dir: str, steps: int = 3) -> None"
LR = 0.1
_RUNS = {}


def make_model():
    # The same model and data as in the exercise, written out again so the tests do not trust yours.
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def make_data():
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(16, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(16, 1, generator=g)
    return x, y


def reference(steps):
    """Full-batch SGD in one process: (gradients of the last step, final parameters, losses)."""
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_data()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters()}
        optimizer.step()
        losses.append(loss.item())
    return grads, {n: p.detach().clone() for n, p in model.named_parameters()}, losses


def strip(named):
    """Accept names with DDP's 'module.' prefix too."""
    if not isinstance(named, dict):
        raise AssertionError(f"expected a dict mapping parameter names to tensors, got {type(named).__name__}.")
    return {k.removeprefix("module."): v for k, v in named.items()}


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
            "never reach, or the DDP model was still alive when the process group was destroyed: "
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
        raise AssertionError("after run_ddp returned, the calling process had a process group initialised: only the "
                             "worker processes should call init_process_group.")
    return out["value"]


def run_twice(**kwargs):
    """Runs on your code's side (see ``launch``): run_ddp twice in a row, as a repeated launch would."""
    run_ddp = get_function("run_ddp", RUN_SIGNATURE)
    return run_ddp(**kwargs), run_ddp(**kwargs)


def run(world_size, steps):
    """run_ddp's result, checked for shape; computed once per (world_size, steps)."""
    key = (world_size, steps)
    if key not in _RUNS:
        run_ddp = get_function("run_ddp", RUN_SIGNATURE)
        try:
            result = launch("run_ddp", world_size=world_size, steps=steps)
        except AssertionError as exc:  # remember the failure so every test reports it without relaunching
            result = exc
        _RUNS[key] = result
    result = _RUNS[key]
    if isinstance(result, Exception):
        raise AssertionError(f"run_ddp(world_size={world_size}, steps={steps}) failed: {result}")
    if not isinstance(result, dict) or not {"grads", "params", "losses"} <= set(result):
        raise AssertionError("run_ddp must return a dict with keys 'grads', 'params' and 'losses' "
                             f"(one entry per rank), got {result!r:.200}")
    for key_name in ("grads", "params", "losses"):
        if len(result[key_name]) != world_size:
            raise AssertionError(f"result['{key_name}'] should hold one entry per rank ({world_size}), "
                                 f"got {len(result[key_name])}.")
    return result


_PROBES = {}


def _probe(worker, rank, world_size, port, out_dir, steps):
    """Runs in a forked process: your ddp_worker, then a note on whether it cleaned up and on how
    often the DistributedDataParallel wrapper ran a forward pass that backward will synchronise."""
    import json

    from torch.nn.parallel import DistributedDataParallel

    calls = {"synced_forwards": 0}
    original = DistributedDataParallel.forward

    def counting_forward(self, *args, **kwargs):
        # A forward through DDP with autograd on (outside no_sync()) is what makes the backward
        # all-reduce the gradients; a DDP object that is created but never called syncs nothing.
        if torch.is_grad_enabled() and getattr(self, "require_backward_grad_sync", True):
            calls["synced_forwards"] += 1
        return original(self, *args, **kwargs)

    DistributedDataParallel.forward = counting_forward  # this forked process only
    status = "ok"
    try:
        worker(rank, world_size, port, out_dir, steps)
        if dist.is_initialized():
            status = "still initialised"
    except BaseException as exc:  # report, do not hang the parent
        status = f"raised {type(exc).__name__}: {exc}"[:800]
    with open(os.path.join(out_dir, f"status{rank}.json"), "w") as f:
        json.dump({"status": status, **calls}, f)
    os._exit(0)


def probe_worker(world_size=2, steps=2, timeout_s=20):
    """Run ddp_worker directly in ``world_size`` forked processes (computed once per arguments).

    Returns one dict per rank: "status" ("ok", "still initialised", "raised ...", or "timeout"),
    "synced_forwards" (forward passes through DistributedDataParallel with autograd on) and
    "record" (the rank{r}.pt it saved, or None).
    """
    key = (world_size, steps)
    if key not in _PROBES:
        # The ranks run on your code's side (they call your ddp_worker); what they report comes back as data.
        _PROBES[key] = launch("_probe_ranks", timeout_s=timeout_s + 15, helper=True, world_size=world_size,
                              steps=steps, timeout_s_per_rank=timeout_s)
    return _PROBES[key]


def _probe_ranks(world_size, steps, timeout_s_per_rank):
    """Runs on your code's side (see ``probe_worker``): the forked ranks and their reports."""
    timeout_s = timeout_s_per_rank
    import json

    worker = get_function("ddp_worker", WORKER_SIGNATURE)
    import socket

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
            info = {"status": "timeout", "synced_forwards": 0}
            if os.path.exists(path):
                with open(path) as f:
                    info = json.load(f)
            saved = os.path.join(out_dir, f"rank{rank}.pt")
            info["record"] = torch.load(saved) if os.path.exists(saved) else None
            ranks.append(info)
    return ranks
