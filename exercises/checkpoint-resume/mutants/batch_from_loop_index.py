"""train_steps picks the batch with the loop index (0, 1, ...) instead of the step number, so a resumed run
restarts at batch 0.

Caught by: test_train_steps_matches_a_plain_loop_and_picks_batch_step_mod_len, test_resuming_twice_from_odd_steps_matches_one_long_run
"""
import os
from pathlib import Path

import torch
import torch.nn.functional as F


def train_steps(model, optimizer, data, steps, start_step=0):
    """Run ``steps`` optimisation steps numbered ``start_step, start_step + 1, ...``.

    Args:
        model: a classifier mapping x (B, D) to logits (B, K).
        optimizer: the optimizer over ``model``'s parameters.
        data: a list of (x, y) mini-batches; step ``s`` uses ``data[s % len(data)]``.
        steps: how many steps to run.
        start_step: the number of the first step (the step a resumed run starts from).

    Returns:
        The loss of each step, as Python floats.
    """
    model.train()  # dropout on
    losses = []
    for i in range(steps):
        x, y = data[i % len(data)]          # x (B, D), y (B,)
        optimizer.zero_grad()
        logits = model(x)                   # (B, K)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def save_checkpoint(path, model, optimizer, step, rng_state=True):
    """Atomically write one file at ``path`` holding everything needed to resume at ``step``."""
    path = Path(path)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),  # Adam's moment estimates and step counts
        "step": int(step),
    }
    if rng_state:
        state["rng"] = torch.get_rng_state()  # a uint8 tensor: decides the next dropout masks
    # Write next to the target, then rename: os.replace within one folder is atomic, so
    # `path` always holds either the old checkpoint or the complete new one.
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()  # leave no half-written file behind
        raise


def load_checkpoint(path, model, optimizer):
    """Restore ``model``, ``optimizer`` and (if saved) the RNG state in place; return the step."""
    state = torch.load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if "rng" in state:
        torch.set_rng_state(state["rng"])
    return int(state["step"])
