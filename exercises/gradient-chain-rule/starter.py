import torch


def gradient(f, x: torch.Tensor) -> torch.Tensor:
    """∇f(x) via autograd, for a function ``f`` that returns a scalar.

    Args:
        f: maps a tensor shaped like ``x`` to a tensor with one element.
        x: the point, any shape, e.g. (n,).

    Returns:
        The gradient, same shape and dtype as ``x``. Raises ValueError if f(x) is not a scalar.
    """
    raise NotImplementedError("evaluate f on a copy of x that requires grad, then use torch.autograd.grad")


def chain_rule_grad(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dL/dx for L = sum(tanh(W x + b) ** 2), worked out by hand (no autograd).

    Args:
        x: (n,) one input, or (B, n) a batch (L is then summed over the batch too).
        W: (m, n) weights.
        b: (m,) bias.

    Returns:
        dL/dx, same shape and dtype as ``x``.
    """
    z = x @ W.T + b    # (m,) or (B, m): W x + b for every input
    a = torch.tanh(z)  # (m,) or (B, m)
    # L = (a ** 2).sum(). Now go backwards: dL/da, then dL/dz, then dL/dx.
    raise NotImplementedError("apply the chain rule backwards through a, z and x")
