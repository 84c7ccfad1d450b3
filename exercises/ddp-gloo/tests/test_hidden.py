"""Hidden tests for the DDP exercise: other world sizes, one step, repeated launches."""
import multiprocessing
import os
import signal
import tempfile

import torch
import torch._dynamo  # noqa: F401  DDP imports this lazily; paid once here, not in every rank
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from course_harness import assert_tensor_close, get_function

RUN_SIGNATURE = "run_ddp(world_size: int = 2, steps: int = 3) -> dict"
LR = 0.1


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def make_data():
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(16, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1 * torch.randn(16, 1, generator=g)
    return x, y


def reference(steps):
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = make_data()
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters()}
        optimizer.step()
    return grads, {n: p.detach().clone() for n, p in model.named_parameters()}


def launch(fn, timeout_s=30):
    """Call ``fn()`` in a forked process of its own and return its value.

    Your processes run inside it, so a hang becomes a readable failure after ``timeout_s``
    instead of using up the whole time limit.
    """
    ctx = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "result.pt")

        def child():
            os.setpgrp()  # its own process group, so the ranks it starts can be killed with it
            try:
                value = {"value": fn(), "initialised": dist.is_initialized()}
            except BaseException as exc:
                # A rank's traceback ends with the real error: show that line first, then the tail.
                text = f"{type(exc).__name__}: {exc}".strip()
                last = text.splitlines()[-1][:500]
                if "closed by peer" in text or "reset by peer" in text:
                    last = ("one rank left (finished or crashed) while another was still waiting in a collective: "
                            "every rank must make the same collective calls in the same order. " + last)
                value = {"error": text[-1500:] if last == text else f"{last}\n\n{text[-1500:]}"}
            torch.save(value, path)
            os._exit(0)

        proc = ctx.Process(target=child)
        proc.start()
        proc.join(timeout_s)
        if proc.is_alive():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.join()
            raise AssertionError(
                f"your code did not finish within {timeout_s} s. Either a rank waits in a collective the others "
                "never reach, or the DDP model was still alive when the process group was destroyed: "
                "`del model` before dist.destroy_process_group() (see the prompt's rules).")
        if not os.path.exists(path):
            raise AssertionError(f"the process running your code died (exit code {proc.exitcode}) before returning.")
        out = torch.load(path, weights_only=False)
    if "error" in out:
        raise AssertionError(out["error"])
    if out["initialised"]:
        raise AssertionError("after run_ddp returned, the calling process had a process group initialised: only the "
                             "worker processes should call init_process_group.")
    return out["value"]


def check_against_reference(result, world_size, steps):
    assert isinstance(result, dict) and len(result.get("grads", [])) == world_size, (
        f"run_ddp(world_size={world_size}) should return one gradient dict per rank.")
    grads, params = reference(steps)
    for rank in range(world_size):
        mine_g = {k.removeprefix("module."): v for k, v in result["grads"][rank].items()}
        mine_p = {k.removeprefix("module."): v for k, v in result["params"][rank].items()}
        assert set(mine_g) == set(grads) and set(mine_p) == set(grads), (
            f"rank {rank} saved names {sorted(mine_g)}, expected {sorted(grads)} (model.module.named_parameters()).")
        for name in grads:
            assert_tensor_close(mine_g[name], grads[name], atol=1e-5, rtol=1e-4,
                                name=f"world_size={world_size}, steps={steps}: rank {rank}'s gradient of {name}")
            assert_tensor_close(mine_p[name], params[name], atol=1e-5, rtol=1e-4,
                                name=f"world_size={world_size}, steps={steps}: rank {rank}'s final {name}")


def test_four_ranks_match_full_batch_training():
    run_ddp = get_function("run_ddp", RUN_SIGNATURE)
    result = launch(lambda: run_ddp(world_size=4, steps=3), timeout_s=45)  # 4 samples per rank: use world_size, do not assume 2
    check_against_reference(result, 4, 3)


def test_one_step_gives_the_full_batch_gradient_of_the_initial_model():
    run_ddp = get_function("run_ddp", RUN_SIGNATURE)
    check_against_reference(launch(lambda: run_ddp(world_size=2, steps=1)), 2, 1)


def test_a_single_rank_is_plain_training():
    run_ddp = get_function("run_ddp", RUN_SIGNATURE)
    check_against_reference(launch(lambda: run_ddp(world_size=1, steps=2)), 1, 2)


def test_two_launches_in_a_row_work():
    run_ddp = get_function("run_ddp", RUN_SIGNATURE)
    # The second launch needs a fresh (or freed) port and fresh processes; launch() also checks
    # that the calling process never joined a process group itself.
    first, second = launch(lambda: (run_ddp(world_size=2, steps=2), run_ddp(world_size=2, steps=2)))
    check_against_reference(second, 2, 2)
    for name, g in first["grads"][0].items():
        assert_tensor_close(second["grads"][0][name], g, atol=1e-6, name=f"{name} gradient in the second launch")
