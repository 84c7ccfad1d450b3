"""Puts eps inside the square root: sqrt(v_hat + eps).

Caught by: test_adam_matches_torch_adam_for_20_steps, test_adam_first_step_is_bias_corrected
"""
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
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            dampening, wd = group["dampening"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:          # not used in this forward pass: no update, no state
                    continue
                g = p.grad                  # same shape as p
                if wd != 0:
                    g = g + wd * p          # L2 penalty (wd/2)·|p|² contributes wd·p to the gradient
                if mu != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = g.clone()     # first step: the buffer is the gradient itself
                        state["momentum_buffer"] = buf
                    else:
                        buf = state["momentum_buffer"]
                        buf.mul_(mu).add_(g, alpha=1 - dampening)
                    # Nesterov looks one step ahead along the velocity.
                    g = g + mu * buf if group["nesterov"] else buf
                p.add_(g, alpha=-lr)
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
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            eps, wd = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if wd != 0:
                    g = g + wd * p                  # L2: the penalty goes through the moments
                state = self.state[p]
                if not state:                       # first update of this parameter
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)      # m, same shape as p
                    state["exp_avg_sq"] = torch.zeros_like(p)   # v, same shape as p
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)          # running mean of g
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)   # running mean of g²
                # m and v start at 0, so early averages are too small; dividing by
                # 1 - beta^t removes that bias (at t = 1, m_hat is exactly g).
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                p.sub_(lr * m_hat / (v_hat + eps).sqrt())
        return loss
