import math

import torch


def lr_at(step: int, *, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Learning rate for optimizer step ``step`` (0-based): linear warmup, cosine decay, then ``min_lr``.

    Warmup (step < warmup_steps): base_lr * (step + 1) / warmup_steps.
    Cosine (warmup_steps <= step < total_steps): from base_lr down towards min_lr.
    After (step >= total_steps): min_lr.
    """
    # A first draft: warmup only, the learning rate never decays.
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr


def make_scheduler(optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int,
                   min_lr_ratio: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR that makes every param group follow lr_at, with the group's initial lr as base_lr."""
    raise NotImplementedError("build a torch.optim.lr_scheduler.LambdaLR")
