"""Hands the update to PyTorch's functional AdamW (torch.optim._functional.adamw): right numbers, forbidden API.

Caught by: test_does_not_use_torch_optimizers
"""
import torch
from torch.optim import _functional


class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay, computed by torch's functional implementation."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                _functional.adamw([p], [p.grad], [state["exp_avg"]], [state["exp_avg_sq"]], [], [state["step"]],
                                  foreach=False, amsgrad=False, beta1=beta1, beta2=beta2, lr=group["lr"],
                                  weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)
        return loss
