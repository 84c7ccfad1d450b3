"""Central difference divided by h instead of 2h: twice the derivative.

Caught by: test_central_difference_matches_analytic_derivatives_in_float64
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
    return (f(x + h) - f(x - h)) / h


def autograd_derivative(f, x: torch.Tensor) -> torch.Tensor:
    """Exact derivative of an elementwise function ``f`` at every entry of ``x``, via autograd.

    Returns:
        f'(x), same shape and dtype as ``x``; ``x`` itself is left untouched.
    """
    xg = x.detach().clone().requires_grad_(True)  # (...) a copy that autograd may track
    y = f(xg)                                     # (...) one output per point
    # Each y[i] depends only on xg[i], so d(sum y)/d xg[i] = f'(x[i]).
    (grad,) = torch.autograd.grad(y.sum(), xg)
    return grad                                   # (...)
