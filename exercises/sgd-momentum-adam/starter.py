import torch


class SGDMomentum(torch.optim.Optimizer):
    """Stochastic gradient descent with (optionally Nesterov) momentum, like torch.optim.SGD."""

    def __init__(self, params, lr: float, momentum: float = 0.9, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError("lr, momentum and weight_decay must not be negative")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay)
        super().__init__(params, defaults)  # builds self.param_groups and self.state

    @torch.no_grad()  # parameter updates must not be recorded by autograd
    def step(self, closure=None):
        """Update every parameter that has a gradient; return the closure's loss if one is given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # for group in self.param_groups: for p in group["params"]: ... (see the prompt)
        raise NotImplementedError("write SGDMomentum.step")
        return loss


class Adam(torch.optim.Optimizer):
    """Adam (Kingma & Ba, 2014) with L2 weight decay added to the gradient, like torch.optim.Adam."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError("lr, eps and weight_decay must not be negative")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError("betas must lie in [0, 1)")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        """One Adam step for every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # Per parameter, keep the step count and both moments in self.state[p].
        raise NotImplementedError("write Adam.step")
        return loss
