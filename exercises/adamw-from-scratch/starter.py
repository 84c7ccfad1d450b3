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
        # for group in self.param_groups: for p in group["params"]: ... (see the prompt)
        raise NotImplementedError("write AdamW.step")
        return loss
