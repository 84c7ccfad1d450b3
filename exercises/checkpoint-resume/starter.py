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
    raise NotImplementedError("train: model.train(), then per step zero_grad, forward, cross_entropy, backward, step")


def save_checkpoint(path, model, optimizer, step, rng_state=True):
    """Atomically write one file at ``path`` holding everything needed to resume at ``step``."""
    # A first attempt: is this enough to resume *exactly*? And what happens to the
    # previous checkpoint if torch.save fails halfway through writing?
    torch.save({"model": model.state_dict(), "step": step}, path)


def load_checkpoint(path, model, optimizer):
    """Restore ``model``, ``optimizer`` and (if saved) the RNG state in place; return the step."""
    state = torch.load(path)
    model.load_state_dict(state["model"])
    return state["step"]
