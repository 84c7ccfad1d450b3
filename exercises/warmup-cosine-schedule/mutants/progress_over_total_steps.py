"""Cosine progress measured over the whole run, (step - W) / T, instead of over the decay phase (step - W) / (T - W).

Caught by: test_values_at_key_steps
"""
import math

import torch


def lr_at(step: int, *, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Learning rate for optimizer step ``step`` (0-based): linear warmup, cosine decay, then ``min_lr``.

    Warmup (step < warmup_steps): base_lr * (step + 1) / warmup_steps.
    Cosine (warmup_steps <= step < total_steps): from base_lr down towards min_lr.
    After (step >= total_steps): min_lr.
    """
    if step < warmup_steps:
        # (step + 1) so that step 0 already moves the weights, and step W-1 reaches base_lr.
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / total_steps  # 0 at the end of warmup, -> 1 at the end
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))               # 1 -> 0 along half a cosine period
    return min_lr + (base_lr - min_lr) * cosine


def make_scheduler(optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int,
                   min_lr_ratio: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR that makes every param group follow lr_at, with the group's initial lr as base_lr."""

    def multiplier(step: int) -> float:
        # LambdaLR sets lr = initial_lr * multiplier(step), so this is the schedule for base_lr = 1.
        return lr_at(step, base_lr=1.0, warmup_steps=warmup_steps, total_steps=total_steps, min_lr=min_lr_ratio)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, multiplier)
