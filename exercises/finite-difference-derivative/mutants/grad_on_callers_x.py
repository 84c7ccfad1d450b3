"""Switches on requires_grad on the caller's x itself and calls backward: x is changed and its .grad written.

Caught by: test_x_is_not_modified
"""
import torch


def derivative(f, x: torch.Tensor, h: float = 1e-4) -> torch.Tensor:
    """Numerical derivative of an elementwise function ``f`` at every entry of ``x``.

    Args:
        f: a function applied elementwise, e.g. ``torch.sin``.
        x: points of any shape (...).
        h: the step on each side of ``x``.

    Returns:
        f'(x), same shape and dtype as ``x``.
    """
    # Central difference: the h**1 error terms of f(x+h) and f(x-h) cancel,
    # leaving an error of order h**2. `x + h` is a new tensor; x is untouched.
    return (f(x + h) - f(x - h)) / (2 * h)  # (...)


def autograd_derivative(f, x: torch.Tensor) -> torch.Tensor:
    """Exact derivative of an elementwise function ``f`` at every entry of ``x``, via autograd.

    Returns:
        f'(x), same shape and dtype as ``x``; ``x`` itself is left untouched.
    """
    if not x.requires_grad:
        x.requires_grad_(True)
    y = f(x)
    y.sum().backward()
    grad = x.grad.clone()
    return grad
