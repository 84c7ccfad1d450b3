"""Differentiates a² as a instead of 2a: every gradient is half as large.

Caught by: test_chain_rule_grad_matches_autograd
"""
import torch


def gradient(f, x: torch.Tensor) -> torch.Tensor:
    """∇f(x) via autograd, for a function ``f`` that returns a scalar.

    Args:
        f: maps a tensor shaped like ``x`` to a tensor with one element.
        x: the point, any shape, e.g. (n,).

    Returns:
        The gradient, same shape and dtype as ``x``. Raises ValueError if f(x) is not a scalar.
    """
    xg = x.detach().clone().requires_grad_(True)  # a private copy: the caller's x stays as it was
    y = f(xg)
    if y.numel() != 1:
        raise ValueError(f"f(x) must be a scalar to have a gradient, but it has shape {tuple(y.shape)}; "
                         "reduce it first (e.g. with .sum()).")
    (grad,) = torch.autograd.grad(y.reshape(()), xg)
    return grad  # same shape as x


def chain_rule_grad(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dL/dx for L = sum(tanh(W x + b) ** 2), worked out by hand (no autograd).

    Args:
        x: (n,) one input, or (B, n) a batch (L is then summed over the batch too).
        W: (m, n) weights.
        b: (m,) bias.

    Returns:
        dL/dx, same shape and dtype as ``x``.
    """
    # Forward pass. `x @ W.T` is W x for one input and works row by row for a batch.
    z = x @ W.T + b    # (m,) or (B, m)
    a = torch.tanh(z)  # (m,) or (B, m)
    # Backward pass, one local derivative at a time:
    da = a                # dL/da: derivative of a² is 2a
    dz = da * (1 - a ** 2)    # dL/dz: tanh'(z) = 1 - tanh(z)², applied elementwise
    dx = dz @ W               # dL/dx = Wᵀ dL/dz: (m,) @ (m, n) -> (n,), (B, m) @ (m, n) -> (B, n)
    return dx
