"""Unusual but correct: the cosine factor written as cos²(πp/2) (= (1 + cos πp)/2), the phases in another order, and
make_scheduler passing one lambda per parameter group (LambdaLR accepts a list)."""
import math

import torch


def lr_at(step: int, *, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    if step >= total_steps:
        return float(min_lr)
    if step >= warmup_steps:
        p = (step - warmup_steps) / (total_steps - warmup_steps)
        return float(min_lr + (base_lr - min_lr) * math.cos(math.pi * p / 2) ** 2)
    return float(base_lr * (step + 1) / warmup_steps)


def make_scheduler(optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int,
                   min_lr_ratio: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    lambdas = []
    for group in optimizer.param_groups:
        base = group["lr"]
        lambdas.append(lambda s, base=base: lr_at(s, base_lr=base, warmup_steps=warmup_steps,
                                                  total_steps=total_steps, min_lr=min_lr_ratio * base) / base)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)
