"""Forgets Adam's bias correction: uses m and v directly, so the first steps are far too small.

Caught by: test_adamw_matches_torch_adamw_for_20_steps, test_other_betas_and_eps_match_torch_adamw
"""
import torch


class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter), like torch.optim.AdamW (amsgrad off)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError("lr, eps and weight_decay must not be negative")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError("betas must lie in [0, 1)")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)  # every param group gets these unless it sets its own

    @torch.no_grad()  # parameter updates must not be recorded by autograd
    def step(self, closure=None):
        """One AdamW step for every parameter that has a gradient; return the closure's loss if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:      # took no part in the loss: no update, no decay, no state
                    continue
                g = p.grad              # the loss gradient only; the decay never enters m or v
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)      # m, same shape as p
                    state["exp_avg_sq"] = torch.zeros_like(p)   # v, same shape as p
                state["step"] += 1
                t = state["step"]
                # Decoupled decay: shrink the weights directly, scaled by lr (as PyTorch does).
                # The Adam step below does not depend on p, so shrinking first uses the old weights.
                if wd != 0:
                    p.mul_(1 - lr * wd)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat, v_hat = m, v
                p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        return loss
